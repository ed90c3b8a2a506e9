"""The portal's login against the real slapd: authentication, groups,
mail attributes, subject tokens, and every error an agent can get."""

import re
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from harness import directory, http, portal

GETCONFIG = "/global-protect/getconfig.esp"


def start_portal(nginx, slapd, location="        scep_default_profile staff;",
                 profiles=None, directory_overrides=None, main="",
                 http_extra=""):
    conf = (portal.directory_block(slapd, **(directory_overrides or {}))
            + (profiles if profiles is not None else portal.profile_block())
            + http_extra
            + portal.portal_server(location))
    server = nginx(http=conf, main=main)
    server.start()
    return server


def getconfig(server, fields, **kwargs):
    return http.post_form(server.url(GETCONFIG), fields, **kwargs)


def policy(response):
    assert response.status == 200, response
    return ET.fromstring(response.body)


def subject_cn(response):
    rdns = policy(response).findall("./scep/subject-rdns/subject-rdn")
    cns = [rdn.text for rdn in rdns if rdn.get("type") == "CN"]
    assert len(cns) == 1, response.body
    return cns[0]


def error_message(response):
    root = ET.fromstring(response.body)
    assert root.tag == "response" and root.get("status") == "error"
    return root.findtext("error")


def email_profile(name="staff"):
    return portal.profile_block(name, subject='"O=Example,CN=$EMAILADDRESS"')


# -- who the user is -----------------------------------------------------

def test_user_with_mail_gets_it_in_cn(nginx, slapd):
    server = start_portal(nginx, slapd, profiles=email_profile())
    response = getconfig(server, portal.login("alice"))
    assert subject_cn(response) == "alice@example.org"
    doc = policy(response)
    assert doc.findtext("./scep/subject") == \
        "CN=alice@example.org,O=Example"
    assert doc.findtext("./user-name") == "alice"
    assert doc.findtext("./scep/profile") == "staff"
    assert doc.findtext("./scep/server-url") == "http://127.0.0.1:9/scep"
    assert doc.findtext("./scep/ca-ident") == "test-ca"


def entry_uuid(slapd, dn):
    [(_, attrs)] = slapd.search(dn, scope="base", attrs=["entryUUID"])
    return attrs["entryUUID"][0]


def test_user_without_mail_gets_a_stable_unique_id(nginx, slapd):
    server = start_portal(nginx, slapd, profiles=email_profile())
    first = subject_cn(getconfig(server, portal.login("bob")))
    second = subject_cn(getconfig(server, portal.login("bob")))
    # the entry's own id (RFC 4530 entryUUID), as the README documents it
    assert first == entry_uuid(slapd, directory.USERS["bob"]["dn"])
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                        r"[0-9a-f]{12}", first)
    assert first == second

    # the id survives a restart of the portal, and another user without
    # mail (dave, once proxyAddresses is not consulted) gets another one
    other = start_portal(nginx, slapd, profiles=email_profile(),
                         directory_overrides={"mail_attributes": "mail"})
    assert subject_cn(getconfig(other, portal.login("bob"))) == first
    dave = subject_cn(getconfig(other, portal.login("dave")))
    assert dave == entry_uuid(slapd, directory.USERS["dave"]["dn"])
    assert dave != first


def test_renamed_user_keeps_the_mailless_id(nginx, slapd):
    """A rename (modrdn) or a move keeps entryUUID, and so the id."""
    dn = f"uid=renamee,{directory.PEOPLE_DN}"
    renamed = f"uid=renamed,{directory.PEOPLE_DN}"
    slapd.ldap_tool("ldapadd", [], bind=slapd.root_bind, stdin=(
        f"dn: {dn}\nobjectClass: inetOrgPerson\nuid: renamee\n"
        "cn: Renamee\nsn: Renamee\nuserPassword: renamee-Secret1\n"))
    try:
        server = start_portal(nginx, slapd, profiles=email_profile())
        form = dict(portal.login("bob"), passwd="renamee-Secret1")
        before = subject_cn(getconfig(server, dict(form, user="renamee")))
        slapd.ldap_tool("ldapmodrdn", ["-r", dn, "uid=renamed"],
                        bind=slapd.root_bind)
        response = getconfig(server, dict(form, user="renamed"))
        assert subject_cn(response) == before
        assert before == entry_uuid(slapd, renamed)
        # the old name is gone
        assert getconfig(server, dict(form, user="renamee")).status == 512
    finally:
        for name in (dn, renamed):
            slapd.ldap_tool("ldapdelete", [name], bind=slapd.root_bind,
                            check=False)


