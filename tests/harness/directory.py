"""What the test directory holds (tests/integration/data/seed.ldif).

Tests import these values instead of repeating names and passwords; the
fixture tests check, against the running slapd, that every user below binds
with its password and has exactly these mail values and groups.

USERS[uid]["groups"] are the groups that list the user as a member (what
slapd's memberOf shows); effective_groups() adds the groups reached through
nested groups (engineering is a member of vpn-users).
"""

import base64

BASE_DN = "dc=example,dc=org"
PEOPLE_DN = "ou=people," + BASE_DN
GROUPS_DN = "ou=groups," + BASE_DN
SERVICES_DN = "ou=services," + BASE_DN

# slapd's rootdn: may do anything, bypasses access rules.
ROOT = {"dn": "cn=admin," + BASE_DN, "password": "root-Secret0"}

# The portal's service account: reads every entry (but no password hash).
SERVICE = {"dn": "cn=portal," + SERVICES_DN, "password": "portal-Svc-Secret"}


def _user(rdn_value, password, mail=(), groups=(), **extra):
    entry = {"dn": f"uid={rdn_value},{PEOPLE_DN}", "password": password,
             "mail": list(mail), "groups": list(groups)}
    entry.update(extra)
    return entry


# The DN strings are written the way slapd returns them, so that tests may
# compare them with what a search answers.
USERS = {
    "alice": _user("alice", "alice-Secret1", ["alice@example.org"],
                   ["vpn-users", "vpn-admins"]),
    "bob": _user("bob", "bob-Secret2", [], ["vpn-users"]),
    "carol": _user("carol", "carol-Secret3",
                   ["carol@example.org", "carol.smith@example.org"],
                   ["vpn-users", "engineering"]),
    "dave": _user("dave", "dave-Secret4", [], ["vpn-users"],
                  proxyAddresses=["smtp:dave.alias@example.org",
                                  "SMTP:dave@example.org",
                                  "X400:c=US;a= ;p=Example;o=Ex;s=Dave;"]),
    "eve": _user("eve", "eve-Secret5", ["eve@example.org"], ["engineering"]),
    "mallory": _user("mallory", "mallory-Secret6", ["mallory@example.org"],
                     ["contractors"]),
    "admin": _user("admin", "admin-Secret7", ["admin@example.org"],
                   ["vpn-users"]),
    "smith, john": _user("smith\\2C john", "john, Secret&8=+%20",
                         ["john.smith@example.org"], ["vpn-users"]),
    "x+y": _user("x\\2By", "x+y-Secret9", ["xy@example.org"],
                 ["vpn-users"]),
    "star*": _user("star*", "star*-Secret10", ["star@example.org"],
                   ["vpn-users"]),
    "paren(": _user("paren(", "paren(-Secret11", ["paren@example.org"],
                    ["vpn-users"]),
    "jürgen": _user("jürgen", "jürgen-Geheim-ä12", ["juergen@example.org"],
                    ["vpn-users"]),
}

# Group cn -> DN and direct members (user uids or "group:<cn>").
GROUPS = {
    "vpn-users": ["alice", "bob", "carol", "dave", "admin", "smith, john",
                  "x+y", "star*", "paren(", "jürgen", "group:engineering"],
    "vpn-admins": ["alice"],
    "engineering": ["carol", "eve"],
    "contractors": ["mallory"],
}


def group_dn(cn):
    return f"cn={cn},{GROUPS_DN}"


def effective_groups(uid):
    """Direct groups plus every group reached through nested groups."""
    found = []
    todo = list(USERS[uid]["groups"])
    while todo:
        cn = todo.pop(0)
        if cn in found:
            continue
        found.append(cn)
        todo += [g for g, members in GROUPS.items()
                 if "group:" + cn in members]
    return found


def parse_ldif(text):
    """Parses ldapsearch -LLL output into [(dn, {attr: [str values]})].

    Handles folded lines and base64 ("attr:: ...") values, which ldapsearch
    uses for anything not plain printable ASCII.  Attribute names are kept
    as the server spelt them.
    """
    entries = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = []
        for line in block.split("\n"):
            if line.startswith(" ") and lines:
                lines[-1] += line[1:]
            elif line and not line.startswith("#"):
                lines.append(line)
        if not lines:
            continue
        dn, attrs = None, {}
        for line in lines:
            name, sep, value = line.partition(":")
            if not sep:
                continue
            if value.startswith(":"):
                value = base64.b64decode(value[1:].strip()).decode("utf-8")
            else:
                value = value.lstrip(" ")
            if name == "dn":
                dn = value
            else:
                attrs.setdefault(name, []).append(value)
        entries.append((dn, attrs))
    return entries
