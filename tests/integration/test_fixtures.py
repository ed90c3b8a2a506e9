"""The fixtures start the real thing: each test checks one with a client we
did not write (ldapsearch, ldapwhoami, scepclient, python3-cryptography,
nginx -t, plain HTTP)."""

import concurrent.futures
import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID

from harness import REPO, directory, http, procs, samba, scepclient
from harness.directory import USERS, group_dn
from harness.nginx import Nginx


def ldapsearch(slapd, base, *args, bind=None, timeout=10):
    bind = bind or (slapd.service_dn, slapd.service_password)
    return subprocess.run(
        ["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", slapd.url,
         "-D", bind[0], "-w", bind[1], "-b", base, *args],
        capture_output=True, text=True, timeout=timeout)


# -- slapd --------------------------------------------------------------

def test_service_account_finds_alice_with_mail_and_groups(slapd):
    result = ldapsearch(slapd, "dc=example,dc=org", "(uid=alice)",
                        "mail", "memberOf")
    assert result.returncode == 0, result.stderr
    [(dn, attrs)] = directory.parse_ldif(result.stdout)
    assert dn == "uid=alice,ou=people,dc=example,dc=org"
    assert attrs["mail"] == ["alice@example.org"]
    assert sorted(attrs["memberOf"]) == [
        "cn=vpn-admins,ou=groups,dc=example,dc=org",
        "cn=vpn-users,ou=groups,dc=example,dc=org"]


def test_memberof_lists_direct_groups_only(slapd):
    [(_, eve)] = slapd.search(filter="(uid=eve)", attrs=["memberOf"])
    assert eve["memberOf"] == ["cn=engineering,ou=groups,dc=example,dc=org"]
    [(_, eng)] = slapd.search(group_dn("engineering"), scope="base",
                              attrs=["memberOf"])
    assert eng["memberOf"] == ["cn=vpn-users,ou=groups,dc=example,dc=org"]
    assert directory.effective_groups("eve") == ["engineering", "vpn-users"]


@pytest.mark.parametrize("uid", sorted(USERS))
def test_directory_matches_directory_py(slapd, uid):
    user = USERS[uid]
    [(dn, attrs)] = slapd.search(
        user["dn"], scope="base",
        attrs=["uid", "mail", "memberOf", "proxyAddresses"])
    assert dn == user["dn"]
    assert attrs["uid"] == [uid]
    assert attrs.get("mail", []) == user["mail"]
    assert sorted(attrs.get("memberOf", [])) == sorted(
        group_dn(g) for g in user["groups"])
    assert attrs.get("proxyAddresses", []) == user.get("proxyAddresses", [])
    assert slapd.can_bind(user["dn"], user["password"])
    assert not slapd.can_bind(user["dn"], user["password"] + "x")


def test_anonymous_reads_rootdse_but_no_entries(slapd):
    rootdse = slapd.ldap_tool("ldapsearch", ["-LLL", "-s", "base", "-b", "",
                                             "namingContexts"])
    assert "namingContexts: dc=example,dc=org" in rootdse.stdout
    anon = slapd.ldap_tool("ldapsearch", ["-LLL", "-b", slapd.base_dn,
                                          "(uid=alice)"], check=False)
    assert anon.returncode == 32            # noSuchObject: nothing visible
    assert anon.stdout == ""


def test_service_account_cannot_read_password_hashes(slapd):
    [(_, attrs)] = slapd.search(filter="(uid=alice)",
                                attrs=["userPassword", "mail"])
    assert "userPassword" not in attrs
    assert attrs["mail"] == ["alice@example.org"]


def test_slapd_pause_resume_stop_start(slapd):
    port, pid = slapd.port, slapd.pid
    slapd.pause()
    with pytest.raises(subprocess.TimeoutExpired):
        ldapsearch(slapd, slapd.base_dn, "(uid=bob)", timeout=1)
    slapd.resume()
    assert ldapsearch(slapd, slapd.base_dn, "(uid=bob)").returncode == 0

    slapd.stop()
    assert not slapd.is_running
    assert procs.group_members(pid) == []
    down = ldapsearch(slapd, slapd.base_dn, "(uid=bob)")
    assert down.returncode == 255           # cannot contact the server
    slapd.start()
    assert slapd.port == port and slapd.pid != pid
    [(dn, _)] = slapd.search(filter="(uid=bob)")
    assert dn == USERS["bob"]["dn"]


# -- scepserver ---------------------------------------------------------

def test_getcacert_matches_fingerprint(scepserver):
    status, headers, body = http.get(scepserver.url +
                                     "?operation=GetCACert")
    assert status == 200
    assert headers["Content-Type"] == "application/x-x509-ca-cert"
    assert hashlib.sha256(body).hexdigest() == \
        scepserver.ca_fingerprint_sha256
    with open(scepserver.ca_cert_path, "rb") as f:
        assert f.read().startswith(b"-----BEGIN CERTIFICATE-----")
    org = scepserver.ca_cert.subject.get_attributes_for_oid(
        NameOID.ORGANIZATION_NAME)
    assert [a.value for a in org] == ["ngx_scep test CA"]