def test_first_of_several_mail_values(nginx, slapd):
    server = start_portal(nginx, slapd, profiles=email_profile())
    assert subject_cn(getconfig(server, portal.login("carol"))) == \
        "carol@example.org"


def test_proxy_addresses_primary_smtp_first(nginx, slapd):
    # dave has no mail; his proxyAddresses list an alias before the
    # primary "SMTP:" one and an X400 address
    server = start_portal(nginx, slapd, profiles=email_profile())
    assert subject_cn(getconfig(server, portal.login("dave"))) == \
        "dave@example.org"


def test_mail_attribute_order_is_the_configured_one(nginx, slapd):
    # alice has mail but no proxyAddresses; with proxyAddresses first she
    # still gets her mail, and dave still his primary address
    server = start_portal(
        nginx, slapd, profiles=email_profile(),
        directory_overrides={"mail_attributes": "proxyAddresses mail"})
    assert subject_cn(getconfig(server, portal.login("alice"))) == \
        "alice@example.org"
    assert subject_cn(getconfig(server, portal.login("dave"))) == \
        "dave@example.org"


@pytest.mark.parametrize("uid", ["smith, john", "x+y", "star*", "paren(",
                                 "jürgen"])
def test_odd_names_log_in_and_stay_one_cn(nginx, slapd, uid):
    server = start_portal(nginx, slapd)
    response = getconfig(server, portal.login(uid))
    assert subject_cn(response) == uid
    rdns = policy(response).findall("./scep/subject-rdns/subject-rdn")
    assert [(r.get("type"), r.text) for r in rdns] == \
        [("O", "Example"), ("OU", "VPN"), ("CN", uid)]


# -- groups and profiles --------------------------------------------------

TWO_PROFILES = (portal.profile_block("staff")
                + portal.profile_block("admins", ca_ident="admin-ca")
                + portal.profile_block("engineers", ca_ident="eng-ca"))


def test_group_selects_the_profile_first_match_wins(nginx, slapd):
    server = start_portal(nginx, slapd, profiles=TWO_PROFILES, location="""
        scep_group_profile vpn-admins admins;
        scep_group_profile "cn=vpn-users,ou=groups,dc=example,dc=org" staff;
""")
    assert policy(getconfig(server, portal.login("alice"))) \
        .findtext("./scep/profile") == "admins"
    assert policy(getconfig(server, portal.login("bob"))) \
        .findtext("./scep/profile") == "staff"
    # eve is only in engineering, no rule and no default profile
    response = getconfig(server, portal.login("eve"))
    assert response.status == 403
    assert error_message(response) == \
        "No certificate profile applies to your account"


@pytest.mark.parametrize("groups", ["memberof", "search"])
def test_nested_group_maps_to_profile(nginx, slapd, groups):
    location = """
        scep_group_profile vpn-users staff;
"""
    overrides = {"groups": groups, "nested_groups": "walk"}
    if groups == "search":
        overrides.update(group_base_dn=f'"{directory.GROUPS_DN}"',
                         group_filter='"(&(objectClass=groupOfNames)'
                                      '(member=%d))"')
    server = start_portal(nginx, slapd, location=location,
                          directory_overrides=overrides)
    # eve reaches vpn-users only through engineering
    assert policy(getconfig(server, portal.login("eve"))) \
        .findtext("./scep/profile") == "staff"

    flat = start_portal(nginx, slapd, location=location,
                        directory_overrides={**overrides,
                                             "nested_groups": "off"})
    assert getconfig(flat, portal.login("eve")).status == 403


def test_required_group_refuses_outsiders(nginx, slapd):
    server = start_portal(nginx, slapd, location="""
        scep_allow_group vpn-users;
        scep_default_profile staff;
""")
    response = getconfig(server, portal.login("mallory"))
    assert response.status == 403
    assert error_message(response) == \
        "Your account is not allowed to use this portal"
    assert getconfig(server, portal.login("alice")).status == 200
    log = server.error_log()
    assert re.search(r'scep audit: client=127\.0\.0\.1 result=refused '
                     r'status=403 login="mallory" user="mallory" '
                     r'groups="contractors"', log), log


