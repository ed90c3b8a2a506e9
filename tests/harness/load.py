"""Logins under load, the fate of each one recorded, and what a process
holds (memory, descriptors) measured from /proc.

A Load runs client threads that log in one after another, each on its
own raw socket, until stopped or until a number of logins has been sent;
the threads run in a process of their own.
Every login ends as one Outcome:

    kind "answer"   a whole HTTP answer arrived: status, headers, body
    kind "closed"   the connection ended (EOF or reset) before a whole
                    answer: nginx dropped the login
    kind "timeout"  nothing (or not all) within the client's deadline
    kind "refused"  no connection at all (nothing listening)

A login that is not an "answer" is a login without an answer.  Latency
is measured from just before the request is sent to the answer's last
byte.  Counting is thread-safe; figures() sums up what happened.
"""

import collections
import multiprocessing
import os
import re
import signal
import socket
import threading
import time
import urllib.parse

from . import procs
from .ports import HOST

GETCONFIG = "/global-protect/getconfig.esp"

Outcome = collections.namedtuple(
    "Outcome", "seq start end kind status headers body error")
Outcome.__doc__ = """One login: seq (its number, from 0), start and end
(time.monotonic()), kind ("answer", "closed", "timeout", "refused"),
status (int, 0 without an answer), headers ({lower-case name: value}),
body (bytes), error (what the socket said, for the other kinds)."""

NO_ANSWER = ("closed", "timeout", "refused")


class NoAnswer(Exception):
    def __init__(self, kind, error):
        super().__init__(f"{kind}: {error}")
        self.kind = kind
        self.error = error


def form_request(port, fields, path=GETCONFIG, keepalive=False):
    """The bytes of a getconfig POST of the form fields, as an agent
    sends it."""
    body = urllib.parse.urlencode(fields).encode()
    head = (f"POST {path} HTTP/1.1\r\n"
            f"Host: {HOST}:{port}\r\n"
            "User-Agent: PAN GlobalProtect\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Connection: {'keep-alive' if keepalive else 'close'}\r\n"
            "\r\n").encode()
    return head + body


def read_answer(sock, deadline):
    """Reads one HTTP answer from sock: (status, headers, body, reusable).

    Raises NoAnswer("closed") when the peer ends the connection first and
    NoAnswer("timeout") when the deadline passes.
    """
    data = b""

    def more():
        nonlocal data
        left = deadline - time.monotonic()
        if left <= 0:
            raise NoAnswer("timeout", f"{len(data)} bytes before the "
                           "deadline")
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            raise NoAnswer("timeout", f"{len(data)} bytes before the "
                           "deadline") from None
        except ConnectionError as e:
            raise NoAnswer("closed", f"{e.__class__.__name__} after "
                           f"{len(data)} bytes") from None
        if not chunk:
            return False
        data += chunk
        return True

    while b"\r\n\r\n" not in data:
        if not more():
            raise NoAnswer("closed", f"EOF after {len(data)} bytes")
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise NoAnswer("closed", f"not an HTTP status line: {lines[0]!r}")
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    data = rest
    if length is None:
        while more():
            pass
        return status, headers, data, False
    while len(data) < int(length):
        if not more():
            raise NoAnswer("closed", f"EOF after {len(data)} of {length} "
                           "body bytes")
    reusable = headers.get("connection", "").lower() != "close"
    return status, headers, data[:int(length)], reusable