def test_scepclient_enrolls_and_csr_is_recorded(scepserver, tmp_path):
    name = "fixture-" + uuid.uuid4().hex[:8]
    mark = scepserver.checkpoint()
    result = scepclient.enroll(scepserver.url, name, tmp_path,
                               ca_fingerprint=scepserver.ca_fingerprint_sha256)
    assert result.ok, result.output
    cn = result.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert [a.value for a in cn] == [name]
    assert result.cert.issuer == scepserver.ca_cert.subject
    scepserver.ca_cert.public_key().verify(
        result.cert.signature, result.cert.tbs_certificate_bytes,
        padding.PKCS1v15(), result.cert.signature_hash_algorithm)

    [record] = scepserver.records(since=mark)
    assert ["commonName", name] in record["subject_attrs"]
    assert record["subject"].startswith(f"CN={name},")
    assert record["decision"] == "accepted"
    assert record["reason"] == "accepted"
    assert record["challenge_sha256"] is None
    assert record["public_key_bits"] == 2048
    assert record["signature_hash"] == "sha256"
    with open(record["der_path"], "rb") as f:
        der = f.read()
    assert der[:1] == b"\x30" and len(der) > 500


def test_otp_store_admits_each_password_once(scepserver_otp, tmp_path):
    scep = scepserver_otp
    mark = scep.checkpoint()
    refused = scepclient.enroll(scep.url, "otp-none", tmp_path)
    assert not refused.ok
    assert "badRequest" in refused.output

    otp = "otp-" + uuid.uuid4().hex
    otp_file = scep.add_otp(otp)
    first = scepclient.enroll(scep.url, "otp-first", tmp_path, challenge=otp)
    assert first.ok, first.output
    assert not os.path.exists(otp_file)
    second = scepclient.enroll(scep.url, "otp-second", tmp_path,
                               challenge=otp)
    assert not second.ok

    expired = "otp-" + uuid.uuid4().hex
    expired_file = scep.add_otp(expired, lifetime=-1)
    late = scepclient.enroll(scep.url, "otp-late", tmp_path,
                             challenge=expired)
    assert not late.ok
    assert not os.path.exists(expired_file)

    digest = hashlib.sha256(otp.encode()).hexdigest()
    assert [(r["subject_attrs"][-1][1], r["challenge_sha256"], r["reason"])
            for r in scep.records(since=mark)] == [
        ("otp-none", None, "no challenge"),
        ("otp-first", digest, "accepted"),
        ("otp-second", digest, "unknown or used challenge"),
        ("otp-late", hashlib.sha256(expired.encode()).hexdigest(),
         "expired challenge")]
    with open(os.path.join(scep.records_dir, "index.jsonl")) as f:
        assert otp not in f.read()          # only its digest is kept


