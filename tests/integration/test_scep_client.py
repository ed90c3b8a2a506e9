"""The SCEP client against real servers, through tests/pki/enroll_probe.c.

Against micromdm's scepserver (a CA we did not write): enrollment with the
issued certificate checked by openssl and python3-cryptography, the CSR as
the CA received it, the PKCS#12, the pinned fingerprint (a mismatch lets
nothing but GetCACert reach the server), the certificate store.

Against tests/pki/pending_responder (ours, itself checked here with
micromdm's scepclient): PENDING then SUCCESS by polling, a pending
transaction saved and resumed by another process, FAILURE with failInfo,
NDES-shaped RA certificates, GET and DES3 when the CA offers no better.
"""

import hashlib
import json
import os
import re
import stat
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from harness import capins, scepclient                          # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "pki"))

from make_tls_pki import make_tls_pki                   # noqa: E402
from tls_front import TlsFront                          # noqa: E402

CFLAGS = ["gcc", "-std=c11", "-D_GNU_SOURCE", "-g", "-O1", "-Wall",
          "-Wextra", "-Werror", "-I", REPO]
LIBS = ["-lcurl", "-lssl", "-lcrypto"]

EXIT_PENDING = 2
EXIT_FAILURE = 3

_serial = iter(range(1, 1000))


def unique(prefix):
    return f"{prefix}-{os.getpid()}-{next(_serial)}"


def core_sources():
    scep = os.path.join(REPO, "scep")
    return sorted(os.path.join(scep, f) for f in os.listdir(scep)
                  if f.endswith(".c"))


@pytest.fixture(scope="session")
def tools(tmp_path_factory):
    """enroll_probe, built warning-free."""
    out = tmp_path_factory.mktemp("scep-tools")
    built = {}
    programs = {
        "enroll_probe": ["tests/pki/enroll_probe.c"],
    }
    for name, sources in programs.items():
        path = str(out / name)
        cmd = (CFLAGS + ["-o", path]
               + [os.path.join(REPO, s) for s in sources]
               + core_sources() + LIBS)
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        built[name] = path
    return built


class Probe:
    """One enroll_probe run: exit status and its key=value lines."""

    def __init__(self, completed):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.values = {}
        for line in completed.stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                self.values[key] = value

    def __getitem__(self, key):
        return self.values[key]

    def __repr__(self):
        return f"rc={self.rc}\n{self.stdout}{self.stderr}"


@pytest.fixture
def probe(tools):
    def run(url, *args, ca_ident="ngx_scep-test", timeout=60):
        argv = [tools["enroll_probe"], "--url", url, "--ca-ident", ca_ident,
                *map(str, args)]
        # a plain http server is pinned, as a profile must pin it
        if url.startswith("http://") and "--fingerprint" not in args:
            argv += ["--fingerprint", capins.lookup(url)]
        completed = subprocess.run(argv, capture_output=True, text=True,
                                   timeout=timeout)
        return Probe(completed)
    return run


