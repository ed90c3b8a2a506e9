#!/usr/bin/python3
"""An NDES-style challenge service for tests (stdlib only).

It hands out one-time enrollment passwords on an admin page the way a
Microsoft NDES server does: after HTTP authentication (Basic, and NTLMv2
verified against the configured password), as UTF-16LE HTML, at most
--cache-size passwords outstanding (NDES: 5), each expiring after
--expiry seconds (NDES: 60 minutes).

    ndes_challenge.py --user U --password P --otp-dir DIR [--port N]
        [--port-file F] [--cache-size 5] [--expiry 3600]
        [--auth basic,ntlm] [--domain TEST] [--denied-user NAME]
        [--encoding utf-16le|utf-16le-nobom|utf-8] [--stall SECONDS]
        [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]]

Paths, all behind the login:
    /certsrv/mscep_admin/              a fresh password, or NDES's "The
                                       password cache is full" page (200)
    /certsrv/mscep_admin/403           403 with a plain page
    /certsrv/mscep_admin/denied403     403 with the permission page
    /certsrv/mscep_admin/500           500 Internal Server Error
    /certsrv/mscep_admin/nopassword    200, a page without a password
    /certsrv/mscep_admin/oversized     200, 80 KiB without Content-Length
    /certsrv/mscep_admin/oversized-cl  200, 80 KiB with Content-Length
    /certsrv/mscep_admin/stall         answers only after --stall seconds
The account --denied-user logs in with the same password and gets NDES's
"You do not have sufficient permission to enroll with SCEP" page (200).

OTP store, shared with the CA's CSR verifier: one file per outstanding
password in --otp-dir, named by the lower-case hex SHA-256 of the UTF-8
password, holding JSON {"expires": <unix seconds>}.  The verifier consumes
a password by unlinking its file; the cache count is the number of
unexpired files, and expired ones are removed when counting.

Readiness: --port-file gets the bound port once the socket listens.
Passwords never appear in the log.  Importable: ChallengeService runs it
as a child process for tests.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ADMIN_PATH = '/certsrv/mscep_admin/'
OTP_NAME = re.compile(r'^[0-9a-f]{64}$')
OVERSIZED_BYTES = 80 * 1024


# Pages: NDES's own sentences where clients look for them, our markup.

def page_frame(body):
    return ('<HTML>\r\n<HEAD><TITLE>Network Device Enrollment Service'
            '</TITLE></HEAD>\r\n<BODY BGCOLOR="#FFFFFF">\r\n'
            '<FONT FACE="Tahoma, Arial">\r\n<P> Network Device Enrollment '
            'Service issues certificates to network devices through the '
            'Simple Certificate Enrollment Protocol (SCEP).\r\n'
            + body + '</FONT>\r\n</BODY>\r\n</HTML>\r\n')


def page_password(thumbprint, password, minutes):
    return page_frame(
        '<P> The thumbprint (hash value) of the CA certificate is: '
        '<B> %s </B>\r\n'
        '<P> The enrollment challenge password is: <B> %s </B>\r\n'
        '<P> The password is good for one enrollment and expires after '
        '%d minutes.\r\n' % (thumbprint, password, minutes))


def page_cache_full(minutes):
    return page_frame(
        '<P><B> The password cache is full. </B> Unused passwords expire '
        'after %d minutes; try again later.\r\n' % minutes)


def page_permission():
    return page_frame(
        '<P><B> You do not have sufficient permission to enroll with SCEP. '
        '</B> Ask the administrator of this server for access.\r\n')


def page_plain(title):
    return page_frame('<P><B> %s </B>\r\n' % title)


# NTLM (server side).  MD4 is gone from OpenSSL 3's default provider, and
# NTLM needs it for the NT hash, so it is written out here (RFC 1320).

def md4(data):
    mask = 0xFFFFFFFF

    def rol(x, n):
        x &= mask
        return ((x << n) | (x >> (32 - n))) & mask

    rounds = (
        (lambda x, y, z: (x & y) | (~x & z), range(16), (3, 7, 11, 19), 0),
        (lambda x, y, z: (x & y) | (x & z) | (y & z),
         (0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15),
         (3, 5, 9, 13), 0x5A827999),
        (lambda x, y, z: x ^ y ^ z,
         (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15),
         (3, 9, 11, 15), 0x6ED9EBA1),
    )
    msg = (data + b'\x80' + b'\0' * ((55 - len(data)) % 64)
           + struct.pack('<Q', len(data) * 8))
    state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]

    for off in range(0, len(msg), 64):
        x = struct.unpack('<16I', msg[off:off + 64])
        a, b, c, d = state
        for func, order, shifts, add in rounds:
            for i, k in enumerate(order):
                a = rol(a + func(b, c, d) + x[k] + add, shifts[i % 4])
                a, b, c, d = d, a, b, c
        state = [(s + v) & mask for s, v in zip(state, (a, b, c, d))]

    return struct.pack('<4I', *state)


NTLM_SIGNATURE = b'NTLMSSP\0'
NTLM_FLAGS = (0x00000001      # unicode
              | 0x00000004    # request target
              | 0x00000200    # NTLM
              | 0x00008000    # always sign
              | 0x00010000    # target type domain
              | 0x00080000    # extended session security
              | 0x00800000)   # target info: makes clients answer NTLMv2


def ntlm_type2(challenge, domain):
    target = domain.encode('utf-16-le')
    host = 'NDES'.encode('utf-16-le')
    info = (struct.pack('<HH', 2, len(target)) + target
            + struct.pack('<HH', 1, len(host)) + host
            + struct.pack('<HH', 0, 0))
    return (NTLM_SIGNATURE + struct.pack('<I', 2)
            + struct.pack('<HHI', len(target), len(target), 48)
            + struct.pack('<I', NTLM_FLAGS) + challenge + b'\0' * 8
            + struct.pack('<HHI', len(info), len(info), 48 + len(target))
            + target + info)


def ntlm_field(msg, offset):
    length, _, start = struct.unpack_from('<HHI', msg, offset)
    if start + length > len(msg):
        raise ValueError('NTLM field out of bounds')
    return msg[start:start + length]


def ntlm_verify(msg, challenge, accounts, password):
    """The user name of a valid NTLMv2 type 3 message from one of the
    accounts (lower-case names), else None."""
    if len(msg) < 64 or msg[:8] != NTLM_SIGNATURE:
        return None
    if struct.unpack_from('<I', msg, 8)[0] != 3:
        return None

    flags = struct.unpack_from('<I', msg, 60)[0]
    encoding = 'utf-16-le' if flags & 1 else 'latin-1'
    nt = ntlm_field(msg, 20)
    domain = ntlm_field(msg, 28).decode(encoding)
    name = ntlm_field(msg, 36).decode(encoding)

    # 24 bytes would be NTLMv1, which is not accepted
    if len(nt) <= 24 or name.lower() not in accounts:
        return None

    nt_hash = md4(password.encode('utf-16-le'))
    ntowf2 = hmac.new(nt_hash, (name.upper() + domain).encode('utf-16-le'),
                      'md5').digest()
    proof = hmac.new(ntowf2, challenge + nt[16:], 'md5').digest()

    return name if hmac.compare_digest(proof, nt[:16]) else None


# The OTP store.

class OtpStore:
    def __init__(self, directory, cache_size, expiry):
        self.directory = directory
        self.cache_size = cache_size
        self.expiry = expiry
        self.lock = threading.Lock()
        os.makedirs(directory, exist_ok=True)

    def outstanding(self):
        now = time.time()
        count = 0
        for name in os.listdir(self.directory):
            if not OTP_NAME.match(name):
                continue
            path = os.path.join(self.directory, name)
            try:
                with open(path) as f:
                    expires = float(json.load(f)['expires'])
            except FileNotFoundError:
                continue                    # consumed meanwhile
            except (ValueError, KeyError, TypeError):
                expires = 0.0
            if expires <= now:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                continue
            count += 1
        return count

    def issue(self):
        """A new password, or None when the cache is full."""
        with self.lock:
            count = self.outstanding()
            if count >= self.cache_size:
                return None, count
            password = secrets.token_bytes(16).hex().upper()
            name = hashlib.sha256(password.encode()).hexdigest()
            tmp = os.path.join(self.directory, '.tmp-' + name)
            with open(tmp, 'w') as f:
                json.dump({'expires': time.time() + self.expiry}, f)
            os.replace(tmp, os.path.join(self.directory, name))
            return password, count + 1


# HTTP.

class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'ndes-challenge-test'
    timeout = 30

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()
        self.ntlm_challenge = None

    def log_message(self, fmt, *args):
        sys.stderr.write('ndes: %s %s\n' % (self.address_string(),
                                           fmt % args))

    def do_GET(self):
        conf = self.server.conf
        if not self.path.startswith(ADMIN_PATH):
            return self.answer(404, page_plain('Not Found'))

        user = self.authenticate()
        if user is None:
            return
        mode = self.path[len(ADMIN_PATH):].split('?')[0]

        if mode == '':
            if user.lower() == (conf.denied_user or '').lower():
                return self.answer(200, page_permission())
            return self.answer_password()
        if mode == '403':
            return self.answer(403, page_plain('403 - Forbidden'))
        if mode == 'denied403':
            return self.answer(403, page_permission())
        if mode == '500':
            return self.answer(500, page_plain('Internal Server Error'))
        if mode == 'nopassword':
            return self.answer(200, page_plain('The service is starting.'))
        if mode in ('oversized', 'oversized-cl'):
            page = page_password('00', 'F' * 32, 60)
            page = page.replace('<HTML>', '<HTML><!-- %s -->' % (
                'x' * OVERSIZED_BYTES))
            return self.answer(200, page, length=(mode == 'oversized-cl'))
        if mode == 'stall':
            time.sleep(conf.stall)
            return self.answer(200, page_plain('Late.'))
        return self.answer(404, page_plain('Not Found'))

    def answer_password(self):
        conf = self.server.conf
        minutes = max(1, int(conf.expiry // 60))
        password, count = self.server.store.issue()
        if password is None:
            self.log_message('cache full (%d of %d outstanding)',
                             count, conf.cache_size)
            return self.answer(200, page_cache_full(minutes))
        self.log_message('password issued (%d characters), %d of %d '
                         'outstanding', len(password), count,
                         conf.cache_size)
        self.answer(200, page_password(self.server.thumbprint, password,
                                       minutes))

    def authenticate(self):
        conf = self.server.conf
        header = self.headers.get('Authorization', '')
        scheme, _, value = header.partition(' ')
        scheme = scheme.lower()

        if scheme == 'basic' and 'basic' in conf.auth:
            try:
                name, _, password = base64.b64decode(
                    value, validate=True).decode('utf-8').partition(':')
            except ValueError:
                name, password = '', ''
            if (name.lower() in self.server.accounts
                    and hmac.compare_digest(password.encode(),
                                            conf.password.encode())):
                return name

        elif scheme == 'ntlm' and 'ntlm' in conf.auth:
            try:
                msg = base64.b64decode(value, validate=True)
                kind = struct.unpack_from('<I', msg, 8)[0]
            except (ValueError, struct.error):
                msg, kind = b'', 0
            if kind == 1:
                self.ntlm_challenge = os.urandom(8)
                token = base64.b64encode(ntlm_type2(self.ntlm_challenge,
                                                    conf.domain)).decode()
                self.answer(401, page_plain('401 - Unauthorized'),
                            extra=[('WWW-Authenticate', 'NTLM ' + token)])
                return None
            if kind == 3 and self.ntlm_challenge is not None:
                challenge, self.ntlm_challenge = self.ntlm_challenge, None
                try:
                    name = ntlm_verify(msg, challenge, self.server.accounts,
                                       conf.password)
                except (ValueError, struct.error, UnicodeDecodeError):
                    name = None
                if name is not None:
                    return name

        extra = []
        if 'ntlm' in conf.auth:
            extra.append(('WWW-Authenticate', 'NTLM'))
        if 'basic' in conf.auth:
            extra.append(('WWW-Authenticate', 'Basic realm="NDES"'))
        self.answer(401, page_plain('401 - Unauthorized'), extra=extra)
        return None

    def answer(self, status, page, extra=(), length=True):
        encoding = self.server.conf.encoding
        if encoding == 'utf-8':
            body = page.encode('utf-8')
            charset = 'utf-8'
        else:
            body = page.encode('utf-16-le')
            if encoding == 'utf-16le':
                body = b'\xff\xfe' + body
            charset = 'utf-16'

        self.send_response(status)
        self.send_header('Content-Type', 'text/html; charset=' + charset)
        for name, value in extra:
            self.send_header(name, value)
        if length:
            self.send_header('Content-Length', str(len(body)))
        else:
            self.send_header('Connection', 'close')
            self.close_connection = True
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, conf):
        super().__init__(('127.0.0.1', conf.port), Handler)
        self.conf = conf
        self.store = OtpStore(conf.otp_dir, conf.cache_size, conf.expiry)
        self.thumbprint = secrets.token_bytes(16).hex().upper()
        # the denied account logs in like the other, then meets NDES's
        # permission page
        self.accounts = {conf.user.lower()}
        if conf.denied_user:
            self.accounts.add(conf.denied_user.lower())
        self.tls = None
        if conf.tls_cert:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.minimum_version = ssl.TLSVersion.TLSv1_2
            tls.load_cert_chain(conf.tls_cert, conf.tls_key)
            if conf.tls_client_ca:
                tls.verify_mode = ssl.CERT_REQUIRED
                tls.load_verify_locations(conf.tls_client_ca)
            self.tls = tls

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls is not None:
            # the handshake runs in the connection's thread, not here
            sock = self.tls.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        sys.stderr.write('ndes: %s: %s\n' % (client_address[0],
                                             sys.exc_info()[1]))


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--user', required=True)
    ap.add_argument('--password', required=True)
    ap.add_argument('--otp-dir', required=True)
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file')
    ap.add_argument('--cache-size', type=int, default=5)
    ap.add_argument('--expiry', type=float, default=3600.0)
    ap.add_argument('--auth', default='basic,ntlm')
    ap.add_argument('--domain', default='TEST')
    ap.add_argument('--denied-user')
    ap.add_argument('--encoding', default='utf-16le',
                    choices=('utf-16le', 'utf-16le-nobom', 'utf-8'))
    ap.add_argument('--stall', type=float, default=30.0)
    ap.add_argument('--tls-cert')
    ap.add_argument('--tls-key')
    ap.add_argument('--tls-client-ca')
    conf = ap.parse_args(argv)
    conf.auth = set(conf.auth.lower().split(','))
    return conf


def main(argv):
    conf = parse_args(argv)
    server = Server(conf)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    port = server.server_address[1]
    if conf.port_file:
        tmp = conf.port_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write('%d\n' % port)
        os.replace(tmp, conf.port_file)
    sys.stderr.write('ndes: listening on 127.0.0.1:%d (%s)\n'
                     % (port, 'https' if server.tls else 'http'))
    try:
        server.serve_forever()
    finally:
        server.server_close()


# For tests: the service as a child process.

class ChallengeService:
    """Starts ndes_challenge.py in workdir; options as on the command line
    (cache_size=2, denied_user='x', tls_cert=..., ...)."""

    def __init__(self, workdir, user, password, otp_dir=None, **options):
        self.workdir = workdir
        self.user = user
        self.password = password
        self.otp_dir = otp_dir or os.path.join(workdir, 'otp')
        self.options = options
        self.proc = None
        self.port = None
        self.log_path = os.path.join(workdir, 'ndes.log')

    @property
    def scheme(self):
        return 'https' if self.options.get('tls_cert') else 'http'

    def url(self, mode='', host='127.0.0.1'):
        return '%s://%s:%d%s%s' % (self.scheme, host, self.port, ADMIN_PATH,
                                   mode)

    def start(self, timeout=10.0):
        os.makedirs(self.workdir, exist_ok=True)
        port_file = os.path.join(self.workdir, 'ndes.port')
        if os.path.exists(port_file):
            os.unlink(port_file)
        cmd = [sys.executable, os.path.abspath(__file__),
               '--user', self.user, '--password', self.password,
               '--otp-dir', self.otp_dir, '--port-file', port_file]
        for key, value in self.options.items():
            cmd += ['--' + key.replace('_', '-'), str(value)]
        self.log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('ndes_challenge.py exited: '
                                   + open(self.log_path).read())
            try:
                with open(port_file) as f:
                    self.port = int(f.read())
                break
            except (FileNotFoundError, ValueError):
                time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError('ndes_challenge.py not ready in %ss' % timeout)

        # the port file is written after listen(): a connect now succeeds
        socket.create_connection(('127.0.0.1', self.port), 2).close()
        return self

    def outstanding(self):
        return sorted(n for n in os.listdir(self.otp_dir) if OTP_NAME.match(n))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.log.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == '__main__':
    main(sys.argv[1:])
