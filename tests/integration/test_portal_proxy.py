"""Proxy mode: the agent cannot reach the PKI; the portal passes its SCEP
requests on with nginx's own proxy_pass, and lets through only those that
carry an enrollment ticket it issued at login."""

import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
from cryptography import x509

from harness import directory, http, portal
from harness.procs import wait_until

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
AGENT = os.path.join(REPO, "build", "scep-agent")

TLS_LISTEN = ("@PORT@ ssl;\n    ssl_certificate @TLS_CERT@;\n"
              "    ssl_certificate_key @TLS_KEY@")
GETCONFIG = "/global-protect/getconfig.esp"


def gate_location(scepserver, profile="staff", path="/scep-proxy"):
    return f"""
    location {path} {{
        scep_proxy {profile};
        proxy_set_header X-SCEP-Ticket "";
        proxy_pass {scepserver.url};
    }}
"""


def start_portal(nginx, slapd, scepserver, lifetime="10m", extra="",
                 http_extra=""):
    conf = (http_extra + portal.directory_block(slapd)
            + portal.profile_block(
                "staff", scep_url=scepserver.url, mode="proxy",
                proxy_url="https://127.0.0.1:@PORT@/scep-proxy",
                ticket_lifetime=lifetime,
                ca_fingerprint=scepserver.ca_fingerprint_sha256)
            + portal.profile_block("other", scep_url=scepserver.url,
                                   mode="proxy",
                                   proxy_url="https://127.0.0.1:@PORT@/o")
            + portal.portal_server("        scep_default_profile staff;",
                                   listen=TLS_LISTEN,
                                   extra=gate_location(scepserver)
                                   + gate_location(scepserver, "other",
                                                   "/o")
                                   + extra))
    server = nginx(http=conf)
    server.start()

    # The worker fetches each profile's CA certificate as it starts
    # (GetCACert, GetCACaps): wait for both, so that tests counting the
    # requests the PKI saw do not count these.
    for name in ("staff", "other"):
        fetched = re.compile(rf'scep_profile "{name}": CA certificate '
                             r'"[^"]+" \(SHA-256 [0-9a-f]{64}\) obtained ')
        wait_until(lambda: fetched.search(server.error_log()), 30,
                   f"the CA certificate of profile {name}",
                   alive=server.proc.running)
    return server


def login(server, user="alice"):
    response = http.post_form(server.url(GETCONFIG, https=True),
                              portal.login(user))
    assert response.status == 200, response
    return ET.fromstring(response.body).find("scep")


def get_caps(server, path="/scep-proxy", ticket=None):
    headers = {} if ticket is None else {"X-SCEP-Ticket": ticket}
    return http.get(server.url(f"{path}?operation=GetCACaps", https=True),
                    headers=headers)


def test_settings_point_at_the_portal_with_a_ticket(nginx, slapd,
                                                    scepserver):
    server = start_portal(nginx, slapd, scepserver)
    scep = login(server)

    assert scep.findtext("mode") == "proxy"
    ticket = scep.findtext("ticket")
    # the ticket is in the path, where stock SCEP clients keep it
    assert scep.findtext("server-url") == \
        f"https://127.0.0.1:{server.port}/scep-proxy/{ticket}"
    assert re.fullmatch(r"1\.\d+\.[\w-]+\.[\w-]+\.[\w-]{43}", ticket)

    # a ticket lives ticket_lifetime: 10 minutes
    expires = int(ticket.split(".")[1])
    assert 590 <= expires - time.time() <= 600

    response = get_caps(server, ticket=ticket)
    assert response.status == 200
    assert b"POSTPKIOperation" in response.body
    assert re.search(r'scep proxy: client=127\.0\.0\.1 result=admitted '
                     r'profile="staff" operation="GetCACaps" user="alice"',
                     server.error_log())
    assert ticket not in server.error_log()


