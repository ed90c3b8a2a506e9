"""Enroll mode through the portal, end to end: the portal is the SCEP
client, and the agent receives its certificate and key as PKCS#12.

Against micromdm's scepserver (a CA we did not write), reached through
the HTTPS front with a one-time challenge from the NDES-style service:
the PKCS#12 opened by openssl and python3-cryptography, the CSR as the
CA received it, the audit line, the CA certificate kept in scep_store,
no secret in the log.  A pinned fingerprint that does not match lets
nothing but GetCACert reach the CA.  A CA that is away at start is
waited for, and service resumes by itself; one that goes away later
fails the login at once.  Certificates made by hand through scep_admin.
A key pool.

Against tests/pki/pending_responder (a CA that answers PENDING N times,
then SUCCESS, or FAILURE with a failInfo; it takes one request at a
time): "come back later" across logins resumes the same transaction,
through any worker, across a reload and a CA that did not answer, for
the same subject only, until the pending cache's time to live; polling
within one login; the CA's refusal as the agent sees it; an NDES-shaped
CA pinned by its RA certificate; ten enrollments in flight that never
hold up other traffic.
"""

import base64
import concurrent.futures
import hashlib
import itertools
import json
import os
import re
import signal
import stat
import subprocess
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from harness import directory, http, portal, procs
from harness import scepserver as scep_mod
from harness.pki import ACCOUNT_PASSWORD, dynamic_challenge

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

GETCONFIG = "/global-protect/getconfig.esp"
ADMIN = "/scep-admin"
CLIENT = "client=127.0.0.1"

MSG_NO_CA = ("The portal is still waiting for the CA certificate of your "
             "profile, try again in a minute")
MSG_FINGERPRINT = ("The PKI's CA certificate does not match the portal's "
                   "configuration; tell your administrator")

ADMIN_LOCATION = f"""
    location = {ADMIN} {{
        scep_admin;
    }}
"""


# users of the seeded directory, all in vpn-users
TEN_USERS = ["alice", "bob", "carol", "dave", "admin", "smith, john", "x+y",
             "star*", "paren(", "jürgen"]

_units = itertools.count(1)


def unit(tag):
    """An OU value of its own, so that no two tests ask micromdm for the
    same subject."""
    return f"{tag}-{os.getpid()}-{next(_units)}"


def colon_hex(hex_digits):
    return ":".join(hex_digits[i:i + 2].upper()
                    for i in range(0, len(hex_digits), 2))


def serial_hex(cert):
    """The serial as the portal writes it: upper-case hex, whole bytes."""
    text = f"{cert.serial_number:X}"
    return "0" + text if len(text) % 2 else text


PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.*?"
                      rb"-----END CERTIFICATE-----\r?\n?", re.DOTALL)


def pem_certs(data):
    """Every certificate of a PEM text, in order."""
    return [x509.load_pem_x509_certificate(block)
            for block in PEM_CERT.findall(data)]


def public_der(key_or_cert):
    return key_or_cert.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)


# -- the portal ------------------------------------------------------------

def enroll_profile(scep_url, subject, name="staff", **overrides):
    settings = {"mode": "enroll", "subject": f'"{subject}"'}
    settings.update(overrides)
    return portal.profile_block(name, scep_url, **settings)


def start_portal(nginx, slapd, profiles, wait_ca=("staff",), workers=1,
                 listen="@PORT@", http_extra="", log_level="info"):
    """The usual portal, every user on profile "staff", the store in
    PREFIX/store and scep_admin at /scep-admin; waits until every worker
    has the CA certificate of each profile in wait_ca."""
    conf = (portal.directory_block(slapd) + profiles
            + "scep_store @PREFIX@/store;\n" + http_extra
            + portal.portal_server("        scep_default_profile staff;",
                                   listen=listen, extra=ADMIN_LOCATION))
    server = nginx(http=conf, workers=workers, log_level=log_level)
    server.start()
    for name in wait_ca:
        pattern = ca_obtained(name)
        procs.wait_until(
            lambda: len(pattern.findall(server.error_log())) >= workers,
            30, f"the CA certificate of profile {name}", interval=0.05,
            alive=server.proc.running)
    return server


def ca_obtained(profile):
    return re.compile(rf'\[notice\] .*scep_profile "{profile}": CA '
                      r'certificate "[^"]+" \(SHA-256 [0-9a-f]{64}\) '
                      r"obtained from ")


def wait_for_log(server, pattern, timeout):
    """Waits for the error log to match the regular expression; returns
    the match."""
    found = []

    def seen():
        match = pattern.search(server.error_log())
        if match:
            found.append(match)
        return bool(match)

    try:
        procs.wait_until(seen, timeout, f"log line /{pattern.pattern}/",
                         interval=0.05, alive=server.proc.running)
    except procs.StartError as e:
        raise AssertionError(f"{e}\n--- error log ---\n"
                             f"{server.error_log()[-3000:]}") \
            from None
    return found[0]


def getconfig(server, user, timeout=60, **fields):
    return http.post_form(server.url(GETCONFIG), portal.login(user, **fields),
                          timeout=timeout)


def error_message(response):
    root = ET.fromstring(response.body)
    assert root.tag == "response" and root.get("status") == "error", \
        response.body
    return root.findtext("error")


