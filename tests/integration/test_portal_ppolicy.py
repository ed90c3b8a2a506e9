"""Account states from OpenLDAP's password policy overlay, through the
portal: a slapd of its own with slapo-ppolicy (the session's slapd has
none), its policies and one user for each state."""

import re
import xml.etree.ElementTree as ET

import pytest

from harness import directory, http, portal, slapd as slapd_mod

GETCONFIG = "/global-protect/getconfig.esp"
BAD_CREDENTIALS = "Invalid username or password"

POLICIES = {
    "expiry": ["pwdMaxAge: 86400"],
    "reset": ["pwdMustChange: TRUE"],
    "lockout": ["pwdLockout: TRUE", "pwdMaxFailure: 3",
                "pwdLockoutDuration: 0"],
    "warning": ["pwdMaxAge: 864000", "pwdExpireWarning: 8640000"],
}

# uid -> (policy, password, what slapd keeps of its state, set with the
# relax control as the rootdn)
USERS = {
    "pp-expired": ("expiry", "expired-Pw1",
                   ["replace: pwdChangedTime",
                    "pwdChangedTime: 20000101000000Z"]),
    "pp-reset": ("reset", "reset-Pw1",
                 ["replace: pwdReset", "pwdReset: TRUE"]),
    "pp-locked": ("lockout", "locked-Pw1",
                  ["replace: pwdAccountLockedTime",
                   "pwdAccountLockedTime: 000001010000Z"]),
    "pp-warning": ("warning", "warning-Pw1", None),
}


def policy_dn(name):
    return f"cn={name},ou=policies,{directory.BASE_DN}"


def user_dn(uid):
    return f"uid={uid},{directory.PEOPLE_DN}"


@pytest.fixture(scope="module")
def ppolicy_slapd(tmp_path_factory):
    server = slapd_mod.start_seeded(str(tmp_path_factory.mktemp("ppolicy")),
                                    ppolicy=True)
    try:
        entries = [f"dn: ou=policies,{directory.BASE_DN}\n"
                   "objectClass: organizationalUnit\nou: policies\n"]
        for name, lines in POLICIES.items():
            entries.append("\n".join(
                [f"dn: {policy_dn(name)}", "objectClass: device",
                 "objectClass: pwdPolicy", f"cn: {name}",
                 "pwdAttribute: userPassword", *lines]) + "\n")
        for uid, (pol, password, _) in USERS.items():
            entries.append("\n".join(
                [f"dn: {user_dn(uid)}", "objectClass: inetOrgPerson",
                 f"uid: {uid}", f"cn: {uid}", f"sn: {uid}",
                 f"userPassword: {password}",
                 f"pwdPolicySubentry: {policy_dn(pol)}"]) + "\n")
        server.ldap_tool("ldapadd", [], bind=server.root_bind,
                         stdin="\n".join(entries))
        states = [f"dn: {user_dn(uid)}\nchangetype: modify\n"
                  + "\n".join(state) + "\n-\n"
                  for uid, (_, _, state) in USERS.items() if state]
        server.ldap_tool("ldapmodify", ["-e", "relax"], bind=server.root_bind,
                         stdin="\n".join(states))
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()


def start(nginx, server, **overrides):
    conf = (portal.directory_block(server, type="openldap", **overrides)
            + portal.profile_block() + portal.portal_server(
                "        scep_default_profile staff;"))
    nginx_server = nginx(http=conf)
    nginx_server.start()
    return nginx_server


def login(server, uid, password):
    offset = len(server.error_log())
    response = http.post_form(server.url(GETCONFIG), {
        "user": uid, "passwd": password, "clientos": "Linux"})
    new = server.error_log()[offset:]
    [audit] = [line for line in new.splitlines() if "scep audit:" in line]
    reason = re.search(r' reason="([^"]*)"', audit)
    return response, audit, reason.group(1) if reason else None


def message(response):
    return ET.fromstring(response.body).findtext("error")


@pytest.mark.parametrize("uid,status,text,reason", [
    ("pp-expired", 403, "Your password has expired; change it and log in "
     "again", "password expired (password policy)"),
    ("pp-reset", 403, "You must change your password before you log in; "
     "change it and log in again", "password must be changed (password "
     "policy)"),
    ("pp-locked", 512, BAD_CREDENTIALS, "account locked (password policy)"),
])
def test_password_policy_states(nginx, ppolicy_slapd, uid, status, text,
                                reason):
    server = start(nginx, ppolicy_slapd)
    response, audit, why = login(server, uid, USERS[uid][1])
    assert (response.status, message(response), why) == \
        (status, text, reason), audit

    # a wrong password: the plain refusal, but for a lock
    response, audit, why = login(server, uid, "Wrong-pw-1")
    assert (response.status, message(response)) == (512, BAD_CREDENTIALS)
    assert why == (reason if uid == "pp-locked"
                   else "login refused: invalid username or password")


def test_password_policy_warning_in_the_audit_line(nginx, ppolicy_slapd):
    server = start(nginx, ppolicy_slapd)
    response, audit, _ = login(server, "pp-warning", "warning-Pw1")
    assert response.status == 200
    seconds = int(re.search(r" password_expires_in=(\d+)s", audit).group(1))
    assert 0 < seconds <= 864000, audit


def test_without_the_control_a_state_is_a_wrong_password(nginx,
                                                         ppolicy_slapd):
    """password_policy off: slapd refuses the expired password all the
    same, and nothing tells why."""
    server = start(nginx, ppolicy_slapd, password_policy="off")
    response, _, why = login(server, "pp-expired", "expired-Pw1")
    assert (response.status, why) == \
        (512, "login refused: invalid username or password")
