"""The reference agent (agent/, scep-agent) against the real
portal: it logs in over TLS, receives the settings of its SCEP profile,
and enrolls with micromdm's scepserver by itself (push mode), or opens
the PKCS#12 the portal obtained for it (enroll mode).  Proxy mode is
played by a stand-in portal (nginx with canned answers and a proxy
location that checks the ticket) until the portal has it.

What the agent wrote is checked with python3-cryptography and openssl;
what the CA received, with the CSR verifier's records and scepserver's
log.  The agent is built here, warning-free, from its sources and the
core's, so that these tests need nothing from the Makefile.
"""

import hashlib
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from harness import directory, http, portal, procs      # noqa: E402
from harness.ports import HOST                           # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

TLS_LISTEN = ("@PORT@ ssl;\n    ssl_certificate @TLS_CERT@;\n"
              "    ssl_certificate_key @TLS_KEY@")

GETCONFIG = "/global-protect/getconfig.esp"

EXIT_LOCAL = 1
EXIT_CREDENTIALS = 2
EXIT_REFUSED = 3
EXIT_FAILED = 4
EXIT_RETRY = 5

_serial = iter(range(1, 1000))


def unique(prefix):
    """A name no earlier test gave the session's CA."""
    return f"{prefix}-{os.getpid()}-{next(_serial)}"


# -- building and running the agent -----------------------------------------

def sources(directory_, suffix=".c"):
    path = os.path.join(REPO, directory_)
    return sorted(os.path.join(path, f) for f in os.listdir(path)
                  if f.endswith(suffix))


def xml2_cflags():
    result = subprocess.run(["xml2-config", "--cflags"], capture_output=True,
                            text=True)
    assert result.returncode == 0, "xml2-config: is libxml2-dev installed?"
    return result.stdout.split()


def build(out, name, program_sources):
    path = str(out / name)
    cmd = (["cc", "-std=c11", "-D_GNU_SOURCE", "-g", "-O2", "-Wall",
            "-Wextra", "-Werror", "-I", REPO, *xml2_cflags(), "-o", path]
           + program_sources
           + ["-lcurl", "-lssl", "-lcrypto", "-lxml2"])
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="session")
def agent(tmp_path_factory):
    """scep-agent as the Makefile's tools rule builds it; NGX_SCEP_AGENT
    may name another build (a sanitizer build)."""
    if os.environ.get("NGX_SCEP_AGENT"):
        return os.path.abspath(os.environ["NGX_SCEP_AGENT"])
    out = tmp_path_factory.mktemp("agent")
    return build(out, "scep-agent",
                 sources("agent") + sources("scep")
                 + [os.path.join(REPO, "agent-proto", "gp_buf.c")])


class Run:
    """One scep-agent run: exit status, output, and what it wrote."""

    def __init__(self, completed, out_dir):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.out_dir = str(out_dir)

    def path(self, name):
        return os.path.join(self.out_dir, name)

    def written(self):
        try:
            return sorted(os.listdir(self.out_dir))
        except FileNotFoundError:
            return []

    def __repr__(self):
        return (f"rc={self.rc}\n--- stdout\n{self.stdout}--- stderr\n"
                f"{self.stderr}")


@pytest.fixture
def run_agent(agent, tmp_path):
    """run(server, user, password=None, *args, ...) -> Run.

    The password goes through NGX_SCEP_PASSWORD, or --password-file with
    password_file=True; the portal's certificate is trusted through
    --ca-file unless trust=False.
    """
    runs = []

    def run(server, user, *args, password=None, password_file=False,
            trust=True, out_dir=None, timeout=120):
        n = len(runs) + 1
        out_dir = out_dir or tmp_path / f"agent-out-{n}"
        if password is None:
            password = directory.USERS[user]["password"]
        argv = [agent, "--portal", f"https://{HOST}:{server.port}",
                "--user", user, "--out-dir", str(out_dir), "-v"]
        if trust:
            argv += ["--ca-file", server.tls.cert_path]
        env = {k: v for k, v in os.environ.items()
               if k != "NGX_SCEP_PASSWORD"}
        if password_file:
            pw_path = tmp_path / f"password-{n}"
            fd = os.open(pw_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(password + "\n")
            argv += ["--password-file", str(pw_path)]
        else:
            env["NGX_SCEP_PASSWORD"] = password
        argv += [str(a) for a in args]
        completed = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=timeout, preexec_fn=lambda: os.umask(0o022))
        result = Run(completed, out_dir)
        runs.append(result)
        # never printed, whatever happened
        assert password not in result.stdout + result.stderr, result
        return result

    return run