def element(response, name):
    """The <name> child of the answer's <policy>, as {tag: text}."""
    assert response.status == 200, response
    assert response.headers.get("Content-Type") == \
        "application/xml; charset=utf-8"
    root = ET.fromstring(response.body)
    assert root.tag == "policy", response.body
    found = root.find(name)
    assert found is not None, response.body
    values = {child.tag: child.text for child in found}
    values["_element"] = found
    return values


class Issued:
    """A <scep-certificate> as an agent opens it (python3-cryptography)."""

    def __init__(self, response):
        self.fields = element(response, "scep-certificate")
        self.pkcs12 = base64.b64decode(self.fields["pkcs12"], validate=True)
        self.passphrase = self.fields["passphrase"]
        self.key, self.cert, self.chain = pkcs12.load_key_and_certificates(
            self.pkcs12, self.passphrase.encode())

    def __getitem__(self, name):
        return self.fields[name]


def audit_lines(server, since=0):
    return [line for line in server.error_log()[since:].splitlines()
            if "scep audit: " in line]


def openssl(*args, check=True):
    result = subprocess.run(["openssl", *args], capture_output=True,
                            text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


# -- the pending responder ---------------------------------------------------

FAIL_INFO = {"badAlg": 0, "badMessageCheck": 1, "badRequest": 2,
             "badTime": 3, "badCertId": 4}


# -- scepserver's side -------------------------------------------------------

def scepserver_ops(log_text):
    """The operations micromdm's endpoint logged, in order."""
    return re.findall(r"caller=endpoint\.go:\d+ op=(\w+)", log_text)


@pytest.fixture
def absent_scepserver(tmp_path):
    """A scepserver with its own CA, not started: the test starts it."""
    server = scep_mod.ScepServer(str(tmp_path / "late-scepserver"),
                                 unit="Late SCEP CA")
    yield server
    server.stop()


def established_to(port):
    """Client-side TCP connections to 127.0.0.1:port that are open."""
    count = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            remote, state = fields[2], fields[3]
            _, rport = remote.split(":")
            if int(rport, 16) == port and state == "01":
                count += 1
    return count


# -- 1. end to end through the TLS front, dynamic challenge ------------------

def test_enroll_through_tls_front_with_dynamic_challenge(
        nginx, slapd, scepserver_otp, challenge_pki, tls_pki, tmp_path):
    ca = scepserver_otp
    pki = challenge_pki(scepserver=ca)
    ou = unit("enroll")
    profile = enroll_profile(
        pki.scep_url, f"C=US,O=Example,OU={ou},CN=$USERNAME",
        subject_alt_name="rfc822 vpn-users@example.org",
        key_bits=2048, digest="sha384", key_usage="digital_signature",
        ca_fingerprint=colon_hex(ca.ca_fingerprint_sha256),
        **dynamic_challenge(pki, tls_pki))
    # at debug level, so that the secrets check below covers every line
    server = start_portal(nginx, slapd, profile, log_level="debug")
    assert pki.outstanding() == []
    checkpoint = ca.checkpoint()
    log_offset = len(server.error_log())

    response = getconfig(server, "alice")

    # the agent's side: a PKCS#12 that opens with the given passphrase
    issued = Issued(response)
    assert response.headers.get("Cache-Control") == "no-store"
    assert response.headers.get("Retry-After") is None
    assert len(issued.passphrase) >= 16
    expected_subject = f"CN=alice,OU={ou},O=Example,C=US"
    cert = issued.cert
    assert cert.subject.rfc4514_string() == expected_subject
    assert [(a.oid._name, a.value) for a in cert.subject] == [
        ("countryName", "US"), ("organizationName", "Example"),
        ("organizationalUnitName", ou), ("commonName", "alice")]
    assert cert.issuer == ca.ca_cert.subject
    assert public_der(issued.key) == public_der(cert)
    assert issued.key.key_size == 2048
    assert issued.chain == [ca.ca_cert]

    # what the element says of it
    assert issued["profile"] == "staff"
    assert issued["subject"] == expected_subject
    assert issued["serial"] == serial_hex(cert)
    assert issued["issuer"] == ca.ca_cert.subject.rfc4514_string()
    assert issued["not-after"] == cert.not_valid_after.strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    assert issued["_element"].find("pkcs12").get("encoding") == "base64"
    chain_el = issued["_element"].find("ca-chain")
    assert chain_el.get("format") == "pem"
    assert pem_certs(chain_el.text.encode()) == [ca.ca_cert]

    # openssl opens it with the passphrase, and only with it
    p12_path = tmp_path / "agent.p12"
    p12_path.write_bytes(issued.pkcs12)
    cert_path, key_path = tmp_path / "agent.pem", tmp_path / "agent.key"
    openssl("pkcs12", "-in", p12_path, "-passin",
            f"pass:{issued.passphrase}", "-clcerts", "-nokeys",
            "-out", cert_path)
    openssl("pkcs12", "-in", p12_path, "-passin",
            f"pass:{issued.passphrase}", "-nocerts", "-noenc",
            "-out", key_path)
    wrong = openssl("pkcs12", "-in", p12_path, "-passin", "pass:wrong",
                    "-nokeys", check=False)
    assert wrong.returncode != 0
    assert "Mac verify error: invalid password?" in wrong.stderr
    assert x509.load_pem_x509_certificate(cert_path.read_bytes()) == cert
    assert openssl("verify", "-CAfile", ca.ca_cert_path,
                   cert_path).stdout.strip() == f"{cert_path}: OK"
    assert openssl("pkey", "-in", key_path, "-pubout").stdout \
        == openssl("x509", "-in", cert_path, "-pubkey", "-noout").stdout

    # the CSR as the CA received it: requested SAN, key usage, digest,
    # and a one-time password the challenge service had handed out
    records = ca.records(since=checkpoint)
    assert len(records) == 1, records
    csr = records[0]
    assert csr["decision"] == "accepted" and csr["reason"] == "accepted"
    assert csr["otp_store"] is True
    assert re.fullmatch(r"[0-9a-f]{64}", csr["challenge_sha256"])
    with open(pki.service.log_path) as f:
        assert len(re.findall(r"password issued \(32 characters\), "
                              r"1 of \d+ outstanding", f.read())) == 1
    assert pki.outstanding() == []          # the one OTP was spent
    assert csr["subject_attrs"] == [
        ["countryName", "US"], ["organizationName", "Example"],
        ["organizationalUnitName", ou], ["commonName", "alice"]]
    assert csr["san"] == [["rfc822", "vpn-users@example.org"]]
    assert csr["key_usage_critical"] is True
    assert csr["key_usage"]["digital_signature"] is True
    assert csr["key_usage"]["key_encipherment"] is False
    assert csr["signature_hash"] == "sha384"
    assert csr["signature_valid"] is True
    assert csr["public_key_bits"] == 2048
    with open(csr["der_path"], "rb") as f:
        assert public_der(x509.load_der_x509_csr(f.read())) \
            == public_der(cert)

    # the challenge and the SCEP traffic went through the HTTPS front
    with open(os.path.join(pki.front.workdir, "access.log")) as f:
        front = f.read()
    assert re.search(r'"GET /certsrv/mscep_admin/ HTTP/1\.1" 200 ', front)
    assert re.search(r'"GET /certsrv/mscep/mscep\.dll\?operation=GetCACert'
                     r'&message=test-ca HTTP/1\.1" 200 ', front), front
    assert re.search(r'"POST /certsrv/mscep/mscep\.dll\?operation='
                     r'PKIOperation HTTP/1\.1" 200 ', front), front

    # the audit line names user, profile, subject, serial and issuer
    audit = audit_lines(server, log_offset)
    assert len(audit) == 1, audit
    assert re.search(
        rf'scep audit: {CLIENT} result=issued status=200 login="alice" '
        r'user="alice" groups="[^"]*" profile="staff" mode=enroll '
        r'challenge=dynamic matched="default" '
        rf'subject="{re.escape(expected_subject)}" '
        rf'serial="{serial_hex(cert)}" '
        rf'issuer="{re.escape(ca.ca_cert.subject.rfc4514_string())}", '
        r"client: 127\.0\.0\.1, ",
        audit[0]), audit[0]

    # the CA certificate, as the log names it and the store keeps it
    assert re.search(
        r'\[notice\] .*scep_profile "staff": CA certificate '
        + re.escape(f'"{ca.ca_cert.subject.rfc4514_string()}" (SHA-256 '
                    f"{ca.ca_fingerprint_sha256}) obtained from "
                    f"{pki.scep_url}") + "$",
        server.error_log(), re.MULTILINE)
    store = os.path.join(server.prefix, "store")
    with open(os.path.join(store, "ca-staff.pem"), "rb") as f:
        assert x509.load_pem_x509_certificate(f.read()) == ca.ca_cert

    # no secret reached a log: password, passphrase, key, one-time password
    logs = server.error_log() + server.stderr()
    assert "http write filter" in logs              # debug lines are there
    for password in (directory.USERS["alice"]["password"], ACCOUNT_PASSWORD):
        assert password not in logs
        assert urllib.parse.quote_plus(password) not in logs
    assert issued.passphrase not in logs
    assert issued["pkcs12"][:64] not in logs
    assert "PRIVATE KEY" not in logs
    assert not [word for word in re.findall(
        r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32}(?![0-9A-Fa-f])", logs)
        if hashlib.sha256(word.encode()).hexdigest()
        == csr["challenge_sha256"]]


# -- 2. a CA that does not match the pinned fingerprint ----------------------

def test_wrong_fingerprint_sends_nothing_but_getcacert(nginx, slapd,
                                                       scepserver):
    ou = unit("pinned")
    wrong = "5A" * 32
    checkpoint = scepserver.checkpoint()
    log_before = len(scepserver.log())

    server = start_portal(
        nginx, slapd,
        enroll_profile(scepserver.url, f"O=Example,OU={ou},CN=$USERNAME",
                       ca_fingerprint=colon_hex(wrong)),
        wait_ca=())

    # the log says why, with both fingerprints
    wait_for_log(server, re.compile(
        r'\[error\] .*scep_profile "staff": cannot obtain the CA '
        r"certificate \(ca_fingerprint\): the CA certificate from "
        + re.escape(f"{scepserver.url} has SHA-256 fingerprint "
                    f"{scepserver.ca_fingerprint_sha256.upper()}, the "
                    f"profile expects {wrong}; enroll mode answers 503 "
                    "until it succeeds, next attempt in 1 s")), 30)

    # the agent is told plainly, at once and on every login
    for _ in range(2):
        response = getconfig(server, "bob")
        assert response.status == 502, response
        assert error_message(response) == MSG_FINGERPRINT
    assert re.search(r'\[error\] .*scep portal: profile "staff": CA '
                     r"certificate: ca_fingerprint: the CA certificate "
                     + re.escape(f"from {scepserver.url} has SHA-256 "
                                 "fingerprint "), server.error_log())
    assert re.search(rf'scep audit: {CLIENT} result=failed status=502 '
                     r'login="bob" user="bob" .* mode=enroll ',
                     server.error_log())
    server.stop()

    # nothing but GetCACert reached the CA
    ops = scepserver_ops(scepserver.log()[log_before:])
    assert ops and set(ops) == {"GetCACert"}, ops
    assert scepserver.records(since=checkpoint) == []

    # the same portal with the right fingerprint goes on to the CA
    log_before = len(scepserver.log())
    server = start_portal(
        nginx, slapd,
        enroll_profile(scepserver.url, f"O=Example,OU={ou},CN=$USERNAME",
                       ca_fingerprint=colon_hex(
                           scepserver.ca_fingerprint_sha256)))
    issued = Issued(getconfig(server, "bob"))
    assert issued.cert.subject.rfc4514_string() == \
        f"CN=bob,OU={ou},O=Example"
    assert scepserver_ops(scepserver.log()[log_before:]) \
        == ["GetCACert", "GetCACaps", "PKIOperation"]
    assert len(scepserver.records(since=checkpoint)) == 1


# -- 3. PENDING, SUCCESS and FAILURE ----------------------------------------

def test_pending_comes_back_later_and_resumes_the_transaction(
        nginx, slapd, responder):
    ca = responder("--pending", "2")
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME",
                       poll_wait="0", poll_retry="7s"))
    log_offset = len(server.error_log())

    # the CA holds the request: come back in poll_retry
    first = getconfig(server, "carol")
    pending = element(first, "scep-pending")
    assert first.headers.get("Retry-After") == "7"
    assert pending["profile"] == "staff"
    assert pending["retry-after"] == "7"
    tid = pending["transaction-id"]
    assert re.fullmatch(r"[0-9A-F]{64}", tid), tid
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid)]

    # the next login resumes it: CertPoll, still pending
    second = getconfig(server, "carol")
    assert element(second, "scep-pending")["transaction-id"] == tid
    assert second.headers.get("Retry-After") == "7"
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "PENDING", tid)]

    # and the one after gets the certificate of the first request's key
    issued = Issued(getconfig(server, "carol"))
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "PENDING", tid),
                                   ("CertPoll", "SUCCESS", tid)]
    with open(os.path.join(ca.dir, "csr-1.der"), "rb") as f:
        csr = x509.load_der_x509_csr(f.read())
    assert public_der(issued.cert) == public_der(csr)
    assert public_der(issued.key) == public_der(csr)
    # RFC 8894: the transaction id is derived from the request's key
    assert hashlib.sha256(public_der(csr)).hexdigest().upper() == tid
    assert issued.cert.subject.rfc4514_string() == "CN=carol,OU=VPN,O=Example"
    assert issued.cert.issuer == ca.ca_cert.subject
    assert issued.chain == [ca.ca_cert]
    assert not os.path.exists(os.path.join(ca.dir, "csr-2.der"))

    log = server.error_log()[log_offset:]
    assert re.search(rf'scep audit: {CLIENT} result=pending status=200 '
                     r'login="carol" .* mode=enroll ', log)
    assert re.search(r'\[notice\] .*scep portal: profile "staff": the CA '
                     rf"has not decided on transaction {tid} yet", log)
    assert re.search(rf'scep audit: {CLIENT} result=issued status=200 '
                     r'login="carol" .*serial="'
                     + serial_hex(issued.cert) + '"', log)

    # once issued, the transaction is forgotten: a new login starts anew
    again = element(getconfig(server, "carol"), "scep-pending")
    assert again["transaction-id"] != tid
    assert ca.pki_operations()[3] == ("PKCSReq", "PENDING",
                                      again["transaction-id"])


