"""logins: getconfig logins per second through the portal (push mode,
challenge none) beside the directory's own rate for the same work.

The directory's rate is measured by bench/ldap_rate.c, a C client with
as many threads as the portal gets concurrent logins, in two ways:

  full   service bind + search + user bind on one connection per login
  split  what the portal's connection pool does: the search connection
         stays bound as the service account, the user binds on another
         connection, so a login is search + user bind

The portal is measured with wrk (one thread, the same number of
keep-alive connections), POSTing getconfig forms for the seeded users in
turn, with nginx's worker_processes and the thread pool's size varied
(the directory's pool_size follows the thread count, so every thread
keeps its connections).

Beside each rate: the CPU time that slapd, nginx (master, workers and
their thread pools) and the load generator spent per login, read from
/proc around the measured run.  On a machine where all three share the
cores, these say where the time goes.
"""

import os
import shutil
import signal
import subprocess

import common
from common import directory, http, portal

# (worker_processes, thread pool threads) of the portal's rows
PORTAL_SHAPES = ((1, 4), (1, 16), (2, 4), (2, 16))


def portal_conf(slapd_server, threads):
    location = ("        scep_default_profile staff;\n"
                "        scep_thread_pool bench;\n")
    http_text = (portal.directory_block(slapd_server, pool_size=threads,
                                        connect_timeout="5s", timeout="10s")
                 + portal.profile_block()
                 + portal.portal_server(location,
                                        listen="@PORT@ reuseport"))
    main = f"thread_pool bench threads={threads} max_queue=4096;"
    return http_text, main


def ldap_rate(binary, slapd_server, users_path, mode, threads, seconds):
    argv = [binary, "-H", slapd_server.url,
            "-D", directory.SERVICE["dn"], "-w", directory.SERVICE["password"],
            "-b", directory.PEOPLE_DN, "-u", users_path, "-m", mode,
            "-t", str(threads), "-W", "0", "-d", f"{seconds:g}"]
    rc, out, err = common.run_child(argv, timeout=seconds + 60)
    fields = common.parse_result(out)
    if rc != 0 or fields is None:
        raise RuntimeError(f"ldap_rate failed (exit {rc}):\n{out}{err}")
    return {
        "logins": int(fields["logins"]),
        "rate": float(fields["rate"]),
        "p50_ms": int(fields["p50_us"]) / 1000.0,
        "p99_ms": int(fields["p99_us"]) / 1000.0,
        "errors": int(fields["errors"]),
    }


def probe(server):
    """One login before the load: a 200 with the SCEP settings."""
    response = http.post_form(server.url(common.GETCONFIG),
                              portal.login(common.BENCH_USERS[0]))
    if response.status != 200 or b"<policy" not in response.body:
        raise RuntimeError(f"the portal did not answer a login with a "
                           f"<policy>: HTTP {response.status}: "
                           f"{response.body[:300]!r}")


def cpu_cells(used, logins):
    """CPU microseconds per login of slapd, nginx and the client."""
    if not logins:
        return ["-", "-", "-", "-"]
    per = {k: v / logins * 1e6 for k, v in used.items()}
    total = sum(per.values())
    return [f"{per['slapd']:.0f}", f"{per['nginx']:.0f}"
            if "nginx" in per else "-", f"{per['client']:.0f}",
            f"{total:.0f}"]


