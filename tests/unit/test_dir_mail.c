/*
 * Mail addresses from attribute values: the "SMTP:" primary first, then
 * "smtp:" aliases and plain values in order, other types skipped, case
 * insensitive duplicates dropped, implausible addresses refused.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ldap/dir_mail.h"


#define VALUES_MAX  64


typedef struct {
    struct berval   bv[VALUES_MAX];
    struct berval  *ptrs[VALUES_MAX + 1];
} values_t;


/* A NULL-terminated array of values, as ldap_get_values_len() makes. */
static struct berval **
make_values(values_t *v, const char *const *strings, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        v->bv[i].bv_val = (char *) strings[i];
        v->bv[i].bv_len = strlen(strings[i]);
        v->ptrs[i] = &v->bv[i];
    }

    v->ptrs[n] = NULL;

    return v->ptrs;
}


static void
assert_mails(dir_strings_t *mails, const char *const *want, size_t n)
{
    size_t  i;

    assert_int_equal(mails->n, n);

    for (i = 0; i < n; i++) {
        assert_string_equal(mails->items[i], want[i]);
    }
}


static void
test_proxy_addresses_order(void **state)
{
    values_t     v;
    dir_strings_t   mails = { 0 };
    const char  *proxy[] = {
        "smtp:bob.alias@example.org",
        "X400:c=US;a= ;p=Example;o=Ex;s=Bob;",
        "SMTP:Bob.Primary@example.org",
        "sip:bob@example.org",
        "smtp:BOB.PRIMARY@EXAMPLE.ORG",
        "Smtp:bob.other@example.org",
    };
    const char  *want[] = {
        "Bob.Primary@example.org", "bob.alias@example.org",
        "bob.other@example.org"
    };

    (void) state;

    assert_int_equal(dir_mail_collect(&mails, make_values(&v, proxy, 6)), 0);
    assert_mails(&mails, want, 3);

    dir_strings_free(&mails);
}


static void
test_attributes_in_configured_order(void **state)
{
    values_t     v;
    dir_strings_t   mails = { 0 };
    const char  *proxy[] = { "smtp:a@example.org", "SMTP:p@example.org" };
    const char  *mail[] = { "m@example.org", "A@Example.org" };
    const char  *want_proxy_first[] = {
        "p@example.org", "a@example.org", "m@example.org"
    };
    const char  *want_mail_first[] = {
        "m@example.org", "A@Example.org", "p@example.org"
    };

    (void) state;

    assert_int_equal(dir_mail_collect(&mails, make_values(&v, proxy, 2)), 0);
    assert_int_equal(dir_mail_collect(&mails, make_values(&v, mail, 2)), 0);
    assert_mails(&mails, want_proxy_first, 3);
    dir_strings_free(&mails);

    assert_int_equal(dir_mail_collect(&mails, make_values(&v, mail, 2)), 0);
    assert_int_equal(dir_mail_collect(&mails, make_values(&v, proxy, 2)), 0);
    assert_mails(&mails, want_mail_first, 3);
    dir_strings_free(&mails);
}


static void
test_plain_values_kept_as_they_are(void **state)
{
    values_t     v;
    dir_strings_t   mails = { 0 };
    const char  *mail[] = {
        "Jane.Doe@Example.org", "jane@example.org", "jane@example.org"
    };
    const char  *want[] = { "Jane.Doe@Example.org", "jane@example.org" };

    (void) state;

    assert_int_equal(dir_mail_collect(&mails, make_values(&v, mail, 3)), 0);
    assert_mails(&mails, want, 2);

    dir_strings_free(&mails);
}


static void
test_implausible_addresses_dropped(void **state)
{
    values_t     v;
    char         long_local[300];
    dir_strings_t   mails = { 0 };
    const char  *bad[] = {
        "no-at-sign", "two@@example.org", "a@b@example.org", "sp ace@x.org",
        "@example.org", "user@", "tab\t@x.org", "quote\"@x.org",
        "angle<@x.org", "user@host:25", "smtp:", "SMTP:", "semi;@x.org",
        "comma,@x.org", "del\x7f@x.org", long_local, "",
    };
    const char  *good[] = { "\xc3\xbcser@ex\xc3\xa4mple.org" };

    (void) state;

    memset(long_local, 'a', sizeof(long_local));
    snprintf(long_local + 250, sizeof(long_local) - 250, "@x.org");

    assert_int_equal(dir_mail_collect(&mails, make_values(&v, bad, 17)), 0);
    assert_int_equal(mails.n, 0);

    assert_int_equal(dir_mail_collect(&mails, make_values(&v, good, 1)), 0);
    assert_mails(&mails, good, 1);

    dir_strings_free(&mails);
}


static void
test_value_with_nul_dropped(void **state)
{
    dir_strings_t      mails = { 0 };
    struct berval   bv, *values[2];

    (void) state;

    bv.bv_val = "a\0b@example.org";
    bv.bv_len = 15;
    values[0] = &bv;
    values[1] = NULL;

    assert_int_equal(dir_mail_collect(&mails, values), 0);
    assert_int_equal(mails.n, 0);
}


static void
test_longest_address_accepted(void **state)
{
    values_t     v;
    char         addr[DIR_MAIL_LEN_MAX + 2];
    dir_strings_t   mails = { 0 };
    const char  *one[1] = { addr };

    (void) state;

    /* 254 bytes is the limit; 255 is one too many */
    memset(addr, 'a', sizeof(addr));
    memcpy(addr + DIR_MAIL_LEN_MAX - 6, "@x.org", 7);
    assert_int_equal(strlen(addr), DIR_MAIL_LEN_MAX);

    assert_int_equal(dir_mail_collect(&mails, make_values(&v, one, 1)), 0);
    assert_int_equal(mails.n, 1);
    dir_strings_free(&mails);

    memset(addr, 'a', sizeof(addr));
    memcpy(addr + DIR_MAIL_LEN_MAX - 5, "@x.org", 7);
    assert_int_equal(strlen(addr), DIR_MAIL_LEN_MAX + 1);

    assert_int_equal(dir_mail_collect(&mails, make_values(&v, one, 1)), 0);
    assert_int_equal(mails.n, 0);
}


static void
test_bounded_count(void **state)
{
    size_t       i;
    char         addrs[40][32];
    values_t     v;
    dir_strings_t   mails = { 0 };
    const char  *strings[40];

    (void) state;

    for (i = 0; i < 40; i++) {
        snprintf(addrs[i], sizeof(addrs[i]), "user%zu@example.org", i);
        strings[i] = addrs[i];
    }

    assert_int_equal(dir_mail_collect(&mails, make_values(&v, strings, 40)),
                     0);

    assert_int_equal(mails.n, DIR_MAILS_MAX);
    assert_string_equal(mails.items[0], "user0@example.org");
    assert_string_equal(mails.items[DIR_MAILS_MAX - 1], "user31@example.org");

    dir_strings_free(&mails);
}


static void
test_no_values(void **state)
{
    dir_strings_t  mails = { 0 };

    (void) state;

    assert_int_equal(dir_mail_collect(&mails, NULL), 0);
    assert_int_equal(mails.n, 0);
    assert_null(mails.items);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_proxy_addresses_order),
        cmocka_unit_test(test_attributes_in_configured_order),
        cmocka_unit_test(test_plain_values_kept_as_they_are),
        cmocka_unit_test(test_implausible_addresses_dropped),
        cmocka_unit_test(test_value_with_nul_dropped),
        cmocka_unit_test(test_longest_address_accepted),
        cmocka_unit_test(test_bounded_count),
        cmocka_unit_test(test_no_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
