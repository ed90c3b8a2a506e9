"""Two portals serve one population (harness.portal_pair: portals a and b
sharing scep_store and scep_key_file, a round-robin nginx in front).

Proxy mode: a ticket minted by one portal is admitted by the other (stock
scepclient sent to the other portal, and the reference agent through the
balancer, its requests alternating); a ticket survives its portal's
reload, and is refused once its key is no longer listed.

Enroll mode, against tests/pki/pending_responder: a request left PENDING
by one portal is completed by the other; it survives a restart (with the
shared-memory fallback, without scep_key_file, it does not); a
certificate issued after its login had timed out is delivered by the
other portal; key rotation; records that are changed on disk, or expire,
or are swept.  What is on disk: one file per user, named by a keyed hash,
mode 0600, nothing of the user or the key in the clear.

The README's deployment (conf.example/two-portals), as written.
"""

import base64
import hashlib
import os
import re
import shutil
import signal
import subprocess
import xml.etree.ElementTree as ET

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from harness import directory, http, portal, procs, tls
from harness.pki import agent_enroll, scep_settings
from harness.portal_pair import PortalPair

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VERIFY = os.path.join(REPO, "build", "scep-verify")
AGENT = os.path.join(REPO, "build", "scep-agent")
GETCONFIG = "/global-protect/getconfig.esp"

NOT_ISSUED_HERE = "the enrollment ticket was not issued by this portal"


# -- the pieces ---------------------------------------------------------