# -- agent values in the subject --------------------------------------------

def test_hostid_and_udid_are_rendered(nginx, slapd):
    profiles = (portal.profile_block(
        "device", subject='"O=Example,OU=$USERNAME,CN=$HOSTID"')
        .replace('OU=$USERNAME,', '') + "")
    server = start_portal(nginx, slapd, profiles=profiles,
                          location="        scep_default_profile device;")
    host_id = "{4F7C1C2E-8A3B-4D5E-9F10-112233445566}"
    assert subject_cn(getconfig(server, portal.login(
        "alice", **{"host-id": host_id}))) == host_id

    udid_server = start_portal(
        nginx, slapd,
        profiles=portal.profile_block("udid",
                                      subject='"O=Example,CN=u-$UDID"'),
        location="        scep_default_profile udid;")
    assert subject_cn(getconfig(udid_server, portal.login(
        "alice", udid="00008030-001A2B3C4D5E802E"))) == \
        "u-00008030-001A2B3C4D5E802E"


@pytest.mark.parametrize("host_id,reason", [
    ("../x", "host-id"),
    ("a b", "host-id"),
    ("<x>", "host-id"),
    ("x" * 129, "host-id"),
    ("a\x00b", "host-id"),
    ("a,O=evil", "host-id"),
])
def test_hostile_host_ids_are_refused(nginx, slapd, host_id, reason):
    server = start_portal(
        nginx, slapd,
        profiles=portal.profile_block("device", subject='"O=Ex,CN=$HOSTID"'),
        location="        scep_default_profile device;")
    response = getconfig(server, portal.login("alice", **{"host-id": host_id}))
    assert response.status == 400
    assert reason in error_message(response)


def test_missing_host_id_when_the_subject_needs_one(nginx, slapd):
    server = start_portal(
        nginx, slapd,
        profiles=portal.profile_block("device", subject='"O=Ex,CN=$HOSTID"'),
        location="        scep_default_profile device;")
    response = getconfig(server, portal.login("alice"))
    assert response.status == 400
    assert "host-id" in error_message(response)

    # an empty one is none
    response = getconfig(server, portal.login("alice", **{"host-id": ""}))
    assert response.status == 400
    assert error_message(response) == \
        "$HOSTID is used by the subject but the agent sent no host-id"


def test_empty_device_ids_are_absent_when_the_subject_needs_none(
        nginx, slapd):
    server = start_portal(nginx, slapd)
    response = getconfig(server, portal.login("alice", **{"host-id": "",
                                                          "udid": ""}))
    assert response.status == 200
    assert subject_cn(response) == "alice"


# -- injection and credentials ---------------------------------------------

INJECTIONS = ["*", ")(uid=*", "admin)(|(uid=*", "a\x00b", "a" * 5120,
              "admin*", "*)(objectClass=*"]


@pytest.mark.parametrize("name", INJECTIONS,
                         ids=["star", "close-paren", "or-admin", "nul",
                              "5kb", "admin-star", "objectclass"])
def test_injected_login_names_get_bad_credentials(nginx, slapd, name):
    server = start_portal(nginx, slapd)
    for password in ["x", directory.USERS["admin"]["password"],
                     directory.USERS["alice"]["password"]]:
        fields = portal.login("admin", password)
        fields["user"] = name
        response = getconfig(server, fields)
        assert response.status == 512, (name, response)
        assert error_message(response) == "Invalid username or password"
    assert "result=settings" not in server.error_log()


def test_wrong_password_unknown_user_and_empty_password_look_alike(nginx,
                                                                    slapd):
    server = start_portal(nginx, slapd)
    answers = [getconfig(server, portal.login("alice", "wrong")),
               getconfig(server, dict(portal.login("alice", "nobody-pw"),
                                      user="nobody")),
               getconfig(server, portal.login("alice", ""))]
    assert {(r.status, r.body) for r in answers} == \
        {(512, answers[0].body)}


