/*
 * The portal's policy helpers: group names against a user's group DNs
 * (portal/portal_groups.c), and the stand-in for a missing mail address
 * (portal_mailless_id), checked against Python's uuid.uuid5().
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "portal/portal_audit.h"
#include "portal/portal_groups.h"
#include "portal/portal_subject.h"


static void
test_first_value(void **state)
{
    char    out[64];
    size_t  len;

    (void) state;

    assert_int_equal(portal_dn_first_value("cn=vpn-users,ou=groups,dc=x", out,
                                       sizeof(out), &len), 0);
    assert_string_equal(out, "vpn-users");
    assert_int_equal(len, 9);

    /* RFC 4514 escapes, both forms */
    assert_int_equal(portal_dn_first_value("cn=a\\,b,dc=x", out, sizeof(out),
                                       &len), 0);
    assert_string_equal(out, "a,b");
    assert_int_equal(portal_dn_first_value("cn=a\\2Cb\\2bc,dc=x", out,
                                       sizeof(out), &len), 0);
    assert_string_equal(out, "a,b+c");

    /* a multi-valued RDN ends at the '+' */
    assert_int_equal(portal_dn_first_value("cn=a+uid=b,dc=x", out, sizeof(out),
                                       &len), 0);
    assert_string_equal(out, "a");

    /* malformed or too long */
    assert_int_equal(portal_dn_first_value("no-equals", out, sizeof(out), &len),
                     -1);
    assert_int_equal(portal_dn_first_value("cn=trailing\\", out, sizeof(out),
                                       &len), -1);
    assert_int_equal(portal_dn_first_value("cn=0123456789", out, 8, &len), -1);
}


static void
test_user_in_group(void **state)
{
    char        *groups[] = {
        "cn=VPN-Users,ou=groups,dc=example,dc=org",
        "cn=a\\,b,ou=groups,dc=example,dc=org",
    };
    dir_user_t   user;

    (void) state;

    memset(&user, 0, sizeof(user));
    user.groups = groups;
    user.ngroups = 2;

    /* bare names: the first RDN's value, in any case */
    assert_true(portal_user_in_group(&user, "vpn-users"));
    assert_true(portal_user_in_group(&user, "a,b"));
    assert_false(portal_user_in_group(&user, "vpn"));
    assert_false(portal_user_in_group(&user, "groups"));

    /* DNs: whole, in any case */
    assert_true(portal_user_in_group(&user,
                    "CN=vpn-users,OU=groups,DC=example,DC=org"));
    assert_false(portal_user_in_group(&user, "cn=vpn-users,dc=org"));

    user.ngroups = 0;
    assert_false(portal_user_in_group(&user, "vpn-users"));
}


/* Group DNs and names as an admin writes them, compared by meaning. */
static void
test_group_by_meaning(void **state)
{
    char        *groups[] = {
        "CN=VPN Users,OU=Groups,DC=corp,DC=example,DC=test",
        "CN=Sales\\, EMEA,OU=Groups,DC=corp,DC=example,DC=test",
        "CN=Vertrieb S\xc3\xbc\x64,OU=Groups,DC=corp,DC=example,DC=test",
        ("CN=\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9"
         "\xce\xba\xce\xac,OU=Groups,DC=corp,DC=example,DC=test"),
        "CN=Domain Users,CN=Users,DC=corp,DC=example,DC=test",
    };
    dir_user_t   user;

    (void) state;

    memset(&user, 0, sizeof(user));
    user.groups = groups;
    user.ngroups = sizeof(groups) / sizeof(groups[0]);

    /* other spacing, case, attribute names and escaping */
    assert_true(portal_user_in_group(&user,
                    "cn=vpn users, ou=groups, dc=corp, dc=example, dc=test"));
    assert_true(portal_user_in_group(&user,
                    "commonName=VPN  Users,OU=Groups,DC=corp,DC=example,"
                    "DC=test"));
    assert_true(portal_user_in_group(&user,
                    "CN=Sales\\2C EMEA,OU=Groups,DC=corp,DC=example,DC=test"));
    assert_true(portal_user_in_group(&user,
                    "cn=sales\\, emea,ou=groups,dc=corp,dc=example,dc=test"));
    assert_false(portal_user_in_group(&user,
                    "CN=Sales,OU=Groups,DC=corp,DC=example,DC=test"));
    assert_false(portal_user_in_group(&user,
                    "CN=VPN Users,OU=Other,DC=corp,DC=example,DC=test"));

    /* bare names: Unicode case folding, not ASCII only */
    assert_true(portal_user_in_group(&user, "VERTRIEB S\xc3\x9c\x44"));
    assert_true(portal_user_in_group(&user, "vertrieb s\xc3\xbc\x64"));
    assert_false(portal_user_in_group(&user, "vertrieb sud"));
    /* "ΕΛΛΗΝΙΚΆ": capitals, a tonos on the last one */
    assert_true(portal_user_in_group(&user,
                    "\xce\x95\xce\x9b\xce\x9b\xce\x97\xce\x9d\xce\x99"
                    "\xce\x9a\xce\x86"));
    assert_true(portal_user_in_group(&user, "domain users"));
    assert_true(portal_user_in_group(&user, "sales, emea"));
    assert_false(portal_user_in_group(&user, "sales"));
}