# -- the portal -------------------------------------------------------------

def start_portal(nginx, slapd, profiles, location=None):
    location = location or "        scep_default_profile staff;"
    conf = (portal.directory_block(slapd) + profiles
            + portal.portal_server(location, listen=TLS_LISTEN))
    server = nginx(http=conf)
    server.start()
    wait_for_portal_ca(server)
    return server


CA_FETCHED = re.compile(r'scep_profile "staff": (CA certificate .* obtained '
                        r'from|cannot obtain the CA certificate)')


def wait_for_portal_ca(server):
    """The portal fetches its profile's CA when a worker starts: waits for
    that first attempt, so that the SCEP server's log then shows only what
    the agent sent (and the portal's retries, with a wrong fingerprint)."""
    procs.wait_until(lambda: CA_FETCHED.search(server.error_log()), 15.0,
                     "the portal's first GetCACert")


def fingerprint(ca):
    return ":".join(f"{b:02X}" for b in bytes.fromhex(
        ca.ca_fingerprint_sha256))


def push_profile(scepserver, ou, **overrides):
    settings = {
        "ca_ident": "ngx_scep-test",
        "subject": f'"O=Example,OU={ou},CN=$USERNAME"',
        "ca_fingerprint": fingerprint(scepserver),
    }
    settings.update(overrides)
    return portal.profile_block("staff", scep_url=scepserver.url,
                                **settings)


# -- what the agent wrote ---------------------------------------------------

def load_cert(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def load_certs(path):
    """Every certificate of a PEM file (cryptography 38 has no loader for
    several)."""
    with open(path, "rb") as f:
        text = f.read()
    end = b"-----END CERTIFICATE-----"
    return [x509.load_pem_x509_certificate(block + end)
            for block in text.split(end) if block.strip()]


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def public_der(key_or_cert):
    return key_or_cert.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def attrs(name):
    """[(short name, value)] in DER order."""
    short = {NameOID.COUNTRY_NAME: "C", NameOID.ORGANIZATION_NAME: "O",
             NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
             NameOID.COMMON_NAME: "CN"}
    return [(short.get(a.oid, a.oid.dotted_string), a.value)
            for rdn in name.rdns for a in rdn]


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def openssl_verify(ca_path, cert_path):
    result = subprocess.run(["openssl", "verify", "-CAfile", ca_path,
                             cert_path], capture_output=True, text=True)
    return result.stdout.strip()


def scepserver_ops(log_text):
    return re.findall(r"caller=endpoint\.go:\d+ op=(\w+)", log_text)


def assert_issued(result, ca_cert_path, ca_cert):
    """key.pem 0600 matching cert.pem, issued by the CA, ca.pem its CA,
    and the agent's state (0600) beside them."""
    assert result.rc == 0, result
    assert result.written() == ["ca.pem", "cert.pem", "key.pem", "state"]
    assert mode_of(result.path("key.pem")) == 0o600
    assert mode_of(result.path("state")) == 0o600
    assert mode_of(result.path("cert.pem")) == 0o644
    assert mode_of(result.path("ca.pem")) == 0o644

    cert = load_cert(result.path("cert.pem"))
    key = load_key(result.path("key.pem"))
    assert public_der(cert) == public_der(key)
    assert cert.issuer == ca_cert.subject
    assert load_certs(result.path("ca.pem")) == [ca_cert]
    assert openssl_verify(ca_cert_path, result.path("cert.pem")) == \
        f"{result.path('cert.pem')}: OK"

    # the summary names what was issued and where it went, the serial in
    # whole bytes as openssl prints it
    serial = f"{cert.serial_number:X}"
    serial = "0" * (len(serial) % 2) + serial
    assert f"  serial        {serial}\n" in result.stdout
    assert f"  key           {result.path('key.pem')} (mode 0600)\n" in \
        result.stdout
    assert f"  certificate   {result.path('cert.pem')}\n" in result.stdout
    assert f"  CA chain      {result.path('ca.pem')} (1 certificate)\n" in \
        result.stdout
    not_after = cert.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"  not after     {not_after}\n" in result.stdout
    return cert


# -- push mode --------------------------------------------------------------

def test_push_mode_names_made_for_the_user(nginx, slapd, scepserver,
                                           run_agent):
    """The profile's subject alternative names, filled with alice's values
    by the portal, pushed in order, and requested as such by the agent: a
    UPN otherName among them (micromdm's CA leaves otherNames out of what
    it issues, Go's x509 having none; the CSR has it)."""
    ca = scepserver
    ou = unique("agent-names")
    server = start_portal(nginx, slapd, push_profile(
        ca, ou, subject_alt_name=[
            "upn $USERNAME@corp.example.org", "rfc822 $EMAILADDRESS",
            '"uri" "urn:vpn:$USERNAME:\\$1"', "dns vpn.example.org"]))
    checkpoint = ca.checkpoint()

    result = run_agent(server, "alice")

    cert = assert_issued(result, ca.ca_cert_path, ca.ca_cert)
    [csr] = ca.records(since=checkpoint)
    assert csr["san"] == [["upn", "alice@corp.example.org"],
                          ["rfc822", "alice@example.org"],
                          ["uri", "urn:vpn:alice:$1"],
                          ["dns", "vpn.example.org"]]
    names = cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.RFC822Name) == ["alice@example.org"]
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == \
        ["urn:vpn:alice:$1"]


