"""A counting relay between the portal and a directory that wants TLS.

The portal connects to it with plain ldap:// on a loopback port; the
relay connects to the directory with ldaps:// (verifying it against the
directory's CA) and passes the bytes through unchanged both ways.  On the
way in it reads the LDAP messages (RFC 4511: a BER SEQUENCE holding a
message id and an operation of an APPLICATION tag) and counts each
operation by name: what the portal asked of the directory, round trip by
round trip, which the encrypted stream of a direct connection hides.
"""

import socket
import ssl
import threading

from .ports import HOST, free_port

# RFC 4511's request tags (APPLICATION, constructed or primitive)
OPERATIONS = {
    0x60: "bind", 0x42: "unbind", 0x63: "search", 0x66: "modify",
    0x68: "add", 0x4a: "delete", 0x6c: "modrdn", 0x6e: "compare",
    0x50: "abandon", 0x77: "extended",
}


def _ber_length(buf, pos):
    """(length, position after it), or None when buf ends first."""
    if pos >= len(buf):
        return None
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7f
    if n == 0 or n > 4:
        raise ValueError("unsupported BER length")
    if pos + 1 + n > len(buf):
        return None
    return int.from_bytes(buf[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def split_messages(buf):
    """The complete LDAP messages at the start of buf: ([operation names],
    the bytes left over)."""
    ops = []
    while True:
        if not buf:
            return ops, buf
        if buf[0] != 0x30:
            raise ValueError(f"not an LDAPMessage (tag {buf[0]:#x})")
        got = _ber_length(buf, 1)
        if got is None:
            return ops, buf
        length, start = got
        if len(buf) < start + length:
            return ops, buf
        body = buf[start:start + length]
        # messageID INTEGER, then the operation
        if not body or body[0] != 0x02:
            raise ValueError("LDAPMessage without a message id")
        id_len, id_start = _ber_length(body, 1)
        after_id = id_start + id_len
        tag = body[after_id] if after_id < len(body) else None
        ops.append(OPERATIONS.get(tag, f"tag {tag:#x}" if tag is not None
                                  else "empty"))
        buf = buf[start + length:]


class LdapCounter:
    """Listens on 127.0.0.1:port; counts[name] is the number of each
    operation seen so far (snapshot() copies it)."""

    def __init__(self, upstream_host, upstream_port, ca_file,
                 server_name=None):
        self.upstream = (upstream_host, upstream_port)
        self.server_name = server_name or upstream_host
        self.context = ssl.create_default_context(cafile=ca_file)
        self.port = free_port()
        self.url = f"ldap://{HOST}:{self.port}"
        self.counts = {}
        self.errors = []
        self.lock = threading.Lock()
        self.sock = None
        self.conns = []
        self.stopping = False

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, self.port))
        self.sock.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def snapshot(self):
        with self.lock:
            return dict(self.counts)

    def since(self, before):
        """What was asked since snapshot() returned before (names with a
        count of 0 left out)."""
        now = self.snapshot()
        return {k: now[k] - before.get(k, 0) for k in now
                if now[k] != before.get(k, 0)}

    def stop(self):
        self.stopping = True
        if self.sock is not None:
            self.sock.close()
        for conn in list(self.conns):
            try:
                conn.close()
            except OSError:
                pass

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                raw = socket.create_connection(self.upstream, timeout=10)
                upstream = self.context.wrap_socket(
                    raw, server_hostname=self.server_name)
                upstream.settimeout(None)
            except OSError as e:
                self.errors.append(f"upstream: {e}")
                client.close()
                continue
            self.conns += [client, upstream]
            threading.Thread(target=self._inbound, args=(client, upstream),
                             daemon=True).start()
            threading.Thread(target=self._outbound,
                             args=(upstream, client), daemon=True).start()

    def _inbound(self, client, upstream):
        buf = b""
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                buf += data
                ops, buf = split_messages(buf)
                with self.lock:
                    for op in ops:
                        self.counts[op] = self.counts.get(op, 0) + 1
                upstream.sendall(data)
        except (OSError, ValueError) as e:
            if not self.stopping:
                self.errors.append(f"inbound: {e}")
        finally:
            for s in (client, upstream):
                try:
                    s.close()
                except OSError:
                    pass

    def _outbound(self, upstream, client):
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
