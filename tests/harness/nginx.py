"""Debian's nginx, loading the built module, under a private prefix.

The configuration is written from a template around the caller's text:

    load_module <absolute path of build/ngx_http_scep_module.so>;
    user root;                      (only when running as root)
    worker_processes N; error_log logs/error.log LEVEL; pid ...;
    <main>                          (caller's main-level text)
    events { ... }
    http { access_log ...; every *_temp_path inside the prefix; <http> }

Debian's nginx was built with absolute /var/lib/nginx temp paths, hence
the explicit temp paths.  The caller's text may use tokens, replaced when
the configuration is written:

    @PORT@, @PORT1@ .. @PORT9@   free ports, allocated on first use
                                (@PORT@ is @PORT1@, also self.port)
    @PREFIX@                     the prefix directory
    @TLS_CERT@, @TLS_KEY@        a self-signed certificate for 127.0.0.1
    @NAME@ for any NAME in tokens={...}

The server runs in the foreground ("daemon off") as our child, in its own
process group with its workers.  Readiness: every TCP port in a "listen"
directive accepts, and the workers are up.
"""

import os
import re
import signal
import subprocess
import time

from . import fds, http, procs, tls
from .ports import HOST, accepts, free_port

NGINX = "/usr/sbin/nginx"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))
# NGX_SCEP_MODULE may name another build of the module (a sanitizer build).
MODULE = os.path.abspath(os.environ.get("NGX_SCEP_MODULE") or os.path.join(
    REPO, "build", "ngx_http_scep_module.so"))

# NGX_SCEP_NGINX_PRELOAD: libraries preloaded into nginx alone, such as
# the sanitizer runtimes a sanitizer build of the module needs when the
# nginx binary itself is not instrumented.  Only nginx gets them: slapd,
# scepserver and the tests themselves run as usual.
PRELOAD = os.environ.get("NGX_SCEP_NGINX_PRELOAD", "")

# Lines that mean a worker died or a sanitizer fired: a test that leaves
# one of these behind fails, whatever it asserted.
CRASH_PATTERNS = ("exited on signal", "signal 11", "AddressSanitizer",
                  "runtime error:")

# Levels that nginx's own test suite treats as failures: a test that
# leaves one behind fails unless it said it expects it (expect_log()).
ALERT_LEVELS = ("[alert]", "[crit]")

# A sanitizer build writes its report while the process is stopped: give
# it time (symbolizing is slow), rather than kill it in the middle.
SANITIZER_STOP_TIMEOUT = 60.0

# How long a worker may take to close what a test left in flight before
# its descriptors are compared with the baseline.
QUIESCE_TIMEOUT = 10.0

TEMPLATE = """\
# nginx.conf written by tests/harness/nginx.py
{load_module}{user}worker_processes {workers};
error_log logs/error.log {log_level};
pid logs/nginx.pid;

{main}

events {{
    worker_connections {connections};
}}

http {{
    access_log logs/access.log;
    client_body_temp_path temp/client_body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;

{http}
}}
"""

TOKEN = re.compile(r"@([A-Z][A-Z0-9_]*)@")
LISTEN = re.compile(r"^\s*listen\s+([^\s;]+)", re.MULTILINE)


def _lasting(snap):
    """What a worker keeps of its descriptors: all but the sockets no
    table lists (which may be passing)."""
    return [d for d in snap.other if d != "socket"]


class ConfError(RuntimeError):
    """nginx refused a configuration (reload); the message says why."""


