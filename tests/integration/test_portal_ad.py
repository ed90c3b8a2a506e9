"""Active Directory through the portal: nginx with the module against a
real Samba 4.17 AD DC (tests/harness/samba.py), with the directory block
of the README's "Active Directory" section.

One DC serves every test of this file (one provisioning per session);
the tests that change an account (a lockout, a rename) use accounts no
other test logs in with, and put back what they renamed.  Needs root
(Samba's provisioning and port 389): skipped otherwise.
"""

import base64
import hashlib
import os
import re
import uuid
import xml.etree.ElementTree as ET

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from harness import REPO, http, portal, procs, samba
from harness.ldapcount import LdapCounter
from harness.samba import samba_dc, samba_template  # noqa: F401 (fixtures)

GETCONFIG = "/global-protect/getconfig.esp"
README = os.path.join(REPO, "README.md")

USERS = samba.USERS
JDOE = USERS["jdoe"]
BAD_CREDENTIALS = "Invalid username or password"


# -- the README's block, as the tests run it -------------------------------

def readme_block(tag):
    """The nginx block that follows "<!-- tested: ... (tag) -->"."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    marker = re.search(r"<!-- tested: [^>]*\(" + re.escape(tag) + r"\) -->"
                       r"\s*```nginx\n(.*?)```", text, re.S)
    assert marker, f"README.md has no tested block {tag}"
    return marker.group(1)


def ad_directory(dc, tmp_path, url=None, lines="", **replace):
    """The README's directory block for the test DC: its url, CA file and
    a password file put in; lines added at the end; replace maps a
    directive to a new value (None drops it)."""
    password_file = tmp_path / "ldap-bind.password"
    if not password_file.exists():
        password_file.write_text(samba.SERVICE["password"] + "\n")
    text = readme_block("AD_DIRECTORY")
    text = text.replace("ldaps://dc1.corp.example.test", url or dc.url)
    text = text.replace("/etc/nginx/scep/corp-root.pem", dc.ca_file)
    text = text.replace("/etc/nginx/scep/ldap-bind.password",
                        str(password_file))
    for directive, value in replace.items():
        pattern = re.compile(r"^(\s*)" + directive + r"\s.*;$", re.M)
        assert pattern.search(text), directive
        text = pattern.sub(
            (lambda m: f"{m.group(1)}{directive} {value};")
            if value is not None else "", text)
    return text.replace("\n}\n", "\n" + lines + "\n}\n")


STAFF = portal.profile_block("staff", subject='"O=Corp,CN=$USERNAME"')


def ad_portal(nginx, dc, tmp_path, location="        scep_default_profile "
              "staff;", profiles=STAFF, directory=None, **kwargs):
    conf = ((directory or ad_directory(dc, tmp_path, **kwargs))
            + profiles + portal.portal_server(location))
    server = nginx(http=conf)
    server.start()
    return server


def form(user, password):
    return {"user": user, "passwd": password, "clientos": "Windows",
            "os-version": "test", "computer": "testhost",
            "clientVer": "4100"}


class Login:
    """One getconfig login and the audit line it left."""

    def __init__(self, server, user, password):
        offset = len(server.error_log())
        self.response = http.post_form(server.url(GETCONFIG),
                                       form(user, password), timeout=60)
        self.status = self.response.status
        new = server.error_log()[offset:]
        audits = [line for line in new.splitlines() if "scep audit:" in line]
        assert len(audits) == 1, new
        self.audit = audits[0]
        self.log = new

    def audit_field(self, key):
        m = re.search(" " + key + r'="((?:[^"\\]|\\.)*)"', self.audit)
        return m.group(1) if m else None

    @property
    def policy(self):
        assert self.status == 200, (self.status, self.response.body)
        return ET.fromstring(self.response.body)

    @property
    def subject(self):
        return self.policy.findtext("./scep/subject")

    @property
    def message(self):
        root = ET.fromstring(self.response.body)
        assert root.tag == "response" and root.get("status") == "error"
        return root.findtext("error")


# -- logins ----------------------------------------------------------------

LOGIN_FORMS = ["CORP\\jdoe", "corp\\jdoe", "jdoe@corp.example.test",
               "john.doe@corp.example.test", "jdoe@CORP", "jdoe", "JDOE"]


def test_every_login_form_is_the_same_user(nginx, samba_dc, tmp_path):
    """DOMAIN\\user, user@domain (the UPN differs), the UPN, user@NETBIOS,
    the bare name in any case: one account, one certificate subject."""
    server = ad_portal(nginx, samba_dc, tmp_path)
    subjects = set()
    for name in LOGIN_FORMS:
        login = Login(server, name, JDOE["password"])
        assert login.status == 200, (name, login.response)
        assert login.audit_field("user") == "jdoe", login.audit
        subjects.add(login.subject)
    assert subjects == {"CN=jdoe,O=Corp"}


REFUSED_LOGINS = [
    ("wrong password", "CORP\\jdoe", "Not-the-password-1"),
    ("unknown user", "CORP\\nobody", JDOE["password"]),
    ("unknown domain", "OTHER\\jdoe", JDOE["password"]),
    ("unknown DNS domain", "jdoe@other.example.test", JDOE["password"]),
]


def test_refusals_are_alike_in_answer_and_round_trips(nginx, samba_dc,
                                                      tmp_path):
    """A wrong password, an unknown user and an unknown domain: the same
    512, the same log reason, and the same LDAP operations, counted by a
    relay between the portal and the DC."""
    counter = LdapCounter(samba.HOST, 636, samba_dc.ca_file).start()
    try:
        server = ad_portal(nginx, samba_dc, tmp_path, url=counter.url)
        # the pooled connections are open and bound: what follows is the
        # logins' own work
        assert Login(server, "CORP\\jdoe", JDOE["password"]).status == 200
        before = counter.snapshot()
        good = Login(server, "CORP\\jdoe", JDOE["password"])
        assert good.status == 200
        success = counter.since(before)

        seen = {}
        for what, name, password in REFUSED_LOGINS:
            before = counter.snapshot()
            login = Login(server, name, password)
            seen[what] = (login.status, login.message,
                          login.response.headers.get(
                              "X-Private-Pan-Globalprotect"),
                          login.audit_field("reason"),
                          counter.since(before))
    finally:
        counter.stop()

    assert not counter.errors, counter.errors
    want = (512, BAD_CREDENTIALS, BAD_CREDENTIALS,
            "login refused: invalid username or password",
            {"search": 1, "bind": 1})
    assert seen == {what: want for what, _, _ in REFUSED_LOGINS}
    # a success does the same two, then reads the user's groups
    assert success["bind"] == 1 and success["search"] >= 1, success


# -- account states --------------------------------------------------------

STATES = [
    ("disabled", 403, "Your account is disabled; ask your administrator",
     "account disabled (AD data 533)"),
    ("acctexpired", 403, "Your account has expired; ask your administrator",
     "account expired (AD data 701)"),
    ("pwexpired", 403, "Your password has expired; change it and log in "
     "again", "password expired (AD data 532)"),
    ("mustchange", 403, "You must change your password before you log in; "
     "change it and log in again", "password must be changed (AD data 773)"),
    ("hours", 403, "Your account may not log in at this time",
     "outside the account's logon hours (AD data 530)"),
    ("workstation", 403, "Your account may not log in through this portal; "
     "ask your administrator",
     "not allowed from this computer (the portal) (AD data 531)"),
    ("locked", 512, BAD_CREDENTIALS, "account locked (AD data 775)"),
]


@pytest.mark.parametrize("sam,status,message,reason", STATES,
                         ids=[s[0] for s in STATES])
def test_account_state_answer_and_audit(nginx, samba_dc, tmp_path, sam,
                                        status, message, reason):
    server = ad_portal(nginx, samba_dc, tmp_path)
    login = Login(server, "CORP\\" + sam, USERS[sam]["password"])
    assert (login.status, login.message) == (status, message)
    # what GlobalProtect clients show: the status line and the header
    assert login.response.headers.get("X-Private-Pan-Globalprotect") == \
        message
    assert login.audit_field("reason") == reason, login.audit
    assert re.search(r"result=%s status=%d " % (
        "refused" if status == 403 else "bad_credentials", status),
        login.audit), login.audit

    # a wrong password learns nothing of the state, but a lock (said
    # whatever the password)
    wrong = Login(server, "CORP\\" + sam, "Not-the-password-1")
    assert (wrong.status, wrong.message) == (512, BAD_CREDENTIALS)
    assert wrong.audit_field("reason") == (
        reason if sam == "locked"
        else "login refused: invalid username or password"), wrong.audit


def bad_pwd_count(dc, sam):
    [(_, attrs)] = dc.search(USERS[sam]["dn"], scope="base",
                             attrs=["badPwdCount"])
    return int(attrs.get("badPwdCount", ["0"])[0])


def test_lockout_counts_each_wrong_login_once(nginx, samba_dc, tmp_path):
    """lockme's policy locks at 5 wrong passwords: each wrong login
    through the portal is one bind, counted once; then the account is
    locked, and told as a wrong password, with the reason in the log."""
    server = ad_portal(nginx, samba_dc, tmp_path)
    counts = [bad_pwd_count(samba_dc, "lockme")]
    for _ in range(5):
        login = Login(server, "lockme@corp.example.test", "Wrong-pw-1")
        assert login.status == 512
        counts.append(bad_pwd_count(samba_dc, "lockme"))
    assert counts == list(range(counts[0], counts[0] + 6))

    locked = Login(server, "CORP\\lockme", USERS["lockme"]["password"])
    assert (locked.status, locked.message) == (512, BAD_CREDENTIALS)
    assert locked.audit_field("reason") == "account locked (AD data 775)"


def test_service_account_forms_and_refusals(nginx, samba_dc, tmp_path):
    """bind_dn as AD takes it (UPN, DOMAIN\\user, DN); a service account
    the DC refuses is a 502 to users and its reason in the error log."""
    svc = samba.SERVICE
    for bind_dn in (f'"{svc["dn"]}"', "'CORP\\svc-portal'"):
        server = ad_portal(nginx, samba_dc, tmp_path, bind_dn=bind_dn)
        assert Login(server, "jdoe", JDOE["password"]).status == 200

    cases = [
        (samba.SERVICE_EXPIRED, None,
         "the password has expired (AD data 532); fix the account in the "
         "directory"),
        (samba.SERVICE_MUSTCHANGE, None,
         "the password must be changed before the account can be used (AD "
         "data 773)"),
        (svc, "Not-the-password-1", "wrong bind_password, or no such "
         "account"),
    ]
    for account, password, why in cases:
        password_file = tmp_path / f"{account['sam']}.password"
        password_file.write_text(password or account["password"])
        server = ad_portal(nginx, samba_dc, tmp_path,
                           bind_dn=account["upn"],
                           bind_password_file=str(password_file))
        login = Login(server, "jdoe", JDOE["password"])
        assert (login.status, login.message) == \
            (502, "The directory is unavailable, try again later")
        assert re.search(r"\[error\] .*directory: LDAP server "
                         r"ldaps://127\.0\.0\.1 refused the service account "
                         r'"%s": .*%s' % (re.escape(account["upn"]),
                                          re.escape(why)), login.log), \
            login.log


def test_plain_ldap_and_a_certificate_for_another_name(nginx, samba_dc,
                                                       tmp_path):
    """What the admin reads when TLS is missing or names another host."""
    plain = ad_portal(nginx, samba_dc, tmp_path, url=samba_dc.plain_url)
    login = Login(plain, "jdoe", JDOE["password"])
    assert login.status == 502
    assert re.search(r"\[error\] .*LDAP server ldap://127\.0\.0\.1: .*the "
                     r"server requires a protected connection \(StartTLS or "
                     r"ldaps://\): set starttls on, or use an ldaps:// url",
                     login.log), login.log

    # StartTLS on the same url works
    server = ad_portal(nginx, samba_dc, tmp_path, url=samba_dc.plain_url,
                       lines="    starttls on;")
    assert Login(server, "jdoe", JDOE["password"]).status == 200

    # Samba's certificate names 127.0.0.1 and dc1.corp.example.test
    other = ad_portal(nginx, samba_dc, tmp_path, url="ldaps://localhost")
    login = Login(other, "jdoe", JDOE["password"])
    assert login.status == 502
    assert re.search(r'\[error\] .*ldaps://localhost.*its TLS certificate '
                     r'does not name the host "localhost"', login.log), \
        login.log


# -- groups ----------------------------------------------------------------

def test_more_than_a_thousand_groups_with_the_defaults(nginx, samba_dc,
                                                       tmp_path):
    """big: 1,100 groups directly, 11 more nested, the primary group and
    BUILTIN\\Users: 1,113, logged in with the default settings."""
    server = ad_portal(nginx, samba_dc, tmp_path)
    login = Login(server, "big", USERS["big"]["password"])
    assert login.status == 200
    groups = login.audit_field("groups")
    assert groups.endswith(",...(%d)" % len(samba.big_groups())), groups
    assert groups.startswith("Big Top,Domain Users,Users,g0000,"), groups

    # a smaller max_groups: refused, with a sentence of its own
    small = ad_portal(nginx, samba_dc, tmp_path, lines="    max_groups 1000;")
    login = Login(small, "big", USERS["big"]["password"])
    assert (login.status, login.message) == (
        403, "Your account is in more groups than the portal is set to "
        "check; ask your administrator")
    assert "the user is a member of more than 1000 groups; raise " \
        "max_groups" in login.audit_field("reason")


@pytest.mark.parametrize("groups", ["tokengroups", "memberof"])
def test_domain_users_is_everyones_group(nginx, samba_dc, tmp_path, groups):
    """The primary group, which memberOf never lists, admits."""
    location = """
        scep_allow_group "Domain Users";
        scep_default_profile staff;
