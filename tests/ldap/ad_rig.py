#!/usr/bin/python3
"""The directory client's rig against a real Samba AD DC.

Makes the test domain (tests/harness/samba.py), starts the DC, checks
with OpenLDAP's own ldapsearch that the domain is what the C checks
expect, runs the program given (ad_smoke) with AD_* variables, and always
stops the DC.  Prints PASS/FAIL lines and the cost of each step; the exit
status is the program's, or 1 when a check of its own failed.

    ad_rig.py PROGRAM [ARGS...]      (run it through ad_run.sh)
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__)))))

from harness import samba   # noqa: E402

failures = 0


def check(ok, name, detail=""):
    global failures
    if ok:
        print(f"PASS {name}", flush=True)
    else:
        failures += 1
        print(f"FAIL {name}: {detail}", flush=True)


def data_code(diagnostic):
    marker = "AcceptSecurityContext error, data "
    if marker not in diagnostic:
        return diagnostic or "ok"
    return diagnostic.split(marker, 1)[1].split(",", 1)[0]


def self_check(dc):
    """The domain as ldapsearch sees it: a client we did not write."""
    codes = {"usable": "ok", "disabled": "533",
             "must_change_password": "773", "account_expired": "701",
             "password_expired": "532", "locked": "775",
             "logon_hours": "530", "workstation": "531"}
    for sam, user in samba.USERS.items():
        got = data_code(dc.bind_error(samba.DOMAIN + "\\" + sam,
                                      user["password"]))
        check(got == codes[user["state"]], f"fixture: {sam} binds: "
              f"{codes[user['state']]}", got)
        got = data_code(dc.bind_error(user["upn"], user["password"] + "x"))
        want = "775" if user["state"] == "locked" else "52e"
        check(got == want, f"fixture: {sam} wrong password: {want}", got)

    for login in (samba.SERVICE["dn"], samba.SERVICE["upn"],
                  samba.DOMAIN + "\\" + samba.SERVICE["sam"]):
        got = dc.bind_error(login, samba.SERVICE["password"])
        check(got == "", f"fixture: service account binds as {login}", got)
    for svc, want in ((samba.SERVICE_EXPIRED, "532"),
                      (samba.SERVICE_MUSTCHANGE, "773")):
        got = data_code(dc.bind_error(svc["dn"], svc["password"]))
        check(got == want, f"fixture: {svc['sam']} refused: {want}", got)

    plain = dc.ldap_tool("ldapsearch", ["-LLL", "-b", "", "-s", "base"],
                         url=dc.plain_url, check=False)
    check("Strong(er) authentication required" in plain.stderr,
          "fixture: plain ldap:// refuses simple binds", plain.stderr)

    [(_, big)] = dc.search(samba.USERS["big"]["dn"], scope="base",
                           attrs=["memberOf"])
    check(len(big["memberOf"]) == samba.MANY,
          f"fixture: big is in {samba.MANY} groups directly",
          len(big["memberOf"]))

    result = dc.ldap_tool("ldapsearch", [
        "-LLL", "-b", samba.USERS["big"]["dn"], "-s", "base",
        "(objectClass=*)", "tokenGroups"])
    tokens = result.stdout.count("tokenGroups:")
    want = len(samba.big_groups())
    check(tokens == want, f"fixture: big's token has {want} groups",
          tokens)

    names = sorted(attrs["cn"][0] for _, attrs in dc.search(
        samba.GROUPS_OU, "(objectClass=group)", ["cn"], scope="one"))
    check(names == sorted(samba.GROUPS), "fixture: group names read back",
          names)

    [(_, jdoe)] = dc.search(samba.USERS["jdoe"]["dn"], scope="base",
                            attrs=["userPrincipalName", "mail"])
    check(jdoe.get("userPrincipalName") == [samba.USERS["jdoe"]["upn"]]
          and jdoe.get("mail") == samba.USERS["jdoe"]["mail"],
          "fixture: jdoe's UPN differs from sAMAccountName", jdoe)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2

    tpl = samba.make_template()
    dc = None
    try:
        dc = samba.start_dc(tpl)
        self_check(dc)
        env = dict(os.environ, AD_URL=dc.url, AD_PLAIN_URL=dc.plain_url,
                   AD_CA=dc.ca_file, AD_BASE_DN=dc.base_dn)
        # a hung login is a failure too, not a hung run
        status = subprocess.run(["timeout", "600", *sys.argv[1:]],
                                env=env).returncode
    finally:
        if dc is not None:
            dc.remove()
        shutil.rmtree(tpl.path, ignore_errors=True)

    timings = dc.timings if dc is not None else tpl.timings
    print("samba: " + ", ".join(f"{k} {v:.2f} s"
                                for k, v in timings.items()))
    if failures:
        print(f"ad_rig: {failures} fixture checks failed")
    return status or (1 if failures else 0)


if __name__ == "__main__":
    sys.exit(main())