def run(settings):
    common.heading("logins: getconfig logins/s, portal (push mode) vs the "
                   "directory itself")
    c = settings.concurrency
    common.note(f"concurrency {c} everywhere (ldap_rate threads = wrk "
                f"connections); warm-up {settings.warmup:g} s, then "
                f"{settings.duration:g} s measured per row")
    common.note(f"users in turn: {', '.join(common.BENCH_USERS)}")

    binary = common.build_c("ldap_rate.c", "ldap_rate",
                            ["-lldap", "-llber", "-lpthread"])
    workdir = common.tempdir("logins")
    users_path, bodies_path = common.write_login_files(workdir)

    rows = []
    with common.Stack(workdir) as stack:
        server = common.start_directory(stack,
                                        os.path.join(workdir, "slapd"))
        direct = {}
        for mode, what in (("full", "svc bind+search+user bind"),
                           ("split", "search+user bind, 2 conns")):
            ldap_rate(binary, server, users_path, mode, c, settings.warmup)
            meter = common.CpuMeter(slapd=server).start()
            r = ldap_rate(binary, server, users_path, mode, c,
                          settings.duration)
            used = meter.stop()
            direct[mode] = r["rate"]
            rows.append([f"slapd direct ({mode}: {what})", "-", "-",
                         common.fmt_rate(r["rate"]),
                         common.fmt_ms(r["p50_ms"]),
                         common.fmt_ms(r["p99_ms"]), "", ""]
                        + cpu_cells(used, r["logins"])
                        + [f"errors x{r['errors']}" if r["errors"]
                           else "ok"])

        for workers, threads in PORTAL_SHAPES:
            http_text, main = portal_conf(server, threads)
            prefix = os.path.join(workdir, f"nginx-w{workers}-t{threads}")
            ngx = common.start_nginx(stack, prefix, http_text, main=main,
                                     workers=workers)
            probe(ngx)
            meter = common.CpuMeter(slapd=server, nginx=ngx)
            r = common.wrk_warm_and_measure(ngx.url(common.GETCONFIG),
                                            settings, c, bodies=bodies_path,
                                            meter=meter)
            common.check_no_crash(ngx)
            ngx.stop()
            rows.append(["portal getconfig", str(workers), str(threads),
                         common.fmt_rate(r.ok_rate), common.fmt_ms(r.p50_ms),
                         common.fmt_ms(r.p99_ms),
                         f"{r.ok_rate / direct['full']:.2f}",
                         f"{r.ok_rate / direct['split']:.2f}"]
                        + cpu_cells(meter.used, r.count(200))
                        + [r.status_text()])

    common.table(["what", "workers", "threads", "logins/s", "p50 ms",
                  "p99 ms", "vs full", "vs split", "cpu slapd",
                  "cpu nginx", "cpu client", "cpu total", "answers"],
                 rows, aligns="lrrrrrrrrrrrl")
    common.note("logins/s: successful logins per second (HTTP 200 with a "
                "<policy>); p50/p99: latency of one login as its client "
                "saw it")
    common.note("vs full / vs split: the portal's rate divided by the "
                "directory's own, measured just before on the same slapd")
    common.note("cpu ...: CPU microseconds per login of each process "
                f"(user + system); {os.cpu_count()} cores give "
                f"{os.cpu_count() * 1e6:,.0f} us of CPU per second in all")


# -- --profile: where one worker's CPU goes ------------------------------

# frames every sample has: they say nothing about where the time goes
SKIP_SYMBOLS = ("clone3", "start_thread", "main", "_start",
                "ngx_spawn_process", "ngx_master_process_cycle",
                "__libc_start_main_impl", "__libc_start_call_main")


def perf_report(data, sort, children, limit):
    argv = ["perf", "report", "-i", data, "--stdio", "-g", "none",
            "--sort", sort, "--children" if children else "--no-children"]
    rc, out, err = common.run_child(argv, timeout=300)
    if rc != 0:
        raise RuntimeError(f"perf report failed: {err.strip()[:300]}")
    rows = []
    for line in out.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if children:
            # "total% self% [.] symbol"
            if len(parts) < 4 or parts[2] not in ("[.]", "[k]"):
                continue
            symbol = " ".join(parts[3:])
            if (parts[2] == "[k]" or symbol.startswith("0x")
                    or symbol.split(" ")[0] in SKIP_SYMBOLS):
                continue
            rows.append([symbol, parts[0], parts[1]])
        else:
            rows.append([" ".join(parts[1:]), parts[0]])
        if len(rows) >= limit:
            break
    return rows


def profile(settings):
    """perf record of the one nginx worker during a portal run."""
    common.heading("profile: where the nginx worker's CPU goes during "
                   "logins (perf, 1 worker, 16 threads)")
    if shutil.which("perf") is None:
        common.note("skipped: perf is not installed (Debian package "
                    "linux-perf)")
        return
    workdir = common.tempdir("profile")
    _, bodies_path = common.write_login_files(workdir)
    data = os.path.join(workdir, "perf.data")
    with common.Stack(workdir) as stack:
        server = common.start_directory(stack,
                                        os.path.join(workdir, "slapd"))
        http_text, main = portal_conf(server, 16)
        ngx = common.start_nginx(stack, os.path.join(workdir, "nginx"),
                                 http_text, main=main, workers=1)
        probe(ngx)
        url = ngx.url(common.GETCONFIG)
        common.wrk(url, settings.warmup, settings.concurrency, bodies_path)
        perf = subprocess.Popen(
            ["perf", "record", "-F", "999", "--call-graph", "dwarf,16384",
             "-o", data, "-p", ",".join(str(p) for p in ngx.worker_pids())],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            seconds = min(settings.duration, 5.0)
            r = common.wrk(url, seconds, settings.concurrency, bodies_path)
        finally:
            perf.send_signal(signal.SIGINT)
            _, err = perf.communicate(timeout=120)
        # perf exits with the interrupt's status once it has written
        if not os.path.exists(data) or os.path.getsize(data) == 0:
            common.note(f"skipped: perf record failed: "
                        f"{err.decode(errors='replace').strip()[:300]}")
            return
        common.note(f"{r.ok_rate:,.0f} logins/s while recorded "
                    "(perf itself slows the worker)")

    common.note("CPU of the worker (event loop and thread pool) by "
                "library, self time:")
    common.table(["library", "share"],
                 perf_report(data, "dso", False, 12), aligns="lr")
    common.note("functions, inclusive time (the function and what it "
                "calls), user space:")
    common.table(["function", "inclusive", "self"],
                 perf_report(data, "sym", True, 40), aligns="lrr")
