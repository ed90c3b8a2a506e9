"""nginx -t: every example configuration passes, and every mistake is
named with its directive, its block and the reason, at the right line."""

import os
import pathlib
import re
import shutil

import pytest

from harness import tls

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXAMPLES = os.path.join(REPO, "conf.example")

# Files the examples name; nginx -t reads them, so they must exist.
PLACEHOLDER_SECRETS = ["ldap-bind.password", "ndes.password",
                       "admins-challenge.password", "ad-bind.password"]
PLACEHOLDER_KEYS = ["keys/2026-12.key"]
PLACEHOLDER_PEMS = ["ldap-ca.pem", "pki-root.pem", "portal-client.crt",
                    "portal-client.key", "ad-ca.pem"]


def test_examples_pass_nginx_t(nginx, module_path, tmp_path):
    server = nginx()
    conf_dir = pathlib.Path(server.prefix) / "conf"
    shutil.copytree(EXAMPLES, conf_dir, dirs_exist_ok=True)

    cert = tls.self_signed(str(tmp_path / "tls"))
    scep_dir = conf_dir / "scep"
    shutil.copy(cert.cert_path, scep_dir / "portal.crt")
    shutil.copy(cert.key_path, scep_dir / "portal.key")
    for name in PLACEHOLDER_PEMS:
        shutil.copy(cert.cert_path, scep_dir / name)
    for name in PLACEHOLDER_SECRETS:
        (scep_dir / name).write_text("placeholder-Secret\n")
    (scep_dir / "keys").mkdir()
    for name in PLACEHOLDER_KEYS:
        (scep_dir / name).write_text(KEY_FILES["good.key"])

    main_conf = conf_dir / "nginx.conf"
    text = main_conf.read_text()
    text = re.sub(r"^load_module .*;$", f"load_module {module_path};",
                  text, count=1, flags=re.MULTILINE)
    # a private error log and pid instead of the system's
    text = text.replace("/var/lib/nginx/scep", "store")
    text = text.replace("/var/log/nginx/", "logs/")
    text = ("error_log logs/error.log info;\npid logs/nginx.pid;\n"
            + text.replace("http {", "http {\n    client_body_temp_path "
                           "temp/client_body;\n    proxy_temp_path temp/proxy;"
                           "\n    fastcgi_temp_path temp/fastcgi;\n    "
                           "uwsgi_temp_path temp/uwsgi;\n    scgi_temp_path "
                           "temp/scgi;\n", 1))
    server.write_conf(text)

    ok, output = server.test()
    assert ok, output


# A plain http server is pinned (nginx -t refuses it otherwise); cases
# that set the pin themselves, or opt out of it, drop this line.
PIN = "    ca_fingerprint " + "ab" * 32 + ";\n"

GOOD_PROFILE = """\
scep_profile p {
    server_url http://127.0.0.1:8080/scep;
    ca_ident test-ca;
    subject "O=Example,CN=$USERNAME";
""" + PIN + """%s
}
"""

# Key files a case may name: a good one and one too short.
KEY_FILES = {"good.key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
             "short.key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX\n",
             "password.txt": "a password is not a key!\n"}

GOOD_DIRECTORY = """\
scep_directory d {
    url ldap://127.0.0.1:389;
    bind_dn "cn=portal,dc=example,dc=org";
    bind_password secret;
    base_dn "dc=example,dc=org";
    user_filter "(uid=%%u)";
%s
}
"""

PORTAL = """\
server {
    listen 127.0.0.1:@PORT@;
    location /global-protect/ {
%s
    }
}
"""


def profile(lines, name="p"):
    text = GOOD_PROFILE.replace("scep_profile p", f"scep_profile {name}")
    if "ca_fingerprint" in lines or "insecure_trust_any_ca" in lines:
        text = text.replace(PIN, "")
    return text % lines


def unpinned(lines=""):
    """The good profile without its pin."""
    return GOOD_PROFILE.replace(PIN, "") % lines


def fips_profile(lines):
    """A profile with fips on: its server must then be reached by https."""
    return profile("    fips on;\n" + lines).replace(
        "http://127.0.0.1:8080", "https://127.0.0.1:8443")


def directory(lines):
    return GOOD_DIRECTORY % lines


def portal(lines):
    return PORTAL % lines


def missing(key, text):
    """The good profile without one of its directives."""
    return "\n".join(line for line in text.splitlines()
                     if not line.strip().startswith(key + " "))


# A line marked with "#<" is the one the message must point at; when no
# line is marked (a directive is missing), the block's first line is.
MARK = "  #<"


