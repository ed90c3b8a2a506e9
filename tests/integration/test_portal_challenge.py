"""The challenge password through the portal, end to end: a fresh
one-time password from the NDES-style challenge service for every login,
handed to the agent in push mode and accepted once by the CA; every
error the challenge service can produce, as the agent and the log see
it; the TLS, mutual TLS and FIPS rules of the connection to the PKI; a
stalled challenge service that never blocks other traffic; fixed and no
challenge.

The PKI: tests/pki/ndes_challenge.py behind a second nginx as HTTPS front
(tests/pki/tls_front.py), sharing its one-time passwords with the CSR
verifier of micromdm's scepserver (see harness/pki.py).
"""

import concurrent.futures
import hashlib
import os
import re
import signal
import ssl
import time
import xml.etree.ElementTree as ET

import pytest

from harness import http, portal
from harness.pki import (ACCOUNT, ACCOUNT_PASSWORD, DENIED_ACCOUNT,
                         agent_enroll, dynamic_challenge, scep_settings)

GETCONFIG = "/global-protect/getconfig.esp"
SUBJECT = '"C=US,O=Example,OU=VPN,CN=$USERNAME"'
CLIENT = ", client: 127.0.0.1,"

MSG_CACHE_FULL = "The PKI's challenge password cache is full, try again later"
MSG_PERMISSION = ("The portal's PKI account may not enroll with SCEP; "
                  "tell your administrator")
MSG_ACCOUNT = "The PKI refused the portal's account; tell your administrator"
MSG_NO_PASSWORD = "The PKI did not give a challenge password, try again later"
MSG_TIMEOUT = "The PKI did not answer in time, try again later"
MSG_TLS = ("The portal could not make a trusted connection to the PKI; "
           "tell your administrator")

# the shape of a one-time password: no log may hold one
OTP_TEXT = re.compile(r"\b[0-9A-F]{32}\b")


# -- the portal ------------------------------------------------------------

def start_portal(nginx, slapd, **profile):
    """The usual portal with one push profile "staff" for everybody."""
    profile.setdefault("subject", SUBJECT)
    conf = (portal.directory_block(slapd)
            + portal.profile_block("staff", **profile)
            + portal.portal_server("        scep_default_profile staff;"))
    server = nginx(http=conf)
    server.start()
    return server


def dynamic_portal(nginx, slapd, pki, tls_pki, mode="", **overrides):
    settings = dynamic_challenge(pki, tls_pki, mode)
    settings.update(overrides)
    settings.setdefault("scep_url", "https://127.0.0.1:9/scep")
    return start_portal(nginx, slapd, **settings)


def login(server, user="alice", timeout=30):
    return http.post_form(server.url(GETCONFIG), portal.login(user),
                          timeout=timeout)


def timed_login(server, user="alice"):
    started = time.monotonic()
    response = login(server, user)
    return response, time.monotonic() - started


def settings_of(response):
    assert response.status == 200, response
    assert response.headers.get("Cache-Control") == "no-store"
    return scep_settings(response.body)


def error_message(response):
    root = ET.fromstring(response.body)
    assert root.tag == "response" and root.get("status") == "error", \
        response.body
    return root.findtext("error")


def otp_name(password):
    """The OTP store's name of a password."""
    return hashlib.sha256(password.encode()).hexdigest()


def logs(server):
    text = server.error_log() + server.stderr()
    try:
        with open(os.path.join(server.prefix, "logs", "access.log"),
                  encoding="utf-8", errors="replace") as f:
            text += f.read()
    except FileNotFoundError:
        pass
    return text


def assert_no_secret(server, *secrets):
    """Neither the account's password nor any one-time password (those
    given, or anything shaped like one) is in nginx's logs."""
    text = logs(server)
    for secret in (ACCOUNT_PASSWORD,) + secrets:
        assert secret not in text, f"a secret is in {server.prefix}/logs"
    assert not OTP_TEXT.search(text), OTP_TEXT.search(text).group(0)