def new_key(path):
    result = subprocess.run([VERIFY, "--new-key", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return str(path)


@pytest.fixture
def keys(tmp_path):
    d = tmp_path / "keys"
    d.mkdir()
    return new_key(d / "2026-06.key"), new_key(d / "2026-12.key")


def proxy_profiles(scepserver):
    return portal.profile_block(
        "staff", scep_url=scepserver.url, mode="proxy",
        proxy_url="https://127.0.0.1:@BALANCER@/scep-proxy",
        subject='"O=Example,OU=VPN,CN=$USERNAME"')


def proxy_gate(scepserver):
    return f"""
    location /scep-proxy {{
        scep_proxy staff;
        proxy_set_header X-SCEP-Ticket "";
        proxy_pass {scepserver.url};
    }}
"""


def enroll_profiles(ca, **overrides):
    settings = {"mode": "enroll", "subject": '"O=Example,OU=VPN,CN=$USERNAME"',
                "poll_wait": "0"}
    settings.update(overrides)
    return portal.profile_block("staff", ca.url, **settings)


@pytest.fixture
def proxy_pair(nginx, slapd, scepserver, keys, tmp_path):
    return PortalPair(nginx, slapd, tmp_path, keys,
                      proxy_profiles(scepserver),
                      locations=proxy_gate(scepserver)).start()


def getconfig(server, user, https=False, timeout=60):
    return http.post_form(server.url(GETCONFIG, https=https),
                          portal.login(user), timeout=timeout)


def element(response, name):
    """The <name> child of the answer's <policy>, as {tag: text}."""
    assert response.status == 200, response
    root = ET.fromstring(response.body)
    assert root.tag == "policy", response.body
    found = root.find(name)
    assert found is not None, response.body
    return {child.tag: child.text for child in found}


def issued(response):
    """The certificate and key of a <scep-certificate>."""
    fields = element(response, "scep-certificate")
    key, cert, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(fields["pkcs12"]), fields["passphrase"].encode())
    return key, cert


def key_tid(key):
    """The transactionID of a request made with key (RFC 8894)."""
    return hashlib.sha256(key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest().upper()


def audit(server, result, user):
    return re.findall(rf'scep audit: client=127\.0\.0\.1 result={result} '
                      rf'status=200 login="{user}"', server.error_log())


def admitted(server, user, profile="staff"):
    """The operations the portal's gate admitted for user."""
    return re.findall(rf'result=admitted profile="{profile}" '
                      rf'operation="(\w+)" user="{user}"', server.error_log())


def caps(server, ticket):
    return http.get(server.url(f"/scep-proxy/{ticket}?operation=GetCACaps"))


def wait_for_log(server, pattern, timeout=30):
    procs.wait_until(lambda: re.search(pattern, server.error_log()), timeout,
                     f"log line /{pattern}/", interval=0.05,
                     alive=server.proc.running)


# -- proxy mode ---------------------------------------------------------

def test_a_ticket_minted_by_one_portal_enrolls_through_the_other(
        proxy_pair, scepserver, tmp_path):
    a, b, balancer = proxy_pair.a, proxy_pair.b, proxy_pair.balancer

    # bob logs in at a; agents are sent to the one address in front
    response = getconfig(a, "bob")
    bob = scep_settings(response.body)
    front = f"https://127.0.0.1:{balancer.port}"
    assert bob.server_url.startswith(front + "/scep-proxy/")
    assert audit(a, "settings", "bob") and not audit(b, "settings", "bob")

    # stock scepclient, sent to b with a's ticket: every request admitted
    at_b = bob._replace(server_url=bob.server_url.replace(
        front, f"http://127.0.0.1:{b.port}"))
    enrolled = agent_enroll(at_b, tmp_path)
    assert enrolled.ok, enrolled.output
    assert enrolled.cert.subject.rfc4514_string() == \
        "CN=bob,OU=VPN,O=Example"
    assert set(admitted(b, "bob")) >= {"GetCACert", "PKIOperation"}
    assert admitted(a, "bob") == []

    # the reference agent through the balancer: its requests alternate
    # between the portals, whichever minted its ticket
    out = tmp_path / "agent"
    result = subprocess.run(
        [AGENT, "--portal", front, "--insecure", "--pki-ca-file",
         balancer.tls.cert_path, "--user", "carol", "--out-dir", str(out)],
        env=dict(os.environ,
                 NGX_SCEP_PASSWORD=directory.USERS["carol"]["password"]),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    cert = x509.load_pem_x509_certificate((out / "cert.pem").read_bytes())
    assert cert.subject.rfc4514_string() == "CN=carol,OU=VPN,O=Example"
    minted = [p for p in (a, b) if audit(p, "settings", "carol")]
    assert len(minted) == 1
    assert admitted(a, "carol") and admitted(b, "carol"), \
        (admitted(a, "carol"), admitted(b, "carol"))


def test_a_ticket_survives_a_reload_and_dies_with_its_key(proxy_pair, keys):
    a, b = proxy_pair.a, proxy_pair.b
    ticket = scep_settings(getconfig(a, "alice").body).server_url \
        .rsplit("/", 1)[1]

    assert caps(b, ticket).status == 200
    a.reload()
    assert caps(a, ticket).status == 200

    # the first key removed from a's list: what it signed is refused
    proxy_pair.configure(a, key_files=[keys[1]])
    a.reload()
    refused = caps(a, ticket)
    assert refused.status == 403
    assert refused.body.decode() == NOT_ISSUED_HERE
    assert re.search(r'scep proxy: client=127\.0\.0\.1 result=refused '
                     r'profile="staff" operation="GetCACaps" '
                     rf'reason="{NOT_ISSUED_HERE}"', a.error_log())
    assert ticket not in a.error_log()

    # b still lists it; a's new tickets are signed with the second key,
    # which b lists too
    assert caps(b, ticket).status == 200
    fresh = scep_settings(getconfig(a, "alice").body).server_url \
        .rsplit("/", 1)[1]
    assert caps(b, fresh).status == 200
    assert caps(a, fresh).status == 200


# -- enroll mode --------------------------------------------------------

def test_a_request_left_pending_by_one_portal_is_completed_by_the_other(
        nginx, slapd, responder, keys, tmp_path):
    ca = responder("--pending", "1")
    pair = PortalPair(nginx, slapd, tmp_path, keys,
                      enroll_profiles(ca)).start()
    a, b = pair.a, pair.b

    tid = element(getconfig(a, "carol"), "scep-pending")["transaction-id"]
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid)]

    # on disk: one record, named by a keyed hash, 0600, sealed
    files = pair.pending_files()
    assert len(files) == 1
    [(name, (mode, sealed))] = files.items()
    assert re.fullmatch(r"[0-9a-f]{64}", name)
    assert mode == 0o600
    assert os.stat(os.path.join(pair.store, "pending")).st_mode & 0o777 \
        == 0o700
    assert sealed.startswith(b"SCPR\x01")
    for clear in (b"carol", b"staff", b"PRIVATE KEY", b"BEGIN",
                  tid.encode(), bytes.fromhex(tid)):
        assert clear not in sealed

    # b resumes it: a CertPoll for the same transaction, the first key
    key, cert = issued(getconfig(b, "carol"))
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "SUCCESS", tid)]
    assert key_tid(key) == tid
    assert cert.subject.rfc4514_string() == "CN=carol,OU=VPN,O=Example"
    assert audit(b, "issued", "carol") and not audit(a, "issued", "carol")
    assert pair.pending_files() == {}

    # through the balancer: dave's two logins land on different portals
    tid = element(getconfig(pair.balancer, "dave", https=True),
                  "scep-pending")["transaction-id"]
    key, _ = issued(getconfig(pair.balancer, "dave", https=True))
    assert key_tid(key) == tid
    assert ca.pki_operations()[2:] == [("PKCSReq", "PENDING", tid),
                                       ("CertPoll", "SUCCESS", tid)]
    [left] = [p for p in (a, b) if audit(p, "pending", "dave")]
    [done] = [p for p in (a, b) if audit(p, "issued", "dave")]
    assert left is not done