"""
    server = ad_portal(nginx, samba_dc, tmp_path, location=location,
                       lines=f"    groups {groups};")
    # renameme is in no group but its primary one
    login = Login(server, "renameme", USERS["renameme"]["password"])
    assert login.status == 200
    assert login.audit_field("groups") == (
        "Domain Users,Users" if groups == "tokengroups" else "Domain Users")

    strict = ad_portal(nginx, samba_dc, tmp_path,
                       location=location.replace("Domain Users",
                                                 "VPN Users"),
                       lines=f"    groups {groups};")
    assert Login(strict, "renameme",
                 USERS["renameme"]["password"]).status == 403


NESTED_WAYS = {
    "tokengroups": "",
    "in_chain": "    groups memberof;\n    nested_groups in_chain;",
    "walk": "    groups memberof;\n    nested_groups walk;",
}


def test_nested_groups_every_way_agrees(nginx, samba_dc, tmp_path):
    """tokenGroups, the in-chain rule and a walk: the same profile and the
    same groups in the audit line, for big (1,113 groups) and for müller
    (VPN Users through Engineering)."""
    profiles = STAFF + portal.profile_block(
        "top", ca_ident="top-ca", subject='"O=Corp,CN=$USERNAME"') \
        + portal.profile_block("vpn", ca_ident="vpn-ca",
                               subject='"O=Corp,CN=$USERNAME"')
    location = """
        scep_group_profile "Big Top" top;
        scep_group_profile "VPN Users" vpn;
        scep_default_profile staff;
