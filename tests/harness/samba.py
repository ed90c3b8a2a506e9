"""A real Samba Active Directory domain controller on 127.0.0.1.

Provisioning a domain takes seconds, so it is done once per test session
into a template directory (make_template), which each DC instance copies
(SambaDC).  The domain is CORP / corp.example.test, populated with the
users and groups below through ldbadd, offline, in one transaction.

What Samba 4.17 (Debian 12) does, found by trying, and what follows:

- Its LDAP ports cannot be chosen: 389 and 636, and the global catalog's
  3268 and 3269, on every interface address it binds.  An address that
  no interface has (127.0.0.2) gives "no network interfaces found".  So
  one DC per machine at a time: a DC instance holds a machine-wide lock
  (flock on LOCK_PATH) from its first start() to remove(), and start()
  waits for it up to LOCK_WAIT seconds, saying so; flock works across
  network namespaces that share the file system.  A port taken all the
  same (a DC started by other means) is refused at once.
- samba-tool domain provision needs root (it chowns the sysvol:
  "Unable to chown a file on your filesystem"), and samba binds ports
  below 1024: the fixture skips the test when not root.
- Unix sockets (lock directory/msg.sock/<pid>, private/ldapi) must fit
  in 108 bytes: in a deep directory samba exits at start with "Samba
  failed to setup parent messaging".  Instances live in short /tmp dirs.
- "pid directory" defaults to /run/samba, where a second samba finds the
  first one's pid file: every path is set inside the instance.
- Provisioning sets sysvol ACLs through the acl_xattr VFS module, in
  samba-vfs-modules, even with "server services = ldap".
- Simple binds need TLS ("ldap server require strong auth" = yes): on
  ldap:// a bind gets "Strong(er) authentication required" with
  "BindSimple: Transport encryption required."  StartTLS works.
- A bind may name the user by DN, by userPrincipalName or as DOMAIN\\user.
- Refused binds say "AcceptSecurityContext error, data <hex>": 52e for a
  wrong password and for an unknown user (never 525), 775 for a locked
  account whatever the password; 530, 531, 532, 533, 701 and 773 only
  with the right password (52e with a wrong one).
- lDAPAdminLimits says MaxValRange=1500 and MaxPageSize=1000, but neither
  is enforced: memberOf with 1,700 values comes whole, a search with
  1,700 results is not cut.  Ranged reads (memberOf;range=0-99) and
  paged results (1.2.840.113556.1.4.319) are answered.
- tokenGroups (base scope) and LDAP_MATCHING_RULE_IN_CHAIN
  (1.2.840.113556.1.4.1941) both work.  tokenGroups holds security
  groups only, with the primary group and BUILTIN\\Users.
- pwdLastSet can be written only as 0 or -1, even offline, except with
  the local control 1.3.6.1.4.1.7165.4.3.20 (ldbmodify --controls);
  password ages (domain or PSO) under one day count as "never expires".
  An expired password is a PSO of two days and a pwdLastSet ten days
  old; a locked account a PSO with a lockout threshold and lockoutTime
  set to now.
- The TLS key must be a file only its owner may read.
"""

import base64
import fcntl
import os
import sys
import shutil
import subprocess
import tempfile
import time

from . import procs, ports

SAMBA = "/usr/sbin/samba"
SAMBA_TOOL = "/usr/bin/samba-tool"
LDBADD = "/usr/bin/ldbadd"
LDBMODIFY = "/usr/bin/ldbmodify"

HOST = "127.0.0.1"
LDAP_PORTS = (389, 636, 3268, 3269)

# one DC per machine: see the opening comment
LOCK_PATH = "/tmp/ngx-scep-samba.lock"
LOCK_WAIT = 600.0
URL = f"ldaps://{HOST}"
PLAIN_URL = f"ldap://{HOST}"

DOMAIN = "CORP"
DNS_DOMAIN = "corp.example.test"
REALM = DNS_DOMAIN.upper()
HOSTNAME = "dc1"
BASE_DN = "DC=corp,DC=example,DC=test"
USERS_OU = "OU=Staff," + BASE_DN
GROUPS_OU = "OU=Groups," + BASE_DN
MANY_OU = "OU=Many Groups," + BASE_DN
SERVICES_OU = "OU=Service Accounts," + BASE_DN
PSO_DN = "CN=Password Settings Container,CN=System," + BASE_DN

ADMIN = {"login": DOMAIN + "\\Administrator", "password": "Admin-Pass-1"}

