"""A login through the installed packages (tools/deb-check.sh check).

    /usr/bin/python3 tools/deb_check.py WORKDIR

Starts the demo's directory and CA (slapd, seeded, and scepserver, from
tests/harness/) and a portal on Debian's nginx that loads the module the
way an admin's nginx does, through the package's link in
/etc/nginx/modules-enabled/ (no load_module of its own).  Then the
installed /usr/bin/scep-agent enrolls bob (push mode: the agent enrolls
with the CA itself) and alice (enroll mode: the portal enrolls for her and
hands over a PKCS#12), and their certificates are checked: the subject the
profile makes, issued by the CA.  Everything ends before it exits; logs
stay in WORKDIR.  Exit status 0 when both logins gave the certificate.
"""

import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))

from cryptography import x509                                  # noqa: E402
from cryptography.x509.oid import NameOID                      # noqa: E402

from harness import directory, procs, scepserver, slapd, tls   # noqa: E402
from harness.nginx import Nginx                                 # noqa: E402
from harness.ports import HOST, free_port                       # noqa: E402

AGENT = "/usr/bin/scep-agent"
MODULES_ENABLED = "/etc/nginx/modules-enabled"
MODULES_DIR = "/usr/lib/nginx/modules"

# The portal: the module comes from the package's link; workers run as
# Debian's nginx runs them (www-data).  One profile of each mode that the
# reference agent completes by itself.
PORTAL_CONF = """\
include @MODULES_ENABLED@/*.conf;
user www-data;
worker_processes 2;
error_log logs/error.log info;
pid logs/nginx.pid;

events {
    worker_connections 64;
}

thread_pool scep threads=4;

http {
    access_log logs/access.log;
    client_body_temp_path temp/client_body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;

    scep_directory demo {
        url                 @LDAP_URL@;
        bind_dn             "@LDAP_BIND_DN@";
        bind_password_file  @LDAP_BIND_PASSWORD_FILE@;
        base_dn             "ou=people,@LDAP_BASE_DN@";
        user_filter         "(&(objectClass=inetOrgPerson)(uid=%u))";
        username_attribute  uid;
        groups              memberof;
        mail_attributes     mail;
    }

    scep_store  @PREFIX@/store;

    scep_profile staff {
        mode                push;
        server_url          @SCEP_URL@;
        ca_ident            demo-ca;
        subject             "O=Example,OU=Remote Access,CN=$USERNAME";
        ca_fingerprint      @SCEP_CA_FINGERPRINT@;
    }

    scep_profile admins {
        mode                enroll;
        server_url          @SCEP_URL@;
        ca_ident            demo-ca;
        subject             "O=Example,OU=Administrators,CN=$EMAILADDRESS";
        ca_fingerprint      @SCEP_CA_FINGERPRINT@;
    }

    server {
        listen @HOST@:@PORTAL_PORT@ ssl;
        ssl_certificate     @TLS_CERT@;
        ssl_certificate_key @TLS_KEY@;

        location /global-protect/ {
            scep_portal          demo;
            scep_thread_pool     scep;
            scep_allow_group     vpn-users;
            scep_group_profile   vpn-admins admins;
            scep_default_profile staff;
        }
    }
}
"""

# user -> (profile, its mode, the CN its subject template makes)
LOGINS = {"bob": ("staff", "push", "bob"),
          "alice": ("admins", "enroll", "alice@example.org")}


class CheckError(Exception):
    pass


def say(text):
    print(text, flush=True)


