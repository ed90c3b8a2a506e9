"""enroll: enrollments per second through the portal in enroll mode (the
portal makes the key and the CSR, runs the SCEP transaction, answers a
PKCS#12) beside the CA's own rate for the same work.

The CA's own rate: micromdm's scepclient, run as separate processes in
parallel (as many at once as the portal gets concurrent logins), each
making its key and enrolling against the same scepserver, for a fixed
time.  The portal's rate: wrk POSTing getconfig logins to a location
whose profile says "mode enroll;".

The bench's scepserver runs without -csrverifierexec (the test harness's
verifier is a Python program started once per CSR, which would dominate
both sides) and without -debug; both sides enroll 2048-bit RSA keys.

The benchmark runs only when this build accepts "mode enroll;" (nginx -t)
and a login is answered with a <scep-certificate>; otherwise it says it
was skipped.
"""

import os
import shutil
import signal
import subprocess
import time

import common
from common import http, portal, procs, scepserver

CONCURRENCY = 4
KEY_BITS = 2048
SCEPCLIENT = "/usr/bin/scepclient"
SKIPPED = "skipped: enroll mode not available in this build"
MAIN = "thread_pool bench threads=16 max_queue=4096;"


class BenchScepServer(scepserver.ScepServer):
    """The harness's scepserver with its own fresh CA, started without
    the CSR verifier and without debug logging."""

    def start(self, timeout=10.0, detached=False):
        self.proc = procs.Proc(
            "scepserver",
            [scepserver.SCEPSERVER, "-depot", self.depot,
             "-port", str(self.port), "-allowrenew", "0"],
            self.log_path, cwd=self.dir)
        self.proc.start(detached=detached)
        self.paused = False
        try:
            procs.wait_until(self._answers, timeout, "GetCACaps",
                             interval=0.03, alive=self.proc.running)
        except procs.StartError as e:
            err = self.proc.start_error(str(e))
            self.proc.stop(timeout=2.0)
            raise err from None
        return self


def enroll_conf(scep):
    location = ("        scep_default_profile enroll;\n"
                "        scep_thread_pool bench;\n")
    profile = portal.profile_block(
        "enroll", scep_url=scep.url, mode="enroll",
        key_bits=str(KEY_BITS),
        ca_fingerprint=scep.ca_fingerprint_sha256,
        subject='"O=Example,OU=VPN,CN=$USERNAME"')
    return location, profile


def portal_http(slapd_server, scep):
    location, profile = enroll_conf(scep)
    return (portal.directory_block(slapd_server, pool_size=16,
                                   connect_timeout="5s", timeout="10s")
            + profile
            + portal.portal_server(location, listen="@PORT@ reuseport"))


def available(stack, workdir, slapd_server, scep):
    """(nginx or None, reason): a started portal if enroll mode works."""
    server = common.new_nginx(os.path.join(workdir, "nginx"),
                              portal_http(slapd_server, scep), main=MAIN,
                              workers=1)
    ok, output = server.test()
    if not ok:
        lines = [l for l in output.splitlines() if "emerg" in l]
        return None, (lines[0] if lines else output.strip()[:200])
    stack.add(server)
    server.start()
    response = http.post_form(server.url(common.GETCONFIG),
                              portal.login(common.BENCH_USERS[0]),
                              timeout=60)
    if response.status != 200 or b"<scep-certificate" not in response.body:
        server.stop()
        return None, (f"nginx -t accepts \"mode enroll;\" but a login is "
                      f"answered HTTP {response.status} without a "
                      f"<scep-certificate>")
    return server, None


class ClientRun:
    def __init__(self, argv, run_dir):
        self.run_dir = run_dir
        self.started = time.monotonic()
        self.popen = subprocess.Popen(argv, cwd=run_dir,
                                      stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)