class Load:
    """Client threads logging in to 127.0.0.1:port, one login after
    another, in a process of their own.

    form(seq) gives the fields of login number seq.  clients: threads.
    keepalive: each thread keeps its connection while nginx does (else
    one connection per login).  timeout: each login's deadline, seconds.
    limit: stop after that many logins have been sent (None: until
    stop()).  keep_bodies: keep whole bodies and headers of 200 answers
    (enroll mode needs them); otherwise a 200 keeps the first
    SHORT_BODY bytes of its body only.

    The clients run in a child process (forked), so that the test's own
    work meanwhile (reloads, scans of /proc) neither waits for the
    clients' interpreter lock nor holds them up.  count is live;
    outcomes are there once join() or stop() has returned.
    """

    SHORT_BODY = 256

    def __init__(self, port, form, clients=8, keepalive=False,
                 timeout=30.0, limit=None, keep_bodies=False):
        self.port = port
        self.form = form
        self.clients = clients
        self.keepalive = keepalive
        self.timeout = timeout
        self.limit = limit
        self.keep_bodies = keep_bodies
        self.outcomes = []
        self._mp = multiprocessing.get_context("fork")
        self._count = self._mp.Value("q", 0, lock=False)
        self._stop = self._mp.Event()
        self._proc = None
        self._reader = None
        self.started = None
        self.ended = None

    # -- the test's side ---------------------------------------------------

    def start(self):
        self._reader, writer = self._mp.Pipe(duplex=False)
        self._proc = self._mp.Process(target=self._child, args=(writer,),
                                      name="load", daemon=True)
        self.started = time.monotonic()
        self._proc.start()
        writer.close()
        return self

    def stop(self, timeout=None):
        """Stops sending and waits for the logins in flight (each is
        bounded by its own deadline, or by timeout seconds)."""
        self._stop.set()
        self.join(timeout if timeout is not None else self.timeout + 10)

    def join(self, timeout):
        """Waits until every login has been sent and has ended, and takes
        their outcomes; after timeout seconds, ends the clients and
        raises."""
        if self._reader.poll(timeout):
            self.outcomes = self._reader.recv()
            self._proc.join(10)
            self.ended = time.monotonic()
            return self
        self._stop.set()
        if self._reader.poll(self.timeout + 10):
            self.outcomes = self._reader.recv()
        self._proc.kill()
        self._proc.join(10)
        raise RuntimeError(f"the load did not end within {timeout} s: "
                           f"{self.count} logins ended")

    def run(self, timeout):
        """start() and join(timeout): the whole of a load with a limit."""
        return self.start().join(timeout)

    @property
    def count(self):
        """Logins that ended so far."""
        return self._count.value

    def unanswered(self):
        return [o for o in self.outcomes if o.kind in NO_ANSWER]

    # -- the clients' side -------------------------------------------------

    def _child(self, writer):
        # the clients end with the test run, even one killed outright
        procs._libc.prctl(procs._PR_SET_PDEATHSIG, signal.SIGKILL)
        self._lock = threading.Lock()
        self._seq = 0
        self._found = []
        threads = [threading.Thread(target=self._client, daemon=True)
                   for _ in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        writer.send(self._found)
        writer.close()

    def _next(self):
        with self._lock:
            if self._stop.is_set() or (self.limit is not None
                                       and self._seq >= self.limit):
                return None
            seq = self._seq
            self._seq += 1
            return seq

    def _client(self):
        sock = None
        while True:
            seq = self._next()
            if seq is None:
                break
            request = form_request(self.port, self.form(seq),
                                   keepalive=self.keepalive)
            start = time.monotonic()
            deadline = start + self.timeout
            try:
                if sock is None:
                    sock = self._connect(deadline)
                try:
                    sock.sendall(request)
                except OSError as e:
                    raise NoAnswer("closed", f"send: {e}") from None
                status, headers, body, reusable = read_answer(sock,
                                                              deadline)
            except NoAnswer as e:
                self._record(seq, start, e.kind, 0, {}, b"", e.error)
                if sock is not None:
                    sock.close()
                    sock = None
                continue
            if status == 200 and not self.keep_bodies:
                headers, body = {}, body[:self.SHORT_BODY]
            self._record(seq, start, "answer", status, headers, body, "")
            if not (self.keepalive and reusable):
                sock.close()
                sock = None
        if sock is not None:
            sock.close()

    def _connect(self, deadline):
        try:
            return socket.create_connection(
                (HOST, self.port),
                timeout=max(0.1, deadline - time.monotonic()))
        except socket.timeout:
            raise NoAnswer("timeout", "connect") from None
        except OSError as e:
            raise NoAnswer("refused", f"connect: {e}") from None

    def _record(self, seq, start, kind, status, headers, body, error):
        outcome = Outcome(seq, start, time.monotonic(), kind, status,
                          headers, body, error)
        with self._lock:
            self._found.append(outcome)
            self._count.value += 1


def tally(outcomes):
    """{"200": n, "504": n, "closed": n, ...} of a list of outcomes."""
    counts = collections.Counter(
        str(o.status) if o.kind == "answer" else o.kind for o in outcomes)
    return dict(sorted(counts.items()))


def percentile(values, p):
    """The p-th percentile (0..100) of values, nearest rank; 0.0 if none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1,
                      int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def latencies(outcomes):
    return [o.end - o.start for o in outcomes]


def describe(outcomes):
    """One line: how many, by kind, and the latency percentiles."""
    lat = latencies(outcomes)
    return (f"{len(outcomes)} logins {tally(outcomes)}; latency p50 "
            f"{percentile(lat, 50) * 1000:.0f} ms, p99 "
            f"{percentile(lat, 99) * 1000:.0f} ms, max "
            f"{max(lat, default=0) * 1000:.0f} ms")


# -- nginx's own count ------------------------------------------------------

# a server's "extra" text for in_progress()
STATUS_LOCATION = """
    location = /status {
        stub_status;
    }
"""


def in_progress(port):
    """Requests nginx is answering on 127.0.0.1:port (stub_status
    "Writing", which counts requests whose header has been read), less
    the status request itself; needs STATUS_LOCATION."""
    sock = socket.create_connection((HOST, port), timeout=5)
    try:
        sock.sendall(f"GET /status HTTP/1.1\r\nHost: {HOST}\r\n"
                     "Connection: close\r\n\r\n".encode())
        status, _, body, _ = read_answer(sock, time.monotonic() + 5)
    finally:
        sock.close()
    match = re.search(rb"Writing: (\d+)", body)
    if status != 200 or match is None:
        raise AssertionError(f"/status answered {status}: {body[:200]!r}")
    return int(match.group(1)) - 1


# -- what a process holds ---------------------------------------------------

def rss_kib(pid):
    """Resident set size of pid in KiB (VmRSS), None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def fd_count(pid):
    """Open descriptors of pid, None once it is gone."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def holdings(pids):
    """{pid: (rss KiB, descriptors)} of each live pid."""
    found = {}
    for pid in pids:
        rss, fds = rss_kib(pid), fd_count(pid)
        if rss is not None and fds is not None:
            found[pid] = (rss, fds)
    return found