def start_portal(work, ldap, ca):
    password_file = os.path.join(work, "ldap-bind.password")
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(ldap.service_password + "\n")
    cert = tls.self_signed(os.path.join(work, "tls"), name="portal")
    tokens = {
        "MODULES_ENABLED": MODULES_ENABLED, "HOST": HOST,
        "PORTAL_PORT": free_port(),
        "TLS_CERT": cert.cert_path, "TLS_KEY": cert.key_path,
        "LDAP_URL": ldap.url, "LDAP_BASE_DN": ldap.base_dn,
        "LDAP_BIND_DN": ldap.service_dn,
        "LDAP_BIND_PASSWORD_FILE": password_file,
        "SCEP_URL": ca.url, "SCEP_CA_FINGERPRINT": ca.ca_fingerprint_sha256,
    }
    portal = Nginx(os.path.join(work, "nginx"), conf=PORTAL_CONF,
                   tokens=tokens, module=None)
    # Debian's module snippets say "load_module modules/...so", relative to
    # the prefix: Debian's (/usr/share/nginx) has modules/ as a link to
    # /usr/lib/nginx/modules, and so must this private one
    os.symlink(MODULES_DIR, os.path.join(portal.prefix, "modules"))
    ok, output = portal.test()
    say(f"$ nginx -t -p {portal.prefix} (module from {MODULES_ENABLED})")
    say(output.rstrip())
    if not ok:
        raise CheckError("nginx -t refused the portal's configuration")
    portal.start()
    say(f"portal: https://{HOST}:{tokens['PORTAL_PORT']}/ (nginx pid "
        f"{portal.proc.pid}, workers {portal.worker_pids()})")
    # each profile's CA certificate is fetched when the workers start
    procs.wait_until(lambda: "CA certificate" in portal.error_log(), 30,
                     "the portal to obtain the CA certificate")
    return portal, f"https://{HOST}:{tokens['PORTAL_PORT']}"


def enroll(work, url, user):
    out_dir = os.path.join(work, "agent-" + user)
    argv = [AGENT, "enroll", "--portal", url, "--insecure", "--user", user,
            "--host-id", "deb-check-" + user, "--dir", out_dir]
    env = dict(os.environ, NGX_SCEP_PASSWORD=directory.USERS[user][
        "password"])
    say("$ NGX_SCEP_PASSWORD=... " + " ".join(argv))
    done = subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=120)
    say((done.stdout + done.stderr).rstrip())
    if done.returncode != 0:
        raise CheckError(f"{AGENT} enroll for {user} exited "
                         f"{done.returncode}")
    return out_dir


def check_certificate(out_dir, ca, user):
    profile, mode, cn = LOGINS[user]
    with open(os.path.join(out_dir, "cert.pem"), "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    got = [a.value for a in
           cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if got != [cn]:
        raise CheckError(f"{user}: the certificate's CN is {got}, not {cn}")
    if cert.issuer != ca.ca_cert.subject:
        raise CheckError(f"{user}: issued by {cert.issuer.rfc4514_string()}"
                         f", not by the CA")
    argv = [AGENT, "status", "--dir", out_dir, "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    try:
        held = json.loads(done.stdout)["certificates"]
        got = (held[0]["profile"], held[0]["mode"]) if len(held) == 1 \
            else held
    except (ValueError, LookupError, TypeError):
        got = None
    if done.returncode != 0 or got != (profile, mode):
        raise CheckError(f"{' '.join(argv)}: exit {done.returncode}, "
                         f"profile and mode {got}, not {(profile, mode)}:\n"
                         f"{done.stdout}{done.stderr}")
    say(f"certificate {out_dir}/cert.pem: {cert.subject.rfc4514_string()}, "
        f"issuer {cert.issuer.rfc4514_string()}; status: profile {profile}, "
        f"mode {mode}")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    work = os.path.abspath(argv[1])
    os.makedirs(work, exist_ok=True)
    started = []
    t0 = time.monotonic()
    try:
        ldap = slapd.start_seeded(os.path.join(work, "slapd"))
        started.append(ldap)
        say(f"slapd: {ldap.url} (seeded: {len(directory.USERS)} users)")
        ca = scepserver.ScepServer(os.path.join(work, "scepserver"),
                                   organization="ngx_scep deb-check CA")
        ca.start()
        started.append(ca)
        say(f"scepserver: {ca.url}")
        portal, url = start_portal(work, ldap, ca)
        started.append(portal)
        for user in LOGINS:
            check_certificate(enroll(work, url, user), ca, user)
        alerts = portal.alert_lines()
        if alerts:
            raise CheckError("the portal logged:\n" + "\n".join(alerts))
    except (CheckError, procs.StartError) as e:
        print(f"deb_check: {e} (logs in {work})", file=sys.stderr)
        return 1
    finally:
        for service in reversed(started):
            service.stop()
    say(f"two logins through the packages in {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
