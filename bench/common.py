"""What the benchmarks share: paths, the test harness, wrk, tables.

The real parts (slapd, scepserver, nginx with the module) are started by
the test harness in tests/harness/, each in its own process group under a
temporary directory; Stack ends every one of them, on success, on an error
and on Ctrl-C alike.
"""

import hashlib
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse

BENCH = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(BENCH)
BUILD = os.path.join(REPO, "build", "bench")

sys.path.insert(0, os.path.join(REPO, "tests"))

from harness import (directory, http, nginx, portal,  # noqa: E402,F401
                     procs, scepserver, slapd)

WRK = "/usr/bin/wrk"
WRK_SCRIPT = os.path.join(BENCH, "wrk_report.lua")
GETCONFIG = "/global-protect/getconfig.esp"

# Users of the seeded directory whose logins take turns in the load (the
# ones with plain names: the figures are about speed, not odd names).
BENCH_USERS = ("alice", "bob", "carol", "dave", "eve", "mallory", "admin")


class Settings:
    """How long each measurement runs (seconds) and with what load."""

    def __init__(self, quick=False):
        self.quick = quick
        self.warmup = 1.0 if quick else 2.0
        self.duration = 3.0 if quick else 10.0
        self.concurrency = 16


# -- processes ------------------------------------------------------------

class Stack:
    """The services of one benchmark; stop() ends all of them."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.services = []

    def add(self, service):
        self.services.append(service)
        return service

    def stop(self):
        for service in reversed(self.services):
            try:
                if getattr(service, "paused", False):
                    service.resume()
                service.stop()
            except Exception as e:       # keep stopping the others
                print(f"  (stopping {type(service).__name__}: {e})",
                      file=sys.stderr)
        self.services = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run_child(argv, timeout, **kwargs):
    """subprocess.run that kills the child if we are interrupted."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out, err


def parse_result(text):
    """The key=value fields of the last "RESULT ..." line of text."""
    lines = [l for l in text.splitlines() if l.startswith("RESULT ")]
    if not lines:
        return None
    fields = {}
    for item in lines[-1].split()[1:]:
        key, _, value = item.partition("=")
        fields[key] = value
    return fields


# -- CPU accounting -------------------------------------------------------

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def group_cpu(service):
    """CPU seconds (user + system, every thread) used so far by the live
    processes of a harness service's process group (nginx: master and
    workers with their thread pools)."""
    if service.proc is None or service.proc.popen is None:
        return 0.0
    total = 0
    for pid in procs.group_members(service.proc.pid):
        fields = procs._stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / _CLK_TCK


def children_cpu():
    """CPU seconds of our own finished children (the load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds each service, and the load generator run in between,
    used from start() to stop()."""

    def __init__(self, **services):
        self.services = services
        self.used = {}

    def start(self):
        self._before = {k: group_cpu(s) for k, s in self.services.items()}
        self._client = children_cpu()
        return self

    def stop(self):
        for k, s in self.services.items():
            self.used[k] = group_cpu(s) - self._before[k]
        self.used["client"] = children_cpu() - self._client
        return self.used


# -- wrk ------------------------------------------------------------------

class WrkResult:
    def __init__(self, fields):
        self.requests = int(fields["requests"])
        self.seconds = int(fields["duration_us"]) / 1e6
        self.p50_ms = int(fields["p50_us"]) / 1000.0
        self.p99_ms = int(fields["p99_us"]) / 1000.0
        self.max_ms = int(fields["max_us"]) / 1000.0
        self.socket_errors = sum(int(fields[k]) for k in
                                 ("connect", "read", "write", "timeout"))
        self.statuses = {}
        for item in filter(None, fields["statuses"].split(",")):
            status, _, n = item.partition(":")
            self.statuses[int(status)] = int(n)

    @property
    def rate(self):
        return self.requests / self.seconds if self.seconds else 0.0

    def count(self, status):
        return self.statuses.get(status, 0)

    @property
    def ok_rate(self):
        return self.count(200) / self.seconds if self.seconds else 0.0

    def status_text(self):
        parts = [f"{s}x{n}" for s, n in sorted(self.statuses.items())]
        if self.socket_errors:
            parts.append(f"sockerr x{self.socket_errors}")
        return " ".join(parts) or "-"