def challenge_error_lines(server):
    return [line for line in server.error_log().splitlines()
            if 'scep portal: profile "staff": challenge: ' in line]


def audit_lines(server):
    return [line for line in server.error_log().splitlines()
            if "scep audit: " in line]


def assert_challenge_error(server, response, status, message, code,
                           log_message, count=1):
    """The agent's answer, the [error] line (log_message: a regular
    expression of the whole sentence) and the audit line of a login that
    failed on the challenge."""
    assert response.status == status, response
    assert response.headers.get("Cache-Control") == "no-store"
    assert error_message(response) == message
    assert b"<challenge" not in response.body

    lines = challenge_error_lines(server)
    assert len(lines) == count, lines
    for line in lines:
        assert re.search(r"\[error\] \d+#\d+: \*\d+ scep portal: profile "
                         r'"staff": challenge: ' + re.escape(code) + ": "
                         + log_message + re.escape(CLIENT), line), line

    audit = audit_lines(server)[-1]
    assert "[notice]" in audit, audit
    assert (f'scep audit: client=127.0.0.1 result=failed status={status} '
            'login="alice" user="alice" ') in audit, audit
    assert ' profile="staff" mode=push challenge=dynamic ' in audit, audit
    assert (r' reason="profile \"staff\": challenge: ' + code + ": ") \
        in audit, audit


# -- 1. push mode: a one-time password, used once --------------------------

@pytest.fixture
def pki_with_ca(challenge_pki, scepserver_otp):
    """The challenge service sharing its OTP store with scepserver's
    verifier, both behind the HTTPS front."""
    return challenge_pki(scepserver=scepserver_otp)


def enrolling_portal(nginx, slapd, pki, tls_pki, **overrides):
    ca = pki.scepserver
    settings = dict(scep_url=pki.scep_url,
                    ca_fingerprint=ca.ca_fingerprint_sha256)
    settings.update(overrides)
    return dynamic_portal(nginx, slapd, pki, tls_pki, **settings)


def cacert_fingerprint(url, root):
    """SHA-256 (upper-case hex, ':' joined) of the CA certificate that
    GetCACert answers at url, fetched over https checked against root."""
    context = ssl.create_default_context(cafile=root)
    response = http.get(url + "?operation=GetCACert&message=test-ca",
                        context=context)
    assert response.status == 200, response
    digest = hashlib.sha256(response.body).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def test_pushed_one_time_password_enrolls_through_the_front(
        nginx, slapd, pki_with_ca, tls_pki, tmp_path):
    pki = pki_with_ca
    ca = pki.scepserver
    server = enrolling_portal(nginx, slapd, pki, tls_pki, key_bits=3072)
    since = ca.checkpoint()

    settings = settings_of(login(server))

    assert settings.mode == "push"
    assert settings.server_url == pki.scep_url
    assert settings.server_url.startswith("https://")
    assert settings.rdns == [("C", "US"), ("O", "Example"), ("OU", "VPN"),
                             ("CN", "alice")]
    assert settings.subject == "CN=alice,OU=VPN,O=Example,C=US"
    assert settings.key_bits == 3072
    assert settings.challenge_type == "dynamic"
    assert re.fullmatch(r"[0-9A-F]{32}", settings.challenge), settings
    assert pki.outstanding() == [otp_name(settings.challenge)]
    # the pinned fingerprint is that of the CA the front serves
    assert settings.fingerprint_algorithm == "sha256"
    assert settings.fingerprint == cacert_fingerprint(pki.scep_url,
                                                      tls_pki["root"])

    enrolled = agent_enroll(settings, tmp_path, trusted_root=tls_pki["root"])

    assert enrolled.ok, enrolled.output
    assert [(a.rfc4514_attribute_name, a.value)
            for a in enrolled.cert.subject] == settings.rdns
    assert enrolled.cert.issuer == ca.ca_cert.subject
    assert enrolled.cert.public_key().key_size == 3072
    [record] = ca.records(since)
    assert record["decision"] == "accepted" and record["otp_store"]
    assert record["challenge_sha256"] == otp_name(settings.challenge)
    assert record["subject"] == settings.subject
    # used: gone from the store
    assert pki.outstanding() == []
    assert_no_secret(server, settings.challenge)