def test_empty_password_never_reaches_the_directory(nginx, slapd):
    server = start_portal(nginx, slapd)
    slapd.pause()
    response = getconfig(server, portal.login("alice", ""), timeout=2)
    assert response.status == 512


def test_password_is_never_logged(nginx, slapd):
    server = start_portal(nginx, slapd, main="", location="""
        scep_default_profile staff;
""")
    getconfig(server, portal.login("alice"))
    getconfig(server, portal.login("alice", "Not-The-Password-42"))
    log = server.error_log()
    assert "scep audit" in log
    assert directory.USERS["alice"]["password"] not in log
    assert "Not-The-Password-42" not in log


# -- malformed requests ------------------------------------------------------

def test_missing_field(nginx, slapd):
    server = start_portal(nginx, slapd)
    response = getconfig(server, {"user": "alice"})
    assert response.status == 400
    assert "passwd" in error_message(response)


def test_oversized_body(nginx, slapd):
    server = start_portal(nginx, slapd)
    response = http.request(
        "POST", server.url(GETCONFIG), body="user=a&passwd=" + "x" * 70000,
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 413
    assert "too large" in error_message(response)


def test_oversized_field(nginx, slapd):
    server = start_portal(nginx, slapd)
    response = getconfig(server, portal.login("alice",
                                              computer="c" * 2000))
    assert response.status == 400
    assert "computer" in error_message(response)


def test_wrong_method(nginx, slapd):
    server = start_portal(nginx, slapd)
    response = http.get(server.url(GETCONFIG))
    assert response.status == 405
    assert response.headers.get("Allow") == "POST"
    assert "POST" in error_message(response)


def test_wrong_content_type(nginx, slapd):
    server = start_portal(nginx, slapd)
    response = http.request(
        "POST", server.url(GETCONFIG), body='{"user": "alice"}',
        headers={"Content-Type": "application/json"})
    assert response.status == 415
    assert "x-www-form-urlencoded" in error_message(response)


def test_prelogin(nginx, slapd):
    server = start_portal(nginx, slapd)
    for method in ["GET", "POST"]:
        response = http.request(
            method, server.url("/global-protect/prelogin.esp?tmp=tmp"
                               "&clientVer=4100&clientos=Linux"))
        assert response.status == 200
        root = ET.fromstring(response.body)
        assert root.tag == "prelogin-response"
        assert root.findtext("status") == "Success"
        assert root.findtext("password-label") == "Password"
        assert root.findtext("portal-name") == "Test Portal"


def test_unknown_endpoint(nginx, slapd):
    server = start_portal(nginx, slapd)
    assert http.get(server.url("/global-protect/other.esp")).status == 404


def test_answers_are_not_cacheable(nginx, slapd):
    server = start_portal(nginx, slapd)
    response = getconfig(server, portal.login("alice"))
    assert response.headers.get("Cache-Control") == "no-store"


def test_form_encoding_is_decoded(nginx, slapd):
    server = start_portal(nginx, slapd)
    body = urllib.parse.urlencode(portal.login("smith, john"))
    response = http.request(
        "POST", server.url(GETCONFIG), body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; "
                                 "charset=UTF-8"})
    assert subject_cn(response) == "smith, john"


def test_variables_make_an_audit_file(nginx, slapd):
    conf = (portal.directory_block(slapd) + portal.profile_block()
            + "log_format scep '$remote_addr $scep_result \"$scep_user\" "
              "$scep_profile $status';\n"
            + portal.portal_server(
                "        scep_default_profile staff;\n"
                "        access_log logs/scep-audit.log scep "
                "if=$scep_result;"))
    server = nginx(http=conf)
    server.start()

    getconfig(server, portal.login("alice"))
    getconfig(server, portal.login("alice", "wrong"))
    getconfig(server, {"user": "alice"})
    http.get(server.url("/global-protect/prelogin.esp"))

    with open(server.prefix + "/logs/scep-audit.log") as f:
        lines = f.read().splitlines()

    # one line per login outcome; prelogin is not one
    assert lines == ['127.0.0.1 settings "alice" staff 200',
                     '127.0.0.1 bad_credentials "-" - 512',
                     '127.0.0.1 bad_request "-" - 400']
