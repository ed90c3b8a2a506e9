/*
 * Group matching by meaning: DNs normalized per RFC 4514 and RFC 4518,
 * names compared with Unicode full case folding.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ldap/dir.h"
#include "ldap/dir_priv.h"


static const char *
normal(const char *dn)
{
    static char  out[4096];

    if (dir_dn_normalize(dn, out, sizeof(out)) < 0) {
        return "(not a DN)";
    }

    return out;
}


static void
test_normalize(void **state)
{
    (void) state;

    assert_string_equal(normal("CN=VPN Users,OU=Groups,DC=Corp,DC=Example"),
                        "cn=vpn users,ou=groups,dc=corp,dc=example");

    /* spaces around separators, and insignificant spaces in values */
    assert_string_equal(normal("cn = VPN   Users , ou=Groups ,dc=corp"),
                        "cn=vpn users,ou=groups,dc=corp");

    /* long names and OIDs of attribute types */
    assert_string_equal(normal("commonName=a,2.5.4.11=b,"
                               "0.9.2342.19200300.100.1.25=c,2.5.4.10=d,"
                               "domainComponent=e"),
                        "cn=a,ou=b,dc=c,o=d,dc=e");

    /* escapes decoded, then written one way */
    assert_string_equal(normal("CN=Sales\\, EMEA,DC=x"),
                        "cn=sales\\2c emea,dc=x");
    assert_string_equal(normal("CN=Sales\\2C EMEA,DC=x"),
                        "cn=sales\\2c emea,dc=x");
    assert_string_equal(normal("cn=a\\+b\\=c\\\\d,dc=x"),
                        "cn=a\\2bb\\3dc\\5cd,dc=x");
    assert_string_equal(normal("cn=\\23hash,dc=x"), "cn=\\23hash,dc=x");

    /* UTF-8 written raw or as hex pairs is the same value, folded */
    assert_string_equal(normal("CN=Vertrieb S\\C3\\9Cd,DC=x"),
                        "cn=vertrieb s\xc3\xbc" "d,dc=x");
    assert_string_equal(normal("CN=Vertrieb S\xc3\x9c" "d,DC=x"),
                        "cn=vertrieb s\xc3\xbc" "d,dc=x");

    /* multi-valued RDNs in one order */
    assert_string_equal(normal("uid=jdoe+CN=John Doe,dc=x"),
                        "cn=john doe+uid=jdoe,dc=x");
    assert_string_equal(normal("cn=John Doe+uid=jdoe,dc=x"),
                        "cn=john doe+uid=jdoe,dc=x");

    /* a BER value is compared as its octets */
    assert_string_equal(normal("1.3.6.1.4.1.1466.0=#04024869,dc=x"),
                        "1.3.6.1.4.1.1466.0=#04024869,dc=x");

    assert_string_equal(normal(""), "");
    assert_string_equal(normal("not a dn"), "(not a DN)");
    assert_string_equal(normal("cn=a,,dc=x"), "(not a DN)");
    assert_string_equal(normal("cn=a\\"), "(not a DN)");
}


static void
test_normalize_bounds(void **state)
{
    int    n;
    char   small[8], dn[1100];

    (void) state;

    assert_int_equal(dir_dn_normalize("cn=abcdefgh", small, sizeof(small)),
                     -1);
    assert_string_equal(small, "");

    memset(dn, 'a', sizeof(dn));
    memcpy(dn, "cn=", 3);
    dn[sizeof(dn) - 1] = '\0';

    /* longer than any DN the client takes */
    n = dir_dn_normalize(dn, small, sizeof(small));
    assert_int_equal(n, -1);
}


static void
test_dn_equal(void **state)
{
    (void) state;

    assert_int_equal(dir_dn_equal("CN=Sales\\, EMEA,OU=Groups,DC=corp",
                                  "cn=sales\\2c emea, ou=groups, dc=CORP"),
                     1);
    assert_int_equal(dir_dn_equal("cn=a,dc=x", "cn=b,dc=x"), 0);
    assert_int_equal(dir_dn_equal("cn=a,dc=x", "cn=a,dc=x,dc=y"), 0);
    /* a separator inside a value is not a separator */
    assert_int_equal(dir_dn_equal("cn=a\\,dc=x", "cn=a,dc=x"), 0);
    assert_int_equal(dir_dn_equal("cn=a+sn=b,dc=x", "cn=a\\+sn=b,dc=x"), 0);
    assert_int_equal(dir_dn_equal("garbage", "cn=a"), -1);
    assert_int_equal(dir_dn_equal(NULL, "cn=a"), -1);
}


