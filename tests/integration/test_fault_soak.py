"""A soak: tens of thousands of logins, and what each worker holds
before and after.

Push mode, two workers, 16 clients on keep-alive connections.  A
warm-up fills what a worker fills once (the directory's connection
pools, of 4 connections per role so that both workers' fill up, the
group cache of the four users, malloc's arenas of the pool's threads,
OpenSSL's tables), then each worker's resident memory and descriptors
are read, the soak runs, and they are read again once the clients are
gone (and once halfway, for the figures).

Descriptors: no file, pipe, socket or listener that was not open
before; no client connection left; directory connections within the
pools' size.

Memory: each worker's RSS may grow by RSS_BOUND_KIB, a hundred bytes
for each login of its share of the soak (half of 40,000: 1.9 MiB).  A
warm worker's RSS still moves by a few hundred KiB (malloc's free lists
and arenas settling: one worker measured over 240,000 logins grew by
100, 76, 36 ... 4 KiB per 20,000, less than a byte a login at the end),
while with a leak of 128 bytes a login put in, a worker grew by 4.4 MiB.
"""

import os

from harness import fds, load, portal, procs
from harness.nginx import PRELOAD

USERS = ["alice", "bob", "carol", "dave"]

# The sanitizer build logs in at the same rate here (nginx itself is not
# instrumented, and a push-mode login spends little time in the module):
# the same soak, without the sanitizer's quarantine (see sanitizer_env)
# and with a longer warm-up, which its allocator needs to settle.
WARM_UP = 40000 if PRELOAD else 4000
SOAK = 40000

# a hundred bytes for each of a worker's share of the soak's logins
RSS_BOUND_KIB = SOAK // 2 * 100 // 1024

CLIENTS = 16

# connections a worker keeps to the directory, per role (search, bind)
POOL_SIZE = 4

# a warm-up round that moves no worker's RSS by this much has filled
# what it fills
SETTLED_KIB = 256


def sanitizer_env():
    """A sanitizer build keeps freed memory in quarantine (256 MiB by
    default) to catch later uses: resident memory would grow with every
    login until that is full, then swing by megabytes as it recycles
    (still +-1 MiB between rounds of 10,000 logins with a quarantine of
    1 MiB).  This test measures memory, not uses after free, which every
    other test catches: here the quarantine is off, and the sanitizer's
    other checks (overflows, double frees, undefined behaviour) stay on.
    Its allocator then settles to about 10 bytes a login of its own
    bookkeeping (allocation stacks kept for reports), within the bound."""
    if not PRELOAD:
        return None
    options = os.environ.get("ASAN_OPTIONS", "")
    return {"ASAN_OPTIONS": (options + ":" if options else "")
            + "quarantine_size_mb=0:thread_local_quarantine_size_kb=0"}


# looks at the workers' descriptors that must agree before a snapshot
# counts, LOOK_INTERVAL apart: a second in all
STABLE_LOOKS = 5
LOOK_INTERVAL = 0.25


def quiet(server):
    """{worker: (rss KiB, descriptors, fds.Snapshot)} once nothing is in
    progress, no client connection is left, and looks over a second
    agree on each worker's descriptors (a directory connection that its
    pool lets go may still be closing; one fresh-root run saw a
    descriptor held for longer than 50 ms and gone a few seconds
    later)."""
    ports = set(server.listen_ports())
    looks = []

    def idle():
        if load.in_progress(server.port) != 0:
            looks.clear()
            return False
        looks.append({pid: fds.snapshot(pid, ports)
                      for pid in server.worker_pids()})
        recent = looks[-STABLE_LOOKS:]
        return (all(s.clients == 0 for s in looks[-1].values())
                and len(recent) == STABLE_LOOKS
                and all(look == recent[0] for look in recent))
    procs.wait_until(idle, 30, "the workers to be idle",
                     interval=LOOK_INTERVAL)
    return {pid: (load.rss_kib(pid), len(snap.other) + snap.clients
                  + sum(snap.backends.values()), snap)
            for pid, snap in looks[-1].items()}


def run(server, count, clients=CLIENTS):
    soak = load.Load(server.port, lambda seq: portal.login(USERS[seq % 4]),
                     clients=clients, keepalive=True, timeout=30,
                     limit=count)
    # far beyond the slowest rate seen (the sanitizer build's)
    soak.run(timeout=count / 50 + 60)
    return soak


def test_soak_keeps_memory_and_descriptors(nginx, slapd, figures):
    conf = (portal.directory_block(slapd, pool_size=POOL_SIZE)
            + portal.profile_block()
            + "keepalive_requests 1000;\n"
            + portal.portal_server("        scep_default_profile staff;",
                                   extra=load.STATUS_LOCATION))
    server = nginx(http=conf, workers=2, env=sanitizer_env())
    server.start()

    # warm until each worker's directory pools are full (16 clients on
    # two workers keep more than POOL_SIZE logins in flight on each) and
    # its memory has settled: the clients' keep-alive connections do not
    # share the logins evenly between the workers
    limit = server._backend_limit()
    warm = run(server, WARM_UP)
    before = quiet(server)
    rounds = 1
    while rounds < 8:
        more = run(server, 4000)
        warm.outcomes += more.outcomes
        now = quiet(server)
        rounds += 1
        settled = all(
            sum(now[pid][2].backends.values()) == limit
            and now[pid][0] - before[pid][0] < SETTLED_KIB
            for pid in now)
        before = now
        if settled:
            break
    soak = run(server, SOAK // 2)
    middle = quiet(server)
    soak2 = run(server, SOAK - SOAK // 2)
    after = quiet(server)

    outcomes = soak.outcomes + soak2.outcomes
    elapsed = (soak.ended - soak.started) + (soak2.ended - soak2.started)
    figures(f"warm-up ({rounds} round(s)): {load.describe(warm.outcomes)}")
    figures(f"soak, 2 workers, {CLIENTS} keep-alive clients: "
            f"{load.describe(outcomes)}; {len(outcomes) / elapsed:.0f} "
            f"logins/s over {elapsed:.1f} s")
    for pid in sorted(before):
        steps = [before[pid], middle.get(pid), after.get(pid)]
        figures(f"worker {pid}: RSS "
                + " -> ".join("-" if s is None else f"{s[0]} KiB"
                              for s in steps)
                + f" (bound +{RSS_BOUND_KIB} KiB); descriptors "
                + " -> ".join("-" if s is None else
                              f"{s[1]} (backends {s[2].backends})"
                              for s in steps))
        if after.get(pid) and after[pid][2].other != before[pid][2].other:
            figures(f"worker {pid}: descriptors other than connections, "
                    f"before and after the soak: "
                    f"{fds.difference(before[pid][2], after[pid][2])}")

    assert load.tally(warm.outcomes) == {"200": len(warm.outcomes)}
    assert all(sum(s[2].backends.values()) == limit
               for s in before.values()), "the pools did not fill"
    assert soak.unanswered() == [] and soak2.unanswered() == []
    assert load.tally(outcomes) == {"200": SOAK}
    assert sorted(after) == sorted(before), "a worker was replaced"
    # a leak is what grew; a descriptor open before and closed since is
    # named in the figures, not judged (it leaks nothing)
    for pid, (rss, count, snap) in after.items():
        rss0, count0, snap0 = before[pid]
        assert fds.growth(snap0, snap, limit) == [], pid
        assert count <= count0, (pid, count0, count)
        assert rss - rss0 <= RSS_BOUND_KIB, (pid, rss0, rss)