def test_push_mode_enrolls_with_micromdm(nginx, slapd, scepserver_otp,
                                         run_agent):
    ca = scepserver_otp
    ou = unique("agent-push")
    challenge = unique("fixed-challenge")
    ca.add_otp(challenge)
    server = start_portal(nginx, slapd, push_profile(
        ca, ou, digest="sha384", key_usage="digital_signature",
        subject_alt_name="dns vpn.example.org", challenge="fixed",
        challenge_password=f'"{challenge}"'))
    checkpoint = ca.checkpoint()
    log_before = len(ca.log())

    result = run_agent(server, "alice")

    cert = assert_issued(result, ca.ca_cert_path, ca.ca_cert)
    assert attrs(cert.subject) == [("O", "Example"), ("OU", ou),
                                   ("CN", "alice")]
    assert result.stdout.startswith(
        'Certificate issued (push mode, profile "staff")\n'
        f"  subject       CN=alice,OU={ou},O=Example\n"), result

    # the CSR as the CA received it: the profile's settings, the challenge
    records = ca.records(since=checkpoint)
    assert len(records) == 1, records
    csr = records[0]
    assert csr["subject_attrs"] == [["organizationName", "Example"],
                                    ["organizationalUnitName", ou],
                                    ["commonName", "alice"]]
    assert csr["san"] == [["dns", "vpn.example.org"]]
    assert csr["key_usage_critical"] is True
    assert csr["key_usage"]["digital_signature"] is True
    assert csr["key_usage"]["key_encipherment"] is False
    assert csr["signature_hash"] == "sha384"
    assert csr["public_key_bits"] == 2048
    assert csr["challenge_sha256"] == hashlib.sha256(
        challenge.encode()).hexdigest()
    assert csr["decision"] == "accepted"

    # the CA was checked before anything else was sent
    assert scepserver_ops(ca.log()[log_before:]) == \
        ["GetCACert", "GetCACaps", "PKIOperation"]

    # no secret of the exchange on the screen
    assert challenge not in result.stdout + result.stderr


def test_a_name_with_dn_syntax_stays_one_value(nginx, slapd, scepserver,
                                               run_agent):
    # "smith, john" must not become CN=smith and a stray attribute; his
    # password ("john, Secret&8=+%20") tests the form encoding too
    ou = unique("agent-odd")
    server = start_portal(nginx, slapd, push_profile(scepserver, ou))

    result = run_agent(server, "smith, john", password_file=True)

    cert = assert_issued(result, scepserver.ca_cert_path,
                         scepserver.ca_cert)
    assert attrs(cert.subject) == [("O", "Example"), ("OU", ou),
                                   ("CN", "smith, john")]


