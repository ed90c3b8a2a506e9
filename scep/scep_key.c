#include <pthread.h>
#include <stdlib.h>

#include <openssl/rsa.h>

#include "scep_key.h"
#include "scep_profile.h"


struct scep_keypool_s {
    pthread_mutex_t   lock;
    int               bits;
    size_t            capacity;
    size_t            count;
    size_t            generating;   /* reserved by running refills */
    EVP_PKEY        **keys;
};


EVP_PKEY *
scep_key_generate(int bits, scep_error_t *err)
{
    EVP_PKEY  *key;

    if (bits < SCEP_KEY_BITS_MIN || bits > SCEP_KEY_BITS_MAX) {
        scep_error_set(err, SCEP_ERR_INPUT, "key_bits",
                       "an RSA key of %d bits is outside %d..%d",
                       bits, SCEP_KEY_BITS_MIN, SCEP_KEY_BITS_MAX);
        return NULL;
    }

    key = EVP_RSA_gen((unsigned int) bits);

    if (key == NULL) {
        scep_error_set(err, SCEP_ERR_INTERNAL, "key_bits",
                       "cannot generate an RSA key of %d bits", bits);
        scep_error_add_openssl(err);
    }

    return key;
}


scep_keypool_t *
scep_keypool_create(int bits, size_t capacity, scep_error_t *err)
{
    scep_keypool_t  *pool;

    if (bits < SCEP_KEY_BITS_MIN || bits > SCEP_KEY_BITS_MAX) {
        scep_error_set(err, SCEP_ERR_CONFIG, "key_bits",
                       "an RSA key of %d bits is outside %d..%d",
                       bits, SCEP_KEY_BITS_MIN, SCEP_KEY_BITS_MAX);
        return NULL;
    }

    if (capacity == 0 || capacity > SCEP_KEYPOOL_MAX) {
        scep_error_set(err, SCEP_ERR_CONFIG, "key_pool",
                       "a key pool holds 1 to %d keys, not %zu",
                       SCEP_KEYPOOL_MAX, capacity);
        return NULL;
    }

    pool = calloc(1, sizeof(scep_keypool_t));
    if (pool == NULL) {
        goto nomem;
    }

    pool->keys = calloc(capacity, sizeof(EVP_PKEY *));
    if (pool->keys == NULL) {
        free(pool);
        goto nomem;
    }

    if (pthread_mutex_init(&pool->lock, NULL) != 0) {
        free(pool->keys);
        free(pool);
        goto nomem;
    }

    pool->bits = bits;
    pool->capacity = capacity;

    return pool;

nomem:

    scep_error_set(err, SCEP_ERR_NOMEM, "key_pool",
                   "out of memory for a key pool of %zu keys", capacity);
    return NULL;
}


void
scep_keypool_destroy(scep_keypool_t *pool)
{
    size_t  i;

    if (pool == NULL) {
        return;
    }

    for (i = 0; i < pool->count; i++) {
        EVP_PKEY_free(pool->keys[i]);
    }

    pthread_mutex_destroy(&pool->lock);
    free(pool->keys);
    free(pool);
}


EVP_PKEY *
scep_keypool_take(scep_keypool_t *pool)
{
    EVP_PKEY  *key;

    key = NULL;

    pthread_mutex_lock(&pool->lock);

    if (pool->count > 0) {
        pool->count--;
        key = pool->keys[pool->count];
        pool->keys[pool->count] = NULL;
    }

    pthread_mutex_unlock(&pool->lock);

    return key;
}


int
scep_keypool_refill(scep_keypool_t *pool, size_t max_to_generate,
    scep_error_t *err)
{
    int        added;
    size_t     want, done;
    EVP_PKEY  *key;

    pthread_mutex_lock(&pool->lock);

    want = pool->capacity - pool->count - pool->generating;
    if (want > max_to_generate) {
        want = max_to_generate;
    }

    pool->generating += want;

    pthread_mutex_unlock(&pool->lock);

    added = 0;

    for (done = 0; done < want; done++) {

        /* the slow part runs unlocked: takers are never held up */
        key = scep_key_generate(pool->bits, err);

        pthread_mutex_lock(&pool->lock);

        if (key == NULL) {
            pool->generating -= want - done;
            pthread_mutex_unlock(&pool->lock);
            return -1;
        }

        /* the reservation guarantees a free slot */
        pool->generating--;
        pool->keys[pool->count++] = key;

        pthread_mutex_unlock(&pool->lock);

        added++;
    }

    return added;
}


size_t
scep_keypool_count(scep_keypool_t *pool)
{
    size_t  n;

    pthread_mutex_lock(&pool->lock);
    n = pool->count;
    pthread_mutex_unlock(&pool->lock);

    return n;
}


size_t
scep_keypool_wanted(scep_keypool_t *pool)
{
    size_t  n;

    pthread_mutex_lock(&pool->lock);
    n = pool->capacity - pool->count - pool->generating;
    pthread_mutex_unlock(&pool->lock);

    return n;
}


EVP_PKEY *
scep_key_obtain(scep_keypool_t *pool, int bits, scep_error_t *err)
{
    EVP_PKEY  *key;

    if (pool != NULL && pool->bits == bits) {
        key = scep_keypool_take(pool);

        if (key != NULL) {
            return key;
        }
    }

    return scep_key_generate(bits, err);
}