def test_pending_beyond_poll_wait_then_resumed(nginx, slapd, responder):
    """A login polls for poll_wait (waits of 100 ms, then 200 ms: two
    CertPolls), then tells the agent to come back."""
    ca = responder("--pending", "3")
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME",
                       poll_interval="100ms", poll_wait="300ms",
                       poll_retry="1m"))

    first = getconfig(server, "dave")
    tid = element(first, "scep-pending")["transaction-id"]
    assert first.headers.get("Retry-After") == "60"
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "PENDING", tid),
                                   ("CertPoll", "PENDING", tid)]

    issued = Issued(getconfig(server, "dave"))
    assert hashlib.sha256(public_der(issued.key)).hexdigest().upper() == tid
    assert ca.pki_operations()[3:] == [("CertPoll", "SUCCESS", tid)]


def test_pending_is_not_shared_between_users(nginx, slapd, responder):
    ca = responder("--pending", "1")
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME",
                       poll_wait="0"))

    carol = element(getconfig(server, "carol"), "scep-pending")
    dave = element(getconfig(server, "dave"), "scep-pending")
    assert carol["transaction-id"] != dave["transaction-id"]

    issued = Issued(getconfig(server, "dave"))
    assert issued.cert.subject.rfc4514_string() == "CN=dave,OU=VPN,O=Example"
    assert [op[:2] for op in ca.pki_operations()] == [
        ("PKCSReq", "PENDING"), ("PKCSReq", "PENDING"),
        ("CertPoll", "SUCCESS")]
    assert ca.pki_operations()[2][2] == dave["transaction-id"]


