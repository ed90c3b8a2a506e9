"""Stops, restarts and reloads a portal over and over with work in flight,
against the sanitizer build of the module, and sums up what the sanitizers
reported: the races between a worker's end and its thread-pool threads.

    make all build/asan/nginx/objs/ngx_http_scep_module.so
    /usr/bin/python3 tools/shutdown_stress.py [options]

Each round starts nginx (or, with --action reload, reloads it), waits for
every worker's pool thread to fetch the CA certificate, fires --logins
logins (enroll mode: RSA key generation and SCEP with scepserver), with
--pause-ldap first freezing slapd (SIGSTOP) so the logins wait on it and
fill a small pool (--thread-pool "threads=2 max_queue=4"), then after a
random delay stops nginx with SIGQUIT (graceful) or SIGTERM (fast), or
reloads it, and thaws slapd at a random moment after that.

--exit-order preloads tests/preload/exit_order.c (pool threads end after
OpenSSL's exit-time cleanup has begun, every time); --linger preloads
tests/preload/exit_linger.c (an exiting worker lingers and keeps its
modules mapped, so a thread still running after the exit shows what it
touches, in a complete report).  Without either, the schedule is the
machine's own.

Logs: build/stress/ (wiped first): sanitizer logs in build/stress/asan/.
"""

import argparse
import collections
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))

ASAN_MODULE = os.path.join(REPO, "build", "asan", "nginx", "objs",
                           "ngx_http_scep_module.so")
WORK = os.path.join(REPO, "build", "stress")
LOGS = os.path.join(WORK, "asan")
USERS = ["alice", "bob", "carol", "dave"]


def sanitizer_env():
    libs = [subprocess.check_output(["gcc", f"-print-file-name={lib}"],
                                    text=True).strip()
            for lib in ("libasan.so", "libubsan.so")]
    os.environ["NGX_SCEP_MODULE"] = ASAN_MODULE
    os.environ["NGX_SCEP_NGINX_PRELOAD"] = " ".join(libs)
    os.environ["ASAN_OPTIONS"] = (
        "detect_leaks=0:halt_on_error=0:symbolize=1:"
        "fast_unwind_on_malloc=0:malloc_context_size=40:"
        f"log_path={LOGS}/asan")
    os.environ["UBSAN_OPTIONS"] = ("print_stacktrace=1:halt_on_error=0:"
                                   f"log_path={LOGS}/ubsan")


def build_preload(name):
    source = os.path.join(REPO, "tests", "preload", name + ".c")
    path = os.path.join(WORK, name + ".so")
    subprocess.run(["gcc", "-std=c11", "-D_GNU_SOURCE", "-O1", "-Wall",
                    "-Wextra", "-Werror", "-shared", "-fPIC", "-o", path,
                    source, "-ldl"], check=True)
    return path


def fire_logins(server, count, portal, http):
    def one(user):
        try:
            http.post_form(server.url("/global-protect/getconfig.esp"),
                           portal.login(user), timeout=2)
        except OSError:
            pass
    for i in range(count):
        threading.Thread(target=one, args=(USERS[i % len(USERS)],),
                         daemon=True).start()