def wrk(url, seconds, connections, bodies=None, threads=1, timeout=10):
    """Runs wrk for seconds; returns a WrkResult.  bodies: a file of
    form-encoded getconfig logins (one a line) to POST in turn."""
    argv = [WRK, "-t", str(threads), "-c", str(connections),
            "-d", f"{seconds:g}s", "--timeout", f"{timeout}s",
            "-s", WRK_SCRIPT, url]
    if bodies is not None:
        argv += ["--", bodies]
    rc, out, err = run_child(argv, timeout=seconds + timeout + 30)
    fields = parse_result(out)
    if rc != 0 or fields is None:
        raise RuntimeError(f"wrk failed (exit {rc}):\n{out}\n{err}")
    return WrkResult(fields)


def wrk_warm_and_measure(url, settings, connections, bodies=None,
                         meter=None):
    """A warm-up run (not reported), then the measured run; meter, a
    CpuMeter, is read around the measured run only."""
    wrk(url, settings.warmup, connections, bodies)
    if meter is not None:
        meter.start()
    result = wrk(url, settings.duration, connections, bodies)
    if meter is not None:
        meter.stop()
    return result


# -- the directory's users ------------------------------------------------

def login_body(user, **fields):
    form = portal.login(user, **{"host-id": f"bench-{user}", **fields})
    return urllib.parse.urlencode(form)


def write_login_files(workdir, users=BENCH_USERS):
    """users.txt (login<TAB>password, for ldap_rate) and bodies.txt (the
    getconfig forms, for wrk); returns both paths."""
    users_path = os.path.join(workdir, "users.txt")
    bodies_path = os.path.join(workdir, "bodies.txt")
    with open(users_path, "w") as f:
        for user in users:
            f.write(f"{user}\t{directory.USERS[user]['password']}\n")
    with open(bodies_path, "w") as f:
        for user in users:
            f.write(login_body(user) + "\n")
    return users_path, bodies_path


# -- building -------------------------------------------------------------

def build_c(source, name, libs):
    """Compiles bench/SOURCE into build/bench/NAME when it is out of date;
    returns the binary's path."""
    os.makedirs(BUILD, exist_ok=True)
    src = os.path.join(BENCH, source)
    out = os.path.join(BUILD, name)
    if (not os.path.exists(out)
            or os.path.getmtime(out) < os.path.getmtime(src)):
        argv = ["gcc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall",
                "-Wextra", "-Werror", src, "-o", out] + libs
        rc, stdout, stderr = run_child(argv, timeout=120)
        if rc != 0:
            raise RuntimeError(f"{' '.join(argv)}\n{stdout}{stderr}")
    return out


# -- slapd ----------------------------------------------------------------

def start_directory(stack, workdir):
    """The harness's seeded slapd, with its log level set to 0.

    slapd logs every connection and operation to syslog by default; where
    no syslog daemon listens (containers, CI), each message costs a failed
    socket() + connect() to /dev/log, which would more than double slapd's
    CPU per login.  Both sides of every comparison use this same slapd.
    """
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    server = slapd.Slapd(workdir)
    with open(server.conf_path) as f:
        text = f.read()
    with open(server.conf_path, "w") as f:
        f.write(text.replace("\npidfile ", "\nloglevel 0\n\npidfile ", 1))
    stack.add(server)
    server.start()
    server.seed()
    return server


# -- nginx ----------------------------------------------------------------

_module_copy = None


def module_copy():
    """A private copy of the built module, taken once per run: every
    nginx of the run loads the same build, and a rebuild during the run
    (make overwrites the file in place) cannot change the code under a
    running nginx."""
    global _module_copy
    if _module_copy is None:
        os.makedirs(RUN_DIR, exist_ok=True)
        path = os.path.join(RUN_DIR, os.path.basename(nginx.MODULE))
        shutil.copy2(nginx.MODULE, path)
        _module_copy = path
    return _module_copy


