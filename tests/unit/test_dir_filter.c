/*
 * RFC 4515 value escaping and filter templates: every special byte,
 * NUL, UTF-8, and the usual injection strings against exact filters.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ldap/dir.h"
#include "ldap/dir_priv.h"


static void
assert_escaped(const char *in, size_t len, const char *expected)
{
    int   n;
    char  out[256];

    n = dir_escape_filter_value(in, len, out, sizeof(out));

    assert_int_equal(n, strlen(expected));
    assert_string_equal(out, expected);
}


static void
assert_rendered(const char *tpl, char placeholder, const char *value,
    size_t len, const char *expected)
{
    char  *filter;

    filter = dir_filter_render(tpl, placeholder, value, len);

    assert_non_null(filter);
    assert_string_equal(filter, expected);

    free(filter);
}


static void
test_escape_specials(void **state)
{
    (void) state;

    assert_escaped("*", 1, "\\2a");
    assert_escaped("(", 1, "\\28");
    assert_escaped(")", 1, "\\29");
    assert_escaped("\\", 1, "\\5c");
    assert_escaped("\0", 1, "\\00");
    assert_escaped("a*b(c)d\\e", 9, "a\\2ab\\28c\\29d\\5ce");
}


static void
test_escape_plain_ascii_untouched(void **state)
{
    (void) state;

    assert_escaped("alice", 5, "alice");
    assert_escaped("j.doe-1_x@example.org", 21, "j.doe-1_x@example.org");
    assert_escaped("a b=c,d+e;f<g>h#i\"j'k", 21, "a b=c,d+e;f<g>h#i\"j'k");
    assert_escaped("", 0, "");
}


static void
test_escape_outside_printable_ascii(void **state)
{
    (void) state;

    /* UTF-8 "éva", a newline, a tab, DEL and a lone continuation byte */
    assert_escaped("\xc3\xa9va", 4, "\\c3\\a9va");
    assert_escaped("a\nb", 3, "a\\0ab");
    assert_escaped("\t", 1, "\\09");
    assert_escaped("\x7f", 1, "\\7f");
    assert_escaped("\x80\xff", 2, "\\80\\ff");
}


static void
test_escape_bounds(void **state)
{
    char  out[8];

    (void) state;

    /* "ab" needs 3 bytes with its NUL, "*" needs 4 */
    assert_int_equal(dir_escape_filter_value("ab", 2, out, 3), 2);
    assert_string_equal(out, "ab");

    memset(out, 'x', sizeof(out));
    assert_int_equal(dir_escape_filter_value("ab", 2, out, 2), -1);
    assert_int_equal(out[0], '\0');

    assert_int_equal(dir_escape_filter_value("*", 1, out, 4), 3);
    assert_string_equal(out, "\\2a");

    memset(out, 'x', sizeof(out));
    assert_int_equal(dir_escape_filter_value("*", 1, out, 3), -1);
    assert_int_equal(out[0], '\0');

    assert_int_equal(dir_escape_filter_value("a", 1, out, 0), -1);

    /* DIR_ESCAPED_LEN is always enough, even when every byte escapes */
    assert_int_equal(dir_escape_filter_value("**", 2, out,
                                             DIR_ESCAPED_LEN(2)), 6);
    assert_string_equal(out, "\\2a\\2a");
}


static void
test_render_substitutes(void **state)
{
    (void) state;

    assert_rendered("(&(objectClass=inetOrgPerson)(uid=%u))", 'u', "alice",
                    5, "(&(objectClass=inetOrgPerson)(uid=alice))");
    assert_rendered("(|(uid=%u)(mail=%u))", 'u', "bob", 3,
                    "(|(uid=bob)(mail=bob))");
}


static void
test_render_injection(void **state)
{
    const char  *tpl = "(&(objectClass=inetOrgPerson)(uid=%u))";

    (void) state;

    assert_rendered(tpl, 'u', "*", 1,
                    "(&(objectClass=inetOrgPerson)(uid=\\2a))");
    assert_rendered(tpl, 'u', ")(uid=*", 7,
                    "(&(objectClass=inetOrgPerson)(uid=\\29\\28uid=\\2a))");
    assert_rendered(tpl, 'u', "admin)(|(uid=*", 14,
                    "(&(objectClass=inetOrgPerson)"
                    "(uid=admin\\29\\28|\\28uid=\\2a))");
    assert_rendered(tpl, 'u', "a\0b", 3,
                    "(&(objectClass=inetOrgPerson)(uid=a\\00b))");
}