def load_verifier():
    spec = importlib.util.spec_from_file_location(
        "csr_verifier", os.path.join(REPO, "tests", "pki", "csr_verifier.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_otp_race_has_exactly_one_winner(tmp_path):
    verifier = load_verifier()
    otp = "raced-password"
    path = tmp_path / hashlib.sha256(otp.encode()).hexdigest()
    path.write_text(json.dumps({"expires": time.time() + 60}))
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        reasons = list(pool.map(
            lambda _: verifier.consume_otp(str(tmp_path), otp), range(16)))
    assert sorted(reasons) == ["accepted"] + \
        ["unknown or used challenge"] * 15
    assert not path.exists()


def test_second_scepserver_has_its_own_ca(scepserver, scepserver_factory,
                                          tmp_path):
    other = scepserver_factory()
    assert other.port != scepserver.port
    assert other.ca_fingerprint_sha256 != scepserver.ca_fingerprint_sha256
    mismatch = scepclient.enroll(
        other.url, "wrong-ca", tmp_path,
        ca_fingerprint=scepserver.ca_fingerprint_sha256)
    assert not mismatch.ok
    assert other.records() == []            # nothing reached its CA
    good = scepclient.enroll(other.url, "right-ca", tmp_path,
                             ca_fingerprint=other.ca_fingerprint_sha256)
    assert good.ok, good.output
    assert good.cert.issuer == other.ca_cert.subject


def test_scepserver_pause_and_resume(scepserver):
    scepserver.pause()
    with pytest.raises(OSError):            # socket.timeout is an OSError
        http.get(scepserver.url + "?operation=GetCACaps", timeout=0.5)
    scepserver.resume()
    status, _, body = http.get(scepserver.url + "?operation=GetCACaps")
    assert status == 200
    assert b"SHA-256" in body


# -- samba's machine-wide lock ------------------------------------------

TAKE_LOCK = """
import sys, time
sys.path.insert(0, %r)
from harness import samba, procs
try:
    fd = samba.take_lock(timeout=float(sys.argv[2]), path=sys.argv[1],
                         say=lambda line: print(line, flush=True))
except procs.StartError as e:
    print("refused:", e, flush=True)
    sys.exit(3)
print("taken", flush=True)
"""


def test_samba_lock_waits_says_so_and_times_out(tmp_path):
    """Two test runs never run two DCs: the second waits for the first
    (another process, as another run is), then gives up with a reason."""
    path = str(tmp_path / "samba.lock")
    script = TAKE_LOCK % os.path.join(REPO, "tests")
    held = samba.take_lock(timeout=1, path=path, say=pytest.fail)
    try:
        result = subprocess.run(["/usr/bin/python3", "-c", script, path,
                                 "1.5"], capture_output=True, text=True,
                                timeout=30)
        assert result.returncode == 3, result.stdout + result.stderr
        assert f"samba: waiting up to 2 s for {path}, held by pid " \
            f"{os.getpid()}" in result.stdout
        assert "refused: samba: " + path + " is still held after 2 s" \
            in result.stdout
    finally:
        os.close(held)
    result = subprocess.run(["/usr/bin/python3", "-c", script, path, "1"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "taken\n"          # no wait, nothing said


def test_samba_lock_is_handed_to_the_waiter(tmp_path):
    path = str(tmp_path / "samba.lock")
    script = TAKE_LOCK % os.path.join(REPO, "tests")
    held = samba.take_lock(timeout=1, path=path)
    waiter = subprocess.Popen(["/usr/bin/python3", "-c", script, path,
                               "60"], stdout=subprocess.PIPE, text=True)
    try:
        line = waiter.stdout.readline()
        assert line.startswith(f"samba: waiting up to 60 s for {path}")
    finally:
        os.close(held)
    out, _ = waiter.communicate(timeout=30)
    assert waiter.returncode == 0
    assert f"{path} taken after" in out and out.endswith("taken\n")


# -- nginx --------------------------------------------------------------

STATIC = """
    server {
        listen 127.0.0.1:@PORT@;
        location /static { return 200 "ok"; }
    }
"""


def test_nginx_t_accepts_the_module(nginx, module_path):
    server = nginx(http=STATIC)
    assert f"load_module {module_path};" in server.conf_text
    ok, output = server.test()
    assert ok, output
    assert "test is successful" in output


def test_nginx_t_sees_the_module_loaded(nginx, module_path):
    # Loading it twice is refused under the module's own name: proof that
    # the first load_module really loaded our module.
    server = nginx(main=f"load_module {module_path};")
    ok, output = server.test()
    assert not ok
    assert 'module "ngx_http_scep_module" is already loaded' in output


def test_nginx_t_reports_file_and_line(nginx):
    server = nginx(http=STATIC + "\n    bogus_directive on;\n")
    line = server.conf_text.splitlines().index("    bogus_directive on;") + 1
    ok, output = server.test()
    assert not ok
    assert (f'unknown directive "bogus_directive" in '
            f'{server.conf_path}:{line}') in output


def test_nginx_serves_static_location_and_stops_cleanly(nginx):
    server = nginx(http=STATIC, workers=2).start()
    assert len(server.worker_pids()) == 2
    status, headers, body = server.request("GET", "/static")
    assert (status, body) == (200, b"ok")
    assert headers["Server"].startswith("nginx")
    assert server.request("GET", "/elsewhere").status == 404
    pid = server.proc.pid
    server.stop()
    assert procs.group_members(pid) == []


def test_nginx_https_listener(nginx):
    server = nginx(http="""
        server {
            listen 127.0.0.1:@PORT@ ssl;
            ssl_certificate @TLS_CERT@;
            ssl_certificate_key @TLS_KEY@;
            location / { return 200 "secure"; }
        }
    """).start()
    status, _, body = server.request("GET", "/", https=True)
    assert (status, body) == (200, b"secure")
    assert server.tls.pin.startswith("pin-sha256:")


def test_nginx_reload_applies_new_conf(nginx):
    conf = """
        server {
            listen 127.0.0.1:@PORT@;
            location / { return 200 "%s"; }
        }
    """
    server = nginx(http=conf % "one").start()
    assert server.request("GET", "/").body == b"one"
    before = server.worker_pids()
    server.configure(http=conf % "two")
    server.reload()
    assert server.request("GET", "/").body == b"two"
    assert not set(server.worker_pids()) & set(before)


def test_nginx_crash_is_detected(tmp_path, module_path):
    # Not the fixture: its teardown would (rightly) fail this test.
    server = Nginx(tmp_path / "crash", http=STATIC, module=module_path)
    try:
        server.start()
        assert server.crash_lines() == []
        [worker] = server.worker_pids()
        os.kill(worker, signal.SIGSEGV)
        procs.wait_until(lambda: server.crash_lines(), 5, "crash line")
        assert f"worker process {worker} exited on signal 11" in \
            server.crash_lines()[0]
    finally:
        server.stop()