# the 100-ns ticks of AD's time attributes, and the 1601 epoch
DAY = 864000000000
EPOCH_DELTA = 11644473600


def filetime(unix_seconds):
    return int((unix_seconds + EPOCH_DELTA) * 10**7)


def _user(sam, password, ou=USERS_OU, upn=None, mail=(), proxy=(),
          groups=(), state="usable", **extra):
    return {"sam": sam, "dn": f"CN={sam},{ou}", "password": password,
            "upn": upn or f"{sam}@{DNS_DOMAIN}", "mail": list(mail),
            "proxyAddresses": list(proxy), "groups": list(groups),
            "state": state, **extra}


# sAMAccountName -> the user.  "groups" are the groups whose member the
# user is (cn), besides the primary group Domain Users.
USERS = {
    "jdoe": _user("jdoe", "Pw-for-John-1", upn="john.doe@" + DNS_DOMAIN,
                  mail=["jdoe@" + DNS_DOMAIN],
                  proxy=["smtp:jd@" + DNS_DOMAIN,
                         "SMTP:John.Doe@" + DNS_DOMAIN,
                         "X400:c=US;a= ;p=Corp;o=Ex;s=Doe;"],
                  groups=["VPN Users", "Sales, EMEA", "Vertrieb Süd",
                          "Distribution List"]),
    "nomail": _user("nomail", "Pw-for-Nomail-2", groups=["VPN Users"]),
    "alt": _user("alt", "Pw-for-Alt-3", upn="alt.user@example.com",
                 groups=["VPN Users"]),
    "müller": _user("müller", "Pw-für-Müller-4", mail=["mueller@" +
                                                        DNS_DOMAIN],
                    groups=["Engineering", "Ελληνικά", "Кириллица"]),
    "big": _user("big", "Pw-for-Big-5", groups=["many"]),
    "renameme": _user("renameme", "Pw-for-Rename-6"),
    "disabled": _user("disabled", "Pw-for-Disabled-7", state="disabled",
                      userAccountControl="514"),
    "mustchange": _user("mustchange", "Pw-for-Change-8",
                        state="must_change_password", pwdLastSet="0"),
    "acctexpired": _user("acctexpired", "Pw-for-Acct-9",
                         state="account_expired",
                         accountExpires=str(filetime(time.time()
                                                     - 30 * 86400))),
    "pwexpired": _user("pwexpired", "Pw-for-Pwexp-10",
                       state="password_expired", groups=["pso-expiry"]),
    "locked": _user("locked", "Pw-for-Locked-11", state="locked",
                    groups=["pso-lockout"]),
    "lockme": _user("lockme", "Pw-for-Lockme-12", groups=["pso-lockout"]),
    "hours": _user("hours", "Pw-for-Hours-13", state="logon_hours",
                   logonHours=base64.b64encode(bytes(21)).decode()),
    "workstation": _user("workstation", "Pw-for-Ws-14",
                         state="workstation", userWorkstations="OTHERPC"),
}

# The portal's service accounts: one that works, and two the DC refuses.
SERVICE = _user("svc-portal", "Svc-Portal-Pass-1", ou=SERVICES_OU)
SERVICE_EXPIRED = _user("svc-expired", "Svc-Expired-Pass-2",
                        ou=SERVICES_OU, groups=["pso-expiry"])
SERVICE_MUSTCHANGE = _user("svc-mustchange", "Svc-Change-Pass-3",
                           ou=SERVICES_OU, pwdLastSet="0")
SERVICES = [SERVICE, SERVICE_EXPIRED, SERVICE_MUSTCHANGE]

# Groups under GROUPS_OU: cn -> member groups (their cn).
GROUPS = {
    "Engineering": [],
    "VPN Users": ["Engineering"],
    "Sales, EMEA": [],
    "Vertrieb Süd": [],
    "Ελληνικά": [],
    "Кириллица": [],
    "Distribution List": [],        # a distribution group: no tokenGroups
    "pso-expiry": [],
    "pso-lockout": [],
}
DISTRIBUTION = {"Distribution List"}

# "big" is in MANY direct groups; the first NESTED_PARENTS * 10 of them
# are in one parent each, and the parents in "Big Top".
MANY = 1100
NESTED_PARENTS = 10


def many_dn(i):
    return f"CN=g{i:04d},{MANY_OU}"


def parent_dn(i):
    return f"CN=p{i:02d},{MANY_OU}"


