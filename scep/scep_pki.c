/*
 * A profile's PKI at run time: the current CA and the key pool.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "scep_client.h"
#include "scep_pki.h"
#include "scep_store.h"


struct scep_pki_s {
    const scep_profile_t  *profile;
    const char            *store_dir;
    scep_keypool_t        *keys;

    pthread_mutex_t        lock;
    scep_pki_ca_t         *current;    /* NULL until a fetch succeeds */
    scep_error_t           last;       /* why there is none */
};


static void scep_pki_ca_unref(scep_pki_ca_t *ref);


scep_pki_t *
scep_pki_create(const scep_profile_t *profile, const char *store_dir,
    scep_error_t *err)
{
    scep_pki_t  *pki;

    pki = calloc(1, sizeof(scep_pki_t));
    if (pki == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    pki->profile = profile;
    pki->store_dir = store_dir;

    if (profile->key_pool > 0) {
        pki->keys = scep_keypool_create(profile->key_bits, profile->key_pool,
                                        err);
        if (pki->keys == NULL) {
            free(pki);
            return NULL;
        }
    }

    if (pthread_mutex_init(&pki->lock, NULL) != 0) {
        scep_keypool_destroy(pki->keys);
        free(pki);
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot create a mutex");
        return NULL;
    }

    scep_error_set(&pki->last, SCEP_ERR_CA_CERT, "server_url",
                   "the CA certificate of profile \"%s\" has not been "
                   "fetched yet", profile->name);

    return pki;
}


void
scep_pki_destroy(scep_pki_t *pki)
{
    if (pki == NULL) {
        return;
    }

    if (pki->current != NULL) {
        scep_pki_ca_unref(pki->current);
    }

    scep_keypool_destroy(pki->keys);
    pthread_mutex_destroy(&pki->lock);
    free(pki);
}


int
scep_pki_fetch_ca(scep_pki_t *pki, scep_error_t *err)
{
    scep_ca_t      *ca;
    scep_pki_ca_t  *ref, *old;

    /* enrollments need not wait for the network: see scep_pki.h */
    (void) scep_pki_use_stored(pki);

    ca = scep_client_fetch_ca(pki->profile, err);

    if (ca != NULL && pki->store_dir != NULL
        && scep_store_save_ca(pki->store_dir, pki->profile->name, ca, err)
           != 0)
    {
        scep_ca_free(ca);
        ca = NULL;
    }

    ref = NULL;

    if (ca != NULL) {
        ref = malloc(sizeof(scep_pki_ca_t));
        if (ref == NULL) {
            scep_ca_free(ca);
            scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        }
    }

    pthread_mutex_lock(&pki->lock);

    if (ref == NULL) {
        /*
         * A CA that was fine stays in use while its server is briefly
         * away; one that no longer matches the fingerprint does not.
         */
        if (err->code == SCEP_ERR_CA_FINGERPRINT && pki->current != NULL) {
            scep_pki_ca_unref(pki->current);
            pki->current = NULL;
        }

        pki->last = *err;
        pthread_mutex_unlock(&pki->lock);
        return -1;
    }

    ref->ca = ca;
    ref->refs = 1;

    old = pki->current;
    pki->current = ref;
    scep_error_clear(&pki->last);

    pthread_mutex_unlock(&pki->lock);

    if (old != NULL) {
        scep_pki_ca_release(pki, old);
    }

    return 0;
}


scep_pki_ca_t *
scep_pki_ca_acquire(scep_pki_t *pki, scep_error_t *err)
{
    scep_pki_ca_t  *ref;

    pthread_mutex_lock(&pki->lock);

    ref = pki->current;

    if (ref != NULL) {
        ref->refs++;

    } else {
        *err = pki->last;
    }

    pthread_mutex_unlock(&pki->lock);

    return ref;
}


void
scep_pki_ca_release(scep_pki_t *pki, scep_pki_ca_t *ref)
{
    unsigned  refs;

    if (ref == NULL) {
        return;
    }

    pthread_mutex_lock(&pki->lock);
    refs = --ref->refs;
    pthread_mutex_unlock(&pki->lock);

    if (refs == 0) {
        scep_ca_free(ref->ca);
        free(ref);
    }
}


scep_pki_ca_t *
scep_pki_ca_for_enrollment(scep_pki_t *pki, scep_error_t *err)
{
    scep_pki_ca_t  *ca;

    ca = scep_pki_ca_acquire(pki, err);

    if (ca == NULL && err->code != SCEP_ERR_CA_FINGERPRINT
        && scep_pki_use_stored(pki))
    {
        ca = scep_pki_ca_acquire(pki, err);
    }

    return ca;
}


int
scep_pki_use_stored(scep_pki_t *pki)
{
    int             current;
    scep_ca_t      *ca;
    scep_error_t    err;
    scep_pki_ca_t  *ref;

    if (pki->store_dir == NULL) {
        return 0;
    }

    pthread_mutex_lock(&pki->lock);
    current = (pki->current != NULL);
    pthread_mutex_unlock(&pki->lock);

    if (current) {
        return 0;
    }

    ca = scep_store_load_ca(pki->store_dir, pki->profile, &err);
    if (ca == NULL) {
        return 0;
    }

    if (X509_cmp_current_time(X509_get0_notAfter(ca->ca)) <= 0) {
        scep_ca_free(ca);
        return 0;
    }

    ref = malloc(sizeof(scep_pki_ca_t));
    if (ref == NULL) {
        scep_ca_free(ca);
        return 0;
    }

    ref->ca = ca;
    ref->refs = 1;

    pthread_mutex_lock(&pki->lock);

    if (pki->current == NULL) {
        pki->current = ref;
        scep_error_clear(&pki->last);
        ref = NULL;
    }

    pthread_mutex_unlock(&pki->lock);

    if (ref != NULL) {
        scep_pki_ca_unref(ref);
        return 0;
    }

    return 1;
}


static void
scep_pki_ca_unref(scep_pki_ca_t *ref)
{
    if (--ref->refs == 0) {
        scep_ca_free(ref->ca);
        free(ref);
    }
}


EVP_PKEY *
scep_pki_key(scep_pki_t *pki, scep_error_t *err)
{
    return scep_key_obtain(pki->keys, pki->profile->key_bits, err);
}


size_t
scep_pki_keys_wanted(scep_pki_t *pki)
{
    return pki->keys ? scep_keypool_wanted(pki->keys) : 0;
}


int
scep_pki_keys_refill(scep_pki_t *pki, scep_error_t *err)
{
    if (pki->keys == NULL) {
        return 0;
    }

    return scep_keypool_refill(pki->keys, pki->profile->key_pool, err) < 0
           ? -1 : 0;
}


size_t
scep_pki_keys_ready(scep_pki_t *pki)
{
    return pki->keys ? scep_keypool_count(pki->keys) : 0;
}


time_t
scep_pki_ca_not_after(scep_pki_t *pki)
{
    time_t      t;
    struct tm   tm;

    t = 0;

    pthread_mutex_lock(&pki->lock);

    if (pki->current != NULL
        && ASN1_TIME_to_tm(X509_get0_notAfter(pki->current->ca->ca), &tm)
           == 1)
    {
        t = timegm(&tm);
    }

    pthread_mutex_unlock(&pki->lock);

    return t;
}