def test_pending_for_another_subject_is_not_resumed(nginx, slapd,
                                                    responder):
    """A pending request is resumed only for the subject it asked for:
    here the subject holds the agent's host id, which changed."""
    ca = responder("--pending", "1")
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,CN=$HOSTID", poll_wait="0"))

    old = element(getconfig(server, "carol", **{"host-id": "laptop-1"}),
                  "scep-pending")["transaction-id"]
    new = element(getconfig(server, "carol", **{"host-id": "laptop-2"}),
                  "scep-pending")["transaction-id"]
    assert new != old
    issued = Issued(getconfig(server, "carol", **{"host-id": "laptop-2"}))

    assert issued.cert.subject.rfc4514_string() == "CN=laptop-2,O=Example"
    assert ca.pki_operations() == [("PKCSReq", "PENDING", old),
                                   ("PKCSReq", "PENDING", new),
                                   ("CertPoll", "SUCCESS", new)]


def test_pending_resumed_by_another_worker(nginx, slapd, responder):
    """The pending request lives in shared memory: whichever worker takes
    the next login resumes it."""
    ca = responder("--pending", "100")
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME",
                       poll_wait="0"),
        workers=2, listen="@PORT@ reuseport")
    served_by = re.compile(r"\[notice\] (\d+)#\d+: \*\d+ scep audit: "
                           rf"{CLIENT} result=pending ")

    tids, workers = [], set()
    while len(workers) < 2 and len(tids) < 40:
        tids.append(element(getconfig(server, "carol"),
                            "scep-pending")["transaction-id"])
        workers = set(served_by.findall(server.error_log()))

    assert len(workers) == 2, "every login went to one worker"
    assert workers == {str(pid) for pid in server.worker_pids()}
    assert set(tids) == {tids[0]}
    assert ca.pki_operations() == (
        [("PKCSReq", "PENDING", tids[0])]
        + [("CertPoll", "PENDING", tids[0])] * (len(tids) - 1))