def test_a_used_password_is_refused_by_the_ca(nginx, slapd, pki_with_ca,
                                              tls_pki, tmp_path):
    pki = pki_with_ca
    ca = pki.scepserver
    server = enrolling_portal(nginx, slapd, pki, tls_pki)
    settings = settings_of(login(server))
    since = ca.checkpoint()

    first = agent_enroll(settings, tmp_path, trusted_root=tls_pki["root"])
    again = agent_enroll(settings, tmp_path, trusted_root=tls_pki["root"])

    assert first.ok, first.output
    assert not again.ok and again.cert is None, again.output
    records = ca.records(since)
    assert [(r["decision"], r["reason"]) for r in records] == [
        ("accepted", "accepted"), ("refused", "unknown or used challenge")]
    assert records[1]["challenge_sha256"] == otp_name(settings.challenge)


def test_each_login_gets_its_own_password(nginx, slapd, pki_with_ca,
                                          tls_pki, tmp_path):
    pki = pki_with_ca
    ca = pki.scepserver
    server = enrolling_portal(nginx, slapd, pki, tls_pki)

    alice = settings_of(login(server, "alice"))
    again = settings_of(login(server, "alice"))
    bob = settings_of(login(server, "bob"))

    passwords = [alice.challenge, again.challenge, bob.challenge]
    assert len(set(passwords)) == 3, "a password was handed out twice"
    assert pki.outstanding() == sorted(otp_name(p) for p in passwords)

    # each stays outstanding until its own enrollment uses it
    since = ca.checkpoint()
    assert agent_enroll(bob, tmp_path, trusted_root=tls_pki["root"]).ok
    assert pki.outstanding() == sorted(otp_name(p) for p in passwords[:2])
    assert [r["subject"] for r in ca.records(since)] == \
        ["CN=bob,OU=VPN,O=Example,C=US"]
    assert_no_secret(server, *passwords)


# -- 2. what the challenge service says, as agent and log see it -----------

def url_of(pki, mode=""):
    return re.escape(pki.admin_url(mode))


def cache_full_sentence(_pki):
    return re.escape("the challenge service's password cache is full: NDES "
                     "keeps few unused passwords (5 by default) until they "
                     "are used or expire (60 minutes by default); wait for "
                     "them to expire, or raise PasswordMax on the NDES "
                     "server")


def refused(status):
    return lambda pki: re.escape(
        f"the challenge service refused the account ndes-admin (HTTP "
        f"{status}); check the challenge account, its password and the "
        f"authentication method (basic)")


