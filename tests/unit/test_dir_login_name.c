/*
 * dir_login_name_parse(): the forms a login is typed in, what fills %u
 * and %p, and which domains are the directory's.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ldap/dir.h"
#include "ldap/dir_priv.h"


static const char  *domains[] = { "CORP", "corp.example.test",
                                  "example.com" };


static void
ad_config(dir_config_t *cfg, size_t ndomains)
{
    dir_config_init(cfg);
    cfg->type = DIR_TYPE_ACTIVE_DIRECTORY;
    cfg->domains = ndomains ? domains : NULL;
    cfg->ndomains = ndomains;
}


/* Parses login; checks the result code, %u and %p. */
static void
expect(const dir_config_t *cfg, const char *login, int rc, const char *user,
    const char *upn)
{
    int               got;
    dir_login_name_t  name;

    got = dir_login_name_parse(cfg, login, strlen(login), &name);

    if (got != rc) {
        fail_msg("\"%s\": %d, wanted %d", login, got, rc);
    }

    if (rc < 0) {
        return;
    }

    if (name.user_len != strlen(user)
        || memcmp(name.user, user, name.user_len) != 0)
    {
        fail_msg("\"%s\": %%u \"%.*s\", wanted \"%s\"", login,
                 (int) name.user_len, name.user, user);
    }

    if (name.upn_len != strlen(upn) || strcmp(name.upn, upn) != 0) {
        fail_msg("\"%s\": %%p \"%s\", wanted \"%s\"", login, name.upn, upn);
    }
}


static void
test_forms_with_domains(void **state)
{
    dir_config_t  cfg;

    (void) state;

    ad_config(&cfg, 3);

    /* an account name, bare or down-level */
    expect(&cfg, "jdoe", 0, "jdoe", "jdoe");
    expect(&cfg, "CORP\\jdoe", 0, "jdoe", "jdoe");
    expect(&cfg, "corp\\JDoe", 0, "JDoe", "JDoe");
    expect(&cfg, "Corp.Example.Test\\jdoe", 0, "jdoe", "jdoe");

    /* a principal name, or an account at a domain */
    expect(&cfg, "jdoe@corp.example.test", 0, "jdoe",
           "jdoe@corp.example.test");
    expect(&cfg, "john.doe@CORP.EXAMPLE.TEST", 0, "john.doe",
           "john.doe@CORP.EXAMPLE.TEST");
    expect(&cfg, "jdoe@CORP", 0, "jdoe", "jdoe@CORP");
    expect(&cfg, "alt.user@example.com", 0, "alt.user",
           "alt.user@example.com");

    /* the last "@" ends the user part */
    expect(&cfg, "a@b@corp", 0, "a@b", "a@b@corp");

    /* a domain that is not the directory's: 1, parsed all the same */
    expect(&cfg, "OTHER\\jdoe", 1, "jdoe", "jdoe");
    expect(&cfg, "jdoe@other.example", 1, "jdoe", "jdoe@other.example");
    expect(&cfg, "jdoe@corp.example", 1, "jdoe", "jdoe@corp.example");
    expect(&cfg, "jdoe@xcorp", 1, "jdoe", "jdoe@xcorp");

    /* malformed */
    expect(&cfg, "\\jdoe", -1, NULL, NULL);
    expect(&cfg, "CORP\\", -1, NULL, NULL);
    expect(&cfg, "CORP\\a\\b", -1, NULL, NULL);
    expect(&cfg, "@corp", -1, NULL, NULL);
    expect(&cfg, "jdoe@", -1, NULL, NULL);
}


static void
test_forms_without_domains(void **state)
{
    dir_config_t  cfg;

    (void) state;

    ad_config(&cfg, 0);

    expect(&cfg, "jdoe", 0, "jdoe", "jdoe");
    expect(&cfg, "CORP\\jdoe", 0, "CORP\\jdoe", "CORP\\jdoe");
    expect(&cfg, "jdoe@corp.example.test", 0, "jdoe@corp.example.test",
           "jdoe@corp.example.test");
    expect(&cfg, "@x", 0, "@x", "@x");
}


static void
test_bounds(void **state)
{
    char              login[DIR_LOGIN_LEN_MAX + 2];
    dir_config_t      cfg;
    dir_login_name_t  name;

    (void) state;

    ad_config(&cfg, 3);

    memset(login, 'a', sizeof(login));

    assert_int_equal(dir_login_name_parse(&cfg, login, DIR_LOGIN_LEN_MAX,
                                          &name), 0);
    assert_int_equal(name.upn_len, DIR_LOGIN_LEN_MAX);
    assert_int_equal(dir_login_name_parse(&cfg, login,
                                          DIR_LOGIN_LEN_MAX + 1, &name), -1);
    assert_int_equal(dir_login_name_parse(&cfg, login, 0, &name), -1);
}


static void
test_domain_valid(void **state)
{
    (void) state;

    assert_true(dir_domain_valid("CORP", 4));
    assert_true(dir_domain_valid("CORP-1_x", 8));
    assert_true(dir_domain_valid("ABCDEFGHIJKLMNO", 15));
    assert_true(dir_domain_valid("corp.example.test", 17));
    assert_true(dir_domain_valid("a-b.c", 5));
    assert_true(dir_domain_valid("_msdcs.corp", 11));

    assert_false(dir_domain_valid("", 0));
    assert_false(dir_domain_valid("ABCDEFGHIJKLMNOP", 16));
    assert_false(dir_domain_valid("CO RP", 5));
    assert_false(dir_domain_valid("C*RP", 4));
    assert_false(dir_domain_valid("corp..test", 10));
    assert_false(dir_domain_valid(".corp", 5));
    assert_false(dir_domain_valid("corp.", 5));
    assert_false(dir_domain_valid("-corp.test", 10));
    assert_false(dir_domain_valid("corp-.test", 10));
    assert_false(dir_domain_valid("c\xc3\xb6rp.test", 10));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_forms_with_domains),
        cmocka_unit_test(test_forms_without_domains),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_domain_valid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
