"""A portal on loopback to try: slapd (seeded), a SCEP CA, nginx + module.

    /usr/bin/python3 tools/demo.py start    (stops a previous demo first)
    /usr/bin/python3 tools/demo.py stop

Everything lives in build/demo/ (wiped by start): configuration, data,
logs, and state.json, which names the running processes so that stop ends
exactly those.  The services run detached, in their own sessions, and keep
running after this script exits.

Ports (127.0.0.1), overridable from the environment:
    NGX_SCEP_DEMO_PORTAL_PORT  8443   portal, https
    NGX_SCEP_DEMO_GATEWAY_PORT 8444   a GlobalProtect gateway's login, https
    NGX_SCEP_DEMO_LDAP_PORT    8389   slapd
    NGX_SCEP_DEMO_SCEP_PORT    8480   scepserver
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))

from harness import directory, procs, scepserver, slapd, tls   # noqa: E402
from harness.nginx import MODULE, Nginx                         # noqa: E402
from harness.ports import HOST, is_free                         # noqa: E402

STATE_DIR = os.path.join(REPO, "build", "demo")
AGENT = os.path.join(REPO, "build", "scep-agent")
STATE_FILE = os.path.join(STATE_DIR, "state.json")
TEMPLATE = os.path.join(REPO, "tools", "demo", "nginx.conf.in")

DEFAULT_PORTS = {"portal": 8443, "gateway": 8444, "ldap": 8389,
                 "scep": 8480}

# How each service is asked to stop: nginx finishes its requests on SIGQUIT.
STOP_SIGNALS = {"nginx": signal.SIGQUIT, "scepserver": signal.SIGTERM,
                "slapd": signal.SIGTERM}


class DemoError(Exception):
    pass


def ports():
    chosen = {}
    for name, default in DEFAULT_PORTS.items():
        var = f"NGX_SCEP_DEMO_{name.upper()}_PORT"
        value = os.environ.get(var, str(default))
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise DemoError(f"{var}={value!r} is not a port number")
        chosen[name] = int(value)
    if len(set(chosen.values())) != len(chosen):
        raise DemoError(f"two services on one port: {chosen}")
    busy = [f"{HOST}:{port} ({name}, NGX_SCEP_DEMO_{name.upper()}_PORT)"
            for name, port in chosen.items() if not is_free(port)]
    if busy:
        raise DemoError("port in use: " + ", ".join(busy) +
                        "; pick another one with that variable")
    return chosen


# -- state.json ------------------------------------------------------------

def load_state():
    try:
        with open(STATE_FILE) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def save_state(state):
    tmp = STATE_FILE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=2)
    os.replace(tmp, STATE_FILE)


def remember(state, name, proc):
    """Records a started service at once: a later failure, or stop, can
    then end it."""
    state["services"][name] = {
        "pid": proc.pid, "start_time": procs.start_time(proc.pid),
        "argv": proc.argv, "log": proc.log_path}
    save_state(state)


# -- stop ------------------------------------------------------------------

def stop_services(state, quiet=False):
    for name in ("nginx", "scepserver", "slapd"):
        service = state.get("services", {}).get(name)
        if service is None:
            continue
        pid = service["pid"]
        if procs.start_time(pid) != service["start_time"]:
            if not quiet:
                print(f"  {name}: was not running (pid {pid})")
            continue
        procs.kill_group(pid, STOP_SIGNALS[name], timeout=5.0)
        if not quiet:
            print(f"  {name}: stopped (pid {pid})")


def stop(quiet=False):
    state = load_state()
    if state is None:
        if not quiet:
            print("demo: nothing to stop (no build/demo/state.json)")
        return
    if not quiet:
        print("demo: stopping")
    stop_services(state, quiet)
    os.unlink(STATE_FILE)
    if not quiet:
        print("demo: stopped; logs are kept in build/demo/")


# -- start -----------------------------------------------------------------

def start():
    if not os.path.exists(MODULE):
        raise DemoError(f"{MODULE} is missing: run 'make' first")
    stop(quiet=True)
    port = ports()
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    os.makedirs(STATE_DIR)
    state = {"services": {}, "ports": port}
    save_state(state)
    try:
        return start_services(state, port)
    except Exception:
        stop_services(state, quiet=True)
        os.unlink(STATE_FILE)
        raise


def start_services(state, port):
    ldap = slapd.start_seeded(os.path.join(STATE_DIR, "slapd"),
                              port=port["ldap"], detached=True)
    remember(state, "slapd", ldap.proc)

    ca = scepserver.ScepServer(os.path.join(STATE_DIR, "scepserver"),
                               port=port["scep"],
                               organization="ngx_scep demo CA")
    ca.start(detached=True)
    remember(state, "scepserver", ca.proc)

    password_file = os.path.join(STATE_DIR, "ldap-bind-password")
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(ldap.service_password)

    cert = tls.self_signed(os.path.join(STATE_DIR, "tls"), name="portal")
    tokens = {
        "MODULE": MODULE,
        "USER_DIRECTIVE": "user root;" if os.geteuid() == 0 else "",
        "PORTAL_PORT": port["portal"],
        "GATEWAY_PORT": port["gateway"],
        "TLS_CERT": cert.cert_path, "TLS_KEY": cert.key_path,
        "LDAP_URL": ldap.url, "LDAP_BASE_DN": ldap.base_dn,
        "LDAP_BIND_DN": ldap.service_dn,
        "LDAP_BIND_PASSWORD": ldap.service_password,
        "LDAP_BIND_PASSWORD_FILE": password_file,
        "SCEP_URL": ca.url, "SCEP_CA_CERT": ca.ca_cert_path,
        "SCEP_CA_FINGERPRINT": ca.ca_fingerprint_sha256,
        "STATE_DIR": STATE_DIR,
    }
    with open(TEMPLATE) as f:
        template = f.read()
    portal = Nginx(os.path.join(STATE_DIR, "nginx"), conf=template,
                   tokens=tokens, module=MODULE)
    ok, output = portal.test()
    if not ok:
        raise DemoError("nginx -t refused the demo configuration:\n" +
                        output)
    portal.start(detached=True)
    remember(state, "nginx", portal.proc)

    state["portal_url"] = f"https://{HOST}:{port['portal']}/"
    state["gateway"] = f"{HOST}:{port['gateway']}"
    state["portal_pin"] = cert.pin
    state["scep_ca_fingerprint"] = ca.ca_fingerprint_sha256
    save_state(state)
    return state, ldap, ca, portal


def enroll_sample_agents(state, portal):
    """Runs the reference agent for two users, as a newcomer would: bob
    (push mode: he enrolls with the CA himself) and alice (an admin:
    the portal enrolls for her and hands over a PKCS#12)."""
    deadline = time.monotonic() + 15
    while "CA certificate" not in portal.error_log():
        if time.monotonic() > deadline:
            raise DemoError("the portal did not obtain the CA certificate; "
                            f"see {shown(portal.error_log_path)}")
        time.sleep(0.1)

    for user in ("bob", "alice"):
        out_dir = os.path.join(STATE_DIR, "agent-" + user)
        argv = [AGENT, "--portal", state["portal_url"].rstrip("/"),
                "--insecure", "--user", user, "--host-id", "demo-" + user,
                "--out-dir", out_dir]
        env = dict(os.environ, NGX_SCEP_PASSWORD=directory.USERS[user][
            "password"])
        shown_argv = [shown(a) if a.startswith("/") else a for a in argv]
        print(f"$ NGX_SCEP_PASSWORD=... {' '.join(shown_argv)}")
        done = subprocess.run(argv, env=env, capture_output=True, text=True,
                              timeout=60)
        print((done.stdout + done.stderr).rstrip())
        print()
        if done.returncode != 0:
            raise DemoError(f"the sample agent of {user} failed "
                            f"(exit {done.returncode})")


def shown(path):
    """A path as short as it can be from where the user is."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def openconnect_command():
    """openconnect as the user can type it: Debian installs it in
    /usr/sbin, which is not on an ordinary user's PATH."""
    on_path = shutil.which("openconnect")
    if on_path:
        return "openconnect"
    return shutil.which("openconnect", path="/usr/sbin:/sbin") \
        or "openconnect"


def describe(state, ldap, ca, portal):
    rel = shown(STATE_DIR)
    url = state["portal_url"].rstrip("/")
    user = "alice"
    password = directory.USERS[user]["password"]
    groups = ", ".join(directory.USERS[user]["groups"])
    bob_password = directory.USERS["bob"]["password"]
    bob_dir = shown(os.path.join(STATE_DIR, "agent-bob"))
    openconnect = openconnect_command()
    print(f"""\
ngx_scep demo is running (configuration, data and logs in {rel}/)

  portal     {url}/
             (self-signed certificate: curl -k, openconnect --servercert)
  LDAP       {ldap.url}   base {ldap.base_dn}
             service account {ldap.service_dn} / {ldap.service_password}
  SCEP CA    {ca.url}   CA SHA-256 {ca.ca_fingerprint_sha256}
  gateway    https://{state['gateway']}/ssl-vpn/   (a GlobalProtect
             gateway's login: takes certificates of the demo CA)
  user       {user} / {password}   (groups: {groups})
             (every user and password: tests/harness/directory.py)

Try:
  {shown(AGENT)} --portal {url} --insecure --user {user} \\
       --out-dir /tmp/{user}-cert        (password: {password})
  curl -k {url}/
  curl -k -A 'PAN GlobalProtect' {url}/global-protect/prelogin.esp
  curl -k -A 'PAN GlobalProtect' --data-urlencode user={user} \\
       --data-urlencode passwd={password} -d host-id=demo-host-1 \\
       -d clientos=Linux -d os-version=Debian -d computer=demo \\
       {url}/global-protect/getconfig.esp

bob's certificate, from the sample agent above, takes a real GlobalProtect
client through the portal to the gateway, which prints its cookie:
  echo {bob_password} | {openconnect} --protocol=gp --authenticate \\
       --servercert {state['portal_pin']} \\
       --certificate {bob_dir}/cert.pem --sslkey {bob_dir}/key.pem \\
       --user=bob --passwd-on-stdin {url}/

Logs:
  {shown(portal.error_log_path)}
  {shown(os.path.join(portal.prefix, "logs", "gateway.log"))}   (the gateway)
  {shown(ldap.log_path)}
  {shown(ca.log_path)}   (CSRs: {shown(ca.records_dir)}/)

Stop: /usr/bin/python3 tools/demo.py stop   (or: make demo-stop)""")


def main(argv):
    if len(argv) != 2 or argv[1] not in ("start", "stop"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        if argv[1] == "stop":
            stop()
        else:
            if not os.path.exists(AGENT):
                raise DemoError(f"{AGENT} is missing: run 'make' first")
            state, ldap, ca, portal = start()
            enroll_sample_agents(state, portal)
            describe(state, ldap, ca, portal)
    except (DemoError, procs.StartError, ValueError) as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