"""
    seen = {}
    for way, lines in NESTED_WAYS.items():
        server = ad_portal(nginx, samba_dc, tmp_path, location=location,
                           profiles=profiles, lines=lines)
        for sam in ("big", "müller"):
            login = Login(server, sam, USERS[sam]["password"])
            assert login.status == 200, (way, sam, login.response)
            seen.setdefault(sam, {})[way] = (
                login.policy.findtext("./scep/profile"),
                login.audit_field("groups"))

    assert {v[0] for v in seen["big"].values()} == {"top"}
    assert {v[0] for v in seen["müller"].values()} == {"vpn"}
    for sam in seen:
        assert len(set(seen[sam].values())) == 1, seen[sam]


def test_group_dns_and_names_by_meaning(nginx, samba_dc, tmp_path):
    """DNs with other spacing, case and escaping; names that are not
    ASCII, in other case."""
    profiles = STAFF + portal.profile_block(
        "sales", ca_ident="sales-ca", subject='"O=Corp,CN=$USERNAME"') \
        + portal.profile_block("cyrillic", ca_ident="cyr-ca",
                               subject='"O=Corp,CN=$USERNAME"')
    location = """
        scep_allow_group "ΕΛΛΗΝΙΚΆ" "VERTRIEB SÜD";
        scep_group_profile
            "cn = sales\\2c emea , ou=GROUPS,dc=Corp,dc=example,dc=test"
            sales;
        scep_group_profile "КИРИЛЛИЦА" cyrillic;
        scep_default_profile staff;