# id, challenge page mode, service options, profile overrides, status,
# agent message, code, log sentence (pki -> regular expression)
ERRORS = [
    ("permission", "", {}, {"challenge_username": DENIED_ACCOUNT}, 502,
     MSG_PERMISSION, "challenge_permission",
     lambda pki: re.escape(
         "the challenge service says the challenge account may not enroll "
         "with SCEP: grant it Enroll on the certificate template NDES "
         "uses")),
    ("wrong-account-password", "", {},
     {"challenge_password": '"not the Password 9"'}, 502, MSG_ACCOUNT,
     "challenge_auth", refused(401)),
    ("http-403", "403", {}, {}, 502, MSG_ACCOUNT, "challenge_auth",
     refused(403)),
    ("http-500", "500", {}, {}, 502, MSG_NO_PASSWORD, "challenge_status",
     lambda pki: (r"the challenge service at " + url_of(pki, "500")
                  + r" answered HTTP 500 instead of a challenge page")),
    ("no-password", "nopassword", {}, {}, 502, MSG_NO_PASSWORD,
     "challenge_no_password",
     lambda pki: re.escape(
         'the challenge page has no password: it lacks "The enrollment '
         'challenge password is:"; check that the URL is the NDES '
         'mscep_admin page')),
    ("oversized", "oversized", {}, {}, 502, MSG_NO_PASSWORD,
     "http_too_large",
     lambda pki: (r"the challenge service at " + url_of(pki, "oversized")
                  + r" sent an answer larger than 65536 bytes; it was "
                  r"refused")),
    ("oversized-with-length", "oversized-cl", {}, {}, 502, MSG_NO_PASSWORD,
     "http_too_large",
     lambda pki: (r"the challenge service at "
                  + url_of(pki, "oversized-cl")
                  + r" sent an answer larger than 65536 bytes; it was "
                  r"refused")),
    ("timeout", "stall", {"stall": 5}, {"timeout": "1s",
                                        "connect_timeout": "1s"},
     504, MSG_TIMEOUT, "http_timeout",
     lambda pki: (r"the challenge service at " + url_of(pki, "stall")
                  + r" did not answer within 1000 ms")),
]


@pytest.mark.parametrize(
    "mode,service,overrides,status,message,code,log_message",
    [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS])
def test_challenge_error(nginx, slapd, challenge_pki, tls_pki, mode,
                         service, overrides, status, message, code,
                         log_message):
    pki = challenge_pki(**service)
    server = dynamic_portal(nginx, slapd, pki, tls_pki, mode, **overrides)

    response, elapsed = timed_login(server)

    assert_challenge_error(server, response, status, message, code,
                           log_message(pki))
    assert pki.outstanding() == []
    assert_no_secret(server, "not the Password 9")
    if code == "http_timeout":
        assert 0.9 < elapsed < 2.5, elapsed


def test_challenge_cache_full(nginx, slapd, challenge_pki, tls_pki):
    pki = challenge_pki(cache_size=2)
    server = dynamic_portal(nginx, slapd, pki, tls_pki)
    issued = [settings_of(login(server)).challenge for _ in range(2)]

    response = login(server)

    assert_challenge_error(server, response, 502, MSG_CACHE_FULL,
                           "challenge_cache_full", cache_full_sentence(pki))
    assert pki.outstanding() == sorted(otp_name(p) for p in issued)
    assert_no_secret(server, *issued)

    # one used (the CA's verifier unlinks it): the next login gets one
    os.unlink(os.path.join(pki.service.otp_dir, otp_name(issued[0])))
    later = settings_of(login(server)).challenge
    assert later not in issued
    assert pki.outstanding() == sorted(otp_name(p)
                                       for p in (issued[1], later))


def test_tls_handshake_failure(nginx, slapd, challenge_pki, tls_pki):
    # https to the service's plain-http port: no TLS server answers
    pki = challenge_pki(front=False)
    url = pki.admin_url().replace("http://", "https://")
    server = dynamic_portal(nginx, slapd, pki, tls_pki, challenge_url=url)

    response = login(server)

    assert_challenge_error(
        server, response, 502, MSG_TLS, "http_tls",
        r"the TLS handshake with the challenge service at "
        + re.escape(url) + r" failed \(.+\)")
    assert pki.outstanding() == []
    assert_no_secret(server)


# -- 3. TLS rules of the connection to the PKI ------------------------------

def test_untrusted_root_is_refused(nginx, slapd, challenge_pki, tls_pki):
    pki = challenge_pki()
    server = dynamic_portal(nginx, slapd, pki, tls_pki,
                            tls_trusted_certificate=tls_pki["other_root"])

    response = login(server)

    assert_challenge_error(
        server, response, 502, MSG_TLS, "http_tls",
        r"the certificate of the challenge service at "
        + url_of(pki) + r" is not trusted by tls_trusted_certificate "
        + re.escape(tls_pki["other_root"]) + r" \(.+\)")
    assert pki.outstanding() == []


