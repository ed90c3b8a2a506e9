"""The dynamic challenge against the real parts: scep_challenge_obtain
(through tests/pki/challenge_probe.c) talks to ndes_challenge.py directly
and through a second nginx as TLS front, with every failure the PKI can
produce.  Each test checks the error code name and the key phrase of the
message; a success is checked in the OTP store the CA's verifier reads.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'pki'))

from make_tls_pki import make_tls_pki               # noqa: E402
from ndes_challenge import ADMIN_PATH, ChallengeService   # noqa: E402
from tls_front import TlsFront                       # noqa: E402

USER = 'ndes-admin'
PASSWORD = 'Pa55:word with spaces'
DENIED = 'no-enroll'

PROBE_SOURCES = ['tests/pki/challenge_probe.c', 'scep/scep_challenge.c',
                 'scep/scep_http.c', 'scep/scep_ndes.c', 'scep/scep_error.c',
                 'scep/scep_bound.c', 'scep/scep_bound_csr.c',
                 'scep/scep_bound_grant.c', 'scep/scep_san.c',
                 'scep/scep_subject.c', 'scep/scep_syntax.c',
                 'scep/scep_settings.c', 'scep/scep_utf8.c',
                 'scep/scep_keyring.c', 'scep/scep_base64.c']


@pytest.fixture(scope='session')
def probe(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('probe') / 'challenge_probe')
    cmd = (['gcc', '-std=c11', '-D_GNU_SOURCE', '-g', '-O2', '-Wall',
            '-Wextra', '-Werror', '-I', REPO, '-o', out]
           + [os.path.join(REPO, s) for s in PROBE_SOURCES]
           + ['-lcurl', '-lssl', '-lcrypto'])
    built = subprocess.run(cmd, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return out


@pytest.fixture(scope='session')
def pki(tmp_path_factory):
    return make_tls_pki(str(tmp_path_factory.mktemp('tls-pki')))


class Outcome:
    def __init__(self, completed, elapsed):
        self.stdout = completed.stdout
        self.elapsed = elapsed
        self.ok = completed.returncode == 0
        m = re.match(r'ok len=(\d+) sha256=([0-9a-f]{64})$', self.stdout)
        self.length = int(m.group(1)) if m else None
        self.sha256 = m.group(2) if m else None
        m = re.match(r'error (\w+) field=(\S*): (.*)$', self.stdout)
        self.code = m.group(1) if m else None
        self.field = m.group(2) if m else None
        self.message = m.group(3) if m else ''
        assert self.ok == (self.sha256 is not None), self.stdout
        assert completed.returncode in (0, 1), completed.stderr

    def __repr__(self):
        return self.stdout


def run_probe(probe, url, user=USER, password=PASSWORD, auth=None,
              tls=(), extra=(), challenge='dynamic'):
    cmd = [probe, '--challenge', challenge, '--url', url, '--user', user]
    if auth:
        cmd += ['--auth', auth]
    cmd += list(tls) + list(extra)
    env = dict(os.environ, SCEP_PROBE_PASSWORD=password)
    start = time.monotonic()
    completed = subprocess.run(cmd, env=env, capture_output=True, text=True,
                               timeout=60)
    outcome = Outcome(completed, time.monotonic() - start)
    # whatever happened, no password on the way out
    assert not re.search(r'[0-9A-F]{32}', completed.stdout + completed.stderr)
    assert PASSWORD not in completed.stdout + completed.stderr
    return outcome


def assert_error(outcome, code, phrase):
    assert not outcome.ok, outcome
    assert outcome.code == code, outcome
    assert phrase in outcome.message, outcome


class Target:
    """The challenge service as a client reaches it: directly over HTTP,
    or through the nginx TLS front."""

    def __init__(self, probe, service, front=None, tls=()):
        self.probe = probe
        self.service = service
        self.front = front
        self.tls = list(tls)

    def url(self, mode=''):
        if self.front is not None:
            return self.front.url(ADMIN_PATH + mode)
        return self.service.url(mode)

    def run(self, mode='', **kw):
        kw.setdefault('tls', self.tls)
        return run_probe(self.probe, self.url(mode), **kw)


@pytest.fixture
def stop_later():
    running = []
    yield running.append
    for thing in reversed(running):
        thing.stop()


def start_service(tmp_path, stop_later, name='ndes', **options):
    options.setdefault('cache_size', 3)
    options.setdefault('denied_user', DENIED)
    service = ChallengeService(str(tmp_path / name), USER, PASSWORD,
                               **options)
    stop_later(service)
    return service.start()


def start_front(tmp_path, stop_later, cert, key, port, name='front',
                client_ca=None):
    front = TlsFront(str(tmp_path / name), cert, key, client_ca=client_ca,
                     challenge_port=port)
    stop_later(front)
    return front.start()


@pytest.fixture(params=['direct', 'tls_front'])
def target(request, probe, pki, tmp_path, stop_later):
    service = start_service(tmp_path, stop_later)
    if request.param == 'direct':
        return Target(probe, service)
    front = start_front(tmp_path, stop_later, pki['server'],
                        pki['server_key'], service.port)
    return Target(probe, service, front, ['--trusted-ca', pki['root']])


def assert_outstanding(service, outcomes):
    names = service.outstanding()
    for outcome in outcomes:
        assert outcome.sha256 in names
        with open(os.path.join(service.otp_dir, outcome.sha256)) as f:
            expires = json.load(f)['expires']
        assert 3500 < expires - time.time() <= 3600


# Success: every call a new password, each one in the OTP store.

def test_each_call_gets_a_new_password(target):
    first = target.run()
    second = target.run()

    assert first.ok and second.ok, (first, second)
    assert first.length == 32 and second.length == 32
    assert first.sha256 != second.sha256
    assert target.service.outstanding() == sorted([first.sha256,
                                                   second.sha256])
    assert_outstanding(target.service, [first, second])


@pytest.mark.parametrize('auth', ['basic', 'ntlm', 'any'])
def test_authentication_methods(probe, tmp_path, stop_later, auth):
    # NTLM authenticates a connection, which a proxy does not keep: direct
    service = start_service(tmp_path, stop_later)
    outcome = run_probe(probe, service.url(), auth=auth)

    assert outcome.ok, outcome
    assert service.outstanding() == [outcome.sha256]


def test_utf8_and_bomless_pages(probe, tmp_path, stop_later):
    for encoding in ('utf-8', 'utf-16le-nobom'):
        service = start_service(tmp_path, stop_later, name=encoding,
                                encoding=encoding)
        outcome = run_probe(probe, service.url())
        assert outcome.ok, outcome
        assert service.outstanding() == [outcome.sha256]


# The service says no.

def test_wrong_password_is_refused(target):
    outcome = target.run(password='not the password')

    assert_error(outcome, 'challenge_auth',
                 'refused the account ndes-admin (HTTP 401)')
    assert outcome.field == 'challenge_username'
    assert target.service.outstanding() == []


def test_unknown_account_is_refused(target):
    outcome = target.run(user='somebody')

    assert_error(outcome, 'challenge_auth',
                 'refused the account somebody (HTTP 401)')


@pytest.mark.parametrize('auth', ['ntlm', 'any'])
def test_ntlm_wrong_password_is_refused(probe, tmp_path, stop_later, auth):
    service = start_service(tmp_path, stop_later)
    outcome = run_probe(probe, service.url(), auth=auth,
                        password='not the password')

    assert_error(outcome, 'challenge_auth', '(HTTP 401)')
    assert service.outstanding() == []


def test_ntlm_profile_against_basic_only_service(probe, tmp_path,
                                                 stop_later):
    service = start_service(tmp_path, stop_later, auth='basic')
    outcome = run_probe(probe, service.url(), auth='ntlm')

    assert_error(outcome, 'challenge_auth', 'authentication method (ntlm)')


def test_cache_full(target):
    issued = [target.run() for _ in range(3)]
    assert all(o.ok for o in issued), issued

    full = target.run()
    assert_error(full, 'challenge_cache_full', 'password cache is full')
    assert full.field == 'challenge_url'
    assert len(target.service.outstanding()) == 3

    # the CA's verifier consumes a password by unlinking its file
    os.unlink(os.path.join(target.service.otp_dir, issued[0].sha256))
    again = target.run()
    assert again.ok, again
    assert again.sha256 not in [o.sha256 for o in issued]


def test_expired_passwords_leave_the_cache(probe, tmp_path, stop_later):
    service = start_service(tmp_path, stop_later, cache_size=1, expiry=1)
    first = run_probe(probe, service.url())
    assert first.ok, first
    assert_error(run_probe(probe, service.url()), 'challenge_cache_full',
                 'password cache is full')

    deadline = time.monotonic() + 10
    while True:
        later = run_probe(probe, service.url())
        if later.ok or time.monotonic() > deadline:
            break
        assert later.code == 'challenge_cache_full', later
    assert later.ok, later
    assert service.outstanding() == [later.sha256]


def test_permission_page(target):
    outcome = target.run(user=DENIED)

    assert_error(outcome, 'challenge_permission',
                 'may not enroll with SCEP')
    assert outcome.field == 'challenge_username'
    assert target.service.outstanding() == []


def test_permission_page_with_403(target):
    outcome = target.run('denied403')

    assert_error(outcome, 'challenge_permission',
                 'may not enroll with SCEP')


def test_plain_403(target):
    outcome = target.run('403')

    assert_error(outcome, 'challenge_auth',
                 'refused the account ndes-admin (HTTP 403)')


def test_other_status(target):
    outcome = target.run('500')

    assert_error(outcome, 'challenge_status', 'answered HTTP 500')
    assert outcome.field == 'challenge_url'


def test_page_without_password(target):
    outcome = target.run('nopassword')

    assert_error(outcome, 'challenge_no_password',
                 'the challenge page has no password')


@pytest.mark.parametrize('mode', ['oversized', 'oversized-cl'])
def test_page_too_large(target, mode):
    outcome = target.run(mode)

    assert_error(outcome, 'http_too_large',
                 'sent an answer larger than 65536 bytes')


# The service does not answer.

def test_stalled_answer_times_out(target):
    outcome = target.run('stall', extra=['--timeout-ms', '700'])

    assert_error(outcome, 'http_timeout', 'did not answer within 700 ms')
    assert 0.6 < outcome.elapsed < 3.0, outcome.elapsed


def test_stopped_service_times_out_then_recovers(target):
    os.kill(target.service.proc.pid, signal.SIGSTOP)
    try:
        outcome = target.run(extra=['--timeout-ms', '1000'])
    finally:
        os.kill(target.service.proc.pid, signal.SIGCONT)

    assert_error(outcome, 'http_timeout', 'did not answer within 1000 ms')
    assert 0.9 < outcome.elapsed < 3.5, outcome.elapsed

    after = target.run()
    assert after.ok, after


def test_refused_connection(probe, tmp_path, stop_later):
    service = start_service(tmp_path, stop_later)
    url = service.url()
    service.stop()

    outcome = run_probe(probe, url)
    assert_error(outcome, 'http_connect', 'could not connect to the '
                 'challenge service at ' + url)


# TLS rules.

def test_untrusted_root(probe, pki, tmp_path, stop_later):
    service = start_service(tmp_path, stop_later)
    front = start_front(tmp_path, stop_later, pki['server'],
                        pki['server_key'], service.port)

    outcome = run_probe(probe, front.url(ADMIN_PATH),
                        tls=['--trusted-ca', pki['other_root']])

    assert_error(outcome, 'http_tls', 'is not trusted by '
                 'tls_trusted_certificate ' + pki['other_root'])
    assert service.outstanding() == []


def test_host_name_mismatch(probe, pki, tmp_path, stop_later):
    service = start_service(tmp_path, stop_later)
    front = start_front(tmp_path, stop_later, pki['wronghost'],
                        pki['wronghost_key'], service.port)

    outcome = run_probe(probe, front.url(ADMIN_PATH),
                        tls=['--trusted-ca', pki['root']])

    assert_error(outcome, 'http_tls', 'does not match the host name')
    assert service.outstanding() == []


def test_mutual_tls_front(probe, pki, tmp_path, stop_later):
    service = start_service(tmp_path, stop_later)
    front = start_front(tmp_path, stop_later, pki['server'],
                        pki['server_key'], service.port,
                        client_ca=pki['root'])
    trust = ['--trusted-ca', pki['root']]

    without = run_probe(probe, front.url(ADMIN_PATH), tls=trust)
    assert_error(without, 'http_tls', 'requires a client certificate and '
                 'the profile has none (tls_certificate)')
    assert without.field == 'tls_certificate'
    assert service.outstanding() == []

    with_cert = run_probe(probe, front.url(ADMIN_PATH),
                          tls=trust + ['--client-cert', pki['client'],
                                       '--client-key', pki['client_key']])
    assert with_cert.ok, with_cert
    assert service.outstanding() == [with_cert.sha256]


def test_mutual_tls_alert_from_service(probe, pki, tmp_path, stop_later):
    # a server that ends the handshake (TLS 1.3 "certificate required")
    # rather than answering 400 as nginx does
    service = start_service(tmp_path, stop_later, tls_cert=pki['server'],
                            tls_key=pki['server_key'],
                            tls_client_ca=pki['root'])
    trust = ['--trusted-ca', pki['root']]

    without = run_probe(probe, service.url(), tls=trust)
    assert_error(without, 'http_tls', 'requires a client certificate and '
                 'the profile has none (tls_certificate)')

    with_cert = run_probe(probe, service.url(),
                          tls=trust + ['--client-cert', pki['client'],
                                       '--client-key', pki['client_key']])
    assert with_cert.ok, with_cert
    assert service.outstanding() == [with_cert.sha256]


def test_plain_http_port_with_https_url(probe, pki, tmp_path, stop_later):
    service = start_service(tmp_path, stop_later)
    url = service.url().replace('http://', 'https://')

    outcome = run_probe(probe, url, tls=['--trusted-ca', pki['root']])
    assert_error(outcome, 'http_tls', 'TLS handshake with the challenge '
                 'service')


# FIPS.

def test_fips_refuses_http(probe, tmp_path, stop_later):
    service = start_service(tmp_path, stop_later)

    outcome = run_probe(probe, service.url(), extra=['--fips'])

    assert_error(outcome, 'config', 'FIPS mode allows only https URLs')
    assert outcome.field == 'fips'
    assert service.outstanding() == []


def test_fips_over_https(probe, pki, tmp_path, stop_later):
    service = start_service(tmp_path, stop_later)
    front = start_front(tmp_path, stop_later, pki['server'],
                        pki['server_key'], service.port)

    outcome = run_probe(probe, front.url(ADMIN_PATH), extra=['--fips'],
                        tls=['--trusted-ca', pki['root']])

    assert outcome.ok, outcome
    assert service.outstanding() == [outcome.sha256]


# Other challenge types never touch the network.

def test_fixed_and_none(probe):
    fixed = run_probe(probe, 'http://127.0.0.1:1/', challenge='fixed',
                      password='fixed-secret')
    assert fixed.ok and fixed.length == len('fixed-secret')

    none = run_probe(probe, 'http://127.0.0.1:1/', challenge='none')
    assert none.ok and none.length == 0
