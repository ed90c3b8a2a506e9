"""Two portals serving one population, as the README's deployment has
them: portals a and b (nginx with the module) sharing one scep_store
directory and the same scep_key_file list, and a third nginx in front
(without the module) that balances round robin over both with
proxy_pass, TLS on its own port.

    pair = PortalPair(nginx, slapd, workdir, key_files, profiles,
                      locations="", http_extra="", wait_ca=("staff",),
                      both=True)
    pair.start()
        .a, .b          the portals (harness.nginx.Nginx), plain http;
                        with both=False, portal a alone (b is None)
        .balancer       the nginx in front (https, self-signed)
        .portals        (a, b)
        .store          the shared scep_store directory
        .pending_files()  the sealed records in store/pending
        .configure(portal, key_files=None, http_extra=None)
                        rewrites one portal's configuration (apply with
                        portal.reload(), or stop() and start())
        .wait_ca(portal)  until the portal's workers have each profile's
                        CA certificate (after a start or reload)

In the portals' text, @BALANCER@ is the balancer's port: the address
agents are given (a proxy_url, say).  The portal location is the usual
one (harness.portal.portal_server) with every user on profile "staff".
"""

import os
import re

from . import portal, procs

BALANCER = """
upstream portals {{
{upstreams}}}

server {{
    listen 127.0.0.1:@PORT@ ssl;
    ssl_certificate @TLS_CERT@;
    ssl_certificate_key @TLS_KEY@;

    location / {{
        proxy_pass http://portals;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
}}
"""


def ca_obtained(profile):
    return re.compile(rf'\[notice\] .*scep_profile "{profile}": CA '
                      r'certificate "[^"]+" \(SHA-256 [0-9a-f]{64}\) '
                      r"obtained from ")


class PortalPair:
    """See the module docstring."""

    def __init__(self, nginx, slapd, workdir, key_files, profiles,
                 locations="", http_extra="", wait_ca=("staff",),
                 both=True):
        self.slapd = slapd
        self.key_files = list(key_files)
        self.profiles = profiles
        self.locations = locations
        self.http_extra = http_extra
        self.wait_ca_profiles = wait_ca
        self.store = os.path.join(str(workdir), "shared-store")
        self._ca_seen = {}

        # the balancer's port goes into the portals' text: made first
        self.balancer = nginx(load_module=False)
        tokens = {"BALANCER": self.balancer.port}
        self.a = nginx(tokens=tokens)
        self.b = nginx(tokens=tokens) if both else None
        self.portals = (self.a, self.b) if both else (self.a,)
        for p in self.portals:
            self.configure(p)
        self.balancer.configure(http=BALANCER.format(upstreams="".join(
            f"    server 127.0.0.1:{p.port};\n" for p in self.portals)))

    def conf(self, key_files, http_extra):
        return ("".join(f"scep_key_file {k};\n" for k in key_files)
                + f"scep_store {self.store};\n" + http_extra
                + portal.directory_block(self.slapd) + self.profiles
                + portal.portal_server("        scep_default_profile staff;",
                                       extra=self.locations))

    def configure(self, p, key_files=None, http_extra=None):
        p.configure(http=self.conf(
            self.key_files if key_files is None else key_files,
            self.http_extra if http_extra is None else http_extra))

    def start(self):
        for p in self.portals:
            p.start()
            self.wait_ca(p)
        self.balancer.start()
        return self

    def wait_ca(self, p, timeout=30):
        """Each profile's CA certificate, once more than last time."""
        for name in self.wait_ca_profiles:
            pattern = ca_obtained(name)
            seen = self._ca_seen.get((p, name), 0)
            procs.wait_until(
                lambda: len(pattern.findall(p.error_log())) > seen,
                timeout, f"the CA certificate of profile {name}",
                interval=0.05, alive=p.proc.running)
            self._ca_seen[(p, name)] = len(pattern.findall(p.error_log()))

    def pending_files(self):
        """{name: (mode, bytes)} of the sealed records in store/pending."""
        d = os.path.join(self.store, "pending")
        files = {}
        if not os.path.isdir(d):
            return files
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                files[name] = (os.stat(path).st_mode & 0o777, f.read())
        return files