def test_host_id_goes_into_the_subject(nginx, slapd, scepserver, run_agent):
    host_id = "{4F7C1C2E-8A3B-4D5E-9F10-" + f"{os.getpid():012d}" + "}"
    ou = unique("agent-host")
    server = start_portal(nginx, slapd, push_profile(
        scepserver, ou, subject=f'"O=Example,OU={ou},CN=$HOSTID"'))

    result = run_agent(server, "bob", "--host-id", host_id)

    cert = assert_issued(result, scepserver.ca_cert_path,
                         scepserver.ca_cert)
    assert attrs(cert.subject)[-1] == ("CN", host_id)

    # without --host-id the portal cannot fill the subject, and says so
    refused = run_agent(server, "bob")
    assert refused.rc == EXIT_REFUSED, refused
    assert "the portal answered HTTP 400: " in refused.stderr
    assert "the agent sent no host-id" in refused.stderr
    assert refused.written() == []


def test_a_second_run_replaces_the_files_only_with_force(
        nginx, slapd, scepserver, run_agent, tmp_path):
    # (test_agent_renewal.py has the refusal without --force)
    ou = unique("agent-again")
    server = start_portal(nginx, slapd, push_profile(scepserver, ou))
    out_dir = tmp_path / "again"

    first = run_agent(server, "carol", out_dir=out_dir)
    first_cert = assert_issued(first, scepserver.ca_cert_path,
                               scepserver.ca_cert)
    with open(first.path("cert.pem"), "rb") as f:
        first_pem = f.read()

    refused = run_agent(server, "carol", out_dir=out_dir)
    assert refused.rc == EXIT_LOCAL, refused
    assert "already holds a valid certificate" in refused.stderr

    second = run_agent(server, "carol", "--force", out_dir=out_dir)
    assert second.rc == 0, second
    second_cert = load_cert(second.path("cert.pem"))
    assert second_cert.serial_number != first_cert.serial_number
    assert sorted(os.listdir(out_dir)) == [
        "ca.pem", "cert.pem", "cert.pem.prev", "key.pem", "key.pem.prev",
        "state"]
    with open(second.path("cert.pem.prev"), "rb") as f:
        assert f.read() == first_pem


# -- refusals ---------------------------------------------------------------

def test_wrong_password(nginx, slapd, scepserver, run_agent):
    server = start_portal(nginx, slapd,
                          push_profile(scepserver, unique("agent-pw")))
    log_before = len(scepserver.log())

    result = run_agent(server, "alice", password="not-her-password")

    assert result.rc == EXIT_CREDENTIALS, result
    assert "the portal answered HTTP 512: Invalid username or password" in \
        result.stderr
    assert result.written() == []
    assert scepserver_ops(scepserver.log()[log_before:]) == []


def test_user_not_allowed(nginx, slapd, scepserver, run_agent):
    server = start_portal(nginx, slapd,
                          push_profile(scepserver, unique("agent-deny")),
                          location="""
        scep_allow_group vpn-users;
        scep_default_profile staff;
""")

    result = run_agent(server, "mallory")

    assert result.rc == EXIT_REFUSED, result
    assert ("the portal answered HTTP 403: Your account is not allowed to "
            "use this portal") in result.stderr
    assert result.written() == []


def test_wrong_ca_fingerprint_sends_nothing_but_getcacert(
        nginx, slapd, scepserver, run_agent):
    wrong = "AB" * 32
    server = start_portal(nginx, slapd, push_profile(
        scepserver, unique("agent-pin"), ca_fingerprint=wrong))
    log_before = len(scepserver.log())
    checkpoint = scepserver.checkpoint()

    result = run_agent(server, "alice")

    assert result.rc == EXIT_FAILED, result
    assert (f"the CA certificate from {scepserver.url} has SHA-256 "
            f"fingerprint {scepserver.ca_fingerprint_sha256.upper()}, the "
            f"profile expects {wrong}") in result.stderr
    # the agent's GetCACert and nothing else (the portal's own attempts,
    # repeated while its fetch fails, are GetCACert too)
    ops = scepserver_ops(scepserver.log()[log_before:])
    assert ops and set(ops) == {"GetCACert"}, ops
    assert scepserver.records(since=checkpoint) == []
    assert result.written() == []