def summary():
    """(first line, innermost frame of our sources, else the innermost
    frame) of each report, counted."""
    seen = collections.Counter()
    for path in sorted(glob.glob(os.path.join(LOGS, "*"))):
        with open(path, errors="replace") as f:
            text = f.read()
        for report in re.split(r"(?m)^(?===\d+==ERROR|.*runtime error)",
                               text):
            lines = [line for line in report.splitlines()
                     if line.strip("=")]
            if not lines:
                continue
            head = re.sub(r"0x[0-9a-f]+|==\d+==", "", lines[0])
            head = re.sub(r"\bT\d+\b", "T*", head).strip()
            frames = [line.split(" in ", 1)[1] for line in lines[1:]
                      if re.match(r"\s+#\d+ ", line) and " in " in line
                      and "__interceptor" not in line]
            ours = next((f for f in frames if REPO in f
                         and "/build/" not in f), frames[0] if frames else "")
            if head:
                seen[(head, re.sub(r":\d+$", "", ours))] += 1
    return seen


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--action", choices=("quit", "term", "reload"),
                        default="quit")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--logins", type=int, default=0)
    parser.add_argument("--mode", choices=("enroll", "push"),
                        default="enroll")
    parser.add_argument("--thread-pool", default="",
                        help='e.g. "threads=2 max_queue=4"')
    parser.add_argument("--key-pool", type=int, default=0)
    parser.add_argument("--pause-ldap", action="store_true")
    parser.add_argument("--delay", type=float, default=0.3,
                        help="longest random wait before the signal")
    parser.add_argument("--exit-order", action="store_true")
    parser.add_argument("--linger", action="store_true")
    args = parser.parse_args()

    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(LOGS)
    sanitizer_env()

    from harness import http, portal, procs
    from harness import nginx as nginx_mod
    from harness import scepserver as scep_mod
    from harness import slapd as slapd_mod

    preload = [build_preload(name) for name, wanted in
               (("exit_order", args.exit_order), ("exit_linger", args.linger))
               if wanted]
    slapd = slapd_mod.start_seeded(os.path.join(WORK, "slapd"))
    ca = scep_mod.ScepServer(os.path.join(WORK, "scepserver")).start()

    extra = {"key_pool": args.key_pool} if args.key_pool else {}
    location = "        scep_default_profile staff;"
    main_conf = ""
    if args.thread_pool:
        location += "\n        scep_thread_pool stress;"
        main_conf = f"thread_pool stress {args.thread_pool};"
    conf = (portal.directory_block(slapd)
            + portal.profile_block("staff", ca.url, mode=args.mode,
                                   subject='"O=Example,OU=stress,'
                                           'CN=$USERNAME"', **extra)
            + "scep_store @PREFIX@/store;\n"
            + portal.portal_server(location))

    rounds, fetched, crashes = 0, 0, collections.Counter()
    server = None
    started = time.monotonic()
    try:
        while time.monotonic() - started < args.seconds:
            if server is None:
                server = nginx_mod.Nginx(
                    os.path.join(WORK, f"nginx-{rounds}"), http=conf,
                    main=main_conf, workers=args.workers, preload=preload)
                server.start(timeout=30)
                fetched = 0
            fetched += args.workers
            procs.wait_until(
                lambda: server.error_log().count('CA certificate "')
                >= fetched, 30, "the CA certificate", interval=0.05)
            if args.pause_ldap:
                slapd.pause()
            fire_logins(server, args.logins, portal, http)
            time.sleep(random.uniform(0, args.delay))
            if args.pause_ldap:
                threading.Timer(random.uniform(0, 0.5), slapd.resume).start()
            if args.action == "reload":
                server.reload(timeout=30)
            else:
                server.proc.stop(signal.SIGTERM if args.action == "term"
                                 else signal.SIGQUIT, 15)
                crashes.update(line.split("] ", 1)[-1][:100]
                               for line in server.crash_lines())
                server = None
            if args.pause_ldap:
                time.sleep(0.6)
                slapd.resume()
            rounds += 1
    finally:
        if server is not None:
            server.proc.stop(signal.SIGQUIT, 15)
        if slapd.paused:
            slapd.resume()
        ca.stop()
        slapd.stop()

    print(f"{rounds} rounds in {time.monotonic() - started:.0f} s, "
          f"{len(glob.glob(os.path.join(LOGS, '*')))} sanitizer logs")
    for line, count in crashes.most_common():
        print(f"  {count:4d}  log: {line}")
    for (head, ours), count in summary().most_common():
        print(f"  {count:4d}  {head}\n          {ours}")


if __name__ == "__main__":
    main()