def ca_rate(scep, workdir, concurrency, seconds, tag):
    """scepclient enrollments, concurrency at a time, for seconds.

    Returns (enrollments finished in time, failures, latencies in s).
    Enrollments still running at the end are waited for, not counted.
    """
    runs = []
    ok, failed, latencies = 0, 0, []
    n = 0
    t_end = time.monotonic() + seconds
    try:
        while True:
            now = time.monotonic()
            while len(runs) < concurrency and now < t_end:
                n += 1
                run_dir = os.path.join(workdir, f"{tag}-{n}")
                os.makedirs(run_dir)
                runs.append(ClientRun(
                    [SCEPCLIENT, "-server-url", scep.url,
                     "-cn", f"bench-{tag}-{n}",
                     "-private-key", os.path.join(run_dir, "key.pem"),
                     "-certificate", os.path.join(run_dir, "cert.pem"),
                     "-keySize", str(KEY_BITS),
                     "-ca-fingerprint", scep.ca_fingerprint_sha256],
                    run_dir))
            if not runs:
                break
            for run in list(runs):
                rc = run.popen.poll()
                if rc is None:
                    continue
                end = time.monotonic()
                runs.remove(run)
                if end <= t_end:
                    if rc == 0 and os.path.exists(
                            os.path.join(run.run_dir, "cert.pem")):
                        ok += 1
                        latencies.append(end - run.started)
                    else:
                        failed += 1
                shutil.rmtree(run.run_dir, ignore_errors=True)
            time.sleep(0.002)
    finally:
        for run in runs:
            run.popen.send_signal(signal.SIGKILL)
            run.popen.wait()
    return ok, failed, latencies


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1,
                      int(p / 100.0 * (len(values) - 1) + 0.5))]


def cpu_cells(used, count):
    if not count:
        return ["-", "-", "-"]
    per = {k: v / count * 1000 for k, v in used.items()}
    return [f"{per['scepserver']:.1f}",
            f"{per['nginx']:.1f}" if "nginx" in per else "-",
            f"{per['client']:.1f}"]


def run(settings):
    common.heading("enroll: enrollments/s, portal (enroll mode) vs the CA "
                   "with scepclient")
    workdir = common.tempdir("enroll")
    with common.Stack(workdir) as stack:
        slapd_server = common.start_directory(
            stack, os.path.join(workdir, "slapd"))
        scep = stack.add(BenchScepServer(os.path.join(workdir, "scep")))
        scep.start()

        server, reason = available(stack, workdir, slapd_server, scep)
        if server is None:
            print(f"  {SKIPPED}")
            common.note(f"({reason})")
            return

        c = CONCURRENCY
        common.note(f"concurrency {c} on both sides (scepclient processes "
                    f"= wrk connections); RSA {KEY_BITS}; warm-up "
                    f"{settings.warmup:g} s, then {settings.duration:g} s "
                    "measured per row")
        rows = []

        clients_dir = os.path.join(workdir, "clients")
        os.makedirs(clients_dir)
        ca_rate(scep, clients_dir, c, settings.warmup, "warm")
        meter = common.CpuMeter(scepserver=scep).start()
        ok, failed, lat = ca_rate(scep, clients_dir, c, settings.duration,
                                  "run")
        meter.stop()
        ca = ok / settings.duration
        rows.append(["scepserver direct (scepclient processes)",
                     f"{ca:.1f}", common.fmt_ms(percentile(lat, 50) * 1000),
                     common.fmt_ms(percentile(lat, 99) * 1000), ""]
                    + cpu_cells(meter.used, ok)
                    + [f"ok x{ok}" + (f" failed x{failed}" if failed
                                      else "")])

        _, bodies = common.write_login_files(workdir)
        meter = common.CpuMeter(scepserver=scep, nginx=server)
        r = common.wrk_warm_and_measure(server.url(common.GETCONFIG),
                                        settings, c, bodies=bodies,
                                        meter=meter)
        common.check_no_crash(server)
        rows.append(["portal getconfig, mode enroll", f"{r.ok_rate:.1f}",
                     common.fmt_ms(r.p50_ms), common.fmt_ms(r.p99_ms),
                     f"{r.ok_rate / ca:.2f}" if ca else "-"]
                    + cpu_cells(meter.used, r.count(200))
                    + [r.status_text()])

    common.table(["what", "enrollments/s", "p50 ms", "p99 ms", "vs CA",
                  "cpu ms scepserver", "cpu ms nginx", "cpu ms client",
                  "answers"], rows, aligns="lrrrrrrrl")
    common.note("vs CA: the portal's rate divided by the CA's own; cpu ms: "
                "CPU milliseconds per enrollment of each process")
