"""A worker that ends while its thread-pool threads are still ending.

nginx lets a pool thread go once the thread has taken its exit task: the
worker's main thread goes on to the modules' exit_process, frees the
cycle's pool and calls exit(), whose atexit handlers include OpenSSL's
cleanup, while the pool threads are still inside pthread_exit() running
their thread-specific-data destructors.  OpenSSL's cleanup frees the
per-thread state of every thread that used OpenSSL; a thread whose own
destructor runs after that frees it a second time (AddressSanitizer:
"attempting double-free" of an 8-byte block, in the pool thread; glibc
alone: "double free or corruption", the worker ends on SIGABRT).

tests/preload/exit_order.c, preloaded into nginx, makes that schedule
happen every time instead of once in many runs: a thread in
pthread_exit() waits until OpenSSL's cleanup has begun, and says so on
stderr (nginx's error log) when OpenSSL's destructor runs that late.  The
portal's pool threads use OpenSSL as soon as a worker starts (GetCACert
for the enroll profile), so every way a worker ends is concerned: a
graceful stop, a fast stop and a reload.
"""

import os
import re
import signal
import subprocess

import pytest

from harness import portal, procs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SOURCE = os.path.join(REPO, "tests", "preload", "exit_order.c")

LATE_DESTRUCTOR = "exit_order: "
EXITED = re.compile(r"worker process (\d+) exited (with code \d+|on signal "
                    r"\d+)")


@pytest.fixture(scope="session")
def exit_order(tmp_path_factory):
    """tests/preload/exit_order.c, built warning-free."""
    path = str(tmp_path_factory.mktemp("exit-order") / "exit_order.so")
    result = subprocess.run(
        ["gcc", "-std=c11", "-D_GNU_SOURCE", "-O1", "-Wall", "-Wextra",
         "-Werror", "-shared", "-fPIC", "-o", path, SOURCE, "-ldl"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return path


def start_portal(nginx, slapd, scepserver, exit_order):
    """The usual portal with an enroll profile; returns once its worker's
    pool thread has fetched the CA certificate (and so used OpenSSL)."""
    profile = portal.profile_block(
        "staff", scepserver.url, mode="enroll",
        subject='"O=Example,OU=shutdown,CN=$USERNAME"')
    conf = (portal.directory_block(slapd) + profile
            + "scep_store @PREFIX@/store;\n"
            + portal.portal_server("        scep_default_profile staff;"))
    server = nginx(http=conf, preload=[exit_order])
    server.start()
    wait_ca(server, 1)
    return server


def wait_ca(server, count):
    procs.wait_until(
        lambda: server.error_log().count('CA certificate "') >= count,
        30, "the CA certificate", interval=0.05, alive=server.proc.running)


def worker_exit(server, pid):
    """How the master saw worker pid end: "with code N" or "on signal N"."""
    found = [m.group(2) for m in EXITED.finditer(server.error_log())
             if int(m.group(1)) == pid]
    return found[0] if found else None


def assert_clean_exit(server, worker):
    log = server.error_log()
    late = [line for line in log.splitlines() if LATE_DESTRUCTOR in line]
    assert late == [], (
        "a pool thread was still ending when OpenSSL's exit-time cleanup "
        "ran:\n" + "\n".join(late))
    assert server.crash_lines() == []
    assert worker_exit(server, worker) == "with code 0", log[-3000:]


def test_graceful_stop_waits_for_the_pool_threads(nginx, slapd, scepserver,
                                                  exit_order):
    server = start_portal(nginx, slapd, scepserver, exit_order)
    [worker] = server.worker_pids()

    server.stop(timeout=15)

    assert_clean_exit(server, worker)


def test_fast_stop_waits_for_the_pool_threads(nginx, slapd, scepserver,
                                              exit_order):
    server = start_portal(nginx, slapd, scepserver, exit_order)
    [worker] = server.worker_pids()

    server.proc.stop(signal.SIGTERM, 15)

    assert_clean_exit(server, worker)


def test_reload_waits_for_the_old_pool_threads(nginx, slapd, scepserver,
                                               exit_order):
    server = start_portal(nginx, slapd, scepserver, exit_order)
    [old] = server.worker_pids()

    server.reload(timeout=15)
    wait_ca(server, 2)
    procs.wait_until(lambda: worker_exit(server, old), 15,
                     "the old worker's end")

    assert_clean_exit(server, old)
