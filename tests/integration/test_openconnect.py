"""A real GlobalProtect client, openconnect --protocol=gp (Debian's), from
the portal to a gateway with the certificate the portal issued.

The chain: the reference agent (build/scep-agent) enrolls through the
portal (push mode: with micromdm's scepserver itself; enroll mode: the
portal's PKCS#12), then openconnect --authenticate logs in to the
portal with the user's password, takes the one gateway of the portal's
list, logs in to it with the agent's certificate and key, and prints
the gateway's authentication cookie.  The gateway is plain nginx with
ssl_verify_client against the session CA (tests/harness/gateway.py).

openconnect 9.01's flow, read from its source (auth-globalprotect.c,
gpst_login()): POST /global-protect/prelogin.esp, POST
/global-protect/getconfig.esp with the form; from the <policy>, the
first entry of gateways/external/list; then, without a prelogin, the
same form again to https://GATEWAY/ssl-vpn/login.esp (its "blind
retry"), whose <jnlp> arguments become the cookie; --authenticate prints
COOKIE=, HOST=, CONNECT_URL=, FINGERPRINT= and stops (main.c).
"""

import datetime
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from harness import directory, gateway, http, portal, procs  # noqa: E402
from harness.ports import HOST, free_port                     # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
AGENT = os.path.abspath(os.environ.get("NGX_SCEP_AGENT") or os.path.join(
    REPO, "build", "scep-agent"))

TLS_LISTEN = ("@PORT@ ssl;\n    ssl_certificate @TLS_CERT@;\n"
              "    ssl_certificate_key @TLS_KEY@")
GETCONFIG = "/global-protect/getconfig.esp"

COOKIE = re.compile(r"^COOKIE='(?P<cookie>[^']*)'$", re.MULTILINE)

_serial = iter(range(1, 1000))


def unique(prefix):
    """An OU no earlier test gave the session's CA."""
    return f"{prefix}-{os.getpid()}-{next(_serial)}"


def fingerprint(ca):
    return ":".join(f"{b:02X}" for b in bytes.fromhex(
        ca.ca_fingerprint_sha256))


def run_openconnect(server, user, password, *extra, pins=()):
    """openconnect --protocol=gp --authenticate against the portal; pins:
    more --servercert values (the gateway's)."""
    argv = ["openconnect", "--protocol=gp", "--servercert", server.tls.pin]
    for pin in pins:
        argv += ["--servercert", pin]
    argv += ["--user", user, "--passwd-on-stdin", "--authenticate",
             "--non-inter", "-v", *extra,
             f"https://{HOST}:{server.port}/global-protect/"]
    return subprocess.run(argv, input=password + "\n", capture_output=True,
                          text=True, timeout=60)


def start_portal(nginx, slapd, location="        scep_default_profile "
                 "staff;", profiles=None, directory_block=None,
                 gateway_line=None):
    conf = ((directory_block or portal.directory_block(slapd))
            + (profiles or portal.profile_block())
            + portal.portal_server(location, listen=TLS_LISTEN))
    if gateway_line is not None:
        conf = conf.replace(
            '        scep_gateway gw1.example.org "name=Gateway 1" '
            'priority=1;', gateway_line)
    server = nginx(http=conf)
    server.start()
    return server


def start_gateway(nginx, client_ca):
    """The test gateway (no module) trusting client_ca; not yet started,
    so that its port can go into the portal's configuration first."""
    return nginx(http=gateway.server_block(client_ca), load_module=False)


def portal_ca_fetched(server):
    procs.wait_until(lambda: "CA certificate" in server.error_log(), 15.0,
                     "the portal's first GetCACert")