def test_the_agent_enrolls_through_the_portal(nginx, slapd, scepserver,
                                              tmp_path):
    server = start_portal(nginx, slapd, scepserver)
    since = len(scepserver.records())
    out = tmp_path / "agent"
    result = subprocess.run(
        [AGENT, "--portal", f"https://127.0.0.1:{server.port}",
         "--insecure", "--pki-ca-file", server.tls.cert_path,
         "--user", "carol", "--out-dir", str(out)],
        env=dict(os.environ,
                 NGX_SCEP_PASSWORD=directory.USERS["carol"]["password"]),
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Certificate issued (proxy mode, profile "staff")' in \
        result.stdout

    cert = x509.load_pem_x509_certificate((out / "cert.pem").read_bytes())
    assert cert.subject.rfc4514_string() == "CN=carol,OU=VPN,O=Example"
    assert [r["subject"] for r in scepserver.records()[since:]] == \
        ["CN=carol,OU=VPN,O=Example"]

    # every SCEP request went through the gate, admitted as carol
    log = server.error_log()
    for operation in ("GetCACert", "GetCACaps", "PKIOperation"):
        assert re.search(r'result=admitted profile="staff" '
                         rf'operation="{operation}" user="carol"', log), log


@pytest.mark.parametrize("ticket,reason", [
    (None, "no enrollment ticket: log in to the portal first"),
    ("garbage", "the enrollment ticket is malformed"),
    ("1.9999999999.c3RhZmY.YWxpY2U.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
     "the enrollment ticket was not issued by this portal"),
])
def test_requests_without_a_valid_ticket_are_refused(nginx, slapd,
                                                     scepserver, ticket,
                                                     reason):
    server = start_portal(nginx, slapd, scepserver)
    ops = scepserver.log().count("GetCACaps")

    response = get_caps(server, ticket=ticket)

    assert response.status == 403
    assert response.body.decode() == reason
    assert f'result=refused profile="staff" operation="GetCACaps" ' \
        f'reason="{reason}"' in server.error_log()
    # nothing reached the PKI
    assert scepserver.log().count("GetCACaps") == ops


def test_a_changed_ticket_is_refused(nginx, slapd, scepserver):
    server = start_portal(nginx, slapd, scepserver)
    ticket = login(server).findtext("ticket")
    version, expires, profile, user, mac = ticket.split(".")

    # claim to be another user, or to last longer: the MAC gives it away
    for forged in (f"{version}.{expires}.{profile}.Ym9i.{mac}",
                   f"{version}.{int(expires) + 3600}.{profile}.{user}.{mac}"):
        response = get_caps(server, ticket=forged)
        assert response.status == 403
        assert response.body == \
            b"the enrollment ticket was not issued by this portal"


def test_a_ticket_serves_its_own_profile_only(nginx, slapd, scepserver):
    server = start_portal(nginx, slapd, scepserver)
    ticket = login(server).findtext("ticket")

    assert get_caps(server, ticket=ticket).status == 200
    response = get_caps(server, path="/o", ticket=ticket)
    assert response.status == 403
    assert response.body == b"the enrollment ticket is for another profile"


def test_an_expired_ticket_is_refused(nginx, slapd, scepserver):
    server = start_portal(nginx, slapd, scepserver, lifetime="1s")
    ticket = login(server).findtext("ticket")
    expires = int(ticket.split(".")[1])

    wait_until(lambda: time.time() > expires + 1, 5, "the ticket's expiry")

    response = get_caps(server, ticket=ticket)
    assert response.status == 403
    assert response.body == (b"the enrollment ticket has expired: log in "
                             b"to the portal again")


def test_a_reload_voids_earlier_tickets(nginx, slapd, scepserver):
    server = start_portal(nginx, slapd, scepserver)
    ticket = login(server).findtext("ticket")
    assert get_caps(server, ticket=ticket).status == 200

    server.reload()

    assert get_caps(server, ticket=ticket).status == 403
    assert get_caps(server, ticket=login(server).findtext("ticket")) \
        .status == 200


# -- the ticket in the path, as stock SCEP clients send it -----------------

ECHO_SERVER = """
server {
    listen 127.0.0.1:@PORT2@;
    location / {
        return 200 "uri=$request_uri ticket=$http_x_scep_ticket";
    }
}
"""


def echo_portal(nginx, slapd, scepserver, gates, log_format=""):
    """The portal, its gates passing to an echo server that answers the
    URI it was asked for: what proxy_pass made of the request."""
    conf = (log_format + portal.directory_block(slapd)
            + portal.profile_block(
                "staff", scep_url=scepserver.url, mode="proxy",
                proxy_url="https://127.0.0.1:@PORT@/scep-proxy",
                ca_fingerprint=scepserver.ca_fingerprint_sha256)
            + portal.portal_server("        scep_default_profile staff;",
                                   listen=TLS_LISTEN, extra=gates)
            + ECHO_SERVER)
    server = nginx(http=conf)
    server.start()
    return server


@pytest.mark.parametrize("location,upstream,seen", [
    # proxy_pass with a URI: it replaces the location's prefix
    ("/scep-proxy", "http://127.0.0.1:@PORT2@/scep", "/scep"),
    ("/scep-proxy/", "http://127.0.0.1:@PORT2@/scep", "/scep"),
    # without: the URI as the client sent it, less the ticket
    ("/scep-proxy", "http://127.0.0.1:@PORT2@", "/scep-proxy"),
    ("~ ^/scep-proxy", "http://127.0.0.1:@PORT2@", "/scep-proxy"),
])
def test_the_upstream_never_sees_the_ticket(nginx, slapd, scepserver,
                                            location, upstream, seen):
    gate = f"""
    location {location} {{
        scep_proxy staff;
        proxy_set_header X-SCEP-Ticket "";
        proxy_pass {upstream};
    }}
"""
    server = echo_portal(nginx, slapd, scepserver, gate)
    scep = login(server)
    url = scep.findtext("server-url")
    ticket = scep.findtext("ticket")
    assert url.endswith("/scep-proxy/" + ticket)

    response = http.get(url + "?operation=GetCACert&message=test-ca")
    assert response.status == 200, response
    assert response.body.decode() == \
        f"uri={seen}?operation=GetCACert&message=test-ca ticket="

    # the header still works, and is not passed on either
    response = get_caps(server, path=location.lstrip("~ ^"), ticket=ticket)
    assert response.status == 200
    assert response.body.decode().endswith(" ticket=")

    # a URI of the right shape with a bad ticket stops at the gate
    response = http.get(url[:-3] + "AAA?operation=GetCACaps")
    assert response.status == 403


def test_tickets_stay_out_of_the_logs(nginx, slapd, scepserver):
    log_format = ("log_format masked '$scep_request | $request | "
                  "$request_uri';\n")
    gate = """
    location /scep-proxy {
        scep_proxy staff;
        access_log logs/proxy.log masked;
        proxy_pass http://127.0.0.1:@PORT2@/scep;
    }
"""
    server = echo_portal(nginx, slapd, scepserver, gate, log_format)
    scep = login(server)
    ticket = scep.findtext("ticket")
    url = scep.findtext("server-url")

    assert http.get(url + "?operation=GetCACaps").status == 200
    assert http.get(url[:-3] + "AAA?operation=GetCACaps").status == 403

    logs = os.path.join(server.prefix, "logs")
    with open(os.path.join(logs, "proxy.log")) as f:
        lines = f.read().splitlines()
    assert lines == [
        "GET /scep-proxy/[ticket]?operation=GetCACaps HTTP/1.1 | "
        "GET /scep-proxy/[ticket]?operation=GetCACaps HTTP/1.1 | "
        "/scep-proxy/[ticket]?operation=GetCACaps"] * 2
    assert ticket not in server.error_log()
    assert ticket[:-3] not in server.error_log()
    assert 'request: "GET /scep-proxy/[ticket]?operation=GetCACaps' in \
        server.error_log()


def test_a_key_file_keeps_tickets_across_reloads_and_portals(
        nginx, slapd, scepserver, tmp_path):
    key = tmp_path / "portal.key"
    subprocess.run([os.path.join(REPO, "build", "scep-verify"), "--new-key",
                    str(key)], check=True, capture_output=True)
    extra = f"scep_key_file {key};\n"

    first = start_portal(nginx, slapd, scepserver, http_extra=extra)
    ticket = login(first).findtext("ticket")
    assert get_caps(first, ticket=ticket).status == 200

    first.reload()
    assert get_caps(first, ticket=ticket).status == 200

    # a second portal listing the same key admits it too
    second = start_portal(nginx, slapd, scepserver, http_extra=extra)
    assert get_caps(second, ticket=ticket).status == 200
