"""What a process holds open, sorted by kind, read from /proc.

A worker process's descriptors after a test are compared with those it
had before: the same files, pipes and listening sockets; no connection
from a client left open; connections to the backends (LDAP, the PKI) no
more than their pools may keep.  A leak shows as a count that grew.
"""

import collections
import os

Snapshot = collections.namedtuple("Snapshot", "pid other clients backends")
Snapshot.__doc__ = """pid; other: sorted list of what is neither a TCP
connection nor ours to judge by count (files, pipes, listening sockets,
eventfds, "unix socket", and "socket" for any other socket: a TCP socket
not connected yet, or closed by a reset and not yet by its owner);
clients: TCP connections whose local port is one of nginx's; backends:
{remote port: number of connections}."""

_TCP_STATES_LISTEN = "0A"


def _tcp_table(wanted):
    """{socket inode: (local port, remote port, state)} for IPv4 and 6,
    of the inodes in wanted only (the tables may hold hundreds of
    thousands of connections in TIME_WAIT after a load: only the inode
    of each line is looked at, as bytes)."""
    wanted = {inode.encode() for inode in wanted}
    table = {}
    if not wanted:
        return table
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name, "rb") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split(None, 10)
            if len(fields) < 10 or fields[9] not in wanted:
                continue
            local, remote, state = fields[1], fields[2], fields[3]
            table[fields[9].decode()] = (
                int(local.rsplit(b":", 1)[1], 16),
                int(remote.rsplit(b":", 1)[1], 16), state.decode())
    return table


def _unix_sockets(wanted):
    """The inodes in wanted that are Unix-domain sockets (nginx's
    channels between master and workers, socketpairs of libraries)."""
    wanted = {inode.encode() for inode in wanted}
    found = set()
    if not wanted:
        return found
    try:
        with open("/proc/net/unix", "rb") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return found
    for line in lines:
        fields = line.split(None, 7)
        if len(fields) >= 7 and fields[6] in wanted:
            found.add(fields[6].decode())
    return found


def snapshot(pid, listen_ports):
    """The descriptors of pid, sorted by kind (see Snapshot); None when
    the process is gone."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    targets = []
    for name in names:
        try:
            targets.append(os.readlink(f"/proc/{pid}/fd/{name}"))
        except OSError:
            continue
    sockets = [t[len("socket:["):-1] for t in targets
               if t.startswith("socket:[")]
    tcp = _tcp_table(sockets)
    unix = _unix_sockets(sockets)
    other, clients, backends = [], 0, collections.Counter()
    for target in targets:
        if target.startswith("socket:["):
            inode = target[len("socket:["):-1]
            entry = tcp.get(inode)
            if entry is not None:
                local, remote, state = entry
                if state == _TCP_STATES_LISTEN:
                    other.append(f"listen:{local}")
                elif local in listen_ports:
                    clients += 1
                else:
                    backends[remote] += 1
                continue
            other.append("unix socket" if inode in unix else "socket")
            continue
        if target.startswith("/proc/") or target.startswith("anon_inode:"):
            other.append(target)
            continue
        other.append(target if not target.startswith("pipe:") else "pipe")
    return Snapshot(pid, sorted(other), clients, dict(backends))


def growth(before, after, backend_limit):
    """What after holds beyond before, as sentences; [] when nothing.

    backend_limit: how many connections to one backend a worker may keep
    (its pools' sizes together).
    """
    problems = []
    extra = collections.Counter(after.other) - collections.Counter(
        before.other)
    if extra:
        problems.append("descriptors opened and not closed: "
                        + ", ".join(f"{n} x {what}"
                                    for what, n in sorted(extra.items())))
    if after.clients > before.clients:
        problems.append(f"{after.clients} client connection(s) still open")
    for port, n in sorted(after.backends.items()):
        if n > backend_limit:
            problems.append(f"{n} connections to port {port} (its pools "
                            f"keep at most {backend_limit})")
    return problems


def difference(before, after):
    """What differs between two snapshots' other descriptors, as
    {"opened": [...], "closed": [...]}."""
    b, a = collections.Counter(before.other), collections.Counter(after.other)
    return {"opened": sorted((a - b).elements()),
            "closed": sorted((b - a).elements())}
