"""A real OpenLDAP slapd on 127.0.0.1, seeded with the test directory.

slapd runs in the foreground under our control: any "-d" option keeps
slapd from detaching, so the pid we started is the server.  The level
"none" logs only what slapd always reports (configuration errors, start,
stop), where "-d 0" would log nothing at all.
Its configuration and database live in the instance directory; stop() and
start() restart it on the same port with the same data.
"""

import os
import shutil
import subprocess

from . import directory, procs
from .ports import HOST, free_port

SLAPD = "/usr/sbin/slapd"
SCHEMA_DIR = "/etc/ldap/schema"
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))), "integration", "data")
SEED_LDIF = os.path.join(DATA_DIR, "seed.ldif")
PROJECT_SCHEMA = os.path.join(DATA_DIR, "proxyaddresses.schema")

CONF_TEMPLATE = """\
# slapd.conf written by tests/harness/slapd.py
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {schema}/nis.schema
include {project_schema}

pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args

modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
{ppolicy_module}
# Who may see what.  The rootDSE is public (the readiness probe reads it
# anonymously); passwords may only be used to bind; the portal's service
# account reads every entry, a user reads their own; anonymous clients see
# nothing else, as in a directory that does not allow anonymous search.
access to dn.base="" by * read
access to dn.base="cn=Subschema" by * read

database mdb
suffix "{base}"
rootdn "{root_dn}"
rootpw {root_pw}
directory {dir}/data
maxsize 104857600

access to attrs=userPassword
    by anonymous auth
    by self auth
    by * none
access to *
    by dn.exact="{service_dn}" read
    by self read
    by * none

{ppolicy_overlay}overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint true
"""


class Slapd(procs.Service):
    """One slapd instance; see the module docstring."""

    name = "slapd"
    what = "rootDSE search"

    def __init__(self, workdir, port=None, ppolicy=False):
        """ppolicy: with the password policy overlay (policies per user,
        none by default; a lock told in the control)."""
        super().__init__()
        self.dir = str(workdir)
        self.port = port or free_port()
        self.url = f"ldap://{HOST}:{self.port}"
        self.base_dn = directory.BASE_DN
        self.service_dn = directory.SERVICE["dn"]
        self.service_password = directory.SERVICE["password"]
        self.admin_dn = directory.ROOT["dn"]
        self.admin_password = directory.ROOT["password"]
        self.conf_path = os.path.join(self.dir, "slapd.conf")
        self.log_path = os.path.join(self.dir, "slapd.log")
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        with open(self.conf_path, "w") as f:
            f.write(CONF_TEMPLATE.format(
                schema=SCHEMA_DIR, project_schema=PROJECT_SCHEMA,
                dir=self.dir, base=self.base_dn, root_dn=self.admin_dn,
                root_pw=self.admin_password, service_dn=self.service_dn,
                ppolicy_module="moduleload ppolicy\n" if ppolicy else "",
                ppolicy_overlay=("overlay ppolicy\nppolicy_use_lockout\n\n"
                                 if ppolicy else "")))

    # -- life cycle ------------------------------------------------------

    def _argv(self):
        """slapd in the foreground, on the same port and data as before."""
        return [SLAPD, "-h", f"{self.url}/", "-f", self.conf_path,
                "-d", "none"]

    def seed(self, ldif_path=SEED_LDIF):
        """Adds the entries of an LDIF file as the rootdn."""
        self.ldap_tool("ldapadd", ["-f", ldif_path], bind=self.root_bind)

    # -- the OpenLDAP command-line clients --------------------------------

    @property
    def root_bind(self):
        return (self.admin_dn, self.admin_password)

    @property
    def service_bind(self):
        return (self.service_dn, self.service_password)

    def ldap_tool(self, tool, args, bind=None, stdin=None, timeout=10,
                  check=True):
        """Runs ldapsearch/ldapadd/ldapmodify/ldapwhoami against this server.

        bind is (dn, password) or None for anonymous.  Returns the
        CompletedProcess (text); with check, a failure raises with stderr.
        """
        argv = [tool, "-x", "-H", self.url]
        if bind is not None:
            argv += ["-D", bind[0], "-w", bind[1]]
        result = subprocess.run(argv + list(args), input=stdin, text=True,
                                capture_output=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)}: exit "
                               f"{result.returncode}: {result.stderr.strip()}")
        return result

    def search(self, base=None, filter="(objectClass=*)", attrs=(),
               scope="sub", bind="service"):
        """ldapsearch; returns [(dn, {attr: [values]})].

        bind: "service" (default), "root", None (anonymous) or (dn, pw).
        Operational attributes such as memberOf must be asked for by name.
        """
        if bind == "service":
            bind = self.service_bind
        elif bind == "root":
            bind = self.root_bind
        result = self.ldap_tool(
            "ldapsearch",
            ["-LLL", "-o", "ldif-wrap=no", "-b", base or self.base_dn,
             "-s", scope, filter, *attrs], bind=bind)
        return directory.parse_ldif(result.stdout)

    def modify(self, ldif_text):
        """Applies an LDIF change as the rootdn (ldapmodify)."""
        self.ldap_tool("ldapmodify", [], bind=self.root_bind, stdin=ldif_text)

    def can_bind(self, dn, password):
        """True if a simple bind with dn/password succeeds."""
        return self.ldap_tool("ldapwhoami", [], bind=(dn, password),
                              check=False).returncode == 0

    def _answers(self):
        try:
            result = self.ldap_tool(
                "ldapsearch", ["-LLL", "-s", "base", "-b", "",
                               "namingContexts"],
                timeout=2, check=False)
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0


def start_seeded(workdir, port=None, detached=False, ppolicy=False):
    """A fresh directory in workdir (wiped first), started and seeded."""
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    server = Slapd(workdir, port=port, ppolicy=ppolicy).start(
        detached=detached)
    try:
        server.seed()
    except Exception:
        server.stop()
        raise
    return server
