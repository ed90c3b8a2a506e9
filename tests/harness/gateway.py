"""A GlobalProtect gateway's login service for tests: plain nginx (no
module), https with a client certificate checked against the CA that
issued the users' certificates.

It answers what openconnect --protocol=gp asks of a gateway up to the
authentication cookie, and no further (it is not a VPN):

    POST /ssl-vpn/prelogin.esp   <prelogin-response>, Success
    POST /ssl-vpn/login.esp      with a valid client certificate: the
                                 <jnlp> answer whose arguments carry the
                                 authcookie (a fresh $request_id, 32 hex
                                 digits) and the user (the certificate's
                                 CN); without one: the refusal below
    POST /ssl-vpn/getconfig.esp  a refusal ("no tunnel"): openconnect
                                 stops there when not run with
                                 --authenticate, having sent its
                                 app-version

A certificate that fails verification (another CA, expired) is refused
on every endpoint, no certificate on login.esp, with what a PAN-OS
gateway says: 200 and <response status="error"><error>Valid client
certificate is required</error></response> (a message openconnect's
gpst_xml_or_error() knows), and X-Private-Pan-Globalprotect carrying the
same words.  The access log (logs/gateway.log) records, per request, the
URI, the status, $ssl_client_verify (SUCCESS, NONE, FAILED:reason), the
certificate's subject and serial.

The arguments of the <jnlp> answer are in the order openconnect's
gp_login_args[] (auth-globalprotect.c) and the yuezk client's
build_gateway_token() read them: 1 authcookie, 2 persistent-cookie, 3
portal, 4 user, 5 authentication-source, 6 configuration, 7 domain, 12
connection-type "tunnel", 13 password-expiration-days, 14 clientVer
"4100", 19 "4", 20 "unknown".
"""

import re

from . import procs

NAME = "test-gateway"
REFUSAL = "Valid client certificate is required"

# The certificate's CN (nginx writes the subject most specific first,
# RFC 2253); a CN with an escaped comma would be cut, which no test uses.
MAP = r"""
map $ssl_client_s_dn $gp_gateway_user {
    "~(^|,)CN=(?<gp_cn>[^,]+)"  $gp_cn;
    default                      "";
}
"""

LOG_FORMAT = ("log_format gp_gateway '$uri status=$status "
              "verify=\"$ssl_client_verify\" dn=\"$ssl_client_s_dn\" "
              "serial=$ssl_client_serial user=\"$gp_gateway_user\"';")

PRELOGIN = """<?xml version="1.0" encoding="UTF-8"?>
<prelogin-response>
<status>Success</status>
<ccusername>$gp_gateway_user</ccusername>
<autosubmit>false</autosubmit>
<msg/>
<newmsg/>
<authentication-message>Enter login credentials</authentication-message>
<username-label>Username</username-label>
<password-label>Password</password-label>
<panos-version>1</panos-version>
<region>Unknown</region>
</prelogin-response>
"""

ARGUMENTS = [
    "(null)",                   # 0
    "$request_id",              # 1 authcookie
    "$ssl_client_fingerprint",  # 2 persistent-cookie (40 hex digits)
    "{name}",                   # 3 portal (the gateway's name)
    "$gp_gateway_user",         # 4 user
    "client-certificate",       # 5 authentication-source
    "vsys1",                    # 6 configuration
    "(empty_domain)",           # 7 domain
    "(null)", "", "", "",       # 8-11
    "tunnel",                   # 12 connection-type
    "-1",                       # 13 password-expiration-days
    "4100",                     # 14 clientVer
    "",                         # 15 preferred-ip
    "", "", "",                 # 16-18 portal cookies, preferred-ipv6
    "4",                        # 19
    "unknown",                  # 20
]


def error_body(message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<response status="error"><error>{message}</error>'
            '</response>\n')


def login_body(name):
    args = "\n".join(f"<argument>{a}</argument>" if a else "<argument/>"
                     for a in ARGUMENTS).replace("{name}", name)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<jnlp>\n<application-desc>\n{args}\n</application-desc>\n"
            "</jnlp>\n")


def server_block(client_ca, listen="@PORT@", cert="@TLS_CERT@",
                 key="@TLS_KEY@", name=NAME):
    """http-level text: the map, the log format and the gateway's server.

    client_ca: PEM file of the CA(s) whose certificates are accepted.
    """
    refusal = error_body(REFUSAL)
    return MAP + LOG_FORMAT + f"""
server {{
    listen 127.0.0.1:{listen} ssl;
    ssl_certificate     {cert};
    ssl_certificate_key {key};

    # The CA that issued the users' certificates.  "optional": prelogin
    # is answered without one, as a gateway says what it wants first;
    # login.esp refuses.  A certificate that fails verification (another
    # CA, expired) is refused by nginx with 495, answered below.
    ssl_verify_client      optional;
    ssl_client_certificate {client_ca};
    ssl_verify_depth       2;

    access_log logs/gateway.log gp_gateway;
    default_type application/xml;
    error_page 495 = @refused;

    location = /ssl-vpn/prelogin.esp {{
        return 200 '{PRELOGIN}';
    }}

    location = /ssl-vpn/login.esp {{
        if ($ssl_client_verify != SUCCESS) {{
            add_header X-Private-Pan-Globalprotect "{REFUSAL}" always;
            return 200 '{refusal}';
        }}
        return 200 '{login_body(name)}';
    }}

    location = /ssl-vpn/getconfig.esp {{
        return 200 '{error_body("test gateway: no tunnel here")}';
    }}

    location @refused {{
        add_header X-Private-Pan-Globalprotect "{REFUSAL}" always;
        return 200 '{refusal}';
    }}

    location / {{
        return 404 '{error_body("GlobalProtect gateway does not exist")}';
    }}
}}
"""


RECORD = re.compile(r'^(?P<uri>\S+) status=(?P<status>\d+) '
                    r'verify="(?P<verify>[^"]*)" dn="(?P<dn>[^"]*)" '
                    r'serial=(?P<serial>\S*) user="(?P<user>[^"]*)"$')


def records(server):
    """The gateway's access log of an nginx.Nginx running server_block(),
    as dicts (uri, status, verify, dn, serial, user), oldest first."""
    path = f"{server.prefix}/logs/gateway.log"
    found = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = RECORD.match(line.rstrip("\n"))
                if m:
                    found.append(m.groupdict())
    except FileNotFoundError:
        pass
    return found


def wait_for_record(server, uri, timeout=10.0):
    """The last record of uri, once nginx has written it (access log lines
    are written when a request ends, which may be after the client has
    its answer)."""
    def last():
        hits = [r for r in records(server) if r["uri"] == uri]
        return hits[-1] if hits else None
    procs.wait_until(lambda: last() is not None, timeout,
                     f"the gateway's log line for {uri}")
    return last()