static void
test_group_matches(void **state)
{
    const char  *sales = "CN=Sales\\, EMEA,OU=Groups,DC=corp,DC=example";
    const char  *greek = "CN=\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd"
                         "\xce\xb9\xce\xba\xce\xac,OU=Groups,DC=corp";

    (void) state;

    /* by name: the first RDN's value */
    assert_int_equal(dir_group_matches(sales, "Sales, EMEA"), 1);
    assert_int_equal(dir_group_matches(sales, "sales, emea"), 1);
    assert_int_equal(dir_group_matches(sales, "  SALES,   EMEA "), 1);
    assert_int_equal(dir_group_matches(sales, "Sales"), 0);
    assert_int_equal(dir_group_matches(sales, "Groups"), 0);

    /* Greek, whatever the case, with its final sigma and accents */
    assert_int_equal(dir_group_matches(greek, "\xce\x95\xce\x9b\xce\x9b"
                                       "\xce\x97\xce\x9d\xce\x99\xce\x9a"
                                       "\xce\x86"), 1);

    /* by DN */
    assert_int_equal(dir_group_matches(sales, "cn=sales\\2c emea, "
                                       "ou=groups, dc=corp, dc=example"), 1);
    assert_int_equal(dir_group_matches(sales, "cn=sales\\2c emea,"
                                       "ou=groups,dc=corp"), 0);

    /* what parses as a DN is one; a name with "=" that does not, a name */
    assert_int_equal(dir_group_matches("CN=a\\=b,DC=x", "a=b"), 0);
    assert_int_equal(dir_group_matches("CN=\\=b,DC=x", "=b"), 1);

    assert_int_equal(dir_group_matches("not a dn", "not a dn"), 0);
    assert_int_equal(dir_group_matches(NULL, "x"), 0);
    assert_int_equal(dir_group_matches(sales, NULL), 0);
}


static void
test_casefold(void **state)
{
    int   n;
    char  out[64];

    (void) state;

    n = dir_casefold("ABC xyz", 7, out, sizeof(out));
    assert_int_equal(n, 7);
    assert_string_equal(out, "abc xyz");

    /* full folding: sharp s and its capital become "ss" */
    assert_int_equal(dir_casefold("Stra\xc3\x9f" "e", 7, out, sizeof(out)),
                     7);
    assert_string_equal(out, "strasse");
    assert_int_equal(dir_casefold("STRA\xe1\xba\x9e" "E", 8, out,
                                  sizeof(out)), 7);
    assert_string_equal(out, "strasse");

    /* Greek: capital and final sigma fold to the same sigma */
    dir_casefold("\xce\xa3\xcf\x82", 4, out, sizeof(out));
    assert_string_equal(out, "\xcf\x83\xcf\x83");

    /* Cyrillic */
    dir_casefold("\xd0\x9a\xd0\x98\xd0\xa0", 6, out, sizeof(out));
    assert_string_equal(out, "\xd0\xba\xd0\xb8\xd1\x80");

    /* the fi ligature, three bytes to two */
    assert_int_equal(dir_casefold("\xef\xac\x81", 3, out, sizeof(out)), 2);
    assert_string_equal(out, "fi");

    /* Deseret, outside the BMP */
    dir_casefold("\xf0\x90\x90\x80", 4, out, sizeof(out));
    assert_string_equal(out, "\xf0\x90\x90\xa8");

    /* the longest growth: U+0390 to three code points */
    assert_int_equal(dir_casefold("\xce\x90", 2, out, sizeof(out)), 6);
    assert_string_equal(out, "\xce\xb9\xcc\x88\xcc\x81");

    /* not UTF-8: the bytes stay as they are */
    assert_int_equal(dir_casefold("A\xff\xc3(", 4, out, sizeof(out)), 4);
    assert_memory_equal(out, "a\xff\xc3(", 4);

    /* overlong forms and surrogates are no letters */
    assert_int_equal(dir_casefold("\xc1\x81", 2, out, sizeof(out)), 2);
    assert_memory_equal(out, "\xc1\x81", 2);
    assert_int_equal(dir_casefold("\xed\xa0\x80", 3, out, sizeof(out)), 3);

    /* too small */
    assert_int_equal(dir_casefold("\xc3\x9f", 2, out, 2), -1);
    assert_int_equal(dir_casefold("abc", 3, out, 3), -1);
    assert_int_equal(dir_casefold("abc", 3, out, 0), -1);
}


static void
test_name_equal(void **state)
{
    (void) state;

    assert_true(dir_name_equal("VPN Users", 9, "vpn users", 9));
    assert_true(dir_name_equal("Vertrieb S\xc3\x9c" "d", 12,
                               "VERTRIEB S\xc3\xbc" "D", 12));
    assert_true(dir_name_equal("Stra\xc3\x9f" "e", 7, "STRASSE", 7));
    assert_false(dir_name_equal("vpn users", 9, "vpn user", 8));
    /* precomposed and decomposed: no normalization */
    assert_false(dir_name_equal("\xc3\xa9", 2, "e\xcc\x81", 3));
}


static void
test_dn_domain(void **state)
{
    (void) state;

    assert_string_equal(dir_dn_domain("OU=Staff,DC=corp,DC=example"),
                        "DC=corp,DC=example");
    assert_string_equal(dir_dn_domain("dc=corp,dc=example"),
                        "dc=corp,dc=example");
    assert_string_equal(dir_dn_domain("ou=a\\,dc=b,dc=c"), "dc=c");
    assert_string_equal(dir_dn_domain("cn=x, Dc = y"), "Dc = y");
    assert_string_equal(dir_dn_domain("o=corp"), "o=corp");
    assert_string_equal(dir_dn_domain("cn=dcx,o=corp"), "cn=dcx,o=corp");
    assert_string_equal(dir_dn_domain(""), "");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_normalize_bounds),
        cmocka_unit_test(test_dn_equal),
        cmocka_unit_test(test_group_matches),
        cmocka_unit_test(test_casefold),
        cmocka_unit_test(test_name_equal),
        cmocka_unit_test(test_dn_domain),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
