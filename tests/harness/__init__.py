"""Starts the real parts of the system on 127.0.0.1 for tests and the demo.

    slapd.Slapd          OpenLDAP slapd, seeded with data/seed.ldif
    scepserver.ScepServer  micromdm's SCEP CA with a recording CSR verifier
    nginx.Nginx          Debian's nginx loading build/ngx_http_scep_module.so
    directory            the users, passwords and groups of the directory
    http                 a small HTTP(S) client; tls: self-signed certs
    scepclient           micromdm's scepclient, as an independent client

Every service: free port chosen at run time, files in its own directory,
readiness by polling with a deadline, its process group ended on stop.
"""

import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))