class Nginx:
    """One nginx under its own prefix; see the module docstring."""

    def __init__(self, prefix, http="", main="", workers=1,
                 log_level="info", module=MODULE, tokens=None, conf=None,
                 preload=(), connections=1024, env=None):
        self.prefix = str(prefix)
        self.module = module
        self.preload = [str(p) for p in preload]
        self.env = dict(env or {})
        self.workers = workers
        self.connections = connections
        self.log_level = log_level
        self.tokens = dict(tokens or {})
        self._ports = {}
        self._tls = None
        self.proc = None
        self.expected_log = []
        self.check_descriptors = True
        self.last_sighup = None
        self._fd_baseline = {}
        self.conf_path = os.path.join(self.prefix, "conf", "nginx.conf")
        self.error_log_path = os.path.join(self.prefix, "logs", "error.log")
        self.stderr_path = os.path.join(self.prefix, "logs", "stderr.log")
        for sub in ("conf", "logs", "temp"):
            os.makedirs(os.path.join(self.prefix, sub), exist_ok=True)
        if conf is not None:
            self.write_conf(conf)
        else:
            self.configure(http=http, main=main)

    # -- configuration ---------------------------------------------------

    def port_n(self, n):
        """The n-th port of this instance (1-based), allocated on first use."""
        if n not in self._ports:
            self._ports[n] = free_port()
        return self._ports[n]

    @property
    def port(self):
        return self.port_n(1)

    @property
    def tls(self):
        """The self-signed certificate of this instance (tls.ServerCert)."""
        if self._tls is None:
            self._tls = tls.self_signed(os.path.join(self.prefix, "conf"))
        return self._tls

    def expand(self, text):
        """Replaces the @TOKEN@s of text (see the module docstring)."""
        def value(match):
            name = match.group(1)
            if name in self.tokens:
                return str(self.tokens[name])
            if name == "PORT":
                return str(self.port)
            if re.fullmatch(r"PORT[1-9]", name):
                return str(self.port_n(int(name[4])))
            if name == "PREFIX":
                return self.prefix
            if name == "TLS_CERT":
                return self.tls.cert_path
            if name == "TLS_KEY":
                return self.tls.key_path
            raise ValueError(f"unknown placeholder @{name}@ in the nginx "
                             "configuration")
        return TOKEN.sub(value, text)

    def configure(self, http="", main=""):
        """(Re)writes conf/nginx.conf from the template; reload() applies."""
        user = "user root;\n" if os.geteuid() == 0 else ""
        load = (f"load_module {self.module};\n" if self.module else "")
        self.write_conf(TEMPLATE.format(
            load_module=load, user=user, workers=self.workers,
            connections=self.connections, log_level=self.log_level,
            main=main, http=http))

    def write_conf(self, text):
        """Writes a whole configuration (tokens expanded)."""
        self.conf_text = self.expand(text)
        with open(self.conf_path, "w") as f:
            f.write(self.conf_text)

    def listen_ports(self):
        """The TCP ports of the configuration's listen directives."""
        ports = []
        for addr in LISTEN.findall(self.conf_text):
            if addr.startswith("unix:"):
                continue
            port = addr.rsplit(":", 1)[-1]
            if port.isdigit():
                ports.append(int(port))
        return ports

    def _argv(self, *extra):
        return [NGINX, "-p", self.prefix + "/", "-c", self.conf_path, *extra]

    def _env(self):
        """nginx's environment: ours, plus NGX_SCEP_NGINX_PRELOAD and this
        instance's own preloaded libraries, in that order (a sanitizer
        runtime must come first), plus this instance's env."""
        libraries = PRELOAD.split() + self.preload
        if not libraries and not self.env:
            return None
        env = dict(os.environ, **self.env)
        if libraries:
            env["LD_PRELOAD"] = " ".join(libraries)
        return env

    def test(self):
        """nginx -t on the current configuration: returns (ok, output)."""
        result = subprocess.run(self._argv("-t"), capture_output=True,
                                text=True, timeout=60, env=self._env())
        return result.returncode == 0, result.stdout + result.stderr

    # -- life cycle ------------------------------------------------------

    def start(self, timeout=10.0, detached=False):
        """Starts nginx; returns self once it listens and has its workers."""
        self.proc = procs.Proc("nginx", self._argv("-g", "daemon off;"),
                               self.stderr_path, cwd=self.prefix,
                               env=self._env())
        self.proc.start(detached=detached)
        try:
            procs.wait_until(self._ready, timeout, "listen ports",
                             alive=self.proc.running)
        except procs.StartError as e:
            err = procs.StartError(self._failure(str(e)))
            self.proc.stop(signal.SIGQUIT, 2.0)
            raise err from None
        self._take_fd_baseline()
        return self

    def _expected_workers(self):
        # "auto" (one per CPU) is not known in advance: one is enough.
        return self.workers if isinstance(self.workers, int) else 1

    def _ready(self):
        return (len(self.worker_pids()) >= self._expected_workers()
                and all(accepts(p) for p in self.listen_ports()))

    def worker_pids(self):
        return procs.children(self.proc.pid) if self.proc else []

    def reload(self, timeout=10.0, wait_old=True):
        """Applies the written configuration (SIGHUP), like nginx -s reload.

        Returns once new workers run and, with wait_old, the old ones have
        finished (pass wait_old=False while a test keeps requests in
        flight: old workers finish those first); self.last_sighup is when
        the signal was sent (time.monotonic()).  Raises ConfError with
        nginx's message if the new configuration is refused (the old one
        then keeps serving).
        """
        ok, output = self.test()
        if not ok:
            raise ConfError(output)
        old = set(self.worker_pids())
        log_offset = self._log_size()
        self.last_sighup = time.monotonic()
        os.kill(self.proc.pid, signal.SIGHUP)     # the master only

        def settled():
            new = set(self.worker_pids()) - old
            return (len(new) >= self._expected_workers()
                    or self._emerg_since(log_offset))
        procs.wait_until(settled, timeout, "nginx reload",
                         alive=self.proc.running)
        emerg = self._emerg_since(log_offset)
        if emerg:
            raise ConfError(emerg)
        if wait_old:
            procs.wait_until(lambda: not old & set(self.worker_pids()),
                             timeout, "old workers to finish")
        procs.wait_until(lambda: all(accepts(p) for p in self.listen_ports()),
                         timeout, "listen ports after reload")
        self._take_fd_baseline()
        return self

    def stop(self, timeout=5.0):
        """Graceful stop (SIGQUIT), SIGKILL for the group after timeout
        (a sanitizer build gets SANITIZER_STOP_TIMEOUT at least)."""
        if PRELOAD:
            timeout = max(timeout, SANITIZER_STOP_TIMEOUT)
        if self.proc is not None:
            self.proc.stop(signal.SIGQUIT, timeout)

    # -- what a test leaves behind ------------------------------------------

    def expect_log(self, pattern):
        """An [alert] or [crit] line matching the regular
        expression pattern is part of what the test checks, not a fault."""
        self.expected_log.append(re.compile(pattern))

    def alert_lines(self):
        """[alert] and [crit] lines that no expect_log() covers."""
        return [line for line in self.error_log().splitlines()
                if any(level in line for level in ALERT_LEVELS)
                and not any(p.search(line) for p in self.expected_log)]

    def _backend_limit(self):
        """Connections to one backend a worker may keep: the idle
        connections of its directories' pools (two roles each)."""
        ndirs = len(re.findall(r"^\s*scep_directory\s", self.conf_text,
                               re.MULTILINE))
        sizes = [int(n) for n in re.findall(r"^\s*pool_size\s+(\d+)",
                                            self.conf_text, re.MULTILINE)]
        sizes += [8] * max(0, ndirs - len(sizes))
        return 2 * sum(sizes)

    def _take_fd_baseline(self, timeout=10.0):
        """What each new worker holds once it has finished starting: its
        event loop (epoll) exists, and its files, pipes and listeners did
        not change in 100 ms, and it has a channel (a Unix socket) to
        each worker: the master hands it those of workers started after
        it.
        Connections do not count: a worker that starts under load (a
        reload) has clients at once, and at start a worker holds none of
        its own.  Nor does a TCP socket caught while it is being set up
        or closed (a "socket" that no table lists): the fewest seen is
        what the worker keeps."""
        ports = set(self.listen_ports())
        for pid in self.worker_pids():
            if pid in self._fd_baseline:
                continue
            seen = []

            def settled():
                snap = fds.snapshot(pid, ports)
                if snap is None:
                    return True
                seen.append(snap)
                return (len(seen) >= 2
                        and _lasting(seen[-1]) == _lasting(seen[-2])
                        and "anon_inode:[eventpoll]" in snap.other
                        and snap.other.count("unix socket")
                        >= self._expected_workers())
            procs.wait_until(settled, timeout, f"worker {pid} to start",
                             interval=0.1)
            if seen:
                sockets = min(s.other.count("socket") for s in seen)
                self._fd_baseline[pid] = seen[-1]._replace(
                    other=sorted(_lasting(seen[-1]) + ["socket"] * sockets),
                    clients=0, backends={})

    def descriptor_growth(self):
        """What the workers hold open beyond what they had at start, as
        sentences; waits up to QUIESCE_TIMEOUT for in-flight work to end.
        Only workers that are still the ones measured at start count."""
        if not self.is_running or not self.check_descriptors:
            return []
        ports = set(self.listen_ports())
        limit = self._backend_limit()
        deadline = time.monotonic() + QUIESCE_TIMEOUT
        while True:
            problems = []
            for pid, before in self._fd_baseline.items():
                after = fds.snapshot(pid, ports)
                if after is None:
                    continue
                problems += [f"worker {pid}: {p}"
                             for p in fds.growth(before, after, limit)]
            if not problems or time.monotonic() >= deadline:
                return problems
            time.sleep(0.1)

    @property
    def is_running(self):
        return self.proc is not None and self.proc.running()

    # -- logs ------------------------------------------------------------

    def _log_size(self):
        try:
            return os.path.getsize(self.error_log_path)
        except OSError:
            return 0

    def _emerg_since(self, offset):
        # read from offset only: under load the log grows by megabytes
        try:
            with open(self.error_log_path, "rb") as f:
                f.seek(offset)
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""
        lines = [l for l in text.splitlines() if "[emerg]" in l]
        return "\n".join(lines)

    def error_log(self):
        """The whole error log as text ("" before nginx wrote any)."""
        try:
            with open(self.error_log_path, encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stderr(self):
        return procs.tail(self.stderr_path, lines=10**6)

    def crash_lines(self):
        """Lines of the error log or stderr that report a crash."""
        text = self.error_log() + "\n" + self.stderr()
        return [l for l in text.splitlines()
                if any(p in l for p in CRASH_PATTERNS)]

    def _failure(self, what):
        return (f"nginx: {what}\n--- {self.stderr_path} ---\n"
                f"{procs.tail(self.stderr_path)}\n--- {self.error_log_path} "
                f"---\n{procs.tail(self.error_log_path)}")

    # -- requests --------------------------------------------------------

    def url(self, path="/", https=False, port=None):
        scheme = "https" if https else "http"
        return f"{scheme}://{HOST}:{port or self.port}{path}"

    def request(self, method, path="/", body=None, headers=None,
                timeout=10.0, https=False, port=None):
        """harness.http.request() to this server; returns Response."""
        return http.request(method, self.url(path, https, port), body=body,
                            headers=headers, timeout=timeout)