def module_facts():
    path = module_copy()
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    built = time.strftime("%Y-%m-%d %H:%M:%S",
                          time.localtime(os.path.getmtime(nginx.MODULE)))
    return f"{nginx.MODULE} (built {built}, sha256 {digest}...)"


def new_nginx(prefix, http_text, main="", workers=1, log_level="notice"):
    """An nginx.Nginx (not started) loading the run's copy of the
    module; log level notice keeps the audit lines, as in production."""
    return nginx.Nginx(prefix, http=http_text, main=main, workers=workers,
                       log_level=log_level, module=module_copy())


def start_nginx(stack, prefix, http_text, main="", workers=1,
                log_level="notice"):
    server = new_nginx(prefix, http_text, main=main, workers=workers,
                       log_level=log_level)
    stack.add(server)
    server.start()
    return server


def check_no_crash(server):
    crashes = server.crash_lines()
    if crashes:
        raise RuntimeError("nginx reported a crash:\n" + "\n".join(crashes))


# -- the machine ----------------------------------------------------------

def _first_line(argv):
    try:
        rc, out, err = run_child(argv, timeout=10)
    except OSError:
        return "not installed"
    text = (out + err).strip().splitlines()
    return text[0].strip() if text else "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def memory_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / (1024 * 1024)
    except OSError:
        pass
    return 0.0


def load_average():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine_facts():
    slapd_version = _first_line(["/usr/sbin/slapd", "-VV"])
    match = re.search(r"slapd ([^ ]+)", slapd_version)
    return [
        ("nproc", str(os.cpu_count())),
        ("CPU", cpu_model()),
        ("memory", f"{memory_gib():.1f} GiB"),
        ("kernel", platform.release()),
        ("nginx", _first_line(["/usr/sbin/nginx", "-v"])
         .replace("nginx version: ", "")),
        ("slapd", match.group(1) if match else slapd_version),
        ("scepserver", _first_line([scepserver.SCEPSERVER, "-version"])),
        ("wrk", _first_line([WRK, "-v"]).split(" [")[0]),
        ("load average", load_average() + " (1, 5, 15 min) at the start"),
    ]


# -- printing -------------------------------------------------------------

def table(headers, rows, aligns=None):
    """Prints a plain-text table; aligns is a string of 'l'/'r'."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells])
              for i, h in enumerate(headers)]
    aligns = aligns or "l" + "r" * (len(headers) - 1)

    def line(values):
        out = []
        for value, width, align in zip(values, widths, aligns):
            out.append(value.ljust(width) if align == "l"
                       else value.rjust(width))
        return "  " + "  ".join(out).rstrip()

    print(line(headers))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))
    sys.stdout.flush()


def heading(title):
    print()
    print(title)
    print("=" * len(title))
    sys.stdout.flush()


def note(text):
    print(f"  {text}")
    sys.stdout.flush()


def fmt_rate(x):
    return f"{x:,.0f}"


def fmt_ms(x):
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


RUN_DIR = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                       f"ngx_scep-bench-{os.getpid()}")


def tempdir(name):
    """A fresh directory for one benchmark's servers and files."""
    path = os.path.join(RUN_DIR, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def cleanup_tempdirs(keep=False):
    """Removes the run's files; keep leaves them (and says where) so that
    the logs of a failed benchmark can be read."""
    if not os.path.isdir(RUN_DIR):
        return
    if keep:
        print(f"logs kept in {RUN_DIR}", file=sys.stderr)
    else:
        shutil.rmtree(RUN_DIR, ignore_errors=True)


def interrupt_on_signals():
    """Ctrl-C and SIGTERM (a CI time-out, kill) unwind the run, so that
    every finally: block stops what it started.  SIGINT gets Python's own
    handler even when the run was started with it ignored (a background
    job of a script)."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, handler)


def wait_for(predicate, timeout, what, interval=0.02):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{what}: not reached after {timeout:g} s")
        time.sleep(interval)