def test_host_name_mismatch_is_refused(nginx, slapd, challenge_pki,
                                       tls_pki):
    # signed by the trusted root, for another host name
    pki = challenge_pki(server_cert="wronghost")
    server = dynamic_portal(nginx, slapd, pki, tls_pki)

    response = login(server)

    assert_challenge_error(
        server, response, 502, MSG_TLS, "http_tls",
        r"the certificate of the challenge service does not match the host "
        r"name in " + url_of(pki) + r" \(.+\)")
    assert pki.outstanding() == []


def test_mutual_tls_without_client_certificate(nginx, slapd, challenge_pki,
                                               tls_pki):
    pki = challenge_pki(client_ca="root")
    server = dynamic_portal(nginx, slapd, pki, tls_pki)

    response = login(server)

    assert_challenge_error(
        server, response, 502, MSG_TLS, "http_tls",
        r"the challenge service at " + url_of(pki) + r" requires a client "
        r"certificate and the profile has none \(tls_certificate\)")
    assert pki.outstanding() == []


def test_mutual_tls_with_client_certificate(nginx, slapd, challenge_pki,
                                            tls_pki):
    pki = challenge_pki(client_ca="root")
    server = dynamic_portal(nginx, slapd, pki, tls_pki,
                            tls_certificate=tls_pki["client"],
                            tls_certificate_key=tls_pki["client_key"])

    settings = settings_of(login(server))

    assert settings.challenge_type == "dynamic"
    assert pki.outstanding() == [otp_name(settings.challenge)]
    assert challenge_error_lines(server) == []
    assert_no_secret(server, settings.challenge)


def test_fips_refuses_an_http_challenge_url(nginx, slapd, challenge_pki,
                                            tls_pki):
    pki = challenge_pki(front=False)
    settings = dynamic_challenge(pki, tls_pki, fips="on")
    conf = (portal.directory_block(slapd)
            + portal.profile_block("staff", scep_url="https://127.0.0.1:9/s",
                                   **settings)
            + portal.portal_server("        scep_default_profile staff;"))
    server = nginx(http=conf)

    ok, output = server.test()

    assert not ok, output
    emerg = [line for line in output.splitlines() if "[emerg]" in line]
    assert len(emerg) == 1, output
    line = server.conf_text.splitlines().index(
        f"    challenge_url {pki.admin_url()};") + 1
    assert re.search(r'\[emerg\] (\d+#\d+: )?scep_profile "staff": '
                     r'challenge_url: '
                     r'challenge_url must use https:// when fips is on in '
                     + re.escape(server.conf_path) + f":{line}$",
                     emerg[0]), emerg[0]


def test_fips_profile_over_https(nginx, slapd, challenge_pki, tls_pki):
    pki = challenge_pki()
    server = dynamic_portal(nginx, slapd, pki, tls_pki, fips="on")

    settings = settings_of(login(server))

    assert settings.challenge_type == "dynamic"
    assert pki.outstanding() == [otp_name(settings.challenge)]


# -- 4. a stalled challenge service ----------------------------------------

STALL_TIMEOUT = 2.0