static void
test_render_percent(void **state)
{
    (void) state;

    assert_rendered("(&(description=100%%)(uid=%u))", 'u', "x", 1,
                    "(&(description=100%)(uid=x))");

    /* another placeholder, or a trailing %, is copied as it is */
    assert_rendered("(uid=%d%u)", 'u', "x", 1, "(uid=%dx)");
    assert_rendered("(uid=%u)%", 'u', "x", 1, "(uid=x)%");
}


static void
test_render_without_placeholder(void **state)
{
    (void) state;

    assert_rendered("(objectClass=*)", 'u', "alice", 5, "(objectClass=*)");
    assert_rendered("(uid=%u)", 'u', "", 0, "(uid=)");
}


static void
test_render_refuses(void **state)
{
    char  *big;

    (void) state;

    assert_null(dir_filter_render("(uid=%u)", '%', "x", 1));
    assert_null(dir_filter_render("(uid=%u)", '\0', "x", 1));

    /* 3000 stars escape to 9000 bytes, over DIR_FILTER_LEN_MAX */
    big = malloc(3000);
    assert_non_null(big);
    memset(big, '*', 3000);
    assert_null(dir_filter_render("(uid=%u)", 'u', big, 3000));
    free(big);

    big = malloc(DIR_FILTER_LEN_MAX + 1);
    assert_non_null(big);
    memset(big, 'a', DIR_FILTER_LEN_MAX + 1);
    assert_null(dir_filter_render("(uid=%u)", 'u', big,
                                  DIR_FILTER_LEN_MAX + 1));
    free(big);
}


static void
test_render_dn_into_group_filter(void **state)
{
    const char  *dn = "cn=Smith\\, J (sales),ou=people,dc=example,dc=org";

    (void) state;

    assert_rendered("(&(objectClass=groupOfNames)(member=%d))", 'd', dn,
                    strlen(dn),
                    "(&(objectClass=groupOfNames)(member=cn=Smith\\5c, J "
                    "\\28sales\\29,ou=people,dc=example,dc=org))");
    assert_rendered(DIR_IN_CHAIN_FILTER, 'd', dn, strlen(dn),
                    "(member:1.2.840.113556.1.4.1941:=cn=Smith\\5c, J "
                    "\\28sales\\29,ou=people,dc=example,dc=org)");
}


/* %u and %p at once, each escaped, as the AD default filter has them */
static void
test_render_values(void **state)
{
    char                *filter;
    dir_filter_value_t   v[2];

    (void) state;

    v[0].placeholder = 'u';
    v[0].value = "j*doe";
    v[0].len = 5;
    v[1].placeholder = 'p';
    v[1].value = "j*doe@corp)";
    v[1].len = 11;

    filter = dir_filter_render_values("(&(objectCategory=person)"
                                      "(|(sAMAccountName=%u)"
                                      "(userPrincipalName=%p))(x=%%))", v,
                                      2);
    assert_non_null(filter);
    assert_string_equal(filter, "(&(objectCategory=person)"
                        "(|(sAMAccountName=j\\2adoe)"
                        "(userPrincipalName=j\\2adoe@corp\\29))(x=%))");
    free(filter);

    /* a placeholder without a value is copied, as dir_filter_render() does */
    filter = dir_filter_render_values("(uid=%u)(x=%q)", v, 1);
    assert_non_null(filter);
    assert_string_equal(filter, "(uid=j\\2adoe)(x=%q)");
    free(filter);

    /* too many values, or a value that is no placeholder */
    assert_null(dir_filter_render_values("(uid=%u)", v, 5));
    v[1].placeholder = '%';
    assert_null(dir_filter_render_values("(uid=%u)", v, 2));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_escape_specials),
        cmocka_unit_test(test_escape_plain_ascii_untouched),
        cmocka_unit_test(test_escape_outside_printable_ascii),
        cmocka_unit_test(test_escape_bounds),
        cmocka_unit_test(test_render_substitutes),
        cmocka_unit_test(test_render_injection),
        cmocka_unit_test(test_render_percent),
        cmocka_unit_test(test_render_without_placeholder),
        cmocka_unit_test(test_render_refuses),
        cmocka_unit_test(test_render_dn_into_group_filter),
        cmocka_unit_test(test_render_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
