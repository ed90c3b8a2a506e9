"""The reference agent keeps its certificate alive: renew (RenewalReq
signed with the current certificate, or a new enrollment through the
portal when the CA offers no renewal), status, a pending request that
survives a restart, enroll refusing a valid certificate, signals, and
the command line keeping secrets off the screen.

Parts: the real portal (nginx with the module, slapd), micromdm's
scepserver with one-day certificates (-crtvalid 1), and our pending
responder, which records each request's message type and signer.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import directory, portal, procs              # noqa: E402
from harness import responder as responder_mod            # noqa: E402
from harness import scepserver as scep_mod                # noqa: E402
from harness.ports import HOST                            # noqa: E402

import test_agent as ta                                   # noqa: E402
from test_agent import agent                              # noqa: E402,F401

EXIT_OK = 0
EXIT_LOCAL = 1
EXIT_RETRY = 5
EXIT_LOGIN = 6

RESPONDER_CAPS = "AES,POSTPKIOperation,SHA-256,SCEPStandard"


# -- a scepserver issuing one-day certificates ------------------------------

class OneDayScepServer(scep_mod.ScepServer):
    """scepserver -crtvalid 1: its certificates live one day.  (-allowrenew
    stays 0, as the harness sets it: no refusal of a second certificate for
    the same subject.)"""

    def _argv(self):
        return super()._argv() + ["-crtvalid", "1"]


@pytest.fixture
def oneday_ca(tmp_path):
    server = OneDayScepServer(str(tmp_path / "scepserver-1d"))
    server.start()
    yield server
    server.stop()


# -- running the agent --------------------------------------------------------

class Agent:
    """scep-agent runs against one portal and one directory."""

    def __init__(self, program, server, out_dir, tmp_path):
        self.program = program
        self.server = server
        self.dir = str(out_dir)
        self.tmp_path = tmp_path
        self.runs = []

    def env(self, password=None):
        env = {k: v for k, v in os.environ.items()
               if k not in ("NGX_SCEP_PASSWORD", "STATE_DIRECTORY")}
        if password is not None:
            env["NGX_SCEP_PASSWORD"] = password
        return env

    def run(self, *args, password=None, timeout=120):
        argv = [self.program, *map(str, args)]
        completed = subprocess.run(
            argv, env=self.env(password), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=timeout)
        result = ta.Run(completed, self.dir)
        self.runs.append(result)
        if password is not None:
            assert password not in result.stdout + result.stderr, result
        return result

    def enroll(self, user, *args, password=None):
        if password is None:
            password = directory.USERS[user]["password"]
        return self.run("enroll", "--portal",
                        f"https://{HOST}:{self.server.port}",
                        "--ca-file", self.server.tls.cert_path,
                        "--user", user, "--dir", self.dir, "-v", *args,
                        password=password)

    def renew(self, *args, password=None):
        return self.run("renew", "--dir", self.dir, "-v", *args,
                        password=password)

    def status(self, *args):
        return self.run("status", "--dir", self.dir, *args)

    def files(self):
        return sorted(os.listdir(self.dir))

    def read(self, name):
        with open(os.path.join(self.dir, name), "rb") as f:
            return f.read()


@pytest.fixture
def make_agent(agent, tmp_path):
    def make(server, name="vpn"):
        return Agent(agent, server, tmp_path / name, tmp_path)
    return make


def serial_hex(cert):
    text = f"{cert.serial_number:X}"
    return "0" * (len(text) % 2) + text


def getconfig_count(server):
    with open(os.path.join(server.prefix, "logs", "access.log")) as f:
        return f.read().count(ta.GETCONFIG)


def scepserver_message_types(log_text):
    """scepserver -debug logs each pkiMessage it parses with its type."""
    return re.findall(r'msg="parsed scep pkiMessage" '
                      r'scep_message_type="?([^"\n]*?)"? transaction_id',
                      log_text)


def responder_portal(nginx, slapd, ca):
    return ta.start_portal(nginx, slapd, portal.profile_block(
        "staff", scep_url=ca.url, subject='"O=Example,CN=$USERNAME"'))


STATE_FILES = ["ca.pem", "cert.pem", "key.pem", "state"]
RENEWED_FILES = sorted(STATE_FILES + ["cert.pem.prev", "key.pem.prev"])


# -- renewal against micromdm's scepserver ----------------------------------

def test_renew_inside_the_window_by_renewalreq(nginx, slapd, oneday_ca,
                                                make_agent):
    ca = oneday_ca
    ou = ta.unique("agent-renew")
    server = ta.start_portal(nginx, slapd, ta.push_profile(ca, ou))
    a = make_agent(server)

    first = a.enroll("alice")
    assert first.rc == EXIT_OK, first
    old = ta.load_cert(first.path("cert.pem"))
    assert a.files() == STATE_FILES
    assert ta.mode_of(first.path("state")) == 0o600
    lifetime = old.not_valid_after - old.not_valid_before
    assert 86000 < lifetime.total_seconds() < 87500, lifetime
    old_key = a.read("key.pem")
    old_cert = a.read("cert.pem")

    # outside the window (two thirds of a day: 16 hours) nothing happens,
    # and the agent says when it will; no password is needed to say so
    logins = getconfig_count(server)
    log_before = len(ca.log())
    early = a.renew()
    assert early.rc == EXIT_OK, early
    m = re.search(r"not due: the certificate \(serial ([0-9A-F]+)\) is "
                  r"valid until (\S+); renewal from (\S+), in (\d+) hours",
                  early.stdout)
    assert m, early
    assert m.group(1) == serial_hex(old)
    assert m.group(2) == old.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert int(m.group(4)) in (15, 16), early
    assert a.read("cert.pem") == old_cert and a.files() == STATE_FILES
    assert ta.scepserver_ops(ca.log()[log_before:]) == []

    # a window of 25 hours before the end holds the whole day: due now;
    # RenewalReq, signed with the certificate: no password, no login
    checkpoint = ca.checkpoint()
    renewed = a.renew("--renew-before", "25h")
    assert renewed.rc == EXIT_OK, renewed
    assert renewed.stdout.startswith(
        f"Certificate renewed (RenewalReq to {ca.url}, signed with the "
        f"certificate serial {serial_hex(old)}, new key, profile "
        '"staff")\n'), renewed
    assert getconfig_count(server) == logins

    new = ta.load_cert(renewed.path("cert.pem"))
    assert new.serial_number != old.serial_number
    assert new.subject == old.subject
    assert ta.attrs(new.subject) == [("O", "Example"), ("OU", ou),
                                     ("CN", "alice")]
    assert new.issuer == ca.ca_cert.subject
    new_key = ta.load_key(renewed.path("key.pem"))
    assert ta.public_der(new) == ta.public_der(new_key)
    assert ta.public_der(new) != ta.public_der(old)
    assert ta.mode_of(renewed.path("key.pem")) == 0o600

    # the old pair is kept beside the new one
    assert a.files() == RENEWED_FILES
    assert a.read("key.pem.prev") == old_key
    assert a.read("cert.pem.prev") == old_cert
    assert ta.mode_of(renewed.path("key.pem.prev")) == 0o600
    assert f"  previous      {renewed.path('cert.pem.prev')} " in \
        renewed.stdout

    # what went over the wire: a RenewalReq (17), its CSR for the new key
    # without a challenge
    log = ca.log()[log_before:]
    assert scepserver_message_types(log) == ["RenewalReq (17)"], log[-3000:]
    assert ta.scepserver_ops(log) == ["GetCACert", "GetCACaps",
                                      "PKIOperation"]
    records = ca.records(since=checkpoint)
    assert len(records) == 1, records
    assert records[0]["challenge_sha256"] is None

    # scepserver revokes, in its index, the certificate it replaced
    with open(os.path.join(ca.depot, "index.txt")) as f:
        index = [line.split("\t") for line in f.read().splitlines()]
    flags = {fields[3]: fields[0] for fields in index}
    assert flags[serial_hex(old)] == "R", index
    assert flags[serial_hex(new)] == "V", index
    with open(records[0]["der_path"], "rb") as f:
        csr = x509.load_der_x509_csr(f.read())
    assert ta.public_der(csr) == ta.public_der(new)

    # status agrees with the files
    status = a.status("--json")
    assert status.rc == EXIT_OK, status
    doc = json.loads(status.stdout)
    (entry,) = doc["certificates"]
    assert entry["dir"] == a.dir
    assert entry["serial"] == serial_hex(new)
    assert entry["profile"] == "staff" and entry["mode"] == "push"
    assert entry["subject"] == f"CN=alice,OU={ou},O=Example"
    assert entry["not_after"] == \
        new.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert entry["days_left"] in (0, 1) and entry["expired"] is False
    assert entry["due"] is False and entry["pending"] is None


def test_renewalreq_with_the_same_key(nginx, slapd, oneday_ca, make_agent):
    server = ta.start_portal(nginx, slapd, ta.push_profile(
        oneday_ca, ta.unique("agent-samekey")))
    a = make_agent(server)
    assert a.enroll("bob").rc == EXIT_OK
    old = ta.load_cert(os.path.join(a.dir, "cert.pem"))

    renewed = a.renew("--force", "--same-key")

    assert renewed.rc == EXIT_OK, renewed
    assert ", same key, " in renewed.stdout
    new = ta.load_cert(renewed.path("cert.pem"))
    assert new.serial_number != old.serial_number
    assert ta.public_der(new) == ta.public_der(old)
    assert a.read("key.pem") == a.read("key.pem.prev")


class StrictRenewalScepServer(scep_mod.ScepServer):
    """scepserver with its default -allowrenew 14 (the last flag wins)."""

    def _argv(self):
        return super()._argv() + ["-allowrenew", "14"]


def test_scepserver_allowrenew_refuses_an_early_renewal(nginx, slapd,
                                                        tmp_path,
                                                        make_agent):
    ca = StrictRenewalScepServer(str(tmp_path / "scepserver-strict"))
    ca.start()
    try:
        server = ta.start_portal(nginx, slapd, ta.push_profile(
            ca, ta.unique("agent-allowrenew")))
        a = make_agent(server)
        assert a.enroll("alice").rc == EXIT_OK
        old_pem = a.read("cert.pem")

        # a year's certificate, renewed now: more than 14 days are left
        refused = a.renew("--force")

        assert refused.rc == ta.EXIT_FAILED, refused
        assert f"the CA at {ca.url} refused the request" in \
            refused.stderr, refused
        assert "DN " in ca.log() and "already exists" in ca.log()
        assert a.read("cert.pem") == old_pem
        assert a.files() == STATE_FILES
    finally:
        ca.stop()


# -- the signer, as our responder sees it -----------------------------------

def test_renewalreq_is_signed_by_the_old_certificate(nginx, slapd,
                                                     responder,
                                                     make_agent):
    ca = responder("--caps", RESPONDER_CAPS + ",Renewal")
    server = responder_portal(nginx, slapd, ca)
    a = make_agent(server)
    assert a.enroll("alice").rc == EXIT_OK
    old = ta.load_cert(os.path.join(a.dir, "cert.pem"))

    renewed = a.renew("--force")

    assert renewed.rc == EXIT_OK, renewed
    ops = [op for op in ca.operations() if op["op"] == "PKIOperation"]
    assert [(op["type"], op["msgtype"], op["signer"], op["answer"])
            for op in ops] == [
        ("PKCSReq", "19", "self-signed", "SUCCESS"),
        ("RenewalReq", "17", "issued-by-ca", "SUCCESS")], ops
    assert ops[1]["signer_serial"] == serial_hex(old)
    assert ops[1]["tid"] != ops[0]["tid"]   # a new key, a new transaction
    new = ta.load_cert(renewed.path("cert.pem"))
    assert new.issuer == ca.ca_cert.subject
    assert new.serial_number != old.serial_number


def test_ca_without_renewal_means_a_new_enrollment(nginx, slapd, responder,
                                                   make_agent):
    ca = responder("--caps", RESPONDER_CAPS)      # no Renewal
    server = responder_portal(nginx, slapd, ca)
    a = make_agent(server)
    assert a.enroll("alice").rc == EXIT_OK
    old = ta.load_cert(os.path.join(a.dir, "cert.pem"))
    logins = getconfig_count(server)

    # unattended, without a password: the agent says what it needs
    blocked = a.renew("--force")
    assert blocked.rc == EXIT_LOGIN, blocked
    assert (f"the CA at {ca.url} does not list Renewal in GetCACaps; "
            f"renewing through the portal https://{HOST}:{server.port} "
            "instead (a new enrollment, which needs a login)") in \
        blocked.stdout, blocked
    assert "no password source was given" in blocked.stderr
    assert a.files() == STATE_FILES
    assert getconfig_count(server) == logins

    renewed = a.renew("--force",
                      password=directory.USERS["alice"]["password"])
    assert renewed.rc == EXIT_OK, renewed
    assert renewed.stdout.count("Certificate renewed (a new enrollment "
                                "through the portal, push mode, profile "
                                '"staff")') == 1, renewed
    assert getconfig_count(server) == logins + 1
    new = ta.load_cert(renewed.path("cert.pem"))
    assert new.serial_number != old.serial_number
    assert new.subject == old.subject
    assert a.read("cert.pem.prev") == old.public_bytes(
        serialization.Encoding.PEM)
    assert [op["type"] for op in ca.operations()
            if op["op"] == "PKIOperation"] == ["PKCSReq", "PKCSReq"]


# -- pending push-mode requests ----------------------------------------------

def test_pending_request_survives_a_restart(nginx, slapd, responder,
                                            make_agent):
    ca = responder("--pending", "2")
    server = responder_portal(nginx, slapd, ca)
    a = make_agent(server)

    first = a.enroll("alice")
    assert first.rc == EXIT_RETRY, first
    assert "the request is kept in" in first.stderr
    assert a.files() == ["pending.der", "state"]
    assert ta.mode_of(os.path.join(a.dir, "pending.der")) == 0o600
    assert ta.mode_of(os.path.join(a.dir, "state")) == 0o600
    (tid,) = {t for _, _, t in ca.pki_operations()}

    status = a.status("--json")
    entry = json.loads(status.stdout)["certificates"][0]
    assert entry["pending"]["kind"] == "enroll"
    assert entry["pending"]["transaction_id"] == tid
    assert entry["serial"] is None

    # the next runs resume it: no new key, no new request, no login
    logins = getconfig_count(server)
    second = a.enroll("alice")
    assert second.rc == EXIT_RETRY, second
    assert f"resuming the pending enrollment request, transaction {tid}" \
        in second.stdout
    third = a.enroll("alice")
    assert third.rc == EXIT_OK, third
    assert third.stdout.count("Certificate issued (pending PKCSReq request "
                              f"resumed, transaction {tid[:16]}...") == 1
    assert getconfig_count(server) == logins

    assert ca.pki_operations() == [("PKCSReq", "PENDING", tid),
                                   ("CertPoll", "PENDING", tid),
                                   ("CertPoll", "SUCCESS", tid)]
    assert a.files() == STATE_FILES
    # the key of the first run is the key of the certificate
    with open(os.path.join(ca.dir, "csr-1.der"), "rb") as f:
        csr = x509.load_der_x509_csr(f.read())
    key = ta.load_key(third.path("key.pem"))
    assert ta.public_der(csr) == ta.public_der(key)
    assert json.loads(a.status("--json").stdout)["certificates"][0][
        "pending"] is None


# -- enroll over a valid certificate -----------------------------------------

def test_enroll_refuses_a_valid_certificate_without_force(
        nginx, slapd, scepserver, make_agent):
    server = ta.start_portal(nginx, slapd, ta.push_profile(
        scepserver, ta.unique("agent-force")))
    a = make_agent(server)
    assert a.enroll("carol").rc == EXIT_OK
    old_cert = a.read("cert.pem")
    old = ta.load_cert(os.path.join(a.dir, "cert.pem"))
    logins = getconfig_count(server)

    again = a.enroll("carol")
    assert again.rc == EXIT_LOCAL, again
    assert f"{a.dir} already holds a valid certificate (" in again.stderr
    assert f"serial {serial_hex(old)}, until " in again.stderr
    assert "enroll --force replaces it" in again.stderr
    assert a.read("cert.pem") == old_cert
    assert getconfig_count(server) == logins     # refused before the login

    forced = a.enroll("carol", "--force")
    assert forced.rc == EXIT_OK, forced
    assert "--force: the valid certificate" in forced.stderr
    assert ta.load_cert(forced.path("cert.pem")).serial_number != \
        old.serial_number
    assert a.read("cert.pem.prev") == old_cert


def test_status_text_and_json(nginx, slapd, scepserver, make_agent,
                              tmp_path):
    server = ta.start_portal(nginx, slapd, ta.push_profile(
        scepserver, ta.unique("agent-status")))
    a = make_agent(server, "one")
    b = make_agent(server, "two")
    assert a.enroll("alice").rc == EXIT_OK
    assert b.enroll("bob").rc == EXIT_OK
    (tmp_path / "not-ours").mkdir()

    listing = a.run("status", "--all", "--root", tmp_path, "--json")
    assert listing.rc == EXIT_OK, listing
    entries = json.loads(listing.stdout)["certificates"]
    assert [e["dir"] for e in entries] == [a.dir, b.dir]
    for e, who in zip(entries, ("alice", "bob")):
        cert = ta.load_cert(os.path.join(e["dir"], "cert.pem"))
        assert e["user"] == who
        assert e["serial"] == serial_hex(cert)
        assert e["issuer"] == scepserver.ca_cert.subject.rfc4514_string()
        assert e["not_after"] == \
            cert.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert 363 <= e["days_left"] <= 365
        assert e["due"] is False

    text = a.status()
    assert text.rc == EXIT_OK, text
    assert text.stdout.startswith(f"{a.dir}\n  profile       staff (push "
                                  "mode)\n"), text
    assert "  pending       none\n" in text.stdout
    assert re.search(r"  next renewal  \S+ \(in \d+ days\)\n", text.stdout)

    # renew --all renews what is due and nothing else
    nothing = a.run("renew", "--all", "--root", tmp_path)
    assert nothing.rc == EXIT_OK, nothing
    assert nothing.stdout.count("not due") == 2


# -- signals -----------------------------------------------------------------

def interrupt_when(proc, stderr_path, pattern, sig=signal.SIGINT):
    procs.wait_until(lambda: re.search(pattern, open(stderr_path).read()),
                     60.0, pattern, alive=lambda: proc.poll() is None)
    proc.send_signal(sig)
    return proc.wait(timeout=30)


def start_agent(a, *args, password):
    stderr_path = os.path.join(a.tmp_path, f"stderr-{len(a.runs)}")
    a.runs.append(None)
    err = open(stderr_path, "w")
    proc = subprocess.Popen([a.program, *map(str, args)], env=a.env(password),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=err, text=True)
    err.close()
    return proc, stderr_path


def test_sigint_while_waiting_leaves_no_partial_files(nginx, slapd,
                                                      responder, make_agent):
    # enroll mode: the portal holds the request; the agent waits between
    # logins, and has nothing to keep
    ca = responder("--pending", "1000")
    server = ta.pending_enroll_portal(nginx, slapd, ca)
    a = make_agent(server)
    password = directory.USERS["alice"]["password"]
    proc, stderr_path = start_agent(
        a, "enroll", "--portal", f"https://{HOST}:{server.port}",
        "--ca-file", server.tls.cert_path, "--user", "alice", "--dir", a.dir,
        "--wait", "300", "-v", password=password)

    rc = interrupt_when(proc, stderr_path, r"asking again in \d+ s")

    stderr = open(stderr_path).read()
    assert rc == 130, stderr
    assert "interrupted by SIGINT; no file was left half-written" in stderr
    assert password not in stderr
    assert not os.path.exists(a.dir)        # this run made it: gone


def test_sigterm_while_polling_keeps_the_pending_request(nginx, slapd,
                                                         responder,
                                                         make_agent):
    # push mode: the request is saved before the wait, and stays whole
    ca = responder("--pending", "1000")
    server = responder_portal(nginx, slapd, ca)
    a = make_agent(server)
    password = directory.USERS["alice"]["password"]
    proc, stderr_path = start_agent(
        a, "enroll", "--portal", f"https://{HOST}:{server.port}",
        "--ca-file", server.tls.cert_path, "--user", "alice", "--dir", a.dir,
        "--wait", "300", "-v", password=password)

    rc = interrupt_when(proc, stderr_path, r"polling for up to 300 s",
                        signal.SIGTERM)

    stderr = open(stderr_path).read()
    assert rc == 143, stderr
    assert ("interrupted by SIGTERM; no file was left half-written; the "
            f"pending request is kept in {a.dir} and the next run resumes "
            "it") in stderr
    assert a.files() == ["pending.der", "state"]
    entry = json.loads(a.status("--json").stdout)["certificates"][0]
    assert entry["pending"]["transaction_id"] == ca.pki_operations()[0][2]


# -- the command line and secrets ---------------------------------------------

def test_no_option_value_is_echoed(agent, tmp_path):
    secret = "Hunter2-Secret-Value"
    cases = [
        ["--password", secret, "--user", "alice"],
        [f"--password={secret}"],
        ["--portal", "https://vpn.example.org", "--user", "alice", "--dir",
         str(tmp_path / "d"), secret],
        [secret],
        ["--passw", secret],
        ["enroll", "--user", "alice", "--portal", f"https://{secret}@x"],
        ["renew", "--dir", str(tmp_path), "--password-file", secret],
    ]
    for argv in cases:
        result = subprocess.run([agent, *argv], capture_output=True,
                                text=True, stdin=subprocess.DEVNULL,
                                env={"PATH": "/usr/bin:/bin"})
        assert result.returncode == EXIT_LOCAL, (argv, result.stderr)
        assert secret not in result.stdout + result.stderr, \
            (argv, result.stderr)
        assert result.stderr.startswith("scep-agent: "), result.stderr

    result = subprocess.run([agent, "--password", secret],
                            capture_output=True, text=True)
    assert "there is no --password option" in result.stderr
    assert "--password-file FILE" in result.stderr


def test_a_password_file_others_can_read_is_warned_about(
        nginx, slapd, scepserver, make_agent, tmp_path):
    server = ta.start_portal(nginx, slapd, ta.push_profile(
        scepserver, ta.unique("agent-pwmode")))
    a = make_agent(server)
    pw = tmp_path / "pw"
    pw.write_text(directory.USERS["alice"]["password"] + "\n")
    os.chmod(pw, 0o644)

    result = a.run("enroll", "--portal", f"https://{HOST}:{server.port}",
                   "--ca-file", server.tls.cert_path, "--user", "alice",
                   "--dir", a.dir, "--password-file", pw)

    assert result.rc == EXIT_OK, result
    assert ("warning: the file given with --password-file can be read by "
            "anyone (mode 0644): make it its owner's alone (chmod 600)") in \
        result.stderr, result
    assert str(pw) not in result.stderr


# -- unattended -----------------------------------------------------------------

UNITS = os.path.join(ta.REPO, "agent", "systemd")


def test_systemd_units_verify(agent, tmp_path):
    analyze = "/usr/bin/systemd-analyze"
    if not os.path.exists(analyze):
        pytest.fail("systemd-analyze is missing: run tools/deps.sh",
                    pytrace=False)
    # verify checks that /usr/bin/scep-agent exists and that the targets
    # named exist: a root of its own holds the units, the program and a
    # copy of the system's units
    root = tmp_path / "root"
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "lib" / "systemd").mkdir(parents=True)
    (root / "etc" / "systemd" / "system").mkdir(parents=True)
    shutil.copy(agent, root / "usr" / "bin" / "scep-agent")
    shutil.copytree("/usr/lib/systemd/system",
                    root / "usr" / "lib" / "systemd" / "system",
                    symlinks=True)
    units = []
    for name in ("scep-agent-renew.service", "scep-agent-renew.timer"):
        shutil.copy(os.path.join(UNITS, name),
                    root / "etc" / "systemd" / "system" / name)
        units.append(str(root / "etc" / "systemd" / "system" / name))

    result = subprocess.run([analyze, "verify", f"--root={root}", *units],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # an unknown key is only a warning: none is allowed
    assert result.stderr.strip() == "", result.stderr

    # the hardening, as systemd scores it (10 is none at all)
    result = subprocess.run([analyze, "security", "--offline=true",
                             f"--root={root}", "scep-agent-renew.service"],
                            capture_output=True, text=True, timeout=120)
    m = re.search(r"Overall exposure level for scep-agent-renew.service: "
                  r"([0-9.]+)", result.stdout)
    assert m and float(m.group(1)) <= 2.5, result.stdout[-2000:]

    with open(os.path.join(UNITS, "scep-agent-renew.timer")) as f:
        timer = f.read()
    assert re.search(r"^OnCalendar=daily$", timer, re.M)
    assert re.search(r"^Persistent=true$", timer, re.M)
    assert re.search(r"^RandomizedDelaySec=\S+$", timer, re.M)
    with open(os.path.join(UNITS, "scep-agent-renew.service")) as f:
        service = f.read()
    assert re.search(r"^ExecStart=/usr/bin/scep-agent renew --all "
                     r"\$SCEP_AGENT_ARGS$",
                     service, re.M)
    assert re.search(r"^StateDirectory=scep-agent$", service, re.M)
    assert re.search(r"^ProtectSystem=strict$", service, re.M)


# -- CA rollover --------------------------------------------------------------

def test_ca_rollover_is_taken_from_the_portal(nginx, slapd, tmp_path,
                                              make_agent):
    old_ca = scep_mod.ScepServer(str(tmp_path / "ca-old"), unit="Old CA")
    old_ca.start()
    try:
        ou = ta.unique("agent-rollover")
        server = ta.start_portal(nginx, slapd, ta.push_profile(old_ca, ou))
        a = make_agent(server)
        assert a.enroll("alice").rc == EXIT_OK
        assert ta.load_certs(os.path.join(a.dir, "ca.pem")) == \
            [old_ca.ca_cert]
    finally:
        old_ca.stop()

    # the CA at the same URL now has another certificate, and the portal
    # pins the new one
    new_ca = scep_mod.ScepServer(str(tmp_path / "ca-new"), port=old_ca.port,
                                 unit="New CA")
    new_ca.start()
    try:
        fetched = len(ta.CA_FETCHED.findall(server.error_log()))
        server.configure(http=portal.directory_block(slapd)
                         + ta.push_profile(new_ca, ou)
                         + portal.portal_server(
                             "        scep_default_profile staff;",
                             listen=ta.TLS_LISTEN))
        server.reload()
        procs.wait_until(lambda: len(ta.CA_FETCHED.findall(
            server.error_log())) > fetched, 15.0, "the portal's GetCACert")

        # RenewalReq is not sent to a CA that fails the pin; with the
        # password, the portal says which CA is right
        checkpoint = new_ca.checkpoint()
        blocked = a.renew("--force")
        assert blocked.rc == EXIT_LOGIN, blocked
        assert (f"the CA certificate from {new_ca.url} has SHA-256 "
                f"fingerprint {new_ca.ca_fingerprint_sha256.upper()}") in \
            blocked.stdout, blocked
        assert new_ca.records(since=checkpoint) == []

        renewed = a.renew("--force",
                          password=directory.USERS["alice"]["password"])
        assert renewed.rc == EXIT_OK, renewed
        assert (f"{a.dir}: the CA certificate changed: {a.dir}/ca.pem was "
                f"{old_ca.ca_cert.subject.rfc4514_string()}, is now "
                f"{new_ca.ca_cert.subject.rfc4514_string()} ") in \
            renewed.stdout, renewed
        assert (f"(SHA-256 {new_ca.ca_fingerprint_sha256.upper()}, checked "
                "against the fingerprint the portal pushed)") in \
            renewed.stdout
        assert ta.load_certs(os.path.join(a.dir, "ca.pem")) == \
            [new_ca.ca_cert]
        cert = ta.load_cert(renewed.path("cert.pem"))
        assert cert.issuer == new_ca.ca_cert.subject
        state = a.read("state").decode()
        pin = ":".join(f"{b:02X}" for b in bytes.fromhex(
            new_ca.ca_fingerprint_sha256))
        assert f"\nca-fingerprint = {pin}\n" in state
    finally:
        new_ca.stop()


def test_pending_renewal_is_resumed_with_the_old_signer(nginx, slapd,
                                                        responder,
                                                        make_agent):
    ca = responder("--pending", "1", "--caps", RESPONDER_CAPS + ",Renewal")
    server = responder_portal(nginx, slapd, ca)
    a = make_agent(server)
    assert a.enroll("alice", "--wait", "30").rc == EXIT_OK
    old = ta.load_cert(os.path.join(a.dir, "cert.pem"))
    old_pem = a.read("cert.pem")

    first = a.renew("--force")
    assert first.rc == EXIT_RETRY, first
    assert a.read("cert.pem") == old_pem
    entry = json.loads(a.status("--json").stdout)["certificates"][0]
    assert entry["pending"]["kind"] == "renewal"
    assert entry["serial"] == serial_hex(old)     # still the one in use
    tid = entry["pending"]["transaction_id"]

    second = a.renew()                             # no --force: resumes
    assert second.rc == EXIT_OK, second
    assert second.stdout.count("Certificate renewed (pending RenewalReq "
                               f"request resumed, transaction {tid[:16]}"
                               "...") == 1, second
    new = ta.load_cert(second.path("cert.pem"))
    assert new.serial_number != old.serial_number
    assert a.read("cert.pem.prev") == old_pem

    ops = [(op["type"], op["signer"], op["signer_serial"], op["answer"])
           for op in ca.operations()
           if op["op"] == "PKIOperation" and op["tid"] == tid]
    old_serial = serial_hex(old)
    assert ops == [("RenewalReq", "issued-by-ca", old_serial, "PENDING"),
                   ("CertPoll", "issued-by-ca", old_serial, "SUCCESS")], ops
    assert a.files() == RENEWED_FILES


def test_next_ca_announced_then_taken_without_a_login(
        nginx, slapd, responder, responder_program, tmp_path, make_agent):
    caps = RESPONDER_CAPS + ",Renewal,GetNextCACert"
    old_ca = responder("--next-ca", "--caps", caps)
    server = ta.start_portal(nginx, slapd, portal.profile_block(
        "staff", scep_url=old_ca.url, subject='"O=Example,CN=$USERNAME"',
        ca_fingerprint=":".join(f"{b:02X}" for b in old_ca.ca_cert.fingerprint(
            hashes.SHA256()))))
    a = make_agent(server)
    assert a.enroll("alice").rc == EXIT_OK
    next_ca = old_ca.cert("next-ca.pem")
    next_fp = next_ca.fingerprint(hashes.SHA256()).hex().upper()

    # a renewal with the current CA learns of the next one
    first = a.renew("--force")
    assert first.rc == EXIT_OK, first
    assert (f"{a.dir}: the CA at {old_ca.url} announces its next "
            f"certificate, CN=Pending Test CA 2,O=ngx_scep tests (SHA-256 "
            f"{next_fp}), signed for by the current one; kept as "
            f"{a.dir}/ca-next.pem") in first.stdout, first
    assert ta.load_cert(os.path.join(a.dir, "ca-next.pem")) == next_ca
    assert "GetNextCACert" in [op["op"] for op in old_ca.operations()]

    # the CA switches to it at the same URL; the portal still pins the old
    # one, and is not asked
    old_ca.stop()
    new_ca = responder_mod.Responder(
        responder_program, tmp_path / "responder-next", "--ca-dir",
        old_ca.dir, "--previous-ca", old_ca.path("ca.pem"), "--caps",
        caps, port=old_ca.port).start()
    try:
        logins = getconfig_count(server)
        second = a.renew("--force")
        assert second.rc == EXIT_OK, second
        assert (f"{a.dir}: the CA at {old_ca.url} now presents the "
                "certificate it announced through GetNextCACert; it is "
                "taken, as the previous CA signed for it") in second.stdout
        assert (f"(SHA-256 {next_fp}, announced by the previous CA through "
                "GetNextCACert)") in second.stdout, second
        assert getconfig_count(server) == logins
        assert ta.load_certs(os.path.join(a.dir, "ca.pem")) == [next_ca]
        cert = ta.load_cert(second.path("cert.pem"))
        assert cert.issuer == next_ca.subject
        assert not os.path.exists(os.path.join(a.dir, "ca-next.pem"))
        pin = ":".join(next_fp[i:i + 2] for i in range(0, 64, 2))
        state = a.read("state").decode()
        assert f"\nca-fingerprint = {pin}\n" in state
        assert "\nnext-ca-fingerprint = \n" in state
        ops = [(op["type"], op["signer"]) for op in new_ca.operations()
               if op["op"] == "PKIOperation"]
        assert ops == [("RenewalReq", "issued-by-ca")], ops
    finally:
        new_ca.stop()