def test_pending_survives_a_reload(nginx, slapd, responder):
    ca = responder("--pending", "1")
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME",
                       poll_wait="0"))
    tid = element(getconfig(server, "carol"),
                  "scep-pending")["transaction-id"]

    server.reload()
    procs.wait_until(
        lambda: len(ca_obtained("staff").findall(server.error_log())) == 2,
        30, "the new worker's CA certificate", alive=server.proc.running)

    issued = Issued(getconfig(server, "carol"))
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "SUCCESS", tid)]
    assert hashlib.sha256(public_der(issued.key)).hexdigest().upper() == tid


def test_pending_forgotten_after_the_cache_ttl(nginx, slapd, responder):
    ca = responder("--pending", "1")
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME",
                       poll_wait="0"),
        http_extra="scep_pending_cache 64k 1s;\n")
    first = element(getconfig(server, "carol"),
                    "scep-pending")["transaction-id"]

    # the time to live passing is what is tested: there is nothing to poll
    time.sleep(2.5)

    second = element(getconfig(server, "carol"),
                     "scep-pending")["transaction-id"]
    assert second != first
    assert ca.pki_operations() == [("PKCSReq", "PENDING", first),
                                   ("PKCSReq", "PENDING", second)]


def test_pending_survives_a_ca_that_does_not_answer(nginx, slapd,
                                                   responder):
    """Failing to reach the CA is no decision: the request is kept."""
    ca = responder("--pending", "2")
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME",
                       poll_wait="0", connect_timeout="1s", timeout="2s"))
    tid = element(getconfig(server, "carol"),
                  "scep-pending")["transaction-id"]

    ca.proc.send_signal(signal.SIGSTOP)
    try:
        stalled = getconfig(server, "carol")
    finally:
        ca.proc.send_signal(signal.SIGCONT)
    assert stalled.status == 504, stalled
    assert error_message(stalled) == \
        "The PKI did not answer in time, try again later"

    # the stalled CertPoll is answered late (PENDING, to nobody); the next
    # login polls the same transaction again and gets the certificate
    issued = Issued(getconfig(server, "carol"))
    assert issued.cert.subject.rfc4514_string() == "CN=carol,OU=VPN,O=Example"
    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "PENDING", tid),
                                   ("CertPoll", "SUCCESS", tid)]


def test_pending_polled_within_one_login(nginx, slapd, responder):
    ca = responder("--pending", "2")
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME",
                       poll_interval="100ms", poll_wait="20s"))

    response = getconfig(server, "eve")

    issued = Issued(response)
    assert response.headers.get("Retry-After") is None
    assert issued.cert.subject.rfc4514_string() == "CN=eve,OU=VPN,O=Example"
    ops = ca.pki_operations()
    assert [op[:2] for op in ops] == [("PKCSReq", "PENDING"),
                                      ("CertPoll", "PENDING"),
                                      ("CertPoll", "SUCCESS")]
    assert len({op[2] for op in ops}) == 1


