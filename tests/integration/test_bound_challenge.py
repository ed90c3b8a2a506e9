"""Bound challenges: the portal mints, for each login, a challenge that
entitles its holder to that user's certificate only, and micromdm's
scepserver, running build/scep-verify as its -csrverifierexec, issues
nothing else.  Every refusal is checked where it counts: the CA's depot
(index.txt) holds no certificate for it."""

import os
import re
import subprocess
import time

import pytest
from cryptography import x509

from harness import certmonger, directory, http, portal
from harness.pki import agent_enroll, scep_settings
from harness.procs import wait_until

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VERIFY = os.path.join(REPO, "build", "scep-verify")
GETCONFIG = "/global-protect/getconfig.esp"

CFLAGS = ["gcc", "-std=c11", "-D_GNU_SOURCE", "-g", "-O1", "-Wall",
          "-Wextra", "-Werror", "-I", REPO]

STAFF = '"O=Example,OU=VPN,CN=$USERNAME"'
ADMINS = '"O=Example,OU=Admins,CN=$USERNAME"'


# -- the pieces ---------------------------------------------------------

@pytest.fixture(scope="session")
def enroll_probe(tmp_path_factory):
    """tests/pki/enroll_probe: the core's SCEP client, told exactly what
    CSR to send (subject, SAN, key size, usages, challenge)."""
    path = str(tmp_path_factory.mktemp("bound-probe") / "enroll_probe")
    scep = os.path.join(REPO, "scep")
    sources = [os.path.join(REPO, "tests", "pki", "enroll_probe.c")] + sorted(
        os.path.join(scep, f) for f in os.listdir(scep) if f.endswith(".c"))
    result = subprocess.run(CFLAGS + ["-o", path] + sources
                            + ["-lcurl", "-lssl", "-lcrypto"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return path


def new_key(path):
    result = subprocess.run([VERIFY, "--new-key", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert os.stat(path).st_mode & 0o777 == 0o600
    return str(path)


@pytest.fixture
def keys(tmp_path):
    d = tmp_path / "keys"
    d.mkdir()
    return {"old": new_key(d / "2026-06.key"),
            "new": new_key(d / "2026-12.key")}


class Verifier:
    """build/scep-verify behind the scepserver, with its own files."""

    def __init__(self, scepserver, workdir):
        self.scepserver = scepserver
        self.dir = str(workdir)
        self.replay = os.path.join(self.dir, "replay")
        self.conf = os.path.join(self.dir, "scep-verify.conf")
        self.log = os.path.join(self.dir, "scep-verify.log")
        os.makedirs(self.replay, exist_ok=True)

    def use(self, *key_files, profiles=()):
        lines = [f"key_file {k}" for k in key_files]
        lines += [f"replay_dir {self.replay}", f"log_file {self.log}"]
        lines += [f"profile {p}" for p in profiles]
        with open(self.conf, "w") as f:
            f.write("# written by the test\n" + "\n".join(lines) + "\n")
        self.scepserver.set_verify([VERIFY, "-c", self.conf])
        return self

    def lines(self):
        try:
            with open(self.log, encoding="utf-8") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []


@pytest.fixture
def verifier(scepserver, tmp_path):
    return Verifier(scepserver, tmp_path / "verifier")


def start_portal(nginx, slapd, scepserver, key_files, lifetime=None,
                 mode="push", extra="",
                 proxy_url="https://127.0.0.1:@PORT@/scep-proxy"):
    """staff (everyone) and admins (vpn-admins), both bound, push mode by
    default; proxy mode puts staff behind /scep-proxy, which the server
    also serves over plain http on @PORT2@."""
    staff = {"challenge": "bound", "subject": STAFF, "mode": mode}
    if lifetime is not None:
        staff["challenge_lifetime"] = lifetime
    if mode == "proxy":
        staff["proxy_url"] = proxy_url
    conf = ("".join(f"scep_key_file {k};\n" for k in key_files)
            + portal.directory_block(slapd)
            + portal.profile_block("staff", scep_url=scepserver.url,
                                   **staff)
            + portal.profile_block("admins", scep_url=scepserver.url,
                                   challenge="bound", subject=ADMINS)
            + portal.portal_server(
                "        scep_default_profile staff;\n"
                "        scep_group_profile vpn-admins admins;",
                listen=("@PORT@ ssl;\n    listen 127.0.0.1:@PORT2@;\n"
                        "    ssl_certificate @TLS_CERT@;\n"
                        "    ssl_certificate_key @TLS_KEY@"),
                extra=extra))
    server = nginx(http=conf)
    server.start()
    return server


def login(server, user):
    response = http.post_form(server.url(GETCONFIG, https=True),
                              portal.login(user))
    assert response.status == 200, response
    return scep_settings(response.body)


def probe(enroll_probe, scepserver, challenge, username="bob",
          subject=STAFF.strip('"'), key_bits=2048, san=None,
          key_usage=None):
    """One enrollment with a CSR of the caller's making: its exit status
    (0 issued, 3 refused by the CA) and output."""
    argv = [enroll_probe, "--url", scepserver.url, "--ca-ident", "test-ca",
            "--fingerprint", scepserver.ca_fingerprint_sha256,
            "--subject", subject, "--username", username,
            "--key-bits", str(key_bits), "--challenge", challenge]
    if san is not None:
        argv += ["--san-type", san[0], "--san-value", san[1]]
    if key_usage is not None:
        argv += ["--key-usage", key_usage]
    result = subprocess.run(argv, capture_output=True, text=True,
                            timeout=120)
    return result.returncode, result.stdout + result.stderr


def one_changed(challenge, at):
    c = challenge[at]
    return challenge[:at] + ("B" if c == "A" else "A") + challenge[at + 1:]


# -- push mode, straight to the CA ---------------------------------------

def test_a_bound_challenge_gets_its_user_that_users_certificate_only(
        nginx, slapd, scepserver, verifier, keys, enroll_probe, tmp_path):
    server = start_portal(nginx, slapd, scepserver, [keys["new"]])
    verifier.use(keys["new"])

    bob = login(server, "bob")
    assert bob.challenge_type == "bound"
    challenge = bob.challenge
    # opaque, and fit for a challengePassword (a PrintableString)
    assert re.fullmatch(r"[A-Za-z0-9+/]{100,236}", challenge), challenge

    issued = len(scepserver.issued())
    since = scepserver.checkpoint()

    attempts = [
        ("CN=admin", dict(username="admin"), 10,
         "the CSR's subject is not the one the challenge was issued for"),
        ("another OU", dict(subject="O=Example,OU=Other,CN=$USERNAME"), 10,
         "the CSR's subject is not the one"),
        ("another profile's subject", dict(subject=ADMINS.strip('"'),
                                           username="alice"), 10,
         "the CSR's subject is not the one"),
        ("an extra SAN", dict(san=("dns", "admin.example.org")), 11,
         "the CSR's subject alternative names are not those"),
        ("a smaller key", dict(key_bits=1024), 13,
         "not an RSA key of the size the challenge requires (RSA of 1024 "
         "bits; at least 2048 RSA bits are required)"),
        ("fewer key usages", dict(key_usage="digital_signature"), 12,
         "the CSR asks for key usages the challenge does not grant"),
        ("one character changed", dict(challenge=one_changed(challenge, 60)),
         7, "the challenge does not verify: it was altered or forged"),
        ("cut short", dict(challenge=challenge[:100]), 5,
         "is not a bound challenge"),
    ]
    for what, change, status, reason in attempts:
        args = dict(challenge=challenge)
        args.update(change)
        rc, out = probe(enroll_probe, scepserver, **args)
        assert rc == 3, f"{what}: {out}"
        assert "badRequest" in out, out
        last = verifier.lines()[-1]
        assert f"refused ({status}): " in last and reason in last, \
            (what, last)

    # nothing was issued for any of them
    assert len(scepserver.issued()) == issued
    records = scepserver.records(since=since)
    assert [r["exit_status"] for r in records] == \
        [a[2] for a in attempts]

    # bob's own CSR, from stock scepclient given the pushed settings
    enrolled = agent_enroll(bob, tmp_path)
    assert enrolled.ok, enrolled.output
    assert enrolled.cert.subject.rfc4514_string() == \
        "CN=bob,OU=VPN,O=Example"
    assert scepserver.issued()[-1][1] == "/O=Example/OU=VPN/CN=bob"
    assert len(scepserver.issued()) == issued + 1
    assert re.search(r'accepted: profile=staff subject="CN=bob,OU=VPN,'
                     r'O=Example" key=[0-9a-f]{8} expires=\d+',
                     verifier.lines()[-1])

    # once: the same challenge again, for the same subject
    rc, out = probe(enroll_probe, scepserver, challenge)
    assert rc == 3, out
    assert "refused (15): the challenge was used before" in \
        verifier.lines()[-1]
    assert len(scepserver.issued()) == issued + 1

    # the challenge is in no log
    for text in ("\n".join(verifier.lines()), server.error_log(),
                 open(os.path.join(scepserver.dir, "verifier.log")).read()):
        assert challenge not in text
        assert challenge[:40] not in text


def test_each_login_gets_a_challenge_for_its_own_subject(
        nginx, slapd, scepserver, verifier, keys, enroll_probe):
    server = start_portal(nginx, slapd, scepserver, [keys["new"]])
    verifier.use(keys["new"])

    alice = login(server, "alice")
    assert alice.profile == "admins"
    again = login(server, "alice")
    assert alice.challenge != again.challenge

    # alice's admin challenge does not give her a staff certificate...
    rc, _ = probe(enroll_probe, scepserver, alice.challenge,
                  username="alice")
    assert rc == 3
    assert "refused (10)" in verifier.lines()[-1]

    # ...but her admin one
    rc, out = probe(enroll_probe, scepserver, alice.challenge,
                    username="alice", subject=ADMINS.strip('"'))
    assert rc == 0, out
    assert scepserver.issued()[-1][1] == "/O=Example/OU=Admins/CN=alice"


def test_an_expired_challenge_is_refused(nginx, slapd, scepserver, verifier,
                                         keys, enroll_probe):
    server = start_portal(nginx, slapd, scepserver, [keys["new"]],
                          lifetime="1s")
    verifier.use(keys["new"])
    bob = login(server, "bob")
    minted = time.time()
    issued = len(scepserver.issued())

    wait_until(lambda: time.time() > minted + 3, 10, "the challenge's expiry")

    rc, out = probe(enroll_probe, scepserver, bob.challenge)
    assert rc == 3, out
    assert re.search(r"refused \(9\): the challenge has expired at "
                     r"\d{4}-\d\d-\d\dT", verifier.lines()[-1])
    assert len(scepserver.issued()) == issued


def test_a_challenge_without_keys_or_for_another_ca(
        nginx, slapd, scepserver, verifier, keys, enroll_probe):
    server = start_portal(nginx, slapd, scepserver, [keys["new"]])
    issued = len(scepserver.issued())

    # a verifier that serves another profile only
    verifier.use(keys["new"], profiles=["contractors"])
    rc, _ = probe(enroll_probe, scepserver, login(server, "bob").challenge)
    assert rc == 3
    assert "refused (8): the challenge is for a profile this verifier " \
        "does not serve; profile=staff" in verifier.lines()[-1]

    # a fixed password, or none, is no bound challenge
    verifier.use(keys["new"])
    rc, _ = probe(enroll_probe, scepserver, "S3cret-fixed-password")
    assert rc == 3
    assert "refused (5)" in verifier.lines()[-1]
    assert len(scepserver.issued()) == issued


def test_key_rotation(nginx, slapd, scepserver, verifier, keys, enroll_probe):
    # the portal signs with the old key; the CA knows both
    server = start_portal(nginx, slapd, scepserver, [keys["old"]])
    first = login(server, "bob").challenge
    second = login(server, "bob").challenge
    verifier.use(keys["new"], keys["old"])

    rc, out = probe(enroll_probe, scepserver, first)
    assert rc == 0, out

    # the old key removed from the CA's list: what it signed is refused
    verifier.use(keys["new"])
    rc, _ = probe(enroll_probe, scepserver, second)
    assert rc == 3
    assert re.search(r"refused \(6\): the challenge was signed with a key "
                     r"this verifier does not hold .*; key [0-9a-f]{8}",
                     verifier.lines()[-1])

    # the portal, reloaded with the new key first, signs with it
    server.write_conf(server.conf_text.replace(
        f"scep_key_file {keys['old']};",
        f"scep_key_file {keys['new']};\nscep_key_file {keys['old']};"))
    server.reload()
    rc, out = probe(enroll_probe, scepserver, login(server, "bob").challenge)
    assert rc == 0, out


def test_check_and_new_key(keys, tmp_path):
    conf = tmp_path / "v.conf"
    conf.write_text(f"key_file {keys['new']}\nkey_file {keys['old']}\n"
                    f"replay_dir {tmp_path}\n")
    result = subprocess.run([VERIFY, "--check", "-c", str(conf)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    ids = re.findall(r"^key ([0-9a-f]{8})", result.stdout, re.MULTILINE)
    assert len(ids) == 2 and ids[0] != ids[1]
    assert "(the portal signs with its first key)" in result.stdout

    # a key file is never replaced
    result = subprocess.run([VERIFY, "--new-key", keys["new"]],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "never replaced" in result.stderr

    # nothing to judge with: a usage error, before any CSR is read
    result = subprocess.run([VERIFY, "--replay-dir", str(tmp_path),
                             "--key-file", "/nonexistent.key"],
                            input=b"", capture_output=True)
    assert result.returncode == 1
    assert b'cannot read "/nonexistent.key"' in result.stderr

    result = subprocess.run([VERIFY, "--key-file", keys["new"]],
                            input=b"", capture_output=True)
    assert result.returncode == 1
    assert b"no replay_dir" in result.stderr

    # a CSR that is not one
    result = subprocess.run([VERIFY, "--key-file", keys["new"],
                             "--replay-dir", str(tmp_path)],
                            input=b"\x30\x03\x02\x01\x00",
                            capture_output=True)
    assert result.returncode == 2
    assert b"refused (2): the CSR cannot be read" in result.stderr


# -- proxy mode through the portal ---------------------------------------

PROXY_GATE = """
    location /scep-proxy {{
        scep_proxy staff;
        proxy_set_header X-SCEP-Ticket "";
        proxy_pass {url};
    }}
"""


def test_proxy_mode_stock_scepclient_and_the_agent(
        nginx, slapd, scepserver, verifier, keys, tmp_path):
    server = start_portal(nginx, slapd, scepserver, [keys["new"]],
                          mode="proxy",
                          extra=PROXY_GATE.format(url=scepserver.url))
    verifier.use(keys["new"])
    issued = len(scepserver.issued())

    bob = login(server, "bob")
    assert bob.mode == "proxy" and bob.challenge_type == "bound"
    ticket_url = f"https://127.0.0.1:{server.port}/scep-proxy/"
    assert bob.server_url.startswith(ticket_url)

    # stock scepclient, given only the settings, with CN=admin: the gate
    # lets it through (its ticket is good), the CA refuses it
    admin = bob._replace(rdns=[(t, "admin" if t == "CN" else v)
                               for t, v in bob.rdns])
    refused = agent_enroll(admin, tmp_path,
                           trusted_root=server.tls.cert_path)
    assert not refused.ok
    assert "badRequest" in refused.output, refused.output
    assert "refused (10)" in verifier.lines()[-1]
    assert len(scepserver.issued()) == issued

    # and with bob's own subject: issued
    enrolled = agent_enroll(bob, tmp_path,
                            trusted_root=server.tls.cert_path)
    assert enrolled.ok, enrolled.output
    assert enrolled.cert.subject.rfc4514_string() == \
        "CN=bob,OU=VPN,O=Example"
    assert len(scepserver.issued()) == issued + 1

    log = server.error_log()
    for operation in ("GetCACert", "GetCACaps", "PKIOperation"):
        assert re.search(r'result=admitted profile="staff" '
                         rf'operation="{operation}" user="bob"', log), log

    # the reference agent, as carol
    out = tmp_path / "agent"
    result = subprocess.run(
        [os.path.join(REPO, "build", "scep-agent"), "--portal",
         f"https://127.0.0.1:{server.port}", "--insecure", "--pki-ca-file",
         server.tls.cert_path, "--user", "carol", "--out-dir", str(out)],
        env=dict(os.environ,
                 NGX_SCEP_PASSWORD=directory.USERS["carol"]["password"]),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    cert = x509.load_pem_x509_certificate((out / "cert.pem").read_bytes())
    assert cert.subject.rfc4514_string() == "CN=carol,OU=VPN,O=Example"
    assert len(scepserver.issued()) == issued + 2


def test_proxy_gate_refuses_what_has_no_valid_ticket(
        nginx, slapd, scepserver, verifier, keys, tmp_path):
    server = start_portal(nginx, slapd, scepserver, [keys["new"]],
                          mode="proxy",
                          extra=PROXY_GATE.format(url=scepserver.url))
    verifier.use(keys["new"])
    bob = login(server, "bob")
    ticket = bob.server_url.rsplit("/", 1)[1]
    version, expires, profile, user, mac = ticket.split(".")
    alice = "YWxpY2U"                        # base64url of "alice"
    # scepserver logs each request it serves as "op=<operation>"
    operations = scepserver.log().count(" op=")

    def caps(path):
        return http.get(server.url(f"{path}?operation=GetCACaps",
                                   https=True))

    cases = [
        ("/scep-proxy", "no enrollment ticket: log in to the portal first"),
        (f"/scep-proxy/{version}.{expires}.{profile}.{alice}.{mac}",
         "the enrollment ticket was not issued by this portal"),
        (f"/scep-proxy/{version}.{expires}.{profile}.{user}."
         f"{one_changed(mac, len(mac) - 2)}",
         "the enrollment ticket was not issued by this portal"),
        (f"/scep-proxy/{version}.{int(expires) + 60}.{profile}.{user}.{mac}",
         "the enrollment ticket was not issued by this portal"),
        ("/scep-proxy/1.garbage", "the enrollment ticket is malformed"),
    ]
    for path, reason in cases:
        response = caps(path)
        assert response.status == 403, path
        assert response.body.decode() == reason

    # a stock client given the URL without its ticket, or with bob's
    # ticket claiming alice, stops at the first request
    for url in (bob.server_url.rsplit("/", 1)[0],
                bob.server_url.replace(f".{user}.", f".{alice}.")):
        refused = agent_enroll(bob._replace(server_url=url), tmp_path,
                               trusted_root=server.tls.cert_path)
        assert not refused.ok
        assert "403 Forbidden" in refused.output, refused.output

    # nothing reached the CA
    assert scepserver.log().count(" op=") == operations

    # the good one does, with the ticket out of the URI it sees
    response = caps(f"/scep-proxy/{ticket}")
    assert response.status == 200
    assert b"POSTPKIOperation" in response.body
    wait_until(lambda: scepserver.log().count(" op=") == operations + 1,
               10, "scepserver's log of the request")
    assert ticket not in scepserver.log()
    assert ticket not in server.error_log()


def test_certmonger_through_the_proxy(nginx, slapd, scepserver, verifier,
                                      keys, tmp_path):
    """certmonger, a stock client, with the pushed server URL (its ticket
    in the path) and the bound challenge: the gate lets it through, the
    CA's verifier accepts its CSR and the CA issues bob's certificate.
    certmonger then cannot read the answer: micromdm envelopes it with
    single DES, which the OpenSSL 3 certmonger uses refuses.  (Over plain
    http, the CA pinned: certmonger's libcurl takes no self-signed leaf
    as the root of the portal's https.)"""
    server = start_portal(nginx, slapd, scepserver, [keys["new"]],
                          mode="proxy",
                          extra=PROXY_GATE.format(url=scepserver.url),
                          proxy_url="http://127.0.0.1:@PORT2@/scep-proxy")
    verifier.use(keys["new"])
    issued = len(scepserver.issued())
    bob = login(server, "bob")

    result = certmonger.enroll(
        tmp_path / "certmonger", bob.server_url,
        # certmonger writes the RDNs in the order given: the DER order
        ",".join(f"{t}={v}" for t, v in bob.rdns),
        bob.challenge, scepserver.ca_cert_path)

    log = server.error_log()
    for operation in ("GetCACert", "PKIOperation"):
        assert re.search(r'result=admitted profile="staff" '
                         rf'operation="{operation}" user="bob"', log), log
    assert re.search(r'accepted: profile=staff subject="CN=bob,OU=VPN,'
                     r'O=Example"', verifier.lines()[-1]), verifier.lines()
    assert scepserver.issued()[issued:] == \
        [(scepserver.issued()[-1][0], "/O=Example/OU=VPN/CN=bob")]

    assert result.status == "NEED_GUIDANCE", result.output + result.log
    assert "digital envelope routines::unsupported" in result.log
    assert not os.path.exists(result.cert_path)
    assert bob.challenge not in result.log


def test_enroll_mode_binds_what_the_portal_asks_for(
        nginx, slapd, scepserver, verifier, keys):
    """In enroll mode the portal makes the CSR: its own bound challenge
    passes the CA's verifier, for the user's subject."""
    server = start_portal(nginx, slapd, scepserver, [keys["new"]],
                          mode="enroll")
    verifier.use(keys["new"])
    issued = len(scepserver.issued())
    wait_until(lambda: 'scep_profile "staff": CA certificate' in
               server.error_log(), 30, "the CA certificate",
               alive=server.proc.running)

    response = http.post_form(server.url(GETCONFIG, https=True),
                              portal.login("bob"))
    assert response.status == 200, response
    assert b"<scep-certificate>" in response.body
    assert re.search(r'accepted: profile=staff subject="CN=bob,OU=VPN,'
                     r'O=Example"', verifier.lines()[-1])
    assert scepserver.issued()[issued:][-1][1] == "/O=Example/OU=VPN/CN=bob"
    assert "challenge=bound" in server.error_log()


def test_bound_challenge_binds_the_names_made_for_the_user(
        nginx, slapd, scepserver, verifier, keys, enroll_probe):
    """Subject alternative names made from the user's values (a UPN
    otherName among them) are what the challenge grants: the portal's own
    CSR in enroll mode passes the verifier; the pushed challenge with one
    of those names, alone, does not."""
    names = ["upn $USERNAME@corp.example.org", "rfc822 $EMAILADDRESS",
             "uri urn:vpn:$USERNAME"]
    extra = "".join(f"    subject_alt_name {n};\n" for n in names)
    conf = ("".join(f"scep_key_file {k};\n" for k in [keys["new"]])
            + portal.directory_block(slapd)
            + portal.profile_block("staff", scep_url=scepserver.url,
                                   challenge="bound", subject=STAFF,
                                   mode="enroll").replace(
                                       "}\n", extra + "}\n")
            + portal.profile_block("pushed", scep_url=scepserver.url,
                                   challenge="bound", subject=STAFF
                                   ).replace("}\n", extra + "}\n")
            + portal.portal_server(
                "        scep_default_profile staff;\n"
                "        scep_group_profile contractors pushed;",
                listen=("@PORT@ ssl;\n"
                        "    ssl_certificate @TLS_CERT@;\n"
                        "    ssl_certificate_key @TLS_KEY@")))
    server = nginx(http=conf)
    server.start()
    verifier.use(keys["new"])
    wait_until(lambda: 'scep_profile "staff": CA certificate' in
               server.error_log(), 30, "the CA certificate",
               alive=server.proc.running)
    since = scepserver.checkpoint()

    response = http.post_form(server.url(GETCONFIG, https=True),
                              portal.login("alice"))
    assert response.status == 200, response
    assert b"<scep-certificate>" in response.body
    assert re.search(r'accepted: profile=staff subject="CN=alice,OU=VPN,'
                     r'O=Example"', verifier.lines()[-1])
    [record] = scepserver.records(since=since)
    assert record["san"] == [["upn", "alice@corp.example.org"],
                             ["rfc822", "alice@example.org"],
                             ["uri", "urn:vpn:alice"]]

    # mallory (a contractor) is pushed a challenge for her names: a CSR
    # with one of them only gets nothing
    mallory = login(server, "mallory")
    assert mallory.profile == "pushed"
    rc, out = probe(enroll_probe, scepserver, mallory.challenge,
                    username="mallory", san=("uri", "urn:vpn:mallory"))
    assert rc == 3, out
    assert "refused (11): the CSR's subject alternative names are not " \
        "those" in verifier.lines()[-1]
