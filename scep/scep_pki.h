/*
 * What one process knows of one profile's PKI while it runs: the CA
 * certificate fetched at start (GetCACert, checked against the profile's
 * fingerprint) and the pool of keys generated ahead of time.
 *
 * Shared by the threads that enroll: the CA is handed out with a
 * reference, so a refresh can replace it while enrollments still use
 * the old one.
 */

#ifndef SCEP_PKI_H
#define SCEP_PKI_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "scep_cacert.h"
#include "scep_error.h"
#include "scep_key.h"
#include "scep_profile.h"


typedef struct scep_pki_s      scep_pki_t;
typedef struct scep_pki_ca_s   scep_pki_ca_t;

struct scep_pki_ca_s {
    scep_ca_t     *ca;
    unsigned       refs;
};


/*
 * store_dir (may be NULL) is where the CA certificates are kept; the
 * profile's key_pool sets the pool's size.
 */
scep_pki_t *scep_pki_create(const scep_profile_t *profile,
    const char *store_dir, scep_error_t *err);

/* No fetch or refill may be running. */
void scep_pki_destroy(scep_pki_t *pki);

/*
 * Blocking: GetCACert, the fingerprint check, GetCACaps; on success the
 * CA is saved in the store and replaces the current one.  On failure the
 * error is kept, for enrollments to report until a fetch succeeds.
 */
int scep_pki_fetch_ca(scep_pki_t *pki, scep_error_t *err);

/*
 * Before the first fetch of a process: takes the copy an earlier process
 * (or another portal sharing the store) saved, checked as a fetched one
 * is (the pinned fingerprint, the algorithms) and still valid, so that a
 * worker a reload has just started enrolls at once rather than answer
 * "no CA certificate yet" until its own GetCACert returns; the fetch
 * that follows replaces it.  Blocking (it reads the store, which may be
 * a network file system): 1 when it was taken.
 */
int scep_pki_use_stored(scep_pki_t *pki);

/* The current CA with a reference, or NULL with the reason in err. */
scep_pki_ca_t *scep_pki_ca_acquire(scep_pki_t *pki, scep_error_t *err);
void scep_pki_ca_release(scep_pki_t *pki, scep_pki_ca_t *ca);

/*
 * For an enrollment, blocking: the current CA, or before the process's
 * first fetch has succeeded, the copy kept in the store.
 */
scep_pki_ca_t *scep_pki_ca_for_enrollment(scep_pki_t *pki,
    scep_error_t *err);

/* A key for one request: from the pool when one is ready, else new. */
EVP_PKEY *scep_pki_key(scep_pki_t *pki, scep_error_t *err);

/* Keys the pool lacks (0 without a pool); refill is blocking. */
size_t scep_pki_keys_wanted(scep_pki_t *pki);
int scep_pki_keys_refill(scep_pki_t *pki, scep_error_t *err);

/* For the status page: keys ready in the pool (0 without a pool). */
size_t scep_pki_keys_ready(scep_pki_t *pki);

/*
 * For the status page: the current CA certificate's notAfter as a Unix
 * time, or 0 when there is no CA certificate.
 */
time_t scep_pki_ca_not_after(scep_pki_t *pki);


#endif /* SCEP_PKI_H */
