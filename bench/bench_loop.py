"""loop: a static location's latency while logins wait on a stalled
directory, beside the same measurement with no login in flight.

One nginx worker serves both the portal and a "return 200" location.
slapd is frozen (SIGSTOP: connections are accepted, never answered),
then N getconfig logins are sent and left waiting; nginx's stub_status
shows them as requests being written, before and after the measurement,
and none of them may have been answered.  wrk then measures the static
location.  If anything in a login blocked the event loop, the static
requests would wait with it.  Afterwards slapd resumes and the waiting
logins must all be answered 200.
"""

import os
import re
import select
import socket
import time

import common
from common import http, portal

IN_FLIGHT = (20, 100)
THREADS = 16


def loop_conf(slapd_server):
    location = ("        scep_default_profile staff;\n"
                "        scep_thread_pool bench;\n")
    extra = ("    location = /status {\n"
             "        stub_status;\n"
             "    }\n")
    # the directory's timeout outlasts the measurement: the logins stay
    # in flight until slapd resumes
    http_text = (portal.directory_block(slapd_server, pool_size=THREADS,
                                        connect_timeout="60s",
                                        timeout="120s")
                 + portal.profile_block()
                 + portal.portal_server(location, extra=extra))
    main = f"thread_pool bench threads={THREADS} max_queue=1024;"
    return http_text, main


def writing(server):
    """Requests nginx is working on (stub_status "Writing"), less the
    status request itself."""
    response = http.get(server.url("/status"), timeout=5)
    match = re.search(rb"Writing: (\d+)", response.body)
    return int(match.group(1)) - 1


class Login:
    """One getconfig login on its own socket, sent and not read yet."""

    def __init__(self, server, user):
        body = common.login_body(user).encode()
        head = (f"POST {common.GETCONFIG} HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{server.port}\r\n"
                "User-Agent: PAN GlobalProtect\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n").encode()
        self.sock = socket.create_connection(("127.0.0.1", server.port),
                                             timeout=5)
        self.sock.sendall(head + body)
        self.answer = b""

    def answered(self):
        """True if any byte of an answer has arrived."""
        readable, _, _ = select.select([self.sock], [], [], 0)
        return bool(readable)

    def status(self, deadline):
        """Reads the whole answer; returns its HTTP status (0: none)."""
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.answer += chunk
        match = re.match(rb"HTTP/1\.[01] (\d{3})", self.answer)
        return int(match.group(1)) if match else 0

    def close(self):
        self.sock.close()


def measure_static(server, settings):
    return common.wrk_warm_and_measure(server.url("/static"), settings,
                                       settings.concurrency)


def row(label, in_flight, r):
    return [label, in_flight, common.fmt_rate(r.rate),
            common.fmt_ms(r.p50_ms), common.fmt_ms(r.p99_ms),
            common.fmt_ms(r.max_ms), r.status_text()]


def run(settings):
    common.heading("loop: static location latency with logins stalled on "
                   "the directory")
    common.note(f"1 worker, thread pool {THREADS} threads (more logins "
                f"than threads wait in its queue); wrk: "
                f"{settings.concurrency} connections to "
                "\"location = /static { return 200; }\"")
    common.note(f"warm-up {settings.warmup:g} s, then "
                f"{settings.duration:g} s measured per row")

    workdir = common.tempdir("loop")
    rows = []
    after = []
    with common.Stack(workdir) as stack:
        directory = common.start_directory(stack,
                                           os.path.join(workdir, "slapd"))
        http_text, main = loop_conf(directory)
        server = common.start_nginx(stack, os.path.join(workdir, "nginx"),
                                    http_text, main=main, workers=1)

        response = http.post_form(server.url(common.GETCONFIG),
                                  portal.login("alice"))
        if response.status != 200:
            raise RuntimeError(f"login before the measurement: HTTP "
                               f"{response.status}: {response.body[:200]!r}")

        r = measure_static(server, settings)
        rows.append(row("no login in flight (before)", "0", r))

        for n in IN_FLIGHT:
            directory.pause()
            logins = []
            try:
                users = common.BENCH_USERS
                logins = [Login(server, users[i % len(users)])
                          for i in range(n)]
                common.wait_for(lambda: writing(server) >= n, 10,
                                f"{n} logins in flight")
                start = writing(server)
                r = measure_static(server, settings)
                end = writing(server)
                early = sum(1 for login in logins if login.answered())
                if early:
                    raise RuntimeError(f"{early} of {n} logins were answered "
                                       "while slapd was stopped")
                rows.append(row(f"{n} logins waiting on slapd",
                                f"{start} -> {end}", r))

                directory.resume()
                t0 = time.monotonic()
                deadline = t0 + 30
                statuses = {}
                for login in logins:
                    status = login.status(deadline)
                    statuses[status] = statuses.get(status, 0) + 1
                took = time.monotonic() - t0
                after.append(
                    f"{n} logins: answered after slapd resumed in "
                    f"{took:.2f} s: " + " ".join(
                        f"{s or 'none'}x{c}"
                        for s, c in sorted(statuses.items())))
            finally:
                if directory.paused:
                    directory.resume()
                for login in logins:
                    login.close()

        # the same baseline again: how far two equal runs differ here
        r = measure_static(server, settings)
        rows.append(row("no login in flight (after)", "0", r))
        common.check_no_crash(server)

    common.table(["condition", "in flight", "requests/s", "p50 ms",
                  "p99 ms", "max ms", "answers"], rows,
                 aligns="lrrrrrl")
    for line in after:
        common.note(line)
    common.note("in flight: logins nginx was working on (stub_status "
                "Writing) before -> after the measured run")
