"""micromdm's scepclient as an independent SCEP client for tests."""

import collections
import itertools
import os
import subprocess

from cryptography import x509

SCEPCLIENT = "/usr/bin/scepclient"

Enrollment = collections.namedtuple(
    "Enrollment", "ok output cert_path key_path cert")
Enrollment.__doc__ = """ok: scepclient exited 0; output: its stdout and
stderr; cert: the issued certificate (cryptography x509) or None."""

_runs = itertools.count(1)


def enroll(server_url, cn, workdir, challenge=None, ca_fingerprint=None,
           key_size=2048, organization=None, timeout=30.0):
    """Runs one scepclient enrollment in a fresh directory under workdir.

    A fresh directory each time because scepclient keeps csr.pem and
    self.pem beside the key and silently reuses them on the next run.
    """
    run_dir = os.path.join(str(workdir), f"scepclient-{next(_runs)}")
    os.makedirs(run_dir)
    key_path = os.path.join(run_dir, "key.pem")
    cert_path = os.path.join(run_dir, "cert.pem")
    argv = [SCEPCLIENT, "-server-url", server_url, "-cn", cn,
            "-private-key", key_path, "-certificate", cert_path,
            "-keySize", str(key_size)]
    if challenge is not None:
        argv += ["-challenge", challenge]
    if ca_fingerprint is not None:
        argv += ["-ca-fingerprint", ca_fingerprint]
    if organization is not None:
        argv += ["-organization", organization]
    result = subprocess.run(argv, cwd=run_dir, capture_output=True,
                            text=True, timeout=timeout)
    cert = None
    if result.returncode == 0 and os.path.exists(cert_path):
        with open(cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
    return Enrollment(result.returncode == 0, result.stdout + result.stderr,
                      cert_path, key_path, cert)