def enroll(server, user, out_dir):
    """The reference agent enrolls user through the portal."""
    if not os.path.exists(AGENT):
        pytest.fail(f"{AGENT} is missing: run 'make tools' first",
                    pytrace=False)
    env = dict(os.environ,
               NGX_SCEP_PASSWORD=directory.USERS[user]["password"])
    done = subprocess.run(
        [AGENT, "enroll", "--portal", f"https://{HOST}:{server.port}",
         "--ca-file", server.tls.cert_path, "--user", user,
         "--host-id", f"oc-{user}", "--dir", str(out_dir)],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(os.path.join(out_dir, "cert.pem"), "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    return (os.path.join(out_dir, "cert.pem"),
            os.path.join(out_dir, "key.pem"), cert)


def chain(nginx, slapd, scepserver, mode, user, tmp_path):
    """Portal (profile in mode) + gateway trusting the session CA; the
    agent enrolls user; returns (portal, gateway, cert, key, x509)."""
    gw = start_gateway(nginx, scepserver.ca_cert_path)
    profile = portal.profile_block(
        "staff", scep_url=scepserver.url, mode=mode,
        subject=f'"O=Example,OU={unique(mode)},CN=$USERNAME"',
        ca_fingerprint=fingerprint(scepserver))
    server = start_portal(
        nginx, slapd, profiles=profile,
        gateway_line=f'        scep_gateway {HOST}:{gw.port} '
                     '"name=Test gateway";')
    gw.start()
    if mode == "enroll":
        portal_ca_fetched(server)
    cert, key, parsed = enroll(server, user, tmp_path / f"agent-{user}")
    return server, gw, cert, key, parsed


def assert_cookie(result, user, gw):
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    match = COOKIE.search(result.stdout)
    assert match, output
    fields = dict(part.split("=", 1)
                  for part in match.group("cookie").split("&"))
    assert re.fullmatch(r"[0-9a-f]{32}", fields["authcookie"]), fields
    assert fields["user"] == user
    assert fields["portal"] == gateway.NAME
    assert f"HOST='{HOST}'" in result.stdout
    return fields


# -- the portal's step ------------------------------------------------------

def test_openconnect_accepts_the_portal_configuration(nginx, slapd):
    server = start_portal(nginx, slapd)
    result = run_openconnect(server, "alice",
                             directory.USERS["alice"]["password"])
    output = result.stdout + result.stderr

    assert "POST https://127.0.0.1:%d/global-protect/prelogin.esp" \
        % server.port in output
    assert "POST https://127.0.0.1:%d/global-protect/getconfig.esp" \
        % server.port in output
    # the portal step succeeded: openconnect read our gateway list
    assert "1 gateway servers available:" in output, output
    assert "Gateway 1 (gw1.example.org)" in output
    # and went on to the gateway (a name that does not resolve here)
    assert "https://gw1.example.org/ssl-vpn/login.esp" in output

    log = server.error_log()
    assert 'result=settings status=200 login="alice"' in log


# -- the whole chain --------------------------------------------------------

def test_push_mode_certificate_takes_openconnect_through_the_gateway(
        nginx, slapd, scepserver, tmp_path):
    server, gw, cert, key, parsed = chain(nginx, slapd, scepserver, "push",
                                          "bob", tmp_path)
    result = run_openconnect(server, "bob", directory.USERS["bob"]["password"],
                             "--certificate", cert, "--sslkey", key,
                             pins=[gw.tls.pin])
    output = result.stdout + result.stderr

    assert f"Test gateway ({HOST}:{gw.port})" in output
    assert f"POST https://{HOST}:{gw.port}/ssl-vpn/login.esp" in output
    assert ("GlobalProtect login returned authentication-source="
            "client-certificate") in output
    fields = assert_cookie(result, "bob", gw)

    # the gateway saw the agent's certificate, verified by the session CA
    seen = gateway.wait_for_record(gw, "/ssl-vpn/login.esp")
    assert seen["verify"] == "SUCCESS"
    assert seen["user"] == "bob"
    assert int(seen["serial"], 16) == parsed.serial_number
    assert "CN=bob" in seen["dn"]
    assert fields["authcookie"] not in server.error_log()


def test_enroll_mode_certificate_takes_openconnect_through_the_gateway(
        nginx, slapd, scepserver, tmp_path):
    server, gw, cert, key, parsed = chain(nginx, slapd, scepserver,
                                          "enroll", "carol", tmp_path)
    assert "result=issued" in server.error_log()
    result = run_openconnect(server, "carol",
                             directory.USERS["carol"]["password"],
                             "--certificate", cert, "--sslkey", key,
                             pins=[gw.tls.pin])

    assert_cookie(result, "carol", gw)
    seen = gateway.wait_for_record(gw, "/ssl-vpn/login.esp")
    assert seen["verify"] == "SUCCESS"
    assert int(seen["serial"], 16) == parsed.serial_number


# -- what the portal tells clients beside the gateway list -----------------

def openconnect_version():
    out = subprocess.run(["openconnect", "--version"], capture_output=True,
                         text=True).stdout
    match = re.search(r"version v(\d+)\.(\d+)", out)
    assert match, out
    return int(match.group(1)), int(match.group(2))


def test_openconnect_reports_the_portal_version_to_the_gateway(
        nginx, slapd, scepserver, tmp_path):
    """Not --authenticate: openconnect goes on to the gateway's
    getconfig.esp (the test gateway refuses it), sending its app-version.
    From 9.12 on that is the portal's <version> (auth-globalprotect.c,
    parse_portal_xml(): "we will report the same client version");
    9.01 sends a fixed one, whatever the portal says (gpst.c v9.01,
    gpst_get_config(): "...&app-version=5.1.5-8")."""
    gw = start_gateway(nginx, scepserver.ca_cert_path)
    profile = portal.profile_block(
        "staff", scep_url=scepserver.url,
        subject=f'"O=Example,OU={unique("version")},CN=$USERNAME"',
        ca_fingerprint=fingerprint(scepserver))
    server = start_portal(
        nginx, slapd, profiles=profile,
        location="        scep_default_profile staff;\n"
                 "        scep_portal_version 6.1.3-7;",
        gateway_line=f'        scep_gateway {HOST}:{gw.port} '
                     '"name=Test gateway";')
    gw.start()
    cert, key, _ = enroll(server, "dave", tmp_path / "agent-dave")

    argv = ["openconnect", "--protocol=gp", "--servercert", server.tls.pin,
            "--servercert", gw.tls.pin, "--user", "dave",
            "--passwd-on-stdin", "--non-inter", "--dump-http-traffic",
            "--certificate", cert, "--sslkey", key,
            "--script-tun", "--script", "/bin/true",
            f"https://{HOST}:{server.port}/global-protect/"]
    result = subprocess.run(argv, input=directory.USERS["dave"]["password"]
                            + "\n", capture_output=True, text=True,
                            timeout=60)
    output = result.stdout + result.stderr

    # the portal said it
    assert "<version>6.1.3-7</version>" in output, output
    # the gateway was asked for its configuration, which it refused
    assert f"POST https://{HOST}:{gw.port}/ssl-vpn/getconfig.esp" in output
    assert "test gateway: no tunnel here" in output
    assert result.returncode == 1
    sent = re.search(r"^> .*\bapp-version=([^&\s]+)", output, re.MULTILINE)
    assert sent, output
    if openconnect_version() >= (9, 12):
        assert sent.group(1) == "6.1.3-7"
    else:
        assert sent.group(1) == "5.1.5-8"


def test_clients_read_version_and_internal_gateways(nginx, slapd):
    server = start_portal(nginx, slapd, location=(
        "        scep_default_profile staff;\n"
        "        scep_portal_version 6.1.3-7;\n"
        '        scep_internal_gateway gw-in.corp.example.org '
        '"name=Inside";\n'
        "        scep_internal_gateway 10.1.2.3:4443 priority=5;\n"
        "        scep_internal_host_detection 10.0.0.10 "
        "inside.corp.example.org;\n"
        "        scep_internal_host_detection fd00::10 "
        "inside6.corp.example.org;"))
    resp = http.post_form(f"https://{HOST}:{server.port}{GETCONFIG}",
                          portal.login("bob"))
    assert resp.status == 200
    root = ET.fromstring(resp.body)

    # the yuezk client (crates/gpapi/src/portal/config.rs): the first
    # <version> anywhere, depth first; <internal-host-detection>'s
    # children; gateways/internal/list when inside, else external
    assert next(root.iter("version")).text == "6.1.3-7"
    assert root.findtext("scep-protocol-version") == "1"
    detect = root.find(".//internal-host-detection")
    assert [detect.findtext(n) for n in ("ip-address", "host",
                                         "ipv6-address", "ipv6-host")] == [
        "10.0.0.10", "inside.corp.example.org", "fd00::10",
        "inside6.corp.example.org"]
    inside = root.findall("./gateways/internal/list/entry")
    assert [(e.get("name"), e.findtext("description"),
             e.findtext("priority"),
             e.findtext("priority-rule/entry[@name='Any']/priority"))
            for e in inside] == [
        ("gw-in.corp.example.org", "Inside", "1", "1"),
        ("10.1.2.3:4443", "10.1.2.3:4443", "5", "5")]
    outside = root.findall("./gateways/external/list/entry")
    assert [e.get("name") for e in outside] == ["gw1.example.org"]

    # openconnect takes the external list only, and is not confused
    result = run_openconnect(server, "bob", directory.USERS["bob"]["password"])
    output = result.stdout + result.stderr
    assert "1 gateway servers available:" in output, output
    assert "Gateway 1 (gw1.example.org)" in output
    assert "gw-in" not in output


# -- what the gateway refuses -----------------------------------------------

def make_cert(path, cn, issuer_cert=None, issuer_key=None, days=30,
              expired=False):
    """A client certificate (and key) for cn, signed by issuer (or by a CA
    made here when issuer_cert is None).  Returns (cert_path, key_path)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if issuer_cert is None:
        issuer_key = rsa.generate_private_key(public_exponent=65537,
                                              key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                             "Another CA")])
        issuer_cert = (x509.CertificateBuilder()
                       .subject_name(name).issuer_name(name)
                       .public_key(issuer_key.public_key())
                       .serial_number(x509.random_serial_number())
                       .not_valid_before(now - datetime.timedelta(days=1))
                       .not_valid_after(now + datetime.timedelta(days=30))
                       .add_extension(x509.BasicConstraints(
                           ca=True, path_length=None), critical=True)
                       .sign(issuer_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if expired:
        not_before = now - datetime.timedelta(days=10)
        not_after = now - datetime.timedelta(days=1)
    else:
        not_before = now - datetime.timedelta(minutes=5)
        not_after = now + datetime.timedelta(days=days)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example"),
                x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .sign(issuer_key, hashes.SHA256()))
    os.makedirs(path, exist_ok=True)
    cert_path = os.path.join(path, "cert.pem")
    key_path = os.path.join(path, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def session_ca(scepserver):
    with open(scepserver.ca_key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    return scepserver.ca_cert, key


@pytest.fixture
def portal_and_gateway(nginx, slapd, scepserver):
    gw = start_gateway(nginx, scepserver.ca_cert_path)
    server = start_portal(
        nginx, slapd, gateway_line=f'        scep_gateway {HOST}:{gw.port} '
                                   '"name=Test gateway";')
    gw.start()
    return server, gw


def assert_refused_by_gateway(result, gw, verify):
    output = result.stdout + result.stderr
    # the portal's step went through; the gateway said why it refused
    assert f"Test gateway ({HOST}:{gw.port})" in output, output
    assert gateway.REFUSAL in output, output
    assert result.returncode == 1, output
    assert "COOKIE=" not in result.stdout
    assert "Failed to complete authentication" in output
    # nginx writes the line when the request ends, maybe after the answer
    seen = gateway.wait_for_record(gw, "/ssl-vpn/login.esp")
    assert seen["status"] == "200", gateway.records(gw)
    assert re.fullmatch(verify, seen["verify"]), seen


def test_gateway_refuses_a_certificate_of_another_ca(
        portal_and_gateway, tmp_path):
    server, gw = portal_and_gateway
    cert, key = make_cert(tmp_path / "other", "bob")
    result = run_openconnect(server, "bob", directory.USERS["bob"]["password"],
                             "--certificate", cert, "--sslkey", key,
                             pins=[gw.tls.pin])
    # nginx's words for a chain it cannot build (OpenSSL's
    # X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE)
    assert_refused_by_gateway(result, gw,
                              r"FAILED:unable to verify the first "
                              r"certificate")


def test_gateway_refuses_an_expired_certificate(
        portal_and_gateway, scepserver, tmp_path):
    server, gw = portal_and_gateway
    cert, key = make_cert(tmp_path / "expired", "bob",
                          *session_ca(scepserver), expired=True)
    result = run_openconnect(server, "bob", directory.USERS["bob"]["password"],
                             "--certificate", cert, "--sslkey", key,
                             pins=[gw.tls.pin])
    assert_refused_by_gateway(result, gw, r"FAILED:certificate has expired")
    # openconnect warns, and sends it all the same
    assert "Client certificate has expired at:" in result.stderr


def test_gateway_refuses_a_login_without_a_certificate(portal_and_gateway):
    server, gw = portal_and_gateway
    result = run_openconnect(server, "bob", directory.USERS["bob"]["password"],
                             pins=[gw.tls.pin])
    assert_refused_by_gateway(result, gw, r"NONE")
    assert gateway.wait_for_record(gw, "/ssl-vpn/login.esp")["status"] \
        == "200"


# -- the portal's refusals, as each client shows them ----------------------
#
# openconnect 9.01 drops the body of any answer but a 200 and prints
# "Unexpected N result from server" (http.c, do_https_request()); before
# that it prints the status line of such an answer at its default
# verbosity ("Got HTTP response: ...", process_http_response()), which
# is where the portal puts the message.  A 512 makes it ask for the
# password again (-EACCES), a 403 stops it (-EPERM).  The yuezk client
# shows the X-Private-Pan-Globalprotect header of a 4xx or 5xx answer
# ("Portal config error: <header>", crates/gpapi/src/utils/mod.rs,
# parse_gp_error(); reqwest's HeaderValue::to_str() wants visible ASCII).
# The reference agent reads the body's <error>.

def refusal(server, user, password=None):
    """A getconfig login as the yuezk client sends it: (status, header,
    the body's <error>)."""
    resp = http.post_form(f"https://{HOST}:{server.port}{GETCONFIG}",
                          portal.login(user, password))
    header = resp.headers.get("x-private-pan-globalprotect")
    root = ET.fromstring(resp.body)
    assert root.tag == "response" and root.get("status") == "error"
    return resp.status, header, root.findtext("error")


def assert_refusal_shown(server, user, password, status, message):
    got_status, header, error = refusal(server, user, password)
    assert (got_status, error) == (status, message)
    assert header == message
    assert all(32 <= ord(c) < 127 for c in header)

    result = run_openconnect(server, user, password
                             or directory.USERS[user]["password"])
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"Got HTTP response: HTTP/1.1 {status} {message}\n" in output
    assert f"Unexpected {status} result from server" in output
    assert "gateway servers available" not in output
    return output


def test_openconnect_is_told_the_password_is_wrong(nginx, slapd):
    server = start_portal(nginx, slapd)
    output = assert_refusal_shown(server, "alice", "not-her-password", 512,
                                  "Invalid username or password")
    # -EACCES: it would ask again; with nothing more on its input, it ends
    assert "Failed to complete authentication" in output
    assert 'result=bad_credentials status=512 login="alice"' in \
        server.error_log()


def test_openconnect_is_told_the_account_is_not_allowed(nginx, slapd):
    server = start_portal(nginx, slapd, location=(
        "        scep_allow_group vpn-admins;\n"
        "        scep_default_profile staff;"))
    assert_refusal_shown(server, "bob", None, 403,
                         "Your account is not allowed to use this portal")
    assert 'result=refused status=403 login="bob"' in server.error_log()


def test_openconnect_is_told_the_portal_failed(nginx, slapd):
    server = start_portal(nginx, slapd, directory_block=(
        portal.directory_block(slapd, url=f"ldap://{HOST}:{free_port()}",
                               connect_timeout="1s")))
    assert_refusal_shown(server, "bob", None, 502,
                         "The directory is unavailable, try again later")
    assert 'result=failed status=502 login="bob"' in server.error_log()
