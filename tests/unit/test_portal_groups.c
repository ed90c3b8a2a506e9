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


static void
test_mailless_id(void **state)
{
    char  id[37], again[37];

    (void) state;

    /*
     * uuid.uuid5(uuid.UUID("4e2b8c51-0d6a-4f93-a17e-5c2039d486fb"),
     *            "uid=bob,ou=people,dc=example,dc=org")
     */
    assert_int_equal(portal_mailless_id(
                         "uid=bob,ou=people,dc=example,dc=org", id), 0);
    assert_string_equal(id, "5d2b61cc-a9dd-51f0-879a-35b978571417");

    /* the DN is lower-cased first: the same user, however it is spelt */
    assert_int_equal(portal_mailless_id(
                         "UID=Bob,OU=People,DC=Example,DC=Org", again), 0);
    assert_string_equal(again, id);

    assert_int_equal(portal_mailless_id(
                         "uid=dave,ou=people,dc=example,dc=org", again), 0);
    assert_string_not_equal(again, id);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_first_value),
        cmocka_unit_test(test_user_in_group),
        cmocka_unit_test(test_mailless_id),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