def test_a_pending_request_survives_a_restart(nginx, slapd, responder, keys,
                                              tmp_path):
    ca = responder("--pending", "1")
    pair = PortalPair(nginx, slapd, tmp_path, keys,
                      enroll_profiles(ca)).start()
    a = pair.a

    tid = element(getconfig(a, "carol"), "scep-pending")["transaction-id"]

    # a stop and a start (not a reload): nothing of the first run is left
    # but the store
    old_master = a.proc.pid
    a.stop()
    assert not a.is_running
    a.start()
    assert a.proc.pid != old_master
    pair.wait_ca(a)

    key, _ = issued(getconfig(a, "carol"))
    assert key_tid(key) == tid
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "SUCCESS", tid)]


def test_without_a_key_file_pending_requests_do_not_survive_a_restart(
        nginx, slapd, responder, tmp_path):
    """The fallback: shared memory, which a restart empties."""
    ca = responder("--pending", "1")
    pair = PortalPair(nginx, slapd, tmp_path, [], enroll_profiles(ca),
                      both=False)
    a = pair.start().a

    first = element(getconfig(a, "carol"), "scep-pending")["transaction-id"]
    assert pair.pending_files() == {}

    a.stop()
    a.start()
    pair.wait_ca(a)

    second = element(getconfig(a, "carol"),
                     "scep-pending")["transaction-id"]
    assert second != first
    assert ca.pki_operations() == [("PKCSReq", "PENDING", first),
                                   ("PKCSReq", "PENDING", second)]


def test_a_late_certificate_is_delivered_by_the_other_portal(
        nginx, slapd, responder, keys, tmp_path):
    """A certificate the CA issued after its login had timed out is kept
    in the store, and the other portal hands it over."""
    ca = responder("--pending", "1")
    pair = PortalPair(
        nginx, slapd, tmp_path, keys,
        enroll_profiles(ca, connect_timeout="2s", timeout="20s"),
        http_extra="scep_login_timeout 2s;\n").start()
    a, b = pair.a, pair.b

    tid = element(getconfig(a, "carol"), "scep-pending")["transaction-id"]

    # the CA holds a's CertPoll past the login's deadline
    ca.proc.send_signal(signal.SIGSTOP)
    try:
        late = getconfig(a, "carol")
    finally:
        ca.proc.send_signal(signal.SIGCONT)
    assert late.status == 504, late

    # the CA answers SUCCESS to nobody: a keeps the certificate
    wait_for_log(a, r'scep portal: the login of "carol" had timed out; its '
                    r"certificate is kept for the user's next login")
    assert re.search(r"scep audit: client=127\.0\.0\.1 late=1 "
                     r'result=issued status=200 login="carol"',
                     a.error_log())
    assert len(pair.pending_files()) == 1

    # b delivers it, without asking the CA again
    key, cert = issued(getconfig(b, "carol"))
    assert key_tid(key) == tid
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "SUCCESS", tid)]
    assert pair.pending_files() == {}