"""
    server = ad_portal(nginx, samba_dc, tmp_path, location=location,
                       profiles=profiles, lines="    groups memberof;")
    jdoe = Login(server, "jdoe", JDOE["password"])
    assert jdoe.policy.findtext("./scep/profile") == "sales"
    # a comma inside a group's name, escaped in the audit line
    assert jdoe.audit_field("groups") == \
        "Distribution List,Domain Users,Sales\\, EMEA,VPN Users," \
        "Vertrieb S\\xc3\\xbcd"

    müller = Login(server, "müller", USERS["müller"]["password"])
    assert müller.policy.findtext("./scep/profile") == "cyrillic"
    assert müller.audit_field("user") == "m\\xc3\\xbcller"

    # in none of the allowed groups
    assert Login(server, "nomail", USERS["nomail"]["password"]).status == 403


# -- certificate values ----------------------------------------------------

def binary_attr(dc, dn, attr):
    """One binary value of an entry, as ldapsearch shows it (base64)."""
    result = dc.ldap_tool("ldapsearch", [
        "-LLL", "-o", "ldif-wrap=no", "-b", dn, "-s", "base",
        "(objectClass=*)", attr])
    [value] = re.findall(r"^%s:: (\S+)$" % attr, result.stdout, re.M)
    return base64.b64decode(value)


def object_guid(dc, dn):
    return str(uuid.UUID(bytes_le=binary_attr(dc, dn, "objectGUID")))


def sid_text(raw):
    """A binary SID as S-1-..., as Windows writes it (MS-DTYP 2.4.2)."""
    revision, count = raw[0], raw[1]
    authority = int.from_bytes(raw[2:8], "big")
    subs = [int.from_bytes(raw[8 + 4 * i:12 + 4 * i], "little")
            for i in range(count)]
    return "S-%d-%d-" % (revision, authority) + "-".join(map(str, subs))


def test_renamed_user_keeps_the_mailless_id(nginx, samba_dc, tmp_path):
    """renameme has no mail: its $EMAILADDRESS is its objectGUID, which a
    rename (new CN, new sAMAccountName) keeps."""
    server = ad_portal(nginx, samba_dc, tmp_path,
                       profiles=portal.profile_block(
                           "staff", subject='"O=Corp,CN=$EMAILADDRESS"'))
    dn = USERS["renameme"]["dn"]
    renamed_dn = dn.replace("CN=renameme", "CN=renamed-user")
    password = USERS["renameme"]["password"]

    before = Login(server, "CORP\\renameme", password).subject
    assert before == f"CN={object_guid(samba_dc, dn)},O=Corp"

    rename = ("dn: {dn}\nchangetype: modrdn\nnewrdn: CN={cn}\n"
              "deleteoldrdn: 1\n\n"
              "dn: {new}\nchangetype: modify\nreplace: sAMAccountName\n"
              "sAMAccountName: {sam}\n-\n")
    samba_dc.modify(rename.format(dn=dn, cn="renamed-user", new=renamed_dn,
                                  sam="renamed"))
    try:
        after = Login(server, "CORP\\renamed", password)
        assert after.audit_field("user") == "renamed"
        assert after.subject == before
        assert Login(server, "CORP\\renameme", password).status == 512
    finally:
        samba_dc.modify(rename.format(dn=renamed_dn, cn="renameme", new=dn,
                                      sam="renameme"))


def test_sid_and_upn_in_the_subject(nginx, samba_dc, tmp_path):
    """$UPN is the principal name (not what was typed), $SID the account's
    objectSid as Windows writes it."""
    server = ad_portal(nginx, samba_dc, tmp_path,
                       profiles=portal.profile_block(
                           "staff", subject='"O=Corp,CN=$UPN"'))
    for name in ("CORP\\jdoe", "jdoe@CORP"):
        assert Login(server, name, JDOE["password"]).subject == \
            "CN=john.doe@corp.example.test,O=Corp"

    sid_server = ad_portal(nginx, samba_dc, tmp_path,
                           profiles=portal.profile_block(
                               "staff", subject='"O=Corp,CN=$SID"'))
    login = Login(sid_server, "jdoe", JDOE["password"])
    sid = sid_text(binary_attr(samba_dc, JDOE["dn"], "objectSid"))
    assert re.fullmatch(r"S-1-5-21-\d+-\d+-\d+-\d+", sid)
    assert login.subject == f"CN={sid},O=Corp"


# -- the names Windows maps a certificate to -------------------------------

SID_TAG = "tag:microsoft.com,2022-09-14:sid:"
UPN_OID = "1.3.6.1.4.1.311.20.2.3"


def jdoe_sid(dc):
    return sid_text(binary_attr(dc, JDOE["dn"], "objectSid"))


def test_pushed_settings_carry_the_users_names(nginx, samba_dc, tmp_path):
    """Push mode: the UPN and the SID URI made for the user, in the
    profile's order, whatever the user typed."""
    profile = portal.profile_block("staff", subject='"O=Corp,CN=$USERNAME"',
                                   subject_alt_name=[
                                       "upn $UPN", f"uri {SID_TAG}$SID",
                                       "rfc822 $EMAILADDRESS"])
    server = ad_portal(nginx, samba_dc, tmp_path, profiles=profile)
    sid = jdoe_sid(samba_dc)
    for name in ("CORP\\jdoe", "JDOE"):
        names = [(e.get("type"), e.text) for e in Login(
            server, name, JDOE["password"]).policy.findall(
                "./scep/subject-alt-name")]
        assert names == [("upn", "john.doe@corp.example.test"),
                         ("uri", SID_TAG + sid),
                         ("rfc822", "jdoe@corp.example.test")]

    # renameme has no mail: its id stands in, which is no mailbox
    login = Login(server, "renameme", USERS["renameme"]["password"])
    assert (login.status, login.message) == (
        403, "A certificate subject cannot be made for your account; ask "
        "your administrator")
    assert "subject_alt_name rfc822 must be an email address" in \
        login.audit_field("reason"), login.audit

    # a template that cannot make its type is refused at nginx -t
    ok, output = nginx(http=ad_directory(samba_dc, tmp_path)
                       + portal.profile_block(
                           "staff", subject_alt_name="dns $UPN")).test()
    assert not ok and "subject_alt_name dns must be a host name" in output