TOP_DN = f"CN=Big Top,{MANY_OU}"
DOMAIN_USERS_DN = f"CN=Domain Users,CN=Users,{BASE_DN}"
BUILTIN_USERS_DN = f"CN=Users,CN=Builtin,{BASE_DN}"


def group_dn(cn):
    return "CN=" + cn.replace(",", "\\,") + "," + GROUPS_OU


def big_groups():
    """Every group "big" is in, nested and primary ones too (DNs)."""
    return ([many_dn(i) for i in range(MANY)]
            + [parent_dn(i) for i in range(NESTED_PARENTS)]
            + [TOP_DN, DOMAIN_USERS_DN, BUILTIN_USERS_DN])


# -- the template ---------------------------------------------------------

def _b64(text):
    return base64.b64encode(text.encode("utf-8")).decode()


def _unicode_pwd(password):
    return base64.b64encode(('"%s"' % password).encode("utf-16-le")).decode()


def _ldif_value(name, value):
    """One LDIF line; base64 whenever the value is not plain ASCII."""
    if value.isascii() and not value.startswith((" ", ":", "<")):
        return f"{name}: {value}"
    return f"{name}:: {_b64(value)}"


def _entry(dn, *lines):
    return "\n".join([_ldif_value("dn", dn), *lines]) + "\n"


def _user_entry(u):
    lines = ["objectClass: user", _ldif_value("sAMAccountName", u["sam"]),
             _ldif_value("userPrincipalName", u["upn"]),
             "unicodePwd:: " + _unicode_pwd(u["password"])]
    lines += [_ldif_value("mail", m) for m in u["mail"]]
    lines += [_ldif_value("proxyAddresses", p) for p in u["proxyAddresses"]]
    for attr in ("userAccountControl", "pwdLastSet", "accountExpires",
                 "userWorkstations"):
        if attr in u:
            lines.append(f"{attr}: {u[attr]}")
    if "logonHours" in u:
        lines.append("logonHours:: " + u["logonHours"])
    if u["state"] == "locked":
        lines.append(f"lockoutTime: {filetime(time.time())}")
    if "userAccountControl" not in u:
        lines.append("userAccountControl: 512")
    return _entry(u["dn"], *lines)


def _pso(name, precedence, max_age, threshold, applies_to):
    return _entry(
        f"CN={name},{PSO_DN}", "objectClass: msDS-PasswordSettings",
        f"msDS-PasswordSettingsPrecedence: {precedence}",
        "msDS-PasswordReversibleEncryptionEnabled: FALSE",
        "msDS-PasswordHistoryLength: 0",
        "msDS-PasswordComplexityEnabled: FALSE",
        "msDS-MinimumPasswordLength: 1",
        "msDS-MinimumPasswordAge: 0",
        f"msDS-MaximumPasswordAge: {-max_age}",
        f"msDS-LockoutThreshold: {threshold}",
        f"msDS-LockoutObservationWindow: {-DAY}",
        f"msDS-LockoutDuration: {-DAY}",
        f"msDS-PSOAppliesTo: {applies_to}")


def population_ldif():
    """Every entry of the test domain, members before their groups."""
    out = [_entry(ou, "objectClass: organizationalUnit")
           for ou in (USERS_OU, GROUPS_OU, MANY_OU, SERVICES_OU)]
    out += [_user_entry(u) for u in USERS.values()]
    out += [_user_entry(u) for u in SERVICES]

    everyone = list(USERS.values()) + SERVICES

    # the groups of GROUPS, nested ones after their members
    done = set()
    while len(done) < len(GROUPS):
        for cn, subgroups in GROUPS.items():
            if cn in done or not all(g in done for g in subgroups):
                continue
            members = [u["dn"] for u in everyone if cn in u["groups"]]
            members += [group_dn(g) for g in subgroups]
            lines = ["objectClass: group",
                     _ldif_value("sAMAccountName", cn.replace(",", "")),
                     # 2: a global distribution group; else security
                     "groupType: %d" % (2 if cn in DISTRIBUTION
                                        else -2147483646)]
            lines += [_ldif_value("member", m) for m in members]
            out.append(_entry(group_dn(cn), *lines))
            done.add(cn)

    big = USERS["big"]["dn"]
    for i in range(MANY):
        out.append(_entry(many_dn(i), "objectClass: group",
                          f"sAMAccountName: g{i:04d}", f"member: {big}"))
    for p in range(NESTED_PARENTS):
        out.append(_entry(parent_dn(p), "objectClass: group",
                          f"sAMAccountName: p{p:02d}",
                          *[f"member: {many_dn(p * 10 + k)}"
                            for k in range(10)]))
    out.append(_entry(TOP_DN, "objectClass: group",
                      "sAMAccountName: big-top",
                      *[f"member: {parent_dn(p)}"
                        for p in range(NESTED_PARENTS)]))

    out.append(_pso("pso-expiry", 10, 2 * DAY, 0, group_dn("pso-expiry")))
    out.append(_pso("pso-lockout", 20, 3650 * DAY, 5,
                    group_dn("pso-lockout")))
    return "\n".join(out)