@pytest.mark.parametrize("fail_info", ["badRequest", "badTime"])
def test_failure_shows_the_failinfo(nginx, slapd, responder, fail_info):
    ca = responder("--fail", str(FAIL_INFO[fail_info]),
                   "--fail-text", "not today")
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME"))

    response = getconfig(server, "carol")

    assert response.status == 403, response
    assert error_message(response) == \
        f"The CA refused the certificate request ({fail_info})"
    log = server.error_log()
    assert re.search(rf'scep audit: {CLIENT} result=refused status=403 '
                     r'login="carol" .* mode=enroll .*reason="profile '
                     r'\\"staff\\": enrollment: failure: ', log), log
    assert re.search(r'\[error\] .*scep portal: profile "staff": '
                     r"enrollment: failure: the CA at "
                     + re.escape(ca.url) + " refused the request: "
                     + fail_info + r" .*not today", log), log

    # a refusal is final: the next login is a new request
    assert getconfig(server, "carol").status == 403
    ops = ca.pki_operations()
    assert [op[:2] for op in ops] == [("PKCSReq", "FAILURE")] * 2
    assert ops[0][2] != ops[1][2]


def test_ndes_shaped_ca_pinned_by_its_ra_certificate(nginx, slapd,
                                                    responder):
    """GetCACert answers the CA and two RA certificates, as NDES does;
    the profile pins the RA signature certificate by SHA-1."""
    ca = responder("--ra")
    with open(os.path.join(ca.dir, "ra-sign.pem"), "rb") as f:
        ra_sign = x509.load_pem_x509_certificate(f.read())
    with open(os.path.join(ca.dir, "ra-encrypt.pem"), "rb") as f:
        ra_encrypt = x509.load_pem_x509_certificate(f.read())
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME",
                       ca_fingerprint=colon_hex(
                           ra_sign.fingerprint(hashes.SHA1()).hex())))

    issued = Issued(getconfig(server, "dave"))

    assert issued.cert.subject.rfc4514_string() == "CN=dave,OU=VPN,O=Example"
    assert issued.cert.issuer == ca.ca_cert.subject
    assert issued.chain == [ca.ca_cert]
    assert [op[:2] for op in ca.pki_operations()] == [("PKCSReq", "SUCCESS")]
    store = os.path.join(server.prefix, "store")
    with open(os.path.join(store, "ca-staff.pem"), "rb") as f:
        assert x509.load_pem_x509_certificate(f.read()) == ca.ca_cert
    with open(os.path.join(store, "ra-staff.pem"), "rb") as f:
        assert sorted(c.fingerprint(hashes.SHA256()) for c in pem_certs(
            f.read())) == sorted(c.fingerprint(hashes.SHA256())
                                 for c in (ra_sign, ra_encrypt))


# -- 4. certificates made by hand: scep_admin --------------------------------

def admin_post(server, fields):
    return http.request("POST", server.url(ADMIN), body=dict(fields),
                        timeout=60)


def test_scep_admin_names_from_the_form(nginx, slapd, scepserver):
    """The profile's subject alternative names, filled from the form's
    fields as a login fills them from the directory: sid and upn too."""
    ou = unit("manual-names")
    sid = "S-1-5-21-1004336348-1177238915-682003330-1105"
    server = start_portal(
        nginx, slapd,
        enroll_profile(scepserver.url, f"O=Example,OU={ou},CN=$USERNAME",
                       subject_alt_name=[
                           "upn $UPN",
                           "uri tag:microsoft.com,2022-09-14:sid:$SID",
                           "dns $HOSTID.devices.example.org"]))
    checkpoint = scepserver.checkpoint()

    response = admin_post(server, {
        "name": "kiosk-7", "profile": "staff", "username": "kiosk-7",
        "upn": "kiosk-7@corp.example.org", "sid": sid, "host-id": "k7"})
    assert response.status == 201, response
    [record] = scepserver.records(since=checkpoint)
    assert record["san"] == [
        ["upn", "kiosk-7@corp.example.org"],
        ["uri", "tag:microsoft.com,2022-09-14:sid:" + sid],
        ["dns", "k7.devices.example.org"]]

    # a value its name cannot hold, or none: 400, the CA never asked
    for fields, message in (
            ({"upn": "no-suffix", "sid": sid, "host-id": "k8"},
             "subject_alt_name upn must be a user principal name"),
            ({"upn": "k8@corp.example.org", "host-id": "k8"},
             "$SID is used by subject_alt_name but the user has no "
             "objectSid")):
        refused = admin_post(server, {"name": "kiosk-8", "profile": "staff",
                                      "username": "kiosk-8", **fields})
        assert refused.status == 400, refused
        assert json.loads(refused.body)["error"].startswith(message)
    assert len(scepserver.records(since=checkpoint)) == 1