def readme_profile(ca_url, fingerprint):
    """The README's profile and location, for the test CA."""
    text = readme_block("AD_PROFILE")
    text = re.sub(r"server_url\s+\S+;", f"server_url {ca_url};", text)
    text = re.sub(r"ca_fingerprint\s+\S+;", f"ca_fingerprint {fingerprint};",
                  text)
    profile, location = text.split("location /global-protect/ {")
    location = location.rsplit("}", 1)[0]
    # portal_server() says scep_portal itself: the same directory
    assert re.search(r"^\s*scep_portal\s+corp;$", location, re.M)
    location = re.sub(r"^\s*scep_portal\s+corp;\n", "", location,
                      flags=re.M)
    return profile, location


def colon_hex(data):
    return ":".join(f"{b:02X}" for b in data)


def start_enroll_portal(nginx, dc, tmp_path, ca_url, ca_der):
    profile, location = readme_profile(
        ca_url, colon_hex(hashlib.sha256(ca_der).digest()))
    conf = (ad_directory(dc, tmp_path) + profile
            + portal.portal_server(location))
    server = nginx(http=conf)
    server.start()
    procs.wait_until(lambda: re.search(
        r'scep_profile "corp-users": CA certificate .* obtained from',
        server.error_log()), 30, "the CA certificate", interval=0.05,
        alive=server.proc.running)
    return server