def test_untrusted_portal_gets_no_password(nginx, slapd, scepserver,
                                           run_agent):
    server = start_portal(nginx, slapd,
                          push_profile(scepserver, unique("agent-tls")))

    # the test certificate is self-signed: the system's roots refuse it
    result = run_agent(server, "alice", trust=False)

    assert result.rc == EXIT_FAILED, result
    assert "the certificate of the portal" in result.stderr
    assert "is not trusted" in result.stderr
    assert "give its CA with --ca-file FILE" in result.stderr
    with open(os.path.join(server.prefix, "logs", "access.log")) as f:
        assert "getconfig.esp" not in f.read()

    # --insecure goes on, and gets as far as the password check
    insecure = run_agent(server, "alice", "--insecure", trust=False,
                         password="not-her-password")
    assert insecure.rc == EXIT_CREDENTIALS, insecure


def test_unusable_output_directory_stops_before_the_login(
        nginx, slapd, scepserver, run_agent, tmp_path):
    server = start_portal(nginx, slapd,
                          push_profile(scepserver, unique("agent-dir")))
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")

    result = run_agent(server, "alice", out_dir=not_a_dir)

    assert result.rc == EXIT_LOCAL, result
    assert f"{not_a_dir} is not a directory" in result.stderr
    with open(os.path.join(server.prefix, "logs", "access.log")) as f:
        assert "global-protect" not in f.read()


# -- pending ----------------------------------------------------------------

def pki_operations(ca):
    return [(kind, answer) for kind, answer, _ in ca.pki_operations()]


def test_push_mode_pending_without_wait(nginx, slapd, responder, run_agent):
    ca = responder("--pending", "5")
    server = start_portal(nginx, slapd, portal.profile_block(
        "staff", scep_url=ca.url, subject='"O=Example,CN=$USERNAME"'))

    result = run_agent(server, "alice")

    assert result.rc == EXIT_RETRY, result
    assert f"the CA at {ca.url} holds the request for approval (PENDING)" \
        in result.stderr
    # kept, with its key, for the next run (test_agent_renewal.py resumes
    # it)
    assert f"the request is kept in {result.out_dir} (transaction " in \
        result.stderr
    assert "the next enroll or renew resumes it, or give --wait SECONDS to " \
        "let the agent poll the CA" in result.stderr
    assert pki_operations(ca) == [("PKCSReq", "PENDING")]
    assert result.written() == ["pending.der", "state"]