def _old_passwords_ldif():
    """pwdLastSet ten days back, for the two-day PSO to have expired."""
    when = filetime(time.time() - 10 * 86400)
    out = []
    for u in [USERS["pwexpired"], SERVICE_EXPIRED]:
        out.append(_entry(u["dn"], "changetype: modify",
                          "replace: unicodePwd",
                          "unicodePwd:: " + _unicode_pwd(u["password"]),
                          "-", "replace: pwdLastSet",
                          f"pwdLastSet: {when}", "-"))
    return "\n".join(out)


def _run(argv, log, **kwargs):
    with open(log, "ab") as f:
        f.write(("==== " + " ".join(argv) + "\n").encode())
        f.flush()
        result = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, **kwargs)
    if result.returncode != 0:
        raise procs.StartError(f"{argv[0]} failed (exit {result.returncode})"
                               f"\n--- {log} ---\n{procs.tail(log)}")


def _make_tls(tls_dir, log):
    """A CA and a certificate for 127.0.0.1 and the DC's name, with openssl.

    The certificate does not name "localhost": connecting by that name is
    how tests meet a certificate that does not name the host.
    """
    os.makedirs(tls_dir, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _run(["openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out",
          "ca.pem", "-days", "30", "-subj", "/CN=Samba test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], log,
         cwd=tls_dir)
    _run(["openssl", "req", *ec, "-keyout", "key.pem", "-out", "dc.csr",
          "-subj", f"/CN={HOSTNAME}.{DNS_DOMAIN}"], log, cwd=tls_dir)
    with open(os.path.join(tls_dir, "dc.ext"), "w") as f:
        f.write(f"subjectAltName=IP:{HOST},DNS:{HOSTNAME}.{DNS_DOMAIN}\n"
                "extendedKeyUsage=serverAuth\n")
    _run(["openssl", "x509", "-req", "-in", "dc.csr", "-CA", "ca.pem",
          "-CAkey", "ca.key", "-CAcreateserial", "-out", "cert.pem",
          "-days", "30", "-extfile", "dc.ext"], log, cwd=tls_dir)
    os.chmod(os.path.join(tls_dir, "key.pem"), 0o600)


class Template:
    """A provisioned, populated domain to copy; timings in .timings (s)."""

    def __init__(self, path):
        self.path = path
        self.timings = {}

    @property
    def ca_file(self):
        return os.path.join(self.path, "private", "tls", "ca.pem")


def make_template(path=None):
    """Provisions and populates the test domain into path (a new short
    directory under /tmp when None)."""
    if os.geteuid() != 0:
        raise procs.StartError("samba: provisioning and port 389 need root")
    for tool in (SAMBA, SAMBA_TOOL, LDBADD):
        if not os.path.exists(tool):
            raise procs.StartError(f"samba: {tool} is missing: run "
                                   "'make deps'")
    path = path or tempfile.mkdtemp(prefix="samba-tpl-", dir="/tmp")
    tpl = Template(path)
    log = os.path.join(path, "provision.log")
    base_conf = os.path.join(path, "base.conf")
    open(base_conf, "w").close()        # not /etc/samba/smb.conf

    start = time.monotonic()
    _run([SAMBA_TOOL, "domain", "provision", "-s", base_conf,
          "--targetdir", path, "--server-role=dc", "--dns-backend=NONE",
          "--realm", REALM, "--domain", DOMAIN, "--host-name", HOSTNAME,
          "--adminpass", ADMIN["password"],
          "--option=interfaces = " + HOST,
          "--option=bind interfaces only = yes",
          "--option=server services = ldap",
          "--option=pid directory = " + os.path.join(path, "run"),
          "--option=tls enabled = yes",
          "--option=tls keyfile = tls/key.pem",
          "--option=tls certfile = tls/cert.pem",
          "--option=tls cafile = tls/ca.pem"],
         log)
    tpl.timings["provision"] = time.monotonic() - start

    start = time.monotonic()
    # Samba makes its own TLS files in private/tls when the names are free
    _make_tls(os.path.join(path, "private", "tls"), log)
    ldif = os.path.join(path, "population.ldif")
    with open(ldif, "w", encoding="utf-8") as f:
        f.write(population_ldif())
    sam = os.path.join(path, "private", "sam.ldb")
    _run([LDBADD, "-H", sam, ldif], log)
    old = os.path.join(path, "old-passwords.ldif")
    with open(old, "w") as f:
        f.write(_old_passwords_ldif())
    _run([LDBMODIFY, "-H", sam,
          "--controls=local_oid:1.3.6.1.4.1.7165.4.3.20:0", old], log)
    tpl.timings["populate"] = time.monotonic() - start
    return tpl


# -- the machine-wide lock ---------------------------------------------------

def _lock_holder(fd):
    try:
        return os.pread(fd, 200, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""


def _say_stderr(line):
    print(line, file=sys.stderr, flush=True)


def take_lock(timeout=LOCK_WAIT, path=LOCK_PATH, say=None):
    """The lock of Samba's fixed ports: returns its open descriptor (the
    lock goes when it is closed, or the process ends), waiting up to
    timeout seconds for another run's DC to end, and saying so through
    say(line) (stderr by default)."""
    say = say or _say_stderr
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            if time.monotonic() >= deadline:
                raise procs.StartError(
                    f"samba: {path} is still held after {timeout:.0f} s "
                    f"({_lock_holder(fd) or 'holder unknown'}): another "
                    "test run's DC holds Samba's fixed ports")
            if not told:
                say(f"samba: waiting up to {timeout:.0f} s for {path}, "
                    f"held by {_lock_holder(fd) or 'another process'}: one "
                    "DC per machine (fixed ports 389, 636, 3268, 3269)")
                told = True
            time.sleep(0.5)
        if told:
            waited = timeout - (deadline - time.monotonic())
            say(f"samba: {path} taken after {waited:.0f} s of waiting")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({' '.join(sys.argv)[:120]}) "
                  f"since {time.strftime('%H:%M:%S')}\n".encode(), 0)
        return fd
    except BaseException:
        os.close(fd)
        raise


# -- the DC ------------------------------------------------------------------

class SambaDC(procs.Service):
    """One samba on 127.0.0.1, from a copy of a template."""

    name = "samba"
    what = "LDAPS rootDSE search"

    def __init__(self, template, workdir=None, say=None):
        super().__init__()
        self.template = template
        self.say = say
        self.dir = workdir or tempfile.mkdtemp(prefix="samba-", dir="/tmp")
        self.log_path = os.path.join(self.dir, "samba.log")
        self.url = URL
        self.plain_url = PLAIN_URL
        self.base_dn = BASE_DN
        self.domain = DOMAIN
        self.dns_domain = DNS_DOMAIN
        self.timings = dict(template.timings)
        start = time.monotonic()
        subprocess.run(["cp", "-a", template.path + "/.", self.dir],
                       check=True)
        self.conf_path = os.path.join(self.dir, "etc", "smb.conf")
        with open(self.conf_path) as f:
            conf = f.read()
        with open(self.conf_path, "w") as f:
            f.write(conf.replace(template.path, self.dir))
        os.makedirs(os.path.join(self.dir, "run"), exist_ok=True)
        self.timings["copy"] = time.monotonic() - start
        self.ca_file = os.path.join(self.dir, "private", "tls", "ca.pem")
        self.lock_fd = None
        self.timings["lock wait"] = 0.0

    def _argv(self):
        # -i: foreground, log to stdout; single: one process to stop
        return [SAMBA, "-i", "-M", "single", "-s", self.conf_path,
                "--debuglevel=1"]

    def start(self, timeout=60.0, detached=False):
        """Starts the DC, first taking the machine's lock (kept across a
        stop() and a start() again, until remove())."""
        first = self.lock_fd is None
        if first:
            begin = time.monotonic()
            self.lock_fd = take_lock(say=self.say)
            self.timings["lock wait"] = time.monotonic() - begin
        try:
            # the last holder's DC may be ending still (its run was killed)
            deadline = time.monotonic() + 15.0
            while True:
                taken = [p for p in LDAP_PORTS if not ports.is_free(p)]
                if not taken or time.monotonic() >= deadline:
                    break
                time.sleep(0.1)
            if taken:
                raise procs.StartError(
                    f"samba: port(s) {', '.join(map(str, taken))} on "
                    f"{HOST} are taken although {LOCK_PATH} is ours.  "
                    "Samba's LDAP ports are fixed (389, 636, 3268, 3269): "
                    "another DC, not started by this harness, is running")
            begin = time.monotonic()
            super().start(timeout=timeout, detached=detached)
            self.timings["start"] = time.monotonic() - begin
        except BaseException:
            if first:
                self.release()
            raise
        return self

    def stop(self, timeout=10.0):
        super().stop(timeout=timeout)
        for port in LDAP_PORTS:
            ports.wait_closed(port, timeout=5.0)

    def release(self):
        """Gives the machine's lock back (the DC must be stopped)."""
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None

    def remove(self):
        """Stops the DC, gives the lock back and deletes its directory."""
        try:
            self.stop()
        finally:
            self.release()
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- the OpenLDAP command-line clients, over ldaps ---------------------

    def ldap_tool(self, tool, args, bind=ADMIN, stdin=None, timeout=30,
                  check=True, url=None):
        """Runs ldapsearch/ldapmodify/... against this DC; bind is
        {"login", "password"} (a DN, UPN or DOMAIN\\user) or None."""
        argv = [tool, "-x", "-H", url or self.url]
        if bind is not None:
            argv += ["-D", bind["login"], "-w", bind["password"]]
        env = dict(os.environ, LDAPTLS_CACERT=self.ca_file,
                   LDAPTLS_REQCERT="demand")
        result = subprocess.run(argv + list(args), input=stdin, text=True,
                                capture_output=True, timeout=timeout,
                                env=env)
        if check and result.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)}: exit "
                               f"{result.returncode}: {result.stderr.strip()}")
        return result

    def search(self, base=None, filter="(objectClass=*)", attrs=(),
               scope="sub", bind=ADMIN):
        """ldapsearch; returns [(dn, {attr: [values]})] (text values)."""
        from .directory import parse_ldif
        result = self.ldap_tool(
            "ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b",
                           base or self.base_dn, "-s", scope, filter,
                           *attrs], bind=bind)
        return [e for e in parse_ldif(result.stdout) if e[0] is not None]

    def modify(self, ldif_text):
        self.ldap_tool("ldapmodify", [], stdin=ldif_text)

    def bind_error(self, login, password):
        """The diagnostic of a refused bind ("" when the bind works)."""
        result = self.ldap_tool("ldapsearch", ["-LLL", "-s", "base", "-b",
                                               "", "dnsHostName"],
                                bind={"login": login, "password": password},
                                check=False)
        if result.returncode == 0:
            return ""
        if "additional info:" not in result.stderr:
            return result.stderr.strip()
        return result.stderr.split("additional info:", 1)[1].strip()

    def _answers(self):
        try:
            result = self.ldap_tool(
                "ldapsearch", ["-LLL", "-s", "base", "-b", "",
                               "defaultNamingContext"],
                bind=None, timeout=3, check=False)
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0