def load_cert(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def public_der(key_or_cert):
    return key_or_cert.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def openssl_verify(ca_path, cert_path):
    result = subprocess.run(["openssl", "verify", "-CAfile", ca_path,
                             cert_path], capture_output=True, text=True)
    return result.stdout.strip()


def scepserver_ops(log_text):
    """The operations micromdm's endpoint logged, in order."""
    return re.findall(r"caller=endpoint\.go:\d+ op=(\w+)", log_text)


def attr(name, oid):
    return [a.value for a in name.get_attributes_for_oid(oid)]


# -- against micromdm's scepserver -------------------------------------

def test_enroll_with_micromdm(scepserver, probe, tmp_path):
    user = unique("alice")
    checkpoint = scepserver.checkpoint()
    log_before = len(scepserver.log())
    out = {n: str(tmp_path / n) for n in ("cert.pem", "key.pem", "id.p12",
                                          "p12.pass")}

    result = probe(scepserver.url, "--subject",
                   "O=ngx_scep tests,OU=vpn,CN=$USERNAME",
                   "--username", user, "--digest", "sha384",
                   "--san-type", "dns", "--san-value", "host1.example.org",
                   "--key-usage", "digital_signature",
                   "--out-cert", out["cert.pem"], "--out-key", out["key.pem"],
                   "--out-p12", out["id.p12"],
                   "--out-p12-pass", out["p12.pass"])

    assert result.rc == 0, result
    assert result["status"] == "success"
    assert result["subject"] == f"CN={user},OU=vpn,O=ngx_scep tests"
    assert result["method"] == "POST"
    assert result["cipher"] == "AES-256-CBC"
    assert result["digest"] == "sha256"

    # the certificate: issued by the CA, for our key and subject
    assert openssl_verify(scepserver.ca_cert_path, out["cert.pem"]) \
        == f"{out['cert.pem']}: OK"
    cert = load_cert(out["cert.pem"])
    key = load_key(out["key.pem"])
    assert attr(cert.subject, NameOID.COMMON_NAME) == [user]
    assert attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == ["vpn"]
    assert attr(cert.subject, NameOID.ORGANIZATION_NAME) \
        == ["ngx_scep tests"]
    assert cert.issuer == scepserver.ca_cert.subject
    assert public_der(cert) == public_der(key)
    assert stat.S_IMODE(os.stat(out["key.pem"]).st_mode) == 0o600

    # the CSR as the CA received it
    records = scepserver.records(since=checkpoint)
    assert len(records) == 1
    csr = records[0]
    assert csr["subject_attrs"] == [["organizationName", "ngx_scep tests"],
                                    ["organizationalUnitName", "vpn"],
                                    ["commonName", user]]
    assert csr["san"] == [["dns", "host1.example.org"]]
    assert csr["key_usage_critical"] is True
    assert csr["key_usage"]["digital_signature"] is True
    assert csr["key_usage"]["key_encipherment"] is False
    assert csr["signature_hash"] == "sha384"
    assert csr["signature_valid"] is True
    assert csr["challenge_sha256"] is None

    # GetCACert first, then GetCACaps, then the request
    ops = scepserver_ops(scepserver.log()[log_before:])
    assert ops == ["GetCACert", "GetCACaps", "PKIOperation"]

    # the PKCS#12 opens with its passphrase and holds key, cert and CA
    with open(out["p12.pass"]) as f:
        passphrase = f.read()
    assert len(passphrase) == 24
    with open(out["id.p12"], "rb") as f:
        p12_key, p12_cert, p12_chain = pkcs12.load_key_and_certificates(
            f.read(), passphrase.encode())
    assert public_der(p12_key) == public_der(key)
    assert p12_cert == cert
    assert p12_chain == [scepserver.ca_cert]

    info = subprocess.run(["openssl", "pkcs12", "-info", "-noout", "-in",
                           out["id.p12"], "-passin", f"pass:{passphrase}"],
                          capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    assert "MAC: sha256, Iteration 10000" in info.stderr
    assert ("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 10000, "
            "PRF hmacWithSHA256") in info.stderr
    assert ("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, "
            "Iteration 10000, PRF hmacWithSHA256") in info.stderr


def test_challenge_reaches_the_ca_once(scepserver_otp, probe):
    otp = "8F3A0C57D21E4B96"
    scepserver_otp.add_otp(otp)
    checkpoint = scepserver_otp.checkpoint()

    first = probe(scepserver_otp.url, "--username", unique("carol"),
                  "--challenge", otp)
    assert first.rc == 0, first
    record = scepserver_otp.records(since=checkpoint)[0]
    assert record["challenge_sha256"] == hashlib.sha256(
        otp.encode()).hexdigest()
    assert record["decision"] == "accepted"

    # the OTP is spent: the CA refuses, and says why in failInfo
    again = probe(scepserver_otp.url, "--username", unique("carol"),
                  "--challenge", otp)
    assert again.rc == EXIT_FAILURE, again
    assert again["error_code"] == "failure"
    assert again["error_field"] == "badRequest"
    assert again["error"].startswith(
        f"the CA at {scepserver_otp.url} refused the request: badRequest")


def test_pinned_fingerprint(scepserver, probe):
    good = ":".join(f"{b:02X}" for b in bytes.fromhex(
        scepserver.ca_fingerprint_sha256))
    result = probe(scepserver.url, "--username", unique("dave"),
                   "--fingerprint", good)
    assert result.rc == 0, result

    sha1 = hashlib.sha1(scepserver.ca_der).hexdigest()
    result = probe(scepserver.url, "--username", unique("dave"),
                   "--fingerprint", sha1)
    assert result.rc == 0, result


def test_wrong_fingerprint_sends_nothing_but_getcacert(scepserver, probe):
    wrong = "ab" * 32
    log_before = len(scepserver.log())
    checkpoint = scepserver.checkpoint()

    result = probe(scepserver.url, "--username", unique("mallory"),
                   "--fingerprint", wrong)

    assert result.rc == 1, result
    assert result["error_code"] == "ca_fingerprint"
    assert result["error"] == (
        f"the CA certificate from {scepserver.url} has SHA-256 fingerprint "
        f"{scepserver.ca_fingerprint_sha256.upper()}, the profile expects "
        f"{wrong.upper()}")
    assert scepserver_ops(scepserver.log()[log_before:]) == ["GetCACert"]
    assert scepserver.records(since=checkpoint) == []


def serial_hex(cert):
    """A serial as the store writes it: upper-case hex of whole bytes (the
    CA's 284th certificate is 011C, not 11C)."""
    text = f"{cert.serial_number:X}"
    return "0" + text if len(text) % 2 else text


def test_store_with_micromdm(scepserver, probe, tools, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    user = unique("erin")

    made = probe(scepserver.url, "--profile", "corp-vpn", "--store", store,
                 "--name", "manual-01", "--username", user)
    assert made.rc == 0, made

    assert stat.S_IMODE(os.stat(store / "ca-corp-vpn.pem").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(store / "cert-manual-01.pem").st_mode) \
        == 0o644
    assert stat.S_IMODE(os.stat(store / "key-manual-01.pem").st_mode) \
        == 0o600
    assert not (store / "ra-corp-vpn.pem").exists()
    assert load_cert(store / "ca-corp-vpn.pem") == scepserver.ca_cert
    assert [n for n in os.listdir(store) if n.startswith(".")] == []

    # the same name again is refused before anything is overwritten
    again = probe(scepserver.url, "--profile", "corp-vpn", "--store", store,
                  "--name", "manual-01", "--username", unique("erin"))
    assert again.rc == 1, again
    assert again["error_code"] == "input"
    assert "already in the store" in again["error"]

    # a name with a space is refused
    spaced = probe(scepserver.url, "--profile", "corp-vpn", "--store",
                   store, "--name", "manual 02", "--username",
                   unique("erin"))
    assert spaced.rc == 1, spaced
    assert spaced["error_field"] == "name"

    listing = subprocess.run([tools["enroll_probe"], "--list-store", store],
                             capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    entries = json.loads(listing.stdout)
    cert = load_cert(store / "cert-manual-01.pem")
    ca_name = scepserver.ca_cert.subject.rfc4514_string()
    assert entries == [
        {"kind": "ca", "name": "corp-vpn", "profile": "corp-vpn",
         "subject": ca_name, "issuer": ca_name,
         "serial": serial_hex(scepserver.ca_cert),
         "not_before": scepserver.ca_cert.not_valid_before.strftime(
             "%Y-%m-%dT%H:%M:%SZ"),
         "not_after": scepserver.ca_cert.not_valid_after.strftime(
             "%Y-%m-%dT%H:%M:%SZ")},
        {"kind": "certificate", "name": "manual-01", "profile": "corp-vpn",
         "subject": f"CN={user}", "issuer": ca_name,
         "serial": serial_hex(cert),
         "not_before": cert.not_valid_before.strftime("%Y-%m-%dT%H:%M:%SZ"),
         "not_after": cert.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")},
    ]

    # the stored CA serves a later enrollment without a GetCACert
    log_before = len(scepserver.log())
    later = probe(scepserver.url, "--profile", "corp-vpn", "--store", store,
                  "--ca-from-store", "--username", unique("erin"))
    assert later.rc == 0, later
    assert scepserver_ops(scepserver.log()[log_before:]) == ["PKIOperation"]


# -- against the pending responder -------------------------------------

def test_pending_then_success_by_polling(responder, probe, tmp_path):
    ca = responder("--pending", "2")
    cert_path = str(tmp_path / "cert.pem")

    result = probe(ca.url, "--username", "frank", "--poll-initial", "100",
                   "--poll-max", "400", "--poll-total", "20000",
                   "--out-cert", cert_path)

    assert result.rc == 0, result
    assert openssl_verify(ca.path("ca.pem"), cert_path) \
        == f"{cert_path}: OK"
    assert attr(load_cert(cert_path).subject, NameOID.COMMON_NAME) \
        == ["frank"]

    pki = [op for op in ca.operations() if op["op"] == "PKIOperation"]
    assert [(op["type"], op["answer"]) for op in pki] == [
        ("PKCSReq", "PENDING"), ("CertPoll", "PENDING"),
        ("CertPoll", "SUCCESS")]
    assert len({op["tid"] for op in pki}) == 1
    assert [op["op"] for op in ca.operations()][:2] \
        == ["GetCACert", "GetCACaps"]


def test_pending_saved_then_resumed_elsewhere(responder, probe, tmp_path):
    ca = responder("--pending", "1")
    saved = tmp_path / "transaction.der"
    cert_path = str(tmp_path / "cert.pem")
    key_path = str(tmp_path / "key.pem")

    first = probe(ca.url, "--username", "grace", "--poll-total", "0",
                  "--save-transaction", saved)
    assert first.rc == EXIT_PENDING, first
    assert first["status"] == "pending"
    assert first["error_code"] == "pending"
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600

    # another process picks the transaction up and polls
    second = probe(ca.url, "--username", "ignored", "--resume", saved,
                   "--out-cert", cert_path, "--out-key", key_path)
    assert second.rc == 0, second
    cert = load_cert(cert_path)
    assert attr(cert.subject, NameOID.COMMON_NAME) == ["grace"]
    assert public_der(cert) == public_der(load_key(key_path))

    pki = [op for op in ca.operations() if op["op"] == "PKIOperation"]
    assert [(op["type"], op["answer"]) for op in pki] == [
        ("PKCSReq", "PENDING"), ("CertPoll", "SUCCESS")]
    assert pki[0]["tid"] == pki[1]["tid"] == first["transaction_id"]


def test_pending_gives_up_when_the_wait_is_spent(responder, probe):
    ca = responder("--pending", "100")

    # waits of 100, 200, 400 ms, then the remaining 300 ms: four polls
    result = probe(ca.url, "--username", "heidi", "--poll-initial", "100",
                   "--poll-max", "400", "--poll-total", "1000")

    assert result.rc == EXIT_PENDING, result
    assert result["error"].startswith(
        f"the CA at {ca.url} still holds the request for approval "
        "(PENDING) after 1 s of polling")
    pki = [op["type"] for op in ca.operations() if op["op"] == "PKIOperation"]
    assert pki == ["PKCSReq"] + ["CertPoll"] * 4


def test_failure_with_failinfo(responder, probe):
    ca = responder("--fail", "3", "--fail-text", "clock skew")

    result = probe(ca.url, "--username", "ivan")

    assert result.rc == EXIT_FAILURE, result
    assert result["error_code"] == "failure"
    assert result["error_field"] == "badTime"
    assert result["error"] == (
        f"the CA at {ca.url} refused the request: badTime (the request's "
        "signing time is too far from the CA's clock); it says: clock skew")


def test_ndes_shaped_ra_certificates(responder, probe, tmp_path):
    ca = responder("--ra")
    ra_enc = ca.cert("ra-encrypt.pem")
    cert_path = str(tmp_path / "cert.pem")

    # pinned on the RA encryption certificate, by SHA-1 as NDES shows it
    pin = ra_enc.fingerprint(hashes.SHA1()).hex()
    result = probe(ca.url, "--username", "judy", "--fingerprint", pin,
                   "--out-cert", cert_path)

    assert result.rc == 0, result
    assert result["ca_certs"] == "3"
    assert result["ca_subject"] == "CN=Pending Test CA,O=ngx_scep tests"
    assert result["recipient_subject"] \
        == "CN=Pending RA Encryption,O=ngx_scep tests"
    assert result["verifier_subject"] \
        == "CN=Pending RA Signature,O=ngx_scep tests"
    assert openssl_verify(ca.path("ca.pem"), cert_path) \
        == f"{cert_path}: OK"

    # a pin on nothing the server sent stops after GetCACert
    wrong = probe(ca.url, "--username", "judy", "--fingerprint", "00" * 20)
    assert wrong.rc == 1, wrong
    assert wrong["error_code"] == "ca_fingerprint"
    assert [op["op"] for op in ca.operations()][-1] == "GetCACert"


def test_get_and_des3_when_the_ca_offers_no_better(responder, probe,
                                                   tmp_path):
    ca = responder("--caps", "DES3,SHA-1")
    cert_path = str(tmp_path / "cert.pem")

    result = probe(ca.url, "--username", "ken", "--out-cert", cert_path)

    assert result.rc == 0, result
    assert result["method"] == "GET"
    assert result["cipher"] == "DES3-CBC"
    assert result["digest"] == "sha1"
    pki = [op for op in ca.operations() if op["op"] == "PKIOperation"]
    assert [(op["method"], op["answer"]) for op in pki] \
        == [("GET", "SUCCESS")]
    assert openssl_verify(ca.path("ca.pem"), cert_path) \
        == f"{cert_path}: OK"


def test_challenge_checked_by_the_responder(responder, probe):
    ca = responder("--challenge", "R1ght-0TP")

    good = probe(ca.url, "--username", "leo", "--challenge", "R1ght-0TP")
    assert good.rc == 0, good

    bad = probe(ca.url, "--username", "leo", "--challenge", "wrong")
    assert bad.rc == EXIT_FAILURE, bad
    assert bad["error_field"] == "badRequest"


# -- over HTTPS, and FIPS mode -----------------------------------------

@pytest.fixture(scope="session")
def tls_pki(tmp_path_factory):
    return make_tls_pki(str(tmp_path_factory.mktemp("scep-tls-pki")))


@pytest.fixture
def https_front(tls_pki, tmp_path):
    """make(http_port) -> an nginx terminating TLS in front of it."""
    fronts = []

    def make(port):
        front = TlsFront(str(tmp_path / f"front-{len(fronts) + 1}"),
                         tls_pki["server"], tls_pki["server_key"],
                         scep_port=port).start()
        fronts.append(front)
        return front

    yield make
    for front in fronts:
        front.stop()


def test_fips_over_https_with_ra_certificates(responder, https_front,
                                              probe, tls_pki, tmp_path):
    ca = responder("--ra")
    front = https_front(ca.port)
    cert_path = str(tmp_path / "cert.pem")

    result = probe(front.url("/certsrv/mscep/mscep.dll"), "--fips",
                   "--trusted-ca", tls_pki["root"], "--username", "mike",
                   "--out-cert", cert_path)

    assert result.rc == 0, result
    assert result["cipher"] == "AES-256-CBC"
    assert result["digest"] == "sha256"
    assert openssl_verify(ca.path("ca.pem"), cert_path) \
        == f"{cert_path}: OK"


def test_fips_refuses_a_single_des_reply(scepserver, https_front, probe,
                                         tls_pki):
    # micromdm encrypts CertRep with single DES whatever the request used
    front = https_front(scepserver.port)
    url = front.url("/scep")

    plain = probe(url, "--trusted-ca", tls_pki["root"], "--username",
                  unique("nina"))
    assert plain.rc == 0, plain

    fips = probe(url, "--fips", "--trusted-ca", tls_pki["root"],
                 "--username", unique("nina"))
    assert fips.rc == 1, fips
    assert fips["error_code"] == "protocol"
    assert fips["error"].startswith(
        f"the CertRep from {url}: the pkcsPKIEnvelope (encrypted with "
        "des-cbc) cannot be decrypted with our key")


def test_fips_refuses_a_ca_without_aes(responder, https_front, probe,
                                       tls_pki):
    ca = responder("--caps", "DES3,SHA-256,POSTPKIOperation")
    front = https_front(ca.port)
    url = front.url("/scep")

    result = probe(url, "--fips", "--trusted-ca", tls_pki["root"],
                   "--username", "olga")

    assert result.rc == 1, result
    assert result["error_field"] == "fips"
    assert result["error"] == (
        f"the SCEP server {url} does not offer AES in GetCACaps, and FIPS "
        "mode refuses its only other cipher, DES3")
    # refused before any request was made
    assert "PKIOperation" not in [op["op"] for op in ca.operations()]


# -- the responder checked by an independent client --------------------

@pytest.mark.parametrize("options", [(), ("--ra",)], ids=["ca", "ndes"])
def test_scepclient_enrolls_with_the_responder(responder, tmp_path, options):
    ca = responder(*options)

    done = scepclient.enroll(ca.url, "scepclient-peer", tmp_path)

    assert done.ok, done.output
    assert attr(done.cert.subject, NameOID.COMMON_NAME) \
        == ["scepclient-peer"]
    assert openssl_verify(ca.path("ca.pem"), done.cert_path) \
        == f"{done.cert_path}: OK"


def test_scepclient_waits_out_pending(responder, tmp_path):
    # scepclient sleeps 30 s after PENDING and sends its PKCSReq again
    ca = responder("--pending", "1")

    done = scepclient.enroll(ca.url, "scepclient-pending", tmp_path,
                             timeout=90)

    assert done.ok, done.output
    pki = [op for op in ca.operations() if op["op"] == "PKIOperation"]
    assert [(op["type"], op["answer"]) for op in pki] == [
        ("PKCSReq", "PENDING"), ("PKCSReq", "SUCCESS")]


def test_scepclient_sees_the_failinfo(responder, tmp_path):
    ca = responder("--fail", "2")

    done = scepclient.enroll(ca.url, "scepclient-refused", tmp_path)

    assert not done.ok
    assert "failInfo: badRequest (2)" in done.output