def test_stalled_service_never_blocks_the_event_loop(nginx, slapd,
                                                     challenge_pki,
                                                     tls_pki):
    # room for the passwords the service hands out to the stalled
    # requests once it runs again
    pki = challenge_pki(cache_size=50)
    server = dynamic_portal(nginx, slapd, pki, tls_pki, timeout="2s",
                            connect_timeout="1s")
    assert login(server).status == 200
    static = server.url("/static")
    pid = pki.service.proc.pid
    logins = 8

    os.kill(pid, signal.SIGSTOP)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=logins)
    try:
        started = time.monotonic()
        pending = [pool.submit(timed_login, server) for _ in range(logins)]

        answered = 0
        while time.monotonic() - started < STALL_TIMEOUT - 0.5:
            asked = time.monotonic()
            response = http.get(static, timeout=1)
            assert response.status == 200
            assert response.body == b"static\n"
            assert time.monotonic() - asked < 0.5
            answered += 1
        assert answered >= 10, answered
        assert not any(f.done() for f in pending), \
            "a login ended while the challenge service was stopped"

        results = [f.result(timeout=30) for f in pending]
    finally:
        os.kill(pid, signal.SIGCONT)
        pool.shutdown(wait=True)

    for response, elapsed in results:
        assert response.status == 504, response
        assert error_message(response) == MSG_TIMEOUT
        assert STALL_TIMEOUT - 0.1 < elapsed < STALL_TIMEOUT + 1.5, elapsed
    lines = challenge_error_lines(server)
    assert len(lines) == logins, lines
    assert all(f"challenge: http_timeout: the challenge service at "
               f"{pki.admin_url()} did not answer within 2000 ms{CLIENT}"
               in line for line in lines), lines

    # running again: the next login gets its password, no reload needed
    settings = settings_of(login(server))
    assert otp_name(settings.challenge) in pki.outstanding()
    assert "exited on signal" not in server.error_log()
    assert_no_secret(server, settings.challenge)


# -- 5. fixed and no challenge ----------------------------------------------

def test_fixed_challenge_from_the_configuration(nginx, slapd):
    server = start_portal(nginx, slapd, challenge="fixed",
                          challenge_password='"Fixed Secret:1"')

    settings = settings_of(login(server))

    assert settings.challenge_type == "fixed"
    assert settings.challenge == "Fixed Secret:1"
    assert_no_secret(server, "Fixed Secret:1")


def test_fixed_challenge_from_a_file(nginx, slapd, tmp_path):
    path = tmp_path / "challenge.password"
    path.write_text("File-Secret-2\n")
    server = start_portal(nginx, slapd, challenge="fixed",
                          challenge_password_file=str(path))

    settings = settings_of(login(server))

    assert settings.challenge_type == "fixed"
    assert settings.challenge == "File-Secret-2"
    assert_no_secret(server, "File-Secret-2")


def test_no_challenge(nginx, slapd):
    server = start_portal(nginx, slapd, challenge="none")

    response = login(server)
    settings = settings_of(response)

    assert settings.challenge is None
    assert b"<challenge" not in response.body
    assert settings.rdns[-1] == ("CN", "alice")
    assert 'challenge=none' in audit_lines(server)[-1]


# -- 6. NTLM, as NDES usually asks -------------------------------------------

@pytest.mark.parametrize("auth", ["ntlm", "any"])
def test_ntlm_account_gets_a_password(nginx, slapd, challenge_pki, auth):
    # NTLM authenticates a connection, which a reverse proxy does not
    # keep: the portal talks to the service directly here
    pki = challenge_pki(front=False, auth="ntlm", domain="EXAMPLE")
    server = start_portal(
        nginx, slapd, challenge="dynamic",
        challenge_url=pki.admin_url(),
        challenge_username=f'"{ACCOUNT}"',
        challenge_password=f'"{ACCOUNT_PASSWORD}"',
        challenge_auth=auth)

    settings = settings_of(login(server))

    assert settings.challenge_type == "dynamic"
    assert otp_name(settings.challenge) in pki.outstanding()
    assert_no_secret(server, settings.challenge)


def test_ntlm_wrong_password_is_refused(nginx, slapd, challenge_pki):
    pki = challenge_pki(front=False, auth="ntlm", domain="EXAMPLE")
    server = start_portal(
        nginx, slapd, challenge="dynamic",
        challenge_url=pki.admin_url(),
        challenge_username=f'"{ACCOUNT}"',
        challenge_password='"not-the-password"',
        challenge_auth="ntlm")

    response = login(server)

    assert response.status == 502
    assert error_message(response) == MSG_ACCOUNT
    assert "challenge: challenge_auth:" in server.error_log()
    assert pki.outstanding() == []