def start_dc(template=None, say=None):
    """A DC from template (one made now when None), started; say(line)
    tells of a wait for the machine's lock (stderr by default)."""
    template = template or make_template()
    dc = SambaDC(template, say=say)
    try:
        dc.start()
    except Exception:
        shutil.rmtree(dc.dir, ignore_errors=True)
        raise
    return dc


# -- pytest -------------------------------------------------------------------

try:
    import pytest
except ImportError:             # the rig's runner does without
    pytest = None

if pytest is not None:
    @pytest.fixture(scope="session")
    def samba_template():
        """The provisioned, populated domain, made once per session."""
        if os.geteuid() != 0:
            pytest.skip("Samba's provision and port 389 need root")
        tpl = make_template()
        yield tpl
        shutil.rmtree(tpl.path, ignore_errors=True)

    @pytest.fixture(scope="session")
    def samba_dc(samba_template, request):
        """The session's DC (harness.samba.SambaDC), started; import it
        (with samba_template) into a test module to use it."""
        plugins = request.config.pluginmanager
        reporter = plugins.getplugin("terminalreporter")
        capture = plugins.getplugin("capturemanager")

        def say(line):
            # past pytest's capture, which would hide a long wait
            if reporter is None or capture is None:
                _say_stderr(line)
                return
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)
        dc = start_dc(samba_template, say=say)
        yield dc
        dc.remove()
        # what the one DC of the session cost
        say("samba: " + ", ".join(f"{k} {v:.2f} s"
                                  for k, v in dc.timings.items()))
