"""Clients that misbehave: they leave while their login is on the thread
pool, or send half a login form and stall.  The worker neither crashes,
nor keeps a descriptor, nor logs an alert, and goes on serving the
others at their usual speed.
"""

import os
import re
import resource
import selectors
import socket
import struct
import time

import pytest

from harness import fds, load, portal, procs
from harness.nginx import PRELOAD
from harness.ports import HOST

SCALE = 0.25 if PRELOAD else 1.0

USERS = ["alice", "bob", "carol", "dave"]

STATUS = load.STATUS_LOCATION


def in_progress(server):
    return load.in_progress(server.port)


def snapshot(server):
    [worker] = server.worker_pids()
    return fds.snapshot(worker, set(server.listen_ports()))


def quiet_snapshot(server):
    """The worker's descriptors once the last client connection has gone
    and two looks 50 ms apart agree (a load's last connections, and a
    directory connection its pool lets go, may still be closing)."""
    found = []

    def quiet():
        found.append(snapshot(server))
        return (found[-1].clients == 0 and len(found) >= 2
                and found[-1] == found[-2])
    procs.wait_until(quiet, 10, "the worker to be idle", interval=0.05)
    return found[-1]


def describe_snapshot(snap, rss):
    return (f"{len(snap.other) + snap.clients + sum(snap.backends.values())}"
            f" descriptors ({snap.clients} client connections, backends "
            f"{snap.backends}), RSS {rss} KiB")


def rss(server):
    [worker] = server.worker_pids()
    return load.rss_kib(worker)


# -- clients that leave while their job runs ----------------------------------

class Login:
    """One login on its own socket, sent whole and not read."""

    def __init__(self, server, fields):
        self.sock = socket.create_connection((HOST, server.port), timeout=5)
        self.sock.sendall(load.form_request(server.port, fields))

    def leave(self, reset):
        """Closes the socket: with reset, at once (RST), else with FIN."""
        if reset:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
        self.sock.close()


@pytest.mark.parametrize("backend", ["slapd", "scepserver"])
def test_clients_leave_while_their_job_runs(nginx, slapd, scepserver,
                                            backend, figures):
    """slapd frozen: the logins wait in the directory (4 of them on the
    pool's threads, the others in its queue); scepserver frozen: they
    wait in the SCEP transaction (enroll mode).  Every client leaves,
    half with a reset, then the backend thaws."""
    if backend == "slapd":
        profile = portal.profile_block()
        paused = slapd
    else:
        # an OU of its own: micromdm never sees the same subject twice
        unit = f"leave-{os.getpid()}-{time.monotonic_ns()}"
        profile = portal.profile_block(
            "staff", scepserver.url, mode="enroll",
            subject=f'"O=Example,OU={unit},CN=$HOSTID"', timeout="30s")
        paused = scepserver
    conf = (portal.directory_block(slapd, timeout="30s") + profile
            + "scep_store @PREFIX@/store;\n"
            + portal.portal_server("        scep_default_profile staff;\n"
                                   "        scep_thread_pool four;",
                                   extra=STATUS))
    server = nginx(http=conf, main="thread_pool four threads=4;")
    server.start()
    if backend == "scepserver":
        procs.wait_until(lambda: 'CA certificate "' in server.error_log(),
                         60, "the CA certificate", alive=server.proc.running)

    def form(n):
        return portal.login(USERS[n % 4], **{"host-id": f"leave-{n}"})

    # the logins before and after, one at a time in enroll mode: micromdm's
    # file depot answers FAILURE now and then to requests that come at
    # once (its serial file), which is not what this test is about
    clients = 1 if backend == "scepserver" else 4

    # warm: the directory's connections are open, the baseline is taken
    warm = load.Load(server.port, form, clients=clients, limit=8,
                     timeout=60).run(120)
    assert load.tally(warm.outcomes) == {"200": 8}
    before = quiet_snapshot(server)
    rss_before = rss(server)

    paused.pause()
    try:
        logins = [Login(server, form(100 + n)) for n in range(12)]
        # every login is read and handed to the pool (in enroll mode:
        # past the directory, waiting on the CA)
        procs.wait_until(lambda: in_progress(server) == 12, 60,
                         "12 logins in progress", interval=0.05,
                         alive=server.proc.running)
        if backend == "scepserver":
            # four transactions (one per thread) wait on the CA
            procs.wait_until(
                lambda: snapshot(server).backends.get(scepserver.port, 0)
                >= 4, 60, "4 enrollments at the CA", interval=0.05)
        # the twelve logins' connections, once the status page's own (the
        # in_progress look just before) is closed too
        looks = []
        procs.wait_until(
            lambda: looks.append(snapshot(server)) or looks[-1].clients
            == 12, 10, "12 client connections", interval=0.05)
        during, rss_during = looks[-1], rss(server)
        for n, login in enumerate(logins):
            login.leave(reset=n % 2 == 0)
    finally:
        paused.resume()
    thawed = time.monotonic()

    # the jobs end, their answers go nowhere, the requests are freed
    procs.wait_until(lambda: in_progress(server) == 0, 60,
                     "the abandoned logins to end", interval=0.05,
                     alive=server.proc.running)
    ended = time.monotonic() - thawed

    def settled():
        return not fds.growth(before, snapshot(server),
                              server._backend_limit())
    procs.wait_until(settled, 10, "the worker's descriptors to settle",
                     interval=0.05)
    after = quiet_snapshot(server)
    # and the worker still serves
    again = load.Load(server.port, form, clients=clients, limit=8,
                      timeout=60).run(120)

    figures(f"{backend} frozen, 12 logins on a pool of 4 threads, every "
            f"client gone (6 RST, 6 FIN), {backend} thawed: no request "
            f"left in progress {ended:.2f} s later")
    figures(f"worker before: {describe_snapshot(before, rss_before)}; "
            f"with the logins: {describe_snapshot(during, rss_during)}; "
            f"after: "
            f"{describe_snapshot(after, rss(server))}")
    figures(f"logins afterwards: {load.describe(again.outcomes)}")

    assert during.clients == 12
    assert fds.growth(before, after, server._backend_limit()) == []
    assert sorted(after.other) == sorted(before.other)
    assert load.tally(again.outcomes) == {"200": 8}
    assert server.crash_lines() == []
    assert server.alert_lines() == []