def test_push_mode_pending_then_issued_with_wait(nginx, slapd, responder,
                                                 run_agent):
    ca = responder("--pending", "1")
    server = start_portal(nginx, slapd, portal.profile_block(
        "staff", scep_url=ca.url, subject='"O=Example,CN=$USERNAME"'))

    result = run_agent(server, "alice", "--wait", "60")

    with open(os.path.join(ca.dir, "ca.pem"), "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    cert = assert_issued(result, os.path.join(ca.dir, "ca.pem"), ca_cert)
    assert attrs(cert.subject) == [("O", "Example"), ("CN", "alice")]
    assert pki_operations(ca) == [("PKCSReq", "PENDING"),
                                  ("CertPoll", "SUCCESS")]


# -- proxy mode -------------------------------------------------------------

PROXY_TICKET = "AQAAAGYFrGVhbGljZQ.dGhpcyBpcyBub3QgYSByZWFsIG1hYw"

# A stand-in for the portal's proxy mode: canned answers, and a location
# that passes SCEP requests to the CA only with the ticket (as PROTOCOL.md,
# section 5.2, has the portal do), logging the ticket of each.
PROXY_PORTAL = """
log_format ticket '$request_method $uri $arg_operation "$http_x_scep_ticket"';

server {
    listen 127.0.0.1:@PORT@ ssl;
    ssl_certificate @TLS_CERT@;
    ssl_certificate_key @TLS_KEY@;

    location = /global-protect/prelogin.esp {
        default_type application/xml;
        return 200 '@PRELOGIN@';
    }

    location = /global-protect/getconfig.esp {
        default_type application/xml;
        return 200 '@POLICY@';
    }

    location = /scep-proxy/staff {
        access_log logs/ticket.log ticket;
        if ($http_x_scep_ticket != "@TICKET@") {
            return 403;
        }
        proxy_pass @CA_URL@;
    }
}
"""


def proxy_policy(ca, ou, port, ticket):
    return (
        "<policy><portal-name>Stand-in</portal-name><scep>"
        "<profile>staff</profile><mode>proxy</mode>"
        f"<server-url>https://{HOST}:{port}/scep-proxy/staff</server-url>"
        "<ca-ident>ngx_scep-test</ca-ident>"
        f"<subject>CN=alice,OU={ou},O=Example</subject><subject-rdns>"
        '<subject-rdn type="O">Example</subject-rdn>'
        f'<subject-rdn type="OU">{ou}</subject-rdn>'
        '<subject-rdn type="CN">alice</subject-rdn></subject-rdns>'
        "<key-bits>2048</key-bits><digest>sha256</digest>"
        "<key-usage><digital-signature/><key-encipherment/></key-usage>"
        '<ca-fingerprint algorithm="sha256">'
        f"{fingerprint(ca)}</ca-fingerprint>"
        f"<ticket>{ticket}</ticket></scep></policy>")


def start_proxy_portal(nginx, ca, ou, ticket):
    # the policy names the portal's own port: @PORT@, expanded with the rest
    conf = PROXY_PORTAL.replace("@POLICY@",
                                proxy_policy(ca, ou, "@PORT@", ticket))
    server = nginx(http=conf, load_module=False, tokens={
        "PRELOGIN": "<prelogin-response><status>Success</status>"
                    "</prelogin-response>",
        "TICKET": PROXY_TICKET, "CA_URL": ca.url})
    server.start()
    return server


def skip_without_ticket_support(result):
    if result.rc == EXIT_FAILED and \
            "cannot yet send the enrollment ticket" in result.stderr:
        pytest.skip("the SCEP core cannot send X-SCEP-Ticket yet, so the "
                    "agent refuses proxy mode")


def test_proxy_mode_sends_the_ticket_with_every_request(
        nginx, scepserver, run_agent):
    ou = unique("agent-proxy")
    server = start_proxy_portal(nginx, scepserver, ou, PROXY_TICKET)

    result = run_agent(server, "alice", password="stand-in-Secret9")

    skip_without_ticket_support(result)
    cert = assert_issued(result, scepserver.ca_cert_path,
                         scepserver.ca_cert)
    assert attrs(cert.subject) == [("O", "Example"), ("OU", ou),
                                   ("CN", "alice")]
    assert result.stdout.startswith(
        'Certificate issued (proxy mode, profile "staff")\n'), result

    # every SCEP request went through the portal, with the ticket
    with open(os.path.join(server.prefix, "logs", "ticket.log")) as f:
        lines = f.read().splitlines()
    assert lines == [
        f'GET /scep-proxy/staff GetCACert "{PROXY_TICKET}"',
        f'GET /scep-proxy/staff GetCACaps "{PROXY_TICKET}"',
        f'POST /scep-proxy/staff PKIOperation "{PROXY_TICKET}"'], lines


def test_proxy_mode_refused_ticket(nginx, scepserver, run_agent):
    server = start_proxy_portal(nginx, scepserver, unique("agent-proxy"),
                                "expired.ticket")

    result = run_agent(server, "alice", password="stand-in-Secret9")

    skip_without_ticket_support(result)
    assert result.rc == EXIT_FAILED, result
    assert "GetCACert" in result.stderr and "HTTP 403" in result.stderr
    assert result.written() == []


# -- enroll mode ------------------------------------------------------------

def enroll_portal(nginx, slapd, profiles, probe_user="bob"):
    """A portal whose profile is in enroll mode, or a skip saying why it
    cannot be had yet.  probe_user=None skips the probe login."""
    conf = (portal.directory_block(slapd) + profiles
            + portal.portal_server("        scep_default_profile staff;",
                                   listen=TLS_LISTEN))
    server = nginx(http=conf)
    ok, output = server.test()
    if not ok:
        pytest.skip("the portal does not take 'mode enroll;' yet: "
                    + output.strip().splitlines()[-1])
    server.start()
    wait_for_portal_ca(server)
    if probe_user is None:
        return server

    # the portal may accept the directive and still not enroll
    probe = http.post_form(server.url(GETCONFIG, https=True),
                           portal.login(probe_user))
    if probe.status != 200 or \
            ET.fromstring(probe.body).find("scep-certificate") is None:
        pytest.skip("the portal's enroll mode does not answer "
                    "<scep-certificate> yet (HTTP %d: %s)"
                    % (probe.status, probe.body.decode("utf-8", "replace")
                       .strip().splitlines()[-1][:200]))
    return server


def test_enroll_mode_opens_the_pkcs12(nginx, slapd, scepserver, run_agent):
    ou = unique("agent-enroll")
    server = enroll_portal(nginx, slapd,
                           push_profile(scepserver, ou, mode="enroll"))
    checkpoint = scepserver.checkpoint()

    result = run_agent(server, "alice")

    cert = assert_issued(result, scepserver.ca_cert_path,
                         scepserver.ca_cert)
    assert attrs(cert.subject) == [("O", "Example"), ("OU", ou),
                                   ("CN", "alice")]
    assert result.stdout.startswith(
        'Certificate issued (enroll mode, profile "staff")\n'), result

    # the portal enrolled once for this run, for the key the agent wrote
    records = scepserver.records(since=checkpoint)
    assert len(records) == 1, records
    assert records[0]["subject_attrs"][-1] == ["commonName", "alice"]
    with open(records[0]["der_path"], "rb") as f:
        csr = x509.load_der_x509_csr(f.read())
    assert public_der(csr) == public_der(load_key(result.path("key.pem")))


def test_enroll_mode_wrong_password(nginx, slapd, scepserver, run_agent):
    server = enroll_portal(nginx, slapd, push_profile(
        scepserver, unique("agent-enroll-pw"), mode="enroll"))

    result = run_agent(server, "alice", password="not-her-password")

    assert result.rc == EXIT_CREDENTIALS, result
    assert "Invalid username or password" in result.stderr
    assert result.written() == []


def pending_enroll_portal(nginx, slapd, ca):
    """Enroll mode against a CA that answers PENDING: the portal says so at
    once, and asks the agent back after a second."""
    return enroll_portal(nginx, slapd, portal.profile_block(
        "staff", scep_url=ca.url, subject='"O=Example,CN=$USERNAME"',
        mode="enroll", poll_wait="0", poll_retry="1s"), probe_user=None)


def test_enroll_mode_pending_without_wait(nginx, slapd, responder,
                                          run_agent):
    ca = responder("--pending", "5")
    server = pending_enroll_portal(nginx, slapd, ca)

    result = run_agent(server, "alice")

    assert result.rc == EXIT_RETRY, result
    assert re.search(r"the certificate awaits the CA's approval \(profile "
                     r"staff, transaction [0-9A-F]{64}\)", result.stderr), \
        result
    assert "try again in 1 s, or give --wait SECONDS" in result.stderr
    assert pki_operations(ca) == [("PKCSReq", "PENDING")]
    assert result.written() == []


def test_enroll_mode_pending_then_issued_with_wait(nginx, slapd, responder,
                                                   run_agent):
    ca = responder("--pending", "1")
    server = pending_enroll_portal(nginx, slapd, ca)

    result = run_agent(server, "alice", "--wait", "30")

    with open(os.path.join(ca.dir, "ca.pem"), "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    cert = assert_issued(result, os.path.join(ca.dir, "ca.pem"), ca_cert)
    assert attrs(cert.subject) == [("O", "Example"), ("CN", "alice")]
    # asked once, told to come back, asked again: the portal polled
    assert result.stderr.count(GETCONFIG) == 2, result
    assert pki_operations(ca) == [("PKCSReq", "PENDING"),
                                  ("CertPoll", "SUCCESS")]