def test_key_rotation_keeps_pending_requests(nginx, slapd, responder, keys,
                                             tmp_path):
    old, new = keys
    ca = responder("--pending", "2")
    pair = PortalPair(nginx, slapd, tmp_path, [old],
                      enroll_profiles(ca)).start()
    a, b = pair.a, pair.b

    tid = element(getconfig(a, "carol"), "scep-pending")["transaction-id"]
    [sealed_old] = pair.pending_files()

    # the new key added first: a resumes the record, and seals it anew
    pair.configure(a, key_files=[new, old])
    a.reload()
    pair.wait_ca(a)
    again = element(getconfig(a, "carol"), "scep-pending")
    assert again["transaction-id"] == tid
    [sealed_new] = pair.pending_files()
    assert sealed_new != sealed_old

    # the old key removed: b, with the new key only, completes it
    pair.configure(b, key_files=[new])
    b.reload()
    pair.wait_ca(b)
    key, _ = issued(getconfig(b, "carol"))
    assert key_tid(key) == tid
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "PENDING", tid),
                                   ("CertPoll", "SUCCESS", tid)]


def test_a_changed_record_is_not_resumed(nginx, slapd, responder, keys,
                                         tmp_path):
    ca = responder("--pending", "1")
    pair = PortalPair(nginx, slapd, tmp_path, keys,
                      enroll_profiles(ca)).start()
    a, b = pair.a, pair.b

    first = element(getconfig(a, "carol"), "scep-pending")["transaction-id"]
    [name] = pair.pending_files()
    path = os.path.join(pair.store, "pending", name)
    with open(path, "r+b") as f:
        f.seek(40)
        byte = f.read(1)
        f.seek(40)
        f.write(bytes([byte[0] ^ 0x01]))

    second = element(getconfig(b, "carol"),
                     "scep-pending")["transaction-id"]
    assert second != first
    assert ca.pki_operations() == [("PKCSReq", "PENDING", first),
                                   ("PKCSReq", "PENDING", second)]
    assert re.search(r'\[warn\] .*scep portal: the pending request of '
                     r'"carol" cannot be resumed, the login starts anew: '
                     r"pending record [0-9a-f]{16}\.\.\. in \S+: the record "
                     r"does not open", b.error_log())

    # the new request replaced it
    key, _ = issued(getconfig(a, "carol"))
    assert key_tid(key) == second


def test_expired_records_are_swept_and_not_resumed(nginx, slapd, responder,
                                                   keys, tmp_path):
    ca = responder("--pending", "1")
    pair = PortalPair(nginx, slapd, tmp_path, keys, enroll_profiles(ca),
                      http_extra="scep_pending_cache 64k 3s;\n").start()
    a, b = pair.a, pair.b

    first = element(getconfig(a, "carol"), "scep-pending")["transaction-id"]
    assert len(pair.pending_files()) == 1

    # no login: a sweep removes it once its time is over, and says so
    swept = re.compile(r"\[info\] .*scep_store: 1 expired pending request "
                       r"removed from \S+/pending")
    procs.wait_until(lambda: any(swept.search(p.error_log())
                                 for p in (a, b)),
                     20, "the sweep of the expired record")
    assert pair.pending_files() == {}

    second = element(getconfig(b, "carol"),
                     "scep-pending")["transaction-id"]
    assert second != first
    assert ca.pki_operations() == [("PKCSReq", "PENDING", first),
                                   ("PKCSReq", "PENDING", second)]


# -- the README's deployment, as written ----------------------------------

EXAMPLE = os.path.join(REPO, "conf.example", "two-portals")

HARNESS_MAIN = ("error_log logs/error.log info;\npid logs/nginx.pid;\n"
                + ("user root;\n" if os.geteuid() == 0 else ""))
HARNESS_HTTP = ("http {\n    access_log logs/access.log;\n"
                "    client_body_temp_path temp/client_body;\n"
                "    proxy_temp_path temp/proxy;\n"
                "    fastcgi_temp_path temp/fastcgi;\n"
                "    uwsgi_temp_path temp/uwsgi;\n"
                "    scgi_temp_path temp/scgi;\n")


def example(name, replacements):
    """conf.example/two-portals/NAME with what names the machines of the
    example replaced by the test's (each must be there), and the
    harness's logs and temporary paths."""
    with open(os.path.join(EXAMPLE, name)) as f:
        text = f.read()
    for old, new in replacements.items():
        assert old in text, f"{name} no longer has {old!r}"
        text = text.replace(old, str(new))
    return HARNESS_MAIN + text.replace("http {\n", HARNESS_HTTP, 1)