def test_manual_certificate_through_scep_admin(nginx, slapd, scepserver):
    ou = unit("manual")
    server = start_portal(
        nginx, slapd,
        enroll_profile(scepserver.url, f"O=Example,OU={ou},CN=$USERNAME"))
    store = os.path.join(server.prefix, "store")
    checkpoint = scepserver.checkpoint()

    response = admin_post(server, {"name": "gw-01.example", "profile":
                                   "staff", "username": "gateway-1"})

    assert response.status == 201, response
    assert response.headers.get("Content-Type") == \
        "application/json; charset=utf-8"
    made = json.loads(response.body)
    assert made["name"] == "gw-01.example"
    assert made["profile"] == "staff"
    assert made["subject"] == f"CN=gateway-1,OU={ou},O=Example"
    assert made["issuer"] == scepserver.ca_cert.subject.rfc4514_string()

    # stored with its key, which only the owner may read
    cert_path = os.path.join(store, "cert-gw-01.example.pem")
    key_path = os.path.join(store, "key-gw-01.example.pem")
    with open(cert_path, "rb") as f:
        certs = pem_certs(f.read())
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    cert = certs[0]
    assert certs[1:] == [scepserver.ca_cert]
    assert public_der(cert) == public_der(key)
    assert made["serial"] == serial_hex(cert)
    assert made["not_after"] == cert.not_valid_after.strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    assert cert.subject.rfc4514_string() == made["subject"]
    assert openssl("verify", "-CAfile", scepserver.ca_cert_path,
                   cert_path).stdout.strip().endswith(": OK")
    with open(os.path.join(store, "meta-gw-01.example.txt")) as f:
        assert f.read().strip() == "profile=staff"
    records = scepserver.records(since=checkpoint)
    assert [r["subject_attrs"][-1] for r in records] == \
        [["commonName", "gateway-1"]]
    assert re.search(r'scep admin: client=127\.0\.0\.1 result=issued '
                     r'status=201 name="gw-01\.example" profile="staff" '
                     rf'subject="CN=gateway-1,OU={ou},O=Example" '
                     rf"serial={made['serial']}", server.error_log())

    # the listing shows it, and the profile's CA
    listing = http.request("GET", server.url(ADMIN))
    assert listing.status == 200, listing
    entries = json.loads(listing.body)
    by_kind = {(e["kind"], e["name"]): e for e in entries}
    mine = by_kind[("certificate", "gw-01.example")]
    assert mine["profile"] == "staff"
    assert mine["subject"] == made["subject"]
    assert mine["serial"] == made["serial"]
    ca_entry = by_kind[("ca", "staff")]
    assert ca_entry["subject"] == scepserver.ca_cert.subject.rfc4514_string()

    # refusals, none of which reaches the CA
    for fields, status, message in (
            ({"name": "gw 02", "profile": "staff", "username": "x"}, 400,
             "name must be 1 to 64 characters of A-Z a-z 0-9 . _ - "
             "(no spaces)"),
            ({"name": "gw-01.example", "profile": "staff",
              "username": "gateway-1"}, 409,
             "a certificate of that name is already in the store"),
            ({"name": "gw-03", "profile": "nosuch", "username": "x"}, 400,
             "profile must name a scep_profile")):
        refused = admin_post(server, fields)
        assert refused.status == status, (fields, refused)
        assert json.loads(refused.body) == {"error": message}
    assert len(scepserver.records(since=checkpoint)) == 1
    assert not os.path.exists(os.path.join(store, "cert-gw-03.pem"))
    with open(cert_path, "rb") as f:
        assert pem_certs(f.read())[0] == cert


# -- 5. the CA away at start --------------------------------------------------

def test_ca_away_at_start_then_service_resumes(nginx, slapd,
                                               absent_scepserver):
    late = absent_scepserver
    ou = unit("late")
    server = start_portal(
        nginx, slapd,
        enroll_profile(late.url, f"O=Example,OU={ou},CN=$USERNAME"),
        wait_ca=())

    # the first attempt fails, and says when the next one comes
    failed = re.compile(
        r'\[error\] .*scep_profile "staff": cannot obtain the CA '
        r"certificate \(http_connect\): .*" + re.escape(late.url)
        + r".*; enroll mode answers 503 until it succeeds, next attempt in "
        r"(\d+) s")
    assert wait_for_log(server, failed, 30).group(1) == "1"

    response = getconfig(server, "alice")
    assert response.status == 503, response
    assert response.headers.get("Retry-After") == "30"
    assert error_message(response) == MSG_NO_CA
    assert re.search(rf'scep audit: {CLIENT} result=busy status=503 '
                     r'login="alice" .* mode=enroll ', server.error_log())

    # nor can a certificate be made by hand
    manual = admin_post(server, {"name": "early", "profile": "staff",
                                 "username": "x"})
    assert manual.status == 503, manual
    assert json.loads(manual.body) == {"error": re.search(
        r"cannot obtain the CA certificate \(http_connect\): (.*); enroll "
        r"mode answers 503", server.error_log()).group(1)}

    # the backoff doubles
    wait_for_log(server, re.compile(failed.pattern.replace(r"(\d+)", "2")),
                 30)

    # the CA comes up: the portal finds it by itself
    late.start()
    wait_for_log(server, ca_obtained("staff"), 60)
    issued = Issued(getconfig(server, "alice"))
    assert issued.cert.issuer == late.ca_cert.subject
    with open(os.path.join(server.prefix, "store", "ca-staff.pem"),
              "rb") as f:
        assert x509.load_pem_x509_certificate(f.read()) == late.ca_cert


