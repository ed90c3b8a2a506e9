"""nginx.conf text for the portal: a scep_directory block for the test
slapd, scep_profile blocks, and the portal location.

Tests build a configuration from these pieces and change only what they
test, so every test reads as "the usual portal, except ...".
"""

from . import capins, directory


def directory_block(slapd, name="corp", **overrides):
    """A scep_directory block for the seeded slapd; overrides replace or
    add directives (a value of None drops one)."""
    settings = {
        "url": slapd.url,
        "bind_dn": f'"{directory.SERVICE["dn"]}"',
        "bind_password": f'"{directory.SERVICE["password"]}"',
        "base_dn": f'"{directory.PEOPLE_DN}"',
        "user_filter": '"(&(objectClass=inetOrgPerson)(uid=%u))"',
        "username_attribute": "uid",
        "groups": "memberof",
        "mail_attributes": "mail proxyAddresses",
        "connect_timeout": "2s",
        "timeout": "3s",
    }
    settings.update(overrides)
    return block("scep_directory", name, settings)


def profile_block(name="staff", scep_url="http://127.0.0.1:9/scep",
                  **overrides):
    """A push-mode scep_profile block; overrides as for directory_block.

    A plain http:// server is pinned by its CA's fingerprint, which the
    harness knows of the servers it started (capins)."""
    settings = {
        "server_url": scep_url,
        "ca_ident": "test-ca",
        "subject": '"O=Example,OU=VPN,CN=$USERNAME"',
    }
    if scep_url.startswith("http://") and "ca_fingerprint" not in overrides \
            and "insecure_trust_any_ca" not in overrides:
        settings["ca_fingerprint"] = capins.lookup(scep_url)
    settings.update(overrides)
    return block("scep_profile", name, settings)


def block(kind, name, settings):
    lines = [f"{kind} {name} {{"]
    for key, value in settings.items():
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            lines.append(f"    {key} {one};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def portal_server(location="", directory_name="corp", listen="@PORT@",
                  extra=""):
    """A server with the portal at /global-protect/ and a static
    location at /static (the event loop's witness)."""
    return f"""
server {{
    listen 127.0.0.1:{listen};

    location /global-protect/ {{
        scep_portal {directory_name};
        scep_portal_name "Test Portal";
        scep_gateway gw1.example.org "name=Gateway 1" priority=1;
{location}
    }}

    location = /static {{
        return 200 "static\\n";
    }}
{extra}
}}
"""


def login(user, password=None, **fields):
    """The form fields of a getconfig login for a seeded user."""
    form = {
        "user": user,
        "passwd": directory.USERS[user]["password"]
        if password is None else password,
        "clientos": "Linux",
        "os-version": "test",
        "computer": "testhost",
        "clientVer": "4100",
    }
    form.update(fields)
    return form
