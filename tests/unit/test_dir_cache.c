/*
 * The group and mail cache: copies in and out, expiry on an injected
 * clock, and the bound on entries with the oldest evicted first.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ldap/dir_cache.h"


static long  fake_now;


static long
fake_clock(void)
{
    return fake_now;
}


static char  *alice_groups[] = { "cn=staff,dc=x", "cn=vpn,dc=x" };
static char  *alice_mails[] = { "alice@x.org" };


static dir_user_t
alice(void)
{
    dir_user_t  user;

    memset(&user, 0, sizeof(dir_user_t));
    user.groups = alice_groups;
    user.ngroups = 2;
    user.mails = alice_mails;
    user.nmails = 1;

    return user;
}


/* 1 on a hit, with the user's lists freed after checking them. */
static int
cached(dir_cache_t *cache, const char *dn)
{
    int         rc;
    dir_user_t  user;

    memset(&user, 0, sizeof(dir_user_t));

    rc = dir_cache_get(cache, dn, &user);
    if (rc != 1) {
        assert_null(user.groups);
        assert_null(user.mails);
        return rc;
    }

    dir_user_free(&user);

    return 1;
}


static void
put(dir_cache_t *cache, const char *dn)
{
    dir_user_t  user;

    user = alice();
    assert_int_equal(dir_cache_put(cache, dn, &user), 0);
}


static void
test_hit_returns_copies(void **state)
{
    dir_cache_t  *cache;
    dir_user_t    user, got;
    char         *groups[] = { NULL, "cn=vpn,dc=x" };
    char          group[] = "cn=staff,dc=x";

    (void) state;

    fake_now = 1000;
    cache = dir_cache_create(60, 10, fake_clock);
    assert_non_null(cache);

    groups[0] = group;
    user = alice();
    user.groups = groups;

    assert_int_equal(dir_cache_put(cache, "uid=alice,dc=x", &user), 0);

    /* the cache keeps its own copy */
    group[0] = 'X';

    memset(&got, 0, sizeof(dir_user_t));
    assert_int_equal(dir_cache_get(cache, "uid=alice,dc=x", &got), 1);
    assert_int_equal(got.ngroups, 2);
    assert_string_equal(got.groups[0], "cn=staff,dc=x");
    assert_string_equal(got.groups[1], "cn=vpn,dc=x");
    assert_int_equal(got.nmails, 1);
    assert_string_equal(got.mails[0], "alice@x.org");
    assert_null(got.dn);
    assert_null(got.username);
    dir_user_free(&got);

    /* keys are exact */
    assert_int_equal(cached(cache, "uid=bob,dc=x"), 0);
    assert_int_equal(cached(cache, "uid=alice,dc=x,"), 0);

    dir_cache_destroy(cache);
}


static void
test_empty_lists_are_cached(void **state)
{
    dir_cache_t  *cache;
    dir_user_t    user, got;

    (void) state;

    fake_now = 0;
    cache = dir_cache_create(60, 10, fake_clock);
    assert_non_null(cache);

    memset(&user, 0, sizeof(dir_user_t));
    assert_int_equal(dir_cache_put(cache, "uid=dave,dc=x", &user), 0);

    memset(&got, 0, sizeof(dir_user_t));
    assert_int_equal(dir_cache_get(cache, "uid=dave,dc=x", &got), 1);
    assert_int_equal(got.ngroups, 0);
    assert_int_equal(got.nmails, 0);
    dir_user_free(&got);

    dir_cache_destroy(cache);
}


static void
test_ttl_expiry(void **state)
{
    dir_cache_t  *cache;

    (void) state;

    fake_now = 100;
    cache = dir_cache_create(60, 10, fake_clock);
    assert_non_null(cache);

    put(cache, "uid=alice,dc=x");

    fake_now = 159;
    assert_int_equal(cached(cache, "uid=alice,dc=x"), 1);
    assert_int_equal(dir_cache_count(cache), 1);

    fake_now = 160;
    assert_int_equal(cached(cache, "uid=alice,dc=x"), 0);
    assert_int_equal(dir_cache_count(cache), 0);

    dir_cache_destroy(cache);
}


static void
test_put_again_renews(void **state)
{
    dir_cache_t  *cache;

    (void) state;

    fake_now = 0;
    cache = dir_cache_create(60, 10, fake_clock);
    assert_non_null(cache);

    put(cache, "uid=alice,dc=x");

    fake_now = 50;
    put(cache, "uid=alice,dc=x");
    assert_int_equal(dir_cache_count(cache), 1);

    fake_now = 100;
    assert_int_equal(cached(cache, "uid=alice,dc=x"), 1);

    fake_now = 110;
    assert_int_equal(cached(cache, "uid=alice,dc=x"), 0);

    dir_cache_destroy(cache);
}


static void
test_bound_evicts_oldest(void **state)
{
    dir_cache_t  *cache;

    (void) state;

    fake_now = 0;
    cache = dir_cache_create(60, 3, fake_clock);
    assert_non_null(cache);

    put(cache, "a");
    put(cache, "b");
    put(cache, "c");
    put(cache, "d");

    assert_int_equal(dir_cache_count(cache), 3);
    assert_int_equal(cached(cache, "a"), 0);
    assert_int_equal(cached(cache, "b"), 1);
    assert_int_equal(cached(cache, "c"), 1);
    assert_int_equal(cached(cache, "d"), 1);

    /* storing b again makes it the newest: c is the oldest now */
    put(cache, "b");
    put(cache, "e");

    assert_int_equal(dir_cache_count(cache), 3);
    assert_int_equal(cached(cache, "c"), 0);
    assert_int_equal(cached(cache, "b"), 1);
    assert_int_equal(cached(cache, "d"), 1);
    assert_int_equal(cached(cache, "e"), 1);

    dir_cache_destroy(cache);
}


static void
test_many_entries_stay_bounded(void **state)
{
    int           i;
    char          dn[32];
    dir_cache_t  *cache;

    (void) state;

    fake_now = 0;
    cache = dir_cache_create(60, 100, fake_clock);
    assert_non_null(cache);

    for (i = 0; i < 1000; i++) {
        snprintf(dn, sizeof(dn), "uid=user%d,dc=x", i);
        put(cache, dn);
    }

    assert_int_equal(dir_cache_count(cache), 100);
    assert_int_equal(cached(cache, "uid=user899,dc=x"), 0);
    assert_int_equal(cached(cache, "uid=user900,dc=x"), 1);
    assert_int_equal(cached(cache, "uid=user999,dc=x"), 1);

    dir_cache_destroy(cache);
}


static void
test_refuses_useless_settings(void **state)
{
    (void) state;

    assert_null(dir_cache_create(0, 10, fake_clock));
    assert_null(dir_cache_create(60, 0, fake_clock));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_hit_returns_copies),
        cmocka_unit_test(test_empty_lists_are_cached),
        cmocka_unit_test(test_ttl_expiry),
        cmocka_unit_test(test_put_again_renews),
        cmocka_unit_test(test_bound_evicts_oldest),
        cmocka_unit_test(test_many_entries_stay_bounded),
        cmocka_unit_test(test_refuses_useless_settings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
