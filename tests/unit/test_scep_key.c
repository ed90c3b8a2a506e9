/*
 * RSA keys and the key pool: sizes, bounds, capacity under concurrent
 * refills.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <string.h>

#include <cmocka.h>

#include "scep/scep_key.h"
#include "scep/scep_profile.h"


static void
test_generate(void **state)
{
    EVP_PKEY      *key;
    scep_error_t   err;

    (void) state;

    key = scep_key_generate(2048, &err);
    assert_non_null(key);
    assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_RSA);
    assert_int_equal(EVP_PKEY_get_bits(key), 2048);
    EVP_PKEY_free(key);

    assert_null(scep_key_generate(512, &err));
    assert_int_equal(err.code, SCEP_ERR_INPUT);
    assert_string_equal(err.field, "key_bits");

    assert_null(scep_key_generate(SCEP_KEY_BITS_MAX + 1, &err));
    assert_int_equal(err.code, SCEP_ERR_INPUT);
}


static void
test_pool_fills_to_capacity_only(void **state)
{
    int              i;
    EVP_PKEY        *keys[3];
    scep_error_t     err;
    scep_keypool_t  *pool;

    (void) state;

    pool = scep_keypool_create(1024, 3, &err);
    assert_non_null(pool);

    assert_null(scep_keypool_take(pool));
    assert_int_equal(scep_keypool_wanted(pool), 3);

    assert_int_equal(scep_keypool_refill(pool, 2, &err), 2);
    assert_int_equal(scep_keypool_count(pool), 2);
    assert_int_equal(scep_keypool_wanted(pool), 1);

    assert_int_equal(scep_keypool_refill(pool, 10, &err), 1);
    assert_int_equal(scep_keypool_refill(pool, 10, &err), 0);
    assert_int_equal(scep_keypool_count(pool), 3);

    for (i = 0; i < 3; i++) {
        keys[i] = scep_keypool_take(pool);
        assert_non_null(keys[i]);
        assert_int_equal(EVP_PKEY_get_bits(keys[i]), 1024);
    }

    assert_null(scep_keypool_take(pool));
    assert_int_equal(EVP_PKEY_eq(keys[0], keys[1]), 0);

    for (i = 0; i < 3; i++) {
        EVP_PKEY_free(keys[i]);
    }

    /* keys left in the pool are freed with it */
    assert_int_equal(scep_keypool_refill(pool, 1, &err), 1);
    scep_keypool_destroy(pool);
}


static void
test_obtain_prefers_the_pool(void **state)
{
    EVP_PKEY        *pooled, *key;
    scep_error_t     err;
    scep_keypool_t  *pool;

    (void) state;

    pool = scep_keypool_create(1024, 1, &err);
    assert_int_equal(scep_keypool_refill(pool, 1, &err), 1);

    /* a pool of another size is not used */
    key = scep_key_obtain(pool, 2048, &err);
    assert_int_equal(EVP_PKEY_get_bits(key), 2048);
    assert_int_equal(scep_keypool_count(pool), 1);
    EVP_PKEY_free(key);

    pooled = scep_key_obtain(pool, 1024, &err);
    assert_non_null(pooled);
    assert_int_equal(scep_keypool_count(pool), 0);

    /* empty: generated on the spot */
    key = scep_key_obtain(pool, 1024, &err);
    assert_non_null(key);
    assert_int_equal(EVP_PKEY_get_bits(key), 1024);

    EVP_PKEY_free(key);
    EVP_PKEY_free(pooled);
    scep_keypool_destroy(pool);
}


static void
test_pool_bounds(void **state)
{
    scep_error_t  err;

    (void) state;

    assert_null(scep_keypool_create(2048, 0, &err));
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.field, "key_pool");

    assert_null(scep_keypool_create(2048, SCEP_KEYPOOL_MAX + 1, &err));
    assert_int_equal(err.code, SCEP_ERR_CONFIG);

    assert_null(scep_keypool_create(100, 4, &err));
    assert_string_equal(err.field, "key_bits");
}


typedef struct {
    scep_keypool_t  *pool;
    int              added;
} refiller_t;


static void *
refill_thread(void *arg)
{
    refiller_t    *r;
    scep_error_t   err;

    r = arg;
    r->added = scep_keypool_refill(r->pool, 4, &err);

    return NULL;
}


static void
test_concurrent_refills_never_overfill(void **state)
{
    int              i, total;
    pthread_t        threads[4];
    refiller_t       refillers[4];
    scep_error_t     err;
    scep_keypool_t  *pool;

    (void) state;

    /* four threads asking for 4 keys each of a pool of 6 */
    pool = scep_keypool_create(1024, 6, &err);

    for (i = 0; i < 4; i++) {
        refillers[i].pool = pool;
        refillers[i].added = -1;
        assert_int_equal(pthread_create(&threads[i], NULL, refill_thread,
                                        &refillers[i]), 0);
    }

    total = 0;

    for (i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_true(refillers[i].added >= 0);
        total += refillers[i].added;
    }

    assert_int_equal(total, 6);
    assert_int_equal(scep_keypool_count(pool), 6);
    assert_int_equal(scep_keypool_wanted(pool), 0);

    scep_keypool_destroy(pool);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_generate),
        cmocka_unit_test(test_pool_fills_to_capacity_only),
        cmocka_unit_test(test_obtain_prefers_the_pool),
        cmocka_unit_test(test_pool_bounds),
        cmocka_unit_test(test_concurrent_refills_never_overfill),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