def test_ca_away_after_start_fails_fast_then_recovers(nginx, slapd,
                                                     scepserver):
    """The CA certificate fetched at start stays in use while the CA is
    briefly away; the login in between fails at once and says why."""
    ou = unit("away")
    server = start_portal(
        nginx, slapd,
        enroll_profile(scepserver.url, f"O=Example,OU={ou},CN=$USERNAME"))

    scepserver.stop()
    started = time.monotonic()
    response = getconfig(server, "bob")
    assert time.monotonic() - started < 10
    assert response.status == 502, response
    assert error_message(response) == \
        "The PKI failed to issue a certificate, try again later"
    assert re.search(r'\[error\] .*scep portal: profile "staff": '
                     r"enrollment: http_connect: .*"
                     + re.escape(scepserver.url), server.error_log())

    scepserver.start()
    issued = Issued(getconfig(server, "bob"))
    assert issued.cert.subject.rfc4514_string() == f"CN=bob,OU={ou},O=Example"


# -- 6. ten enrollments in flight, the event loop free -----------------------

def test_enrollments_in_flight_leave_the_event_loop_free(nginx, slapd,
                                                         responder):
    # The pending responder takes one request at a time.  (micromdm's file
    # depot is not safe for concurrent requests: it hands out one serial
    # twice, or fails reading its serial file while another request
    # writes it.)
    ca = responder()
    server = start_portal(
        nginx, slapd,
        enroll_profile(ca.url, "O=Example,OU=VPN,CN=$USERNAME",
                       key_bits=3072, timeout="60s"))
    before = established_to(ca.port)

    # the CA holds every request: the logins stay in flight
    latencies = []
    ca.proc.send_signal(signal.SIGSTOP)
    with concurrent.futures.ThreadPoolExecutor(len(TEN_USERS)) as pool:
        futures = [pool.submit(getconfig, server, user, 120)
                   for user in TEN_USERS]

        # keys are made and requests signed while the static location
        # answers; every login ends up waiting on the CA
        def all_at_the_ca():
            started = time.monotonic()
            static = http.request("GET", server.url("/static"), timeout=2)
            latencies.append(time.monotonic() - started)
            assert (static.status, static.body) == (200, b"static\n")
            assert not any(f.done() for f in futures)
            return established_to(ca.port) - before >= 10

        try:
            procs.wait_until(all_at_the_ca, 120, "ten requests at the CA",
                             interval=0.05)
            for _ in range(20):
                all_at_the_ca()
        finally:
            ca.proc.send_signal(signal.SIGCONT)
        responses = [f.result() for f in futures]

    assert max(latencies) < 1.0, latencies
    issued = [Issued(r) for r in responses]
    assert [i.cert.subject.rfc4514_string() for i in issued] == [
        f"CN={directory_cn(u)},OU=VPN,O=Example" for u in TEN_USERS]
    assert len({i.cert.serial_number for i in issued}) == 10
    assert all(i["serial"] == serial_hex(i.cert) for i in issued)
    assert len({public_der(i.key) for i in issued}) == 10
    assert all(i.key.key_size == 3072 for i in issued)
    assert all(public_der(i.key) == public_der(i.cert) for i in issued)
    assert all(i.cert.issuer == ca.ca_cert.subject for i in issued)
    assert [op[:2] for op in ca.pki_operations()] == \
        [("PKCSReq", "SUCCESS")] * 10


# -- 7. a key pool ---------------------------------------------------------

def test_key_pool_issues_certificates(nginx, slapd, scepserver):
    ou = unit("pool")
    server = start_portal(
        nginx, slapd,
        enroll_profile(scepserver.url, f"O=Example,OU={ou},CN=$USERNAME",
                       key_pool=4))
    worker = server.worker_pids()[0]

    # before any login the worker makes its keys (an idle worker without
    # a pool uses no CPU at all), then stops once the pool is full
    procs.wait_until(lambda: cpu_seconds(worker) >= 0.05, 60,
                     "keys generated ahead", alive=server.proc.running)
    samples = []

    def settled():
        samples.append(cpu_seconds(worker))
        return len(samples) >= 5 and samples[-1] == samples[-5]

    procs.wait_until(settled, 120, "the key pool to be full", interval=0.2)

    issued = [Issued(getconfig(server, user)) for user in TEN_USERS[:6]]

    assert [i.cert.subject.rfc4514_string() for i in issued] == [
        f"CN={directory_cn(u)},OU={ou},O=Example" for u in TEN_USERS[:6]]
    assert len({public_der(i.key) for i in issued}) == 6
    assert all(public_der(i.key) == public_der(i.cert) for i in issued)
    assert all(i.key.key_size == 2048 for i in issued)
    log = server.error_log()
    assert "key pool" not in log
    assert "[error]" not in log and "[crit]" not in log, log


def cpu_seconds(pid):
    """User and system CPU time of a process, all its threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def directory_cn(uid):
    """The CN as RFC 4514 text."""
    return x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME,
                                         uid)]).rfc4514_string()[3:]


