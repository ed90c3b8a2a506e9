"""Free TCP ports on 127.0.0.1, chosen at run time.

Ports come from 20000-32767, below Linux's ephemeral range (32768 and up):
a port the kernel hands out for bind(0) can be taken, before our server
binds it, by the local end of any outgoing connection; a port outside that
range can only be taken by another server.  A random start keeps parallel
test runs on the same machine apart.
"""

import random
import socket
import time

LOW, HIGH = 20000, 32767
HOST = "127.0.0.1"

_handed_out = set()


def is_free(port):
    """True if nothing listens on 127.0.0.1:port now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As the servers do: a port whose last connections linger in
        # TIME_WAIT is free for them.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port():
    """A port nobody listens on now, never the same one twice per run."""
    for _ in range(200):
        port = random.randint(LOW, HIGH)
        if port not in _handed_out and is_free(port):
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free port in {LOW}-{HIGH} on {HOST}")


def accepts(port, host=HOST, timeout=0.2):
    """True if a TCP connection to host:port is accepted."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_closed(port, timeout=5.0, host=HOST):
    """Waits until nothing accepts on port any more (after a stop)."""
    deadline = time.monotonic() + timeout
    while accepts(port, host) and time.monotonic() < deadline:
        time.sleep(0.02)