# -- a thousand half-sent forms -----------------------------------------------

STALLED = 1000
BODY_TIMEOUT = 10.0


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {need}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def half_login(port, fields):
    """A socket that sent the login's header and half its form."""
    whole = load.form_request(port, fields)
    head, _, body = whole.partition(b"\r\n\r\n")
    sock = socket.create_connection((HOST, port), timeout=5)
    sock.sendall(head + b"\r\n\r\n" + body[:len(body) // 2])
    return sock


def test_stalled_half_forms_leave_other_logins_alone(nginx, slapd, figures):
    raise_nofile(STALLED + 1024)
    conf = (portal.directory_block(slapd) + portal.profile_block()
            + f"client_body_timeout {BODY_TIMEOUT:.0f}s;\n"
            + portal.portal_server("        scep_default_profile staff;",
                                   extra=STATUS))
    server = nginx(http=conf, main="worker_rlimit_nofile 8192;",
                   connections=4096)
    server.start()

    def form(n):
        return portal.login(USERS[n % 4])

    seconds = 3
    baseline = load.Load(server.port, form, clients=8, timeout=30).start()
    procs.wait_until(lambda: time.monotonic() - baseline.started >= seconds,
                     seconds + 5, "the baseline")
    baseline.stop()
    before = quiet_snapshot(server)
    rss_before = rss(server)

    stalled = []
    try:
        sent = time.monotonic()
        for n in range(STALLED):
            stalled.append((half_login(server.port, form(n)),
                            time.monotonic()))
        opened = time.monotonic() - sent
        procs.wait_until(lambda: snapshot(server).clients >= STALLED, 30,
                         f"{STALLED} connections accepted", interval=0.05)
        during_snap = snapshot(server)
        rss_during = rss(server)

        # the others log in while the thousand wait for their timeout
        during = load.Load(server.port, form, clients=8, timeout=30).start()
        procs.wait_until(
            lambda: time.monotonic() - during.started >= seconds,
            seconds + 5, "the logins beside the stalled ones")
        during.stop()
        assert time.monotonic() - sent < BODY_TIMEOUT, \
            "the logins beside the stalled ones ran past their timeout"

        # each stalled one is closed by nginx at client_body_timeout
        closed = {}
        sel = selectors.DefaultSelector()
        for sock, at in stalled:
            sel.register(sock, selectors.EVENT_READ, (sock, at))
        deadline = time.monotonic() + BODY_TIMEOUT + 30
        answers = {}
        while len(closed) < len(stalled) and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.5):
                sock, at = key.data
                try:
                    chunk = sock.recv(4096)
                except ConnectionError:
                    chunk = b""
                if chunk:
                    answers[sock] = answers.get(sock, b"") + chunk
                    continue
                closed[sock] = time.monotonic() - at
                sel.unregister(sock)
        sel.close()
    finally:
        for sock, _ in stalled:
            sock.close()

    def settled():
        return not fds.growth(before, snapshot(server),
                              server._backend_limit())
    procs.wait_until(settled, 10, "the worker's descriptors to settle",
                     interval=0.05)
    after = quiet_snapshot(server)
    waits = sorted(closed.values())
    figures(f"baseline, 8 clients for {seconds} s: "
            f"{load.describe(baseline.outcomes)}")
    figures(f"{STALLED} half-sent forms ({opened:.2f} s to open), 8 "
            f"clients beside them for {seconds} s: "
            f"{load.describe(during.outcomes)}")
    figures(f"stalled ones closed by nginx: {len(closed)} of {STALLED}, "
            f"after {waits[0] if waits else 0:.2f}-"
            f"{waits[-1] if waits else 0:.2f} s (client_body_timeout "
            f"{BODY_TIMEOUT:.0f}s); with an answer: {len(answers)}")
    figures(f"worker before: {describe_snapshot(before, rss_before)}; "
            f"with the stalled ones: "
            f"{describe_snapshot(during_snap, rss_during)}; "
            f"after: {describe_snapshot(after, rss(server))}")

    assert during_snap.clients >= STALLED
    assert load.tally(baseline.outcomes) == {"200": len(baseline.outcomes)}
    assert load.tally(during.outcomes) == {"200": len(during.outcomes)}
    assert len(during.outcomes) >= 100 * SCALE
    base_p99 = load.percentile(load.latencies(baseline.outcomes), 99)
    p99 = load.percentile(load.latencies(during.outcomes), 99)
    assert p99 < max(1.0, 5 * base_p99), (p99, base_p99)
    assert len(closed) == STALLED
    assert waits[0] >= BODY_TIMEOUT - 0.2, waits[:5]
    assert waits[-1] < BODY_TIMEOUT + 5.0, waits[-5:]
    assert answers == {}, list(answers.values())[:3]
    assert fds.growth(before, after, server._backend_limit()) == []
    assert after.clients == 0
    # nginx's access log counts them as timed out (408, nothing sent)
    with open(os.path.join(server.prefix, "logs", "access.log")) as f:
        assert len(re.findall(r'"POST /global-protect/getconfig.esp '
                              r'HTTP/1.1" 408 0 ', f.read())) == STALLED
