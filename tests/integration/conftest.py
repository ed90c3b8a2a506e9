"""Fixtures that start the real parts on 127.0.0.1 (see tests/harness).

    slapd               the session's slapd (seeded); after each test it is
                        resumed or restarted if the test paused or stopped it
    scepserver          the session's scepserver (fresh CA), likewise
                        restored, and its OTP store or other verifier
                        (set_verify) switched off again
    scepserver_otp      the same server with a fresh, empty OTP store
    scepserver_factory  make(otp_store=None) -> another started scepserver
                        with its own CA (ended after the test)
    nginx               make(http="", main="", workers=1, log_level="info",
                        load_module=True, tokens=None, conf=None,
                        preload=(), connections=1024, env=None)
                        -> an nginx.Nginx, not started; every
                        instance is stopped after the test, which fails if
                        a worker crashed, if the error log has an [alert]
                        or [crit] line the test did not expect
                        (server.expect_log()), or if a worker kept
                        descriptors open that it did not have at start
                        (server.check_descriptors = False for a test that
                        leaves work in flight on purpose)
    server_cert         a self-signed certificate for https listeners
    module_path         build/ngx_http_scep_module.so (absolute)
    responder_program   tests/pki/pending_responder, built once
    responder           make(*options) -> a started pending_responder
                        (harness.responder.Responder), ended after the
                        test
    figures             figures(text): a line of what the test measured
                        (requests, failures by kind, latencies, memory),
                        shown in the "figures" section at the end of the
                        run, whatever pytest's -q, -s or -r options

Logs stay in pytest's temp directory (the path is in every start error).
"""

import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from harness import nginx as nginx_mod          # noqa: E402
from harness import scepserver as scep_mod      # noqa: E402
from harness import slapd as slapd_mod          # noqa: E402
from harness import responder as responder_mod  # noqa: E402
from harness import tls                         # noqa: E402
from harness.pki import challenge_pki, tls_pki  # noqa: E402,F401


def pytest_sessionstart(session):
    # A run stopped with SIGTERM (a CI timeout, say) still tears its
    # fixtures down, as after Ctrl-C, so no server is left behind.
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture(scope="session")
def module_path():
    if not os.path.exists(nginx_mod.MODULE):
        pytest.fail(f"{nginx_mod.MODULE} is missing: run 'make module' "
                    "first", pytrace=False)
    return nginx_mod.MODULE


# -- slapd --------------------------------------------------------------

@pytest.fixture(scope="session")
def slapd_session(tmp_path_factory):
    server = slapd_mod.start_seeded(str(tmp_path_factory.mktemp("slapd")))
    yield server
    server.stop()


@pytest.fixture
def slapd(slapd_session):
    """The session's slapd, left running and responsive after the test."""
    yield slapd_session
    if slapd_session.paused:
        slapd_session.resume()
    if not slapd_session.is_running:
        slapd_session.start()


# -- scepserver ---------------------------------------------------------

@pytest.fixture(scope="session")
def scepserver_session(tmp_path_factory):
    server = scep_mod.ScepServer(str(tmp_path_factory.mktemp("scepserver")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def scepserver(scepserver_session):
    """The session's scepserver, restored after the test: running, not
    paused, accepting every CSR."""
    yield scepserver_session
    if scepserver_session.paused:
        scepserver_session.resume()
    if not scepserver_session.is_running:
        scepserver_session.start()
    if scepserver_session.otp_store is not None \
            or scepserver_session.verify is not None:
        scepserver_session.set_otp_store(None)


@pytest.fixture
def scepserver_otp(scepserver, tmp_path):
    """The session's scepserver, requiring a one-time password from a fresh
    store (scepserver_otp.otp_store; add_otp() puts one in)."""
    scepserver.set_otp_store(str(tmp_path / "otp-store"))
    return scepserver


@pytest.fixture
def scepserver_factory(tmp_path):
    servers = []

    def make(otp_store=None, unit=None):
        n = len(servers) + 1
        server = scep_mod.ScepServer(
            str(tmp_path / f"scepserver-{n}"), otp_store=otp_store,
            unit=unit or f"SCEP CA {n}")
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


# -- nginx --------------------------------------------------------------

@pytest.fixture(scope="session")
def server_cert(tmp_path_factory):
    return tls.self_signed(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def nginx(tmp_path, module_path):
    instances = []

    def make(http="", main="", workers=1, log_level="info",
             load_module=True, tokens=None, conf=None, preload=(),
             connections=1024, env=None):
        prefix = tmp_path / f"nginx-{len(instances) + 1}"
        server = nginx_mod.Nginx(
            prefix, http=http, main=main, workers=workers,
            log_level=log_level,
            module=module_path if load_module else None,
            tokens=tokens, conf=conf, preload=preload,
            connections=connections, env=env)
        instances.append(server)
        return server

    yield make

    leaks, crashes, alerts = [], [], []
    for server in instances:
        leaks += [f"{server.prefix}: {line}"
                  for line in server.descriptor_growth()]
        server.stop()
        crashes += [f"{server.prefix}: {line}"
                    for line in server.crash_lines()]
        alerts += [f"{server.prefix}: {line}"
                   for line in server.alert_lines()
                   if not any(p in line for p in nginx_mod.CRASH_PATTERNS)]
    if crashes:
        pytest.fail("nginx reported a crash:\n" + "\n".join(crashes),
                    pytrace=False)
    if alerts:
        pytest.fail("nginx logged alerts the test did not expect:\n"
                    + "\n".join(alerts), pytrace=False)
    if leaks:
        pytest.fail("nginx kept descriptors open after the test:\n"
                    + "\n".join(leaks), pytrace=False)


# -- pending_responder --------------------------------------------------

@pytest.fixture(scope="session")
def responder_program(tmp_path_factory):
    return responder_mod.build(tmp_path_factory.mktemp("responder-build"))


@pytest.fixture
def responder(responder_program, tmp_path):
    started = []

    def make(*options):
        r = responder_mod.Responder(
            responder_program, tmp_path / f"responder-{len(started) + 1}",
            *options)
        started.append(r)
        return r.start()

    yield make
    for r in started:
        r.stop()


# -- figures ------------------------------------------------------------

# (test id, line) in the order measured; printed by pytest_terminal_summary
_FIGURES = []


@pytest.fixture
def figures(request):
    """figures(text): records a line of the test's measurements for the
    "figures" section of the run's summary (kept if the test fails)."""
    def record(text):
        _FIGURES.append((request.node.nodeid, str(text)))
    return record


def pytest_terminal_summary(terminalreporter):
    if not _FIGURES:
        return
    terminalreporter.section("figures")
    last = None
    for nodeid, text in _FIGURES:
        if nodeid != last:
            terminalreporter.write_line(nodeid)
            last = nodeid
        terminalreporter.write_line(f"    {text}")
