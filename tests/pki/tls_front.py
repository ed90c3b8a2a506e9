#!/usr/bin/python3
"""A second nginx (Debian's, no module) as the PKI's HTTPS front.

It terminates TLS on loopback and proxies to plain-HTTP test services:
    /certsrv/mscep_admin/...      the challenge service (ndes_challenge.py)
    /scep, /certsrv/mscep/...     the SCEP server (mscep.dll maps to /scep)
With a client CA it runs "ssl_verify_client on": mutual TLS, every client
must show a certificate signed by that CA.

    tls_front.py --dir DIR --cert PEM --key PEM [--client-ca PEM]
                 [--challenge-port N] [--scep-port N] [--port N]

runs in the foreground until SIGTERM or ^C.  Importable: TlsFront starts
one as a child process, polls until it accepts TLS, and stops it.
"""

import argparse
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

NGINX = '/usr/sbin/nginx'

CONF = """\
daemon off;
{user}worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;

events {{
    worker_connections 128;
}}

http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;

    server {{
        listen 127.0.0.1:{port} ssl;

        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
{client_auth}
{locations}
        location / {{
            return 404;
        }}
    }}
}}
"""

CLIENT_AUTH = """\
        ssl_client_certificate {client_ca};
        ssl_verify_client on;
        ssl_verify_depth 2;
"""

CHALLENGE_LOCATION = """\
        location /certsrv/mscep_admin/ {{
            proxy_pass http://127.0.0.1:{port};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
        }}
"""

SCEP_LOCATIONS = """\
        location /scep {{
            proxy_pass http://127.0.0.1:{port};
            proxy_set_header Host $host;
        }}
        location = /certsrv/mscep/mscep.dll {{
            proxy_pass http://127.0.0.1:{port}/scep;
            proxy_set_header Host $host;
        }}
"""


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class TlsFront:
    def __init__(self, workdir, cert, key, client_ca=None,
                 challenge_port=None, scep_port=None, port=None):
        self.workdir = workdir
        self.cert = cert
        self.key = key
        self.client_ca = client_ca
        self.challenge_port = challenge_port
        self.scep_port = scep_port
        self.port = port
        self.proc = None

    def url(self, path='/'):
        return 'https://127.0.0.1:%d%s' % (self.port, path)

    def write_conf(self):
        for sub in ('body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'):
            os.makedirs(os.path.join(self.workdir, 'tmp', sub),
                        exist_ok=True)
        locations = ''
        if self.challenge_port:
            locations += CHALLENGE_LOCATION.format(port=self.challenge_port)
        if self.scep_port:
            locations += SCEP_LOCATIONS.format(port=self.scep_port)
        client_auth = ''
        if self.client_ca:
            client_auth = CLIENT_AUTH.format(client_ca=self.client_ca)
        # workers must reach the temp dirs under pytest's 0700 tree
        user = 'user root;\n' if os.geteuid() == 0 else ''
        path = os.path.join(self.workdir, 'nginx.conf')
        with open(path, 'w') as f:
            f.write(CONF.format(dir=self.workdir, port=self.port, user=user,
                                cert=self.cert, key=self.key,
                                client_auth=client_auth,
                                locations=locations))
        return path

    def start(self, timeout=10.0):
        os.makedirs(self.workdir, exist_ok=True)
        fixed_port = self.port is not None
        for _ in range(1 if fixed_port else 3):
            if not fixed_port:
                self.port = free_port()
            if self.launch(timeout):
                return self
        raise RuntimeError('nginx TLS front did not start: '
                           + self.error_log())

    def launch(self, timeout):
        conf = self.write_conf()
        log = open(os.path.join(self.workdir, 'nginx.stderr'), 'ab')
        self.proc = subprocess.Popen(
            [NGINX, '-p', self.workdir, '-c', conf, '-e',
             os.path.join(self.workdir, 'error.log')],
            stdout=log, stderr=log)
        log.close()

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                return False
            if self.accepts_tls():
                return True
            time.sleep(0.02)
        self.stop()
        return False

    def accepts_tls(self):
        """True once the listener completes a TLS handshake."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection(('127.0.0.1', self.port), 1) as s:
                with ctx.wrap_socket(s):
                    return True
        except OSError:
            return False

    def error_log(self):
        try:
            with open(os.path.join(self.workdir, 'error.log')) as f:
                return f.read()[-2000:]
        except FileNotFoundError:
            return '(no error log)'

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    ap = argparse.ArgumentParser(description='HTTPS front for the test PKI')
    ap.add_argument('--dir', required=True)
    ap.add_argument('--cert', required=True)
    ap.add_argument('--key', required=True)
    ap.add_argument('--client-ca')
    ap.add_argument('--challenge-port', type=int)
    ap.add_argument('--scep-port', type=int)
    ap.add_argument('--port', type=int)
    args = ap.parse_args(argv)

    front = TlsFront(os.path.abspath(args.dir), os.path.abspath(args.cert),
                     os.path.abspath(args.key),
                     args.client_ca and os.path.abspath(args.client_ca),
                     args.challenge_port, args.scep_port, args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    front.start()
    print('listening on %s' % front.url(), flush=True)
    try:
        front.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        front.stop()


if __name__ == '__main__':
    main(sys.argv[1:])
