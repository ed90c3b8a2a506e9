"""Stopping nginx while its thread pool is full.

A pool of two threads and a queue of four (thread_pool tiny threads=2
max_queue=4), slapd frozen, ten logins sent one after another: two wait
in the directory on the pool's threads, four in the queue, and the
other four find the queue full and are answered 503 at once.

- Graceful stop (SIGQUIT): every login the worker accepted is answered,
  504 at its scep_login_timeout (3 s, counted from its form) since slapd
  stays frozen; the worker leaves once the two directory calls have run
  into the directory's timeout, with code 0, and nothing in flight is
  dropped.
- Fast stop (SIGTERM): the worker leaves at once, without running
  exit-time cleanup under the threads still inside the directory client
  (the pool's queue is full, so nginx cannot hand its threads their exit
  task): no crash, no sanitizer report, exit code 0.
"""

import re
import signal
import time
import xml.etree.ElementTree as ET

from harness import load, portal, procs

USERS = ["alice", "bob", "carol", "dave"]

LOGIN_TIMEOUT = 3.0
DIRECTORY_TIMEOUT = 5.0
CONNECT_TIMEOUT = 2.0

MSG_BUSY = "the portal is busy, try again in a few seconds"
MSG_DEADLINE = "The portal did not answer in time, try again later"

EXITED = re.compile(r"worker process (\d+) exited (with code \d+|on signal "
                    r"\d+)")


def start_portal(nginx, slapd):
    conf = (portal.directory_block(slapd, timeout=f"{DIRECTORY_TIMEOUT:.0f}s",
                                   connect_timeout=f"{CONNECT_TIMEOUT:.0f}s")
            + portal.profile_block()
            + portal.portal_server(
                "        scep_default_profile staff;\n"
                "        scep_thread_pool tiny;\n"
                f"        scep_login_timeout {LOGIN_TIMEOUT:.0f}s;",
                extra=load.STATUS_LOCATION))
    server = nginx(http=conf, main="thread_pool tiny threads=2 max_queue=4;")
    server.start()
    warm = load.Load(server.port, lambda seq: portal.login("alice"),
                     clients=1, limit=2).run(30)
    assert load.tally(warm.outcomes) == {"200": 2}
    return server


class Logins:
    """Logins sent one at a time, each on its own client thread."""

    def __init__(self, server):
        self.server = server
        self.sent = []

    def send(self):
        n = len(self.sent)
        one = load.Load(self.server.port,
                        lambda seq: portal.login(USERS[n % 4]),
                        clients=1, limit=1, timeout=30).start()
        self.sent.append(one)
        return one

    @property
    def outcomes(self):
        return [o for one in self.sent for o in one.outcomes]

    def join(self, timeout):
        deadline = time.monotonic() + timeout
        for one in self.sent:
            one.join(max(0.0, deadline - time.monotonic()))


def fill_the_pool(server, slapd):
    """Freezes slapd, then sends logins one after another, each once the
    one before is in progress, until one is refused (the two threads are
    busy, the queue holds four), then three more, which are refused too.
    Returns the Logins."""
    slapd.pause()
    logins = Logins(server)
    accepted = 0
    while True:
        one = logins.send()
        # nginx counts a request in progress as soon as its header is
        # read, a refused one too until its 503 is out: taken is in
        # progress twice in a row, 20 ms apart, and not answered
        looks = []

        def settled():
            looks.append(one.count == 0
                         and load.in_progress(server.port) == accepted + 1)
            return one.count == 1 or looks[-2:] == [True, True]
        procs.wait_until(settled, 10, f"login {accepted + 1} to be taken",
                         interval=0.02, alive=server.proc.running)
        if one.count == 1:
            break
        accepted += 1
        assert accepted <= 6, "the pool took more than threads + max_queue"
    for _ in range(3):
        one = logins.send()
        procs.wait_until(lambda: one.count == 1, 10, "a refused login",
                         interval=0.01)
    return logins


def error_message(outcome):
    return ET.fromstring(outcome.body).findtext("error")


def worker_exit(server, pid):
    found = [m.group(2) for m in EXITED.finditer(server.error_log())
             if int(m.group(1)) == pid]
    return found[0] if found else None


def test_graceful_stop_with_the_pool_full(nginx, slapd, figures):
    server = start_portal(nginx, slapd)
    [worker] = server.worker_pids()
    try:
        logins = fill_the_pool(server, slapd)
        signalled = time.monotonic()
        server.proc.send_signal(signal.SIGQUIT)
        procs.wait_until(lambda: not server.is_running,
                         CONNECT_TIMEOUT + 2 * DIRECTORY_TIMEOUT + 10,
                         "nginx to stop", interval=0.05)
        stopped = time.monotonic() - signalled
        logins.join(30)
    finally:
        slapd.resume()

    outcomes = logins.outcomes
    busy = [o for o in outcomes if o.status == 503]
    accepted = [o for o in outcomes if o.status != 503]
    unanswered = [o for o in outcomes if o.kind in load.NO_ANSWER]
    lat = load.latencies(accepted)
    figures(f"graceful stop, 10 logins on threads=2 max_queue=4, slapd "
            f"frozen: {load.describe(outcomes)}")
    figures(f"accepted: {load.describe(accepted)}; min "
            f"{min(lat, default=0):.3f} s; nginx stopped "
            f"{stopped:.2f} s after SIGQUIT (directory timeout "
            f"{DIRECTORY_TIMEOUT:.0f}s)")

    assert unanswered == []
    assert len(busy) == 4
    assert {error_message(o) for o in busy} == {MSG_BUSY}
    assert load.tally(accepted) == {"504": 6}
    assert {error_message(o) for o in accepted} == {MSG_DEADLINE}
    assert min(lat) >= LOGIN_TIMEOUT - 0.1
    assert max(lat) < LOGIN_TIMEOUT + 1.0
    assert worker_exit(server, worker) == "with code 0"
    assert server.crash_lines() == []


def test_fast_stop_with_the_pool_full(nginx, slapd, figures):
    server = start_portal(nginx, slapd)
    [worker] = server.worker_pids()
    try:
        logins = fill_the_pool(server, slapd)
        signalled = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        procs.wait_until(lambda: not server.is_running, 10,
                         "nginx to stop", interval=0.02)
        stopped = time.monotonic() - signalled
        logins.join(30)
    finally:
        slapd.resume()

    outcomes = logins.outcomes
    figures(f"fast stop, 10 logins on threads=2 max_queue=4, slapd frozen: "
            f"{load.describe(outcomes)}; nginx stopped {stopped:.2f} s "
            f"after SIGTERM")
    log = server.error_log()
    left = re.search(r"scep: (\d+) tasks? (is|are) still on a thread pool "
                     r"whose queue was full at exit", log)
    figures(f"worker: {worker_exit(server, worker)}; "
            f"{left.group(0) if left else 'no early exit line'}")

    # a fast stop drops what is in flight: the 503s came before it
    assert load.tally(outcomes) == {"503": 4, "closed": 6}
    # at once: not after the directory's timeout
    assert stopped < DIRECTORY_TIMEOUT
    assert left is not None, log[-3000:]
    assert worker_exit(server, worker) == "with code 0"
    assert server.crash_lines() == []
