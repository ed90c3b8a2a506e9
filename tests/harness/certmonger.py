"""certmonger (Debian's) as a stock SCEP client for tests: its daemon on a
private D-Bus session bus, its state in the test's directory, never in
/var/lib/certmonger.

    enroll(workdir, url, subject, challenge, ca_cert, tls_root=None)
        -> Result(status, output, log, cert_path)

The daemon runs "getcert add-scep-ca" and "getcert request -w" from a
script that is its -c command: it starts it once it is ready, and ends
with it.
"""

import collections
import os
import shlex
import subprocess

Result = collections.namedtuple("Result", "status output log cert_path")


def enroll(workdir, url, subject, challenge, ca_cert, tls_root=None,
           timeout=120.0):
    """One enrollment: status is what "getcert list" says of the request
    (MONITORING once a certificate is saved, NEED_GUIDANCE, ...)."""
    workdir = str(workdir)
    state = os.path.join(workdir, "certmonger")
    env = dict(os.environ, HOME=workdir,
               CERTMONGER_TMPDIR=state,
               CERTMONGER_SYSTEM_LOCK_FILE=os.path.join(state, "lock"))
    for kind in ("REQUESTS", "CAS", "LOCAL_CA"):
        path = os.path.join(state, kind.lower())
        os.makedirs(path, exist_ok=True)
        env[f"CERTMONGER_{kind}_DIR"] = path

    challenge_path = os.path.join(workdir, "challenge")
    fd = os.open(challenge_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(challenge)

    cert_path = os.path.join(workdir, "cert.pem")
    add = ["getcert", "add-scep-ca", "-s", "-c", "test-ca", "-u", url,
           "-N", ca_cert]
    if tls_root is not None:
        add += ["-R", tls_root]
    request = ["getcert", "request", "-s", "-c", "test-ca", "-w",
               "-k", os.path.join(workdir, "key.pem"), "-f", cert_path,
               "-N", subject, "-l", challenge_path]
    script = os.path.join(workdir, "enroll.sh")
    with open(script, "w") as f:
        f.write(" && ".join(shlex.join(c) for c in (add, request))
                + "\ngetcert list -s\n")
    log_path = os.path.join(workdir, "certmonger.log")
    with open(log_path, "w") as log:
        result = subprocess.run(
            ["dbus-run-session", "--", "certmonger", "-s", "-n", "-d", "2",
             "-c", f"/bin/sh {script}"],
            env=env, stdout=subprocess.PIPE, stderr=log, text=True,
            timeout=timeout)
    with open(log_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    status = None
    for line in result.stdout.splitlines():
        if line.strip().startswith("status:"):
            status = line.split(":", 1)[1].strip()
    return Result(status, result.stdout, text, cert_path)