def issued(login):
    element = login.policy.find("scep-certificate")
    assert element is not None, login.response.body
    _, cert, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(element.findtext("pkcs12")),
        element.findtext("passphrase").encode())
    return cert


def upn_of(other):
    der = other.value
    assert der[0] == 0x0c and der[1] < 0x80, der
    return der[2:2 + der[1]].decode("utf-8")


def test_enrolled_certificate_maps_to_the_account(nginx, samba_dc, tmp_path,
                                                  scepserver, responder):
    """Enroll mode with the README's profile: the CSR asks for the UPN
    otherName and the SID URI (python3-cryptography reads them); micromdm's
    scepserver issues the URI, and drops the otherName (Go's x509 has
    none); a CA that honours the request's names (the test responder,
    as AD CS does with a template that takes them from the request)
    issues both."""
    sid = jdoe_sid(samba_dc)
    ca_der = scepserver.ca_cert.public_bytes(serialization.Encoding.DER)
    server = start_enroll_portal(nginx, samba_dc, tmp_path, scepserver.url,
                                 ca_der)
    checkpoint = scepserver.checkpoint()

    login = Login(server, "CORP\\jdoe", JDOE["password"])
    assert login.status == 200, login.response
    cert = issued(login)
    assert cert.subject.rfc4514_string() == "CN=jdoe,O=Corp"
    names = cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == \
        [SID_TAG + sid]
    assert names.get_values_for_type(x509.OtherName) == []

    [record] = scepserver.records(since=checkpoint)
    assert record["san"] == [["upn", "john.doe@corp.example.test"],
                             ["uri", SID_TAG + sid]]
    with open(record["der_path"], "rb") as f:
        csr = x509.load_der_x509_csr(f.read())
    requested = csr.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    [upn] = requested.get_values_for_type(x509.OtherName)
    assert upn.type_id.dotted_string == UPN_OID
    assert upn_of(upn) == "john.doe@corp.example.test"

    # a CA that issues the names asked for
    ca = responder()
    server = start_enroll_portal(
        nginx, samba_dc, tmp_path, ca.url,
        ca.ca_cert.public_bytes(serialization.Encoding.DER))
    cert = issued(Login(server, "jdoe@CORP", JDOE["password"]))
    names = cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    [upn] = names.get_values_for_type(x509.OtherName)
    assert upn.type_id.dotted_string == UPN_OID
    assert upn_of(upn) == "john.doe@corp.example.test"
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == \
        [SID_TAG + sid]