def test_the_readme_deployment(nginx, slapd, responder, module_path,
                               tmp_path):
    readme = open(os.path.join(REPO, "README.md")).read()
    for name in ("portal.conf", "balancer.conf"):
        with open(os.path.join(EXAMPLE, name)) as f:
            assert f.read() in readme, f"README.md lacks {name} as it is"

    ca = responder("--pending", "1")
    key = new_key(tmp_path / "2026-12.key")
    # the mount point exists; nginx makes the store in it
    (tmp_path / "nfs").mkdir()
    store = tmp_path / "nfs" / "store"
    cert = tls.self_signed(str(tmp_path / "tls"), "vpn",
                           common_name="vpn.example.org",
                           hosts=("vpn.example.org",))

    balancer = nginx(load_module=False)
    portals = [nginx(), nginx()]
    for p in portals:
        scep = os.path.join(p.prefix, "conf", "scep")
        os.makedirs(scep)
        shutil.copy(cert.cert_path, os.path.join(scep, "portal.crt"))
        shutil.copy(cert.key_path, os.path.join(scep, "portal.key"))
        p.write_conf(example("portal.conf", {
            "load_module modules/ngx_http_scep_module.so;":
                f"load_module {module_path};",
            "listen 8443 ssl;": f"listen 127.0.0.1:{p.port} ssl;",
            # the test's directory, in place (the harness counts its pool)
            "    include scep/directory.conf;":
                portal.directory_block(slapd),
            "https://pki.example.org/certsrv/mscep/mscep.dll": ca.url,
            "6fd7ba47b2ea2a5e2e14e01dd3e3b02e0aeb1f54e7bfe1c0be2e11ed4e79ba42":
                ca.ca_fingerprint_sha256,
            "https://vpn.example.org/scep-proxy":
                f"https://127.0.0.1:{balancer.port}/scep-proxy",
            "/etc/nginx/scep/keys/2026-12.key": key,
            "/srv/scep/store": store,
            "10.0.0.2": "127.0.0.1",
            # the first login leaves the request pending at once
            "poll_wait           10s;": "poll_wait           0;",
        }))
    balancer.write_conf(example("balancer.conf", {
        "portal1.example.org:8443": f"127.0.0.1:{portals[0].port}",
        "portal2.example.org:8443": f"127.0.0.1:{portals[1].port}",
        "listen 443 ssl;": f"listen 127.0.0.1:{balancer.port} ssl;",
        "/etc/nginx/tls/vpn.example.org.crt": cert.cert_path,
        "/etc/nginx/tls/vpn.example.org.key": cert.key_path,
        "/etc/nginx/tls/portals-ca.pem": cert.cert_path,
    }))

    for p in portals:
        p.start()
        for profile in ("staff", "admins"):
            pattern = re.compile(rf'scep_profile "{profile}": CA '
                                 r"certificate .* obtained from ")
            procs.wait_until(lambda: pattern.search(p.error_log()), 30,
                             f"the CA certificate of {profile}",
                             alive=p.proc.running)
    balancer.start()

    # enroll mode: carol's two logins go to one portal, then the other
    tid = element(getconfig(balancer, "carol", https=True),
                  "scep-pending")["transaction-id"]
    assert len(os.listdir(store / "pending")) == 1
    key, cert_issued = issued(getconfig(balancer, "carol", https=True))
    assert key_tid(key) == tid
    assert cert_issued.subject.rfc4514_string() == \
        "CN=carol,OU=VPN,O=Example"
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "SUCCESS", tid)]
    [left] = [p for p in portals if audit(p, "pending", "carol")]
    [done] = [p for p in portals if audit(p, "issued", "carol")]
    assert left is not done
    assert os.listdir(store / "pending") == []

    # proxy mode: alice's ticket, wherever it was minted, passes both
    alice = scep_settings(getconfig(balancer, "alice", https=True).body)
    assert alice.mode == "proxy"
    assert alice.server_url.startswith(
        f"https://127.0.0.1:{balancer.port}/scep-proxy/")
    ticket = alice.server_url.rsplit("/", 1)[1]
    for p in portals:
        response = http.get(p.url(f"/scep-proxy/{ticket}?operation="
                                  "GetCACaps", https=True))
        assert response.status == 200, (p.prefix, response)
        assert admitted(p, "alice", "admins") == ["GetCACaps"]
