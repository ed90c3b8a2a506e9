/*
 * RSA keys for requests, and an optional pool of keys generated ahead of
 * time, so that an enrollment does not wait for a 2048- or 4096-bit key.
 *
 * The nginx module keeps one pool per profile and drives
 * scep_keypool_refill() from its thread pool (never on the event loop);
 * a request takes a key with scep_keypool_take() and generates one itself
 * only when the pool is empty.
 */

#ifndef SCEP_KEY_H
#define SCEP_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

#include "scep_error.h"


/* A pool holds at most this many keys: each one is a secret in memory. */
#define SCEP_KEYPOOL_MAX  1024


typedef struct scep_keypool_s  scep_keypool_t;


/* A new RSA key, exponent 65537; bits within the profile's limits. */
EVP_PKEY *scep_key_generate(int bits, scep_error_t *err);

scep_keypool_t *scep_keypool_create(int bits, size_t capacity,
    scep_error_t *err);

/* Frees every key still in the pool; no refill may be running. */
void scep_keypool_destroy(scep_keypool_t *pool);

/* A pre-generated key, now the caller's (EVP_PKEY_free), or NULL. */
EVP_PKEY *scep_keypool_take(scep_keypool_t *pool);

/*
 * Generates up to max_to_generate keys, no more than the pool lacks
 * (counting keys other threads are generating), outside the lock.
 * Returns the number of keys added, or -1 with err set.
 */
int scep_keypool_refill(scep_keypool_t *pool, size_t max_to_generate,
    scep_error_t *err);

size_t scep_keypool_count(scep_keypool_t *pool);

/* Keys the pool lacks, not counting keys being generated. */
size_t scep_keypool_wanted(scep_keypool_t *pool);

/* A key, from the pool if one is ready (pool may be NULL), else new. */
EVP_PKEY *scep_key_obtain(scep_keypool_t *pool, int bits, scep_error_t *err);


#endif /* SCEP_KEY_H */