def mark(text, needle):
    """Marks the first line of text containing needle."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if needle in line:
            lines[i] = line + MARK
            return "\n".join(lines) + "\n"
    raise AssertionError(f"{needle!r} not in {text!r}")


def block_start(text, kind):
    return mark(text, kind + " ")


PORTAL_WITH = profile("") + directory("")

# (id, http-level text with the faulty line marked, a regular expression
#  the [emerg] message must match)
BAD = [
    ("unknown-directive", mark(profile("    colour blue;"), "colour"),
     r'scep_profile "p": unknown directive "colour"'),
    ("duplicate-directive",
     mark(profile("    digest sha256;\n    digest sha384;"), "sha384"),
     r'scep_profile "p": "digest" is duplicate'),
    ("duplicate-profile",
     profile("") + mark(profile("").replace("scep_profile p",
                                            "scep_profile  p"),
                        "scep_profile"),
     r'scep_profile "p" is duplicate, the first is in .*nginx.conf:\d+'),
    ("no-cn",
     mark(profile("").replace("O=Example,CN=$USERNAME", "O=Example"),
          "subject"),
     r'scep_profile "p": subject: .*CN'),
    ("two-cn", mark(profile("").replace("O=Example,", "CN=a,"), "subject"),
     r'scep_profile "p": subject: .*CN'),
    ("token-outside-cn",
     mark(profile("").replace("O=Example", "O=$USERNAME"), "subject"),
     r'scep_profile "p": subject: .*only in (the )?CN'),
    ("unknown-token",
     mark(profile("").replace("$USERNAME", "$NICKNAME"), "subject"),
     r'scep_profile "p": subject: .*\$NICKNAME'),
    ("unknown-attribute",
     mark(profile("").replace("O=Example", "XX=1"), "subject"),
     r'scep_profile "p": subject: .*"XX"'),
    ("san-token-of-another-kind",
     mark(profile("    subject_alt_name rfc822 $USERNAME;"),
          "subject_alt_name"),
     r'scep_profile "p": subject_alt_name: subject_alt_name rfc822 must be '
     r'an email address such as vpn@example.com; "\$USERNAME" does not make '
     r'one of a user\'s values'),
    ("san-unknown-token",
     mark(profile("    subject_alt_name uri urn:x:$GUID;"),
          "subject_alt_name"),
     r'scep_profile "p": subject_alt_name: unknown token "\$GUID"'),
    ("san-none-and-more",
     mark(profile("    subject_alt_name none;\n"
                  "    subject_alt_name upn $UPN;"), "upn"),
     r'scep_profile "p": subject_alt_name: subject_alt_name none cannot be '
     r'given with other'),
    ("san-nine",
     mark(profile("    subject_alt_name dns a.example;\n" * 8
                  + "    subject_alt_name dns z.example;"), "z.example"),
     r'scep_profile "p": subject_alt_name: at most 8 names are allowed'),
    ("san-type",
     mark(profile("    subject_alt_name ip 10.0.0.1;"), "subject_alt_name"),
     r'scep_profile "p": subject_alt_name: .*"ip"'),
    ("key-bits-small", mark(profile("    key_bits 512;"), "key_bits"),
     r'scep_profile "p": key_bits: .*1024'),
    ("key-bits-fips", mark(fips_profile("    key_bits 1024;"), "key_bits"),
     r'scep_profile "p": key_bits: .*2048'),
    ("sha1-fips", mark(fips_profile("    digest sha1;"), "digest"),
     r'scep_profile "p": digest: .*sha1'),
    ("fips-http-server", mark(profile("    fips on;"), "server_url"),
     r'scep_profile "p": server_url: .*https'),
    ("digest-unknown", mark(profile("    digest md5;"), "digest"),
     r'scep_profile "p": digest: .*"md5".*sha256'),
    ("fips-http-challenge",
     mark(fips_profile(
         "    challenge dynamic;\n"
         "    challenge_url http://ndes.example.org/certsrv/mscep_admin/;\n"
         "    challenge_username svc;\n    challenge_password pw;"),
         "challenge_url"),
     r'scep_profile "p": challenge_url: .*https'),
    ("server-url-scheme",
     mark(profile("").replace("http://127.0.0.1:8080/scep", "ftp://ca/scep"),
          "server_url"),
     r'scep_profile "p": server_url: .*http'),
    ("server-url-missing",
     block_start(missing("server_url", profile("")), "scep_profile"),
     r'scep_profile "p": server_url'),
    ("ca-ident-long",
     mark(profile("").replace("test-ca", "c" * 256), "ca_ident"),
     r'scep_profile "p": ca_ident: .*255'),
    ("fingerprint-length",
     mark(profile("    ca_fingerprint abcdef;"), "ca_fingerprint"),
     r'scep_profile "p": ca_fingerprint: .*(40|64)'),
    ("fingerprint-digit",
     mark(profile("    ca_fingerprint " + "g" * 64 + ";"), "ca_fingerprint"),
     r'scep_profile "p": ca_fingerprint: '),
    ("key-usage-unknown",
     mark(profile("    key_usage cert_sign;"), "key_usage"),
     r'scep_profile "p": key_usage: .*"cert_sign"'),
    ("mode-unknown", mark(profile("    mode relay;"), "mode"),
     r'scep_profile "p": mode: .*"relay"'),
    ("fixed-without-password",
     block_start(profile("    challenge fixed;"), "scep_profile"),
     r'scep_profile "p": challenge_password: .*challenge_password'),
    ("dynamic-without-user",
     block_start(profile(
         "    challenge dynamic;\n"
         "    challenge_url https://ndes/certsrv/mscep_admin/;\n"
         "    challenge_password pw;"), "scep_profile"),
     r'scep_profile "p": challenge_username: .*challenge_username'),
    ("none-with-url",
     mark(profile("    challenge_url https://ndes/certsrv/mscep_admin/;"),
          "challenge_url"),
     r'scep_profile "p": challenge_url: '),
    ("trusted-cert-unreadable",
     mark(profile("    tls_trusted_certificate /nonexistent/root.pem;")
          .replace("http://127.0.0.1:8080", "https://127.0.0.1:8443"),
          "tls_trusted_certificate"),
     r'scep_profile "p": tls_trusted_certificate: cannot read '
     r'"/nonexistent/root.pem"'),
    ("password-file-missing",
     mark(profile("    challenge fixed;\n"
                  "    challenge_password_file /nonexistent/pw;"),
          "challenge_password_file"),
     r'scep_profile "p": challenge_password_file: cannot read '
     r'"/nonexistent/pw"'),
    ("password-twice",
     mark(profile("    challenge fixed;\n    challenge_password a;\n"
                  "    challenge_password_file @PREFIX@/conf/nginx.conf;"),
          "challenge_password_file"),
     r'"challenge_password" and "challenge_password_file" set the same'),
    ("fips-bad-value", mark(profile("    fips yes;"), "fips"),
     r'scep_profile "p": fips: use "on" or "off"'),
    ("timeout-invalid", mark(profile("    timeout soon;"), "timeout"),
     r'scep_profile "p": timeout: invalid time'),
    ("profile-not-defined",
     directory("") + mark(portal("        scep_portal d;\n"
                                 "        scep_default_profile nope;"),
                          "scep_default_profile"),
     r'scep_default_profile: scep_profile "nope" is not defined'),
    ("directory-not-defined",
     profile("") + mark(portal("        scep_portal nowhere;\n"
                               "        scep_default_profile p;"),
                        "scep_portal"),
     r'scep_portal: scep_directory "nowhere" is not defined'),
    ("group-profile-not-defined",
     PORTAL_WITH + mark(portal("        scep_portal d;\n"
                               "        scep_group_profile admins nope;"),
                        "scep_group_profile"),
     r'scep_group_profile: scep_profile "nope" is not defined'),
    ("portal-without-profile",
     directory("") + mark(portal("        scep_portal d;"), "scep_portal"),
     r'scep_portal needs a profile'),
    ("directory-filter-placeholder",
     mark(directory("").replace("(uid=%u)", "(uid=alice)"), "user_filter"),
     r'scep_directory "d": user_filter must contain %u'),
    ("directory-url-scheme",
     mark(directory("").replace("ldap://127.0.0.1:389",
                                "http://127.0.0.1:389"), "url"),
     r'scep_directory "d": url "http://127.0.0.1:389" must start with '
     r'ldap:// or ldaps://'),
    ("directory-unknown", mark(directory("    colour red;"), "colour"),
     r'scep_directory "d": unknown directive "colour"'),
    ("directory-scope", mark(directory("    scope everywhere;"), "scope"),
     r'scep_directory "d": scope: .*"everywhere"'),
    ("directory-type", mark(directory("    type novell;"), "type"),
     r'scep_directory "d": type: type "novell" is not one of '
     r'active_directory, openldap, generic'),
    ("directory-tokengroups-openldap",
     mark(directory("    type openldap;\n    groups tokengroups;"),
          "groups"),
     r'scep_directory "d": groups tokengroups is Active Directory\'s'),
    ("directory-range-size-openldap",
     mark(directory("    type openldap;\n    range_size 500;"),
          "range_size"),
     r'scep_directory "d": range_size is Active Directory\'s'),
    ("directory-range-size-large",
     mark(directory("    type ad;\n    range_size 200000;"), "range_size"),
     r'scep_directory "d": range_size must be between 0 .* and 100000'),
    ("directory-domain-name",
     mark(directory("    type ad;\n    domains CORP corp..example;"),
          "domains"),
     r'scep_directory "d": domains "corp..example" is neither a NetBIOS'),
    ("directory-password-policy",
     mark(directory("    password_policy yes;"), "password_policy"),
     r'scep_directory "d": password_policy: use "on" or "off"'),
    ("directory-bind-dn-form",
     mark(directory("").replace('"cn=portal,dc=example,dc=org"',
                                '"@corp.example.test"'), "bind_dn"),
     r'scep_directory "d": bind_dn "@corp.example.test" is not a DN, a '
     r'user@domain name or a DOMAIN.user name'),
    ("proxy-without-url",
     block_start(profile("    mode proxy;"), "scep_profile"),
     r'scep_profile "p": proxy_url: mode proxy needs proxy_url'),
    ("proxy-url-elsewhere",
     mark(profile("    proxy_url https://portal/scep-proxy;"), "proxy_url"),
     r'scep_profile "p": proxy_url: proxy_url applies to mode proxy only'),
    ("gate-on-push-profile",
     profile("") + mark(portal("        scep_proxy p;"), "scep_proxy"),
     r'scep_proxy: scep_profile "p" is not in mode proxy'),
    ("enroll-only-setting", mark(profile("    key_pool 4;"), "key_pool"),
     r'scep_profile "p": key_pool: applies to mode enroll only'),
    ("key-pool-large",
     mark(profile("    mode enroll;\n    key_pool 5000;"), "key_pool"),
     r'scep_profile "p": key_pool: .*1024'),
    ("poll-wait-long",
     mark(profile("    mode enroll;\n    poll_wait 1h;"), "poll_wait"),
     r'scep_profile "p": poll_wait: .*600'),
    ("profile-name",
     mark(profile("").replace("scep_profile p", "scep_profile my/profile"),
          "scep_profile"),
     r'scep_profile "my/profile": the name must be 1 to 64 characters'),
    ("admin-without-store",
     profile("") + mark(portal("        scep_admin;"), "scep_admin"),
     r'scep_admin needs scep_store'),
    ("pending-cache-size",
     mark("scep_pending_cache 1k;\n", "scep_pending_cache"),
     r'scep_pending_cache: invalid size "1k"'),
    ("http-without-fingerprint", mark(unpinned(), "server_url"),
     r'scep_profile "p": server_url: server_url is http:// and no '
     r'ca_fingerprint is set: whatever CA certificate comes back over plain '
     r"http would be trusted; set ca_fingerprint \(the CA certificate's "
     r'SHA-256\), or use https://'),
    ("http-without-fingerprint-enroll",
     mark(unpinned("    mode enroll;"), "server_url"),
     r'scep_profile "p": server_url: server_url is http:// and no '
     r'ca_fingerprint is set'),
    ("proxy-url-http-without-fingerprint",
     mark(unpinned("    mode proxy;\n"
                   "    proxy_url http://portal/scep-proxy;").replace(
                       "http://127.0.0.1:8080", "https://127.0.0.1:8443"),
          "proxy_url"),
     r'scep_profile "p": proxy_url: proxy_url is http:// and no '
     r'ca_fingerprint is set'),
    ("insecure-with-pin",
     mark(profile(PIN + "    insecure_trust_any_ca on;"),
          "insecure_trust_any_ca"),
     r'scep_profile "p": insecure_trust_any_ca: insecure_trust_any_ca has '
     r'no effect: ca_fingerprint pins the CA; remove it'),
    ("proxy-url-slash",
     mark(profile("    mode proxy;\n"
                  "    proxy_url https://portal/scep-proxy/;"), "proxy_url"),
     r'scep_profile "p": proxy_url: proxy_url cannot have a query or end '
     r'with "/"'),
    ("bound-without-key-file",
     mark(profile("    challenge bound;"), "challenge bound"),
     r'scep_profile "p": challenge: challenge bound needs scep_key_file at '
     r'http level: the key the portal shares with the CA\'s scep-verify'),
    ("bound-with-password",
     mark("scep_key_file @PREFIX@/conf/good.key;\n"
          + profile("    challenge bound;\n    challenge_password pw;"),
          "challenge_password"),
     r'scep_profile "p": challenge_password: challenge_password has no '
     r'effect with challenge bound'),
    ("lifetime-without-bound",
     mark(profile("    challenge_lifetime 5m;"), "challenge_lifetime"),
     r'scep_profile "p": challenge_lifetime: challenge_lifetime has no '
     r'effect with challenge none \(only challenge bound uses it\)'),
    ("lifetime-long",
     mark("scep_key_file @PREFIX@/conf/good.key;\n"
          + profile("    challenge bound;\n    challenge_lifetime 2d;"),
          "challenge_lifetime"),
     r'scep_profile "p": challenge_lifetime: challenge_lifetime must be 1 s '
     r'to 86400 s'),
    ("key-file-missing",
     mark("scep_key_file /nonexistent/scep.key;\n", "scep_key_file"),
     r'scep_key_file: cannot read "/nonexistent/scep.key": No such file'),
    ("key-file-short",
     mark("scep_key_file @PREFIX@/conf/short.key;\n", "scep_key_file"),
     r'scep_key_file: the key in ".*short.key" is 24 bytes long, it must be '
     r'32 to 64'),
    ("key-file-not-base64",
     mark("scep_key_file @PREFIX@/conf/password.txt;\n", "scep_key_file"),
     r'scep_key_file: ".*password.txt" does not hold a key in base64 \(make '
     r'one with "openssl rand -base64 32"\)'),
    ("key-file-twice",
     "scep_key_file @PREFIX@/conf/good.key;\n"
     + mark("scep_key_file  @PREFIX@/conf/good.key;\n", "scep_key_file"),
     r'scep_key_file: the same key is listed twice'),
    ("gate-exact-location",
     profile("    mode proxy;\n    proxy_url https://portal/scep-proxy;")
     + PORTAL.replace("location /global-protect/", "location = /scep-proxy")
     % mark("        scep_proxy p;", "scep_proxy"),
     r'"scep_proxy" directive needs a prefix location such as "location '
     r'/scep-proxy": stock SCEP clients send their ticket in the path'),
    ("gateway-address",
     PORTAL_WITH + mark(portal("        scep_portal d;\n"
                               "        scep_default_profile p;\n"
                               "        scep_gateway gw/1;"), "gw/1"),
     r'scep_gateway: "gw/1" is not a host\[:port\]'),
    ("gateway-parameter",
     PORTAL_WITH + mark(portal("        scep_portal d;\n"
                               "        scep_default_profile p;\n"
                               "        scep_gateway gw1 weight=3;"),
                        "weight"),
     r'scep_gateway: invalid parameter "weight=3"'),
    ("internal-gateway-parameter",
     PORTAL_WITH + mark(portal("        scep_portal d;\n"
                               "        scep_default_profile p;\n"
                               "        scep_internal_gateway gw1 "
                               "priority=0;"), "priority=0"),
     r'scep_internal_gateway: invalid parameter "priority=0"'),
    ("portal-version",
     PORTAL_WITH + mark(portal("        scep_portal d;\n"
                               "        scep_default_profile p;\n"
                               "        scep_portal_version \"6.2 beta\";"),
                        "scep_portal_version"),
     r'scep_portal_version: "6.2 beta" is not a GlobalProtect version'),
    ("host-detection-address",
     PORTAL_WITH + mark(portal("        scep_portal d;\n"
                               "        scep_default_profile p;\n"
                               "        scep_internal_host_detection "
                               "10.0.0 inside.example.org;"), "10.0.0"),
     r'scep_internal_host_detection: "10.0.0" is not an IPv4 or IPv6'),
    ("host-detection-host",
     PORTAL_WITH + mark(portal("        scep_portal d;\n"
                               "        scep_default_profile p;\n"
                               "        scep_internal_host_detection "
                               "10.0.0.1 in_side;"), "in_side"),
     r'scep_internal_host_detection: "in_side" is not a host name'),
    ("host-detection-twice",
     PORTAL_WITH + mark(portal("        scep_portal d;\n"
                               "        scep_default_profile p;\n"
                               "        scep_internal_host_detection "
                               "10.0.0.1 a.example.org;\n"
                               "        scep_internal_host_detection "
                               "10.0.0.2 b.example.org;"), "10.0.0.2"),
     r'scep_internal_host_detection: an IPv4 address is already given'),
]


@pytest.mark.parametrize("http,pattern", [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_bad_config_is_refused(nginx, http, pattern):
    server = nginx(http=http.replace(MARK, ""))
    for name, text in KEY_FILES.items():
        (pathlib.Path(server.prefix) / "conf" / name).write_text(text)
    ok, output = server.test()
    assert not ok, f"nginx -t accepted:\n{http}"

    emerg = [text for text in output.splitlines() if "[emerg]" in text]
    assert emerg, output
    message = emerg[0]
    assert re.search(pattern, message), message

    with open(server.conf_path) as conf:
        written = conf.read().splitlines()
    marked = [line for line in http.splitlines() if line.endswith(MARK)]
    assert len(marked) == 1
    want = written.index(server.expand(marked[0][:-len(MARK)])) + 1
    assert message.endswith(f"nginx.conf:{want}"), message


AD_DIRECTORY = """\
scep_directory corp {
    type            active_directory;
    url             ldaps://dc1.corp.example.test;
    bind_dn         %s;
    bind_password   secret;
    base_dn         "DC=corp,DC=example,DC=test";
%s
}
"""


@pytest.mark.parametrize("bind_dn", [
    '"CN=svc-portal,OU=Service Accounts,DC=corp,DC=example,DC=test"',
    "svc-portal@corp.example.test", "'CORP\\svc-portal'"])
def test_active_directory_settings_pass(nginx, bind_dn):
    """type, domains, range_size, password_policy and groups tokengroups
    are accepted, and so is a service account named as AD takes it."""
    server = nginx(http=AD_DIRECTORY % (bind_dn, """\
    domains         CORP corp.example.test;
    groups          tokengroups;
    range_size      1000;
    password_policy off;
    max_groups      5000;"""))
    ok, output = server.test()
    assert ok, output
    assert "[warn]" not in output, output


def warn_lines(output):
    return [line for line in output.splitlines() if "[warn]" in line]


def line_of(server, needle):
    with open(server.conf_path) as conf:
        for number, line in enumerate(conf, 1):
            if needle in line:
                return number
    raise AssertionError(needle)


def test_directory_warnings_name_their_directive(nginx):
    """What nginx -t accepts but an admin should write down is a [warn]
    line of its own, at the line of the directive it names."""
    server = nginx(http=AD_DIRECTORY.replace(
        "ldaps://dc1.corp.example.test", "ldap://dc1.corp.example.test")
        % ("svc-portal@corp.example.test", ""))
    ok, output = server.test()
    assert ok, output
    warns = warn_lines(output)
    assert len(warns) == 2, output
    assert re.search(r'scep_directory "corp": domains is not set: '
                     r'DOMAIN\\user and user@domain logins are searched as '
                     r'typed; .* in .*nginx.conf:%d$'
                     % line_of(server, "scep_directory corp"), warns[0])
    assert re.search(r'scep_directory "corp": url is a plain ldap:// url '
                     r'without starttls: Active Directory and Samba refuse '
                     r'simple binds that are not protected; use ldaps:// or '
                     r'starttls on in .*nginx.conf:%d$'
                     % line_of(server, "url "), warns[1])

    # a generic directory: the attribute and group filter it assumed
    server = nginx(http=directory("    groups search;"))
    ok, output = server.test()
    assert ok, output
    warns = warn_lines(output)
    assert len(warns) == 2, output
    assert re.search(r'scep_directory "d": username_attribute is not set: '
                     r'uid is assumed; .* in .*nginx.conf:%d$'
                     % line_of(server, "scep_directory d"), warns[0])
    assert re.search(r'scep_directory "d": group_filter is not set: .*finds '
                     r'no Active Directory group .* in .*nginx.conf:%d$'
                     % line_of(server, "scep_directory d"), warns[1])

    # written down: nothing to say
    server = nginx(http=directory("    username_attribute uid;"))
    ok, output = server.test()
    assert ok and not warn_lines(output), output


def test_subject_alt_names_with_the_users_values_pass(nginx):
    server = nginx(http=profile("""\
    subject_alt_name upn $UPN;
    subject_alt_name uri tag:microsoft.com,2022-09-14:sid:$SID;
    subject_alt_name rfc822 $EMAILADDRESS;
    subject_alt_name dns $HOSTID.devices.example.org;
    subject_alt_name uri "urn:price:\\$1";"""))
    ok, output = server.test()
    assert ok, output