/* The audit line's list: sorted names, a comma inside a name escaped. */
static void
test_audit_groups(void **state)
{
    char              *groups[] = {
        "CN=VPN Users,OU=Groups,DC=corp,DC=example,DC=test",
        "CN=Sales\\, EMEA,OU=Groups,DC=corp,DC=example,DC=test",
        "CN=Domain Users,CN=Users,DC=corp,DC=example,DC=test",
        "CN=Vertrieb S\xc3\xbc\x64,OU=Groups,DC=corp,DC=example,DC=test",
        "CN=back\\\\slash \\\"q\\\",OU=Groups,DC=corp,DC=example,DC=test",
    };
    char               big[20][32], *many[20];
    size_t             i;
    dir_user_t         user;
    portal_audit_t     a;
    portal_result_t    res;

    (void) state;

    memset(&user, 0, sizeof(user));
    user.username = "jdoe";
    user.groups = groups;
    user.ngroups = sizeof(groups) / sizeof(groups[0]);
    user.grace_logins = -1;
    user.expires_in_s = -1;

    memset(&a, 0, sizeof(a));
    a.login = "CORP\\jdoe";
    a.login_len = strlen(a.login);
    a.user = &user;

    memset(&res, 0, sizeof(res));
    portal_audit_compose(&a, NULL, &res);

    assert_non_null(res.audit);
    assert_string_equal(res.audit,
        "result=settings status=0 login=\"CORP\\\\jdoe\" user=\"jdoe\" "
        "groups=\"Domain Users,Sales\\, EMEA,VPN Users,"
        "Vertrieb S\\xc3\\xbcd,back\\\\slash \\\"q\\\"\"");
    portal_result_free(&res);

    /* more than 16: the first 16 by name, and how many in all */
    for (i = 0; i < 20; i++) {
        snprintf(big[i], sizeof(big[i]), "cn=g%02zu,dc=x", 19 - i);
        many[i] = big[i];
    }

    user.groups = many;
    user.ngroups = 20;
    user.expires_in_s = 3600;
    user.grace_logins = 2;

    memset(&res, 0, sizeof(res));
    portal_audit_compose(&a, NULL, &res);
    assert_non_null(res.audit);
    assert_non_null(strstr(res.audit, " groups=\"g00,g01,g02,g03,g04,g05,"
                           "g06,g07,g08,g09,g10,g11,g12,g13,g14,g15,...(20)\" "
                           "password_expires_in=3600s grace_logins=2"));
    portal_result_free(&res);
}


static void
test_mailless_id(void **state)
{
    char  id[37], again[37];

    (void) state;

    /*
     * uuid.uuid5(uuid.UUID("4e2b8c51-0d6a-4f93-a17e-5c2039d486fb"),
     *            "uid=bob,ou=people,dc=example,dc=org")
     */
    assert_int_equal(portal_mailless_id(NULL,
                         "uid=bob,ou=people,dc=example,dc=org", id), 0);
    assert_string_equal(id, "5d2b61cc-a9dd-51f0-879a-35b978571417");

    /* the DN is lower-cased first: the same user, however it is spelt */
    assert_int_equal(portal_mailless_id(NULL,
                         "UID=Bob,OU=People,DC=Example,DC=Org", again), 0);
    assert_string_equal(again, id);

    assert_int_equal(portal_mailless_id(NULL,
                         "uid=dave,ou=people,dc=example,dc=org", again), 0);
    assert_string_not_equal(again, id);

    /* the directory's own id first, whatever the DN */
    assert_int_equal(portal_mailless_id(
                         "9b6f3c3e-2a4d-4f0e-8a51-0c2a7d1e5f60",
                         "uid=bob,ou=people,dc=example,dc=org", again), 0);
    assert_string_equal(again, "9b6f3c3e-2a4d-4f0e-8a51-0c2a7d1e5f60");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_first_value),
        cmocka_unit_test(test_user_in_group),
        cmocka_unit_test(test_group_by_meaning),
        cmocka_unit_test(test_audit_groups),
        cmocka_unit_test(test_mailless_id),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
