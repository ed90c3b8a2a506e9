/*
 * The certificate store: one directory holding, per profile, the CA
 * certificates fetched at start or reload, and the certificates made by
 * manual CSR, each with its key.
 *
 *   ca-<profile>.pem     the CA certificate                   0644
 *   ra-<profile>.pem     RA certificates and chain, if any    0644
 *   caps-<profile>.txt   the CA's GetCACaps keywords          0644
 *   cert-<name>.pem      a named certificate, then its chain  0644
 *   key-<name>.pem       its private key (PKCS#8)             0600
 *   meta-<name>.txt      "profile=<profile>"                  0644
 *
 * Every file is written whole to a temporary file and renamed into
 * place, so a reader never sees half a file.  Names and profile names
 * are 1 to 64 characters of [A-Za-z0-9._-].
 */

#ifndef SCEP_STORE_H
#define SCEP_STORE_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep_cacert.h"
#include "scep_error.h"
#include "scep_profile.h"


#define SCEP_STORE_NAME_MAX   64

/* Bounds on what is read back: a file, and entries in a listing. */
#define SCEP_STORE_FILE_MAX   (256 * 1024)
#define SCEP_STORE_LIST_MAX   4096


/* 1 when name is 1 to 64 characters of [A-Za-z0-9._-]. */
int scep_store_name_valid(const char *name);

/* Saves (replacing) the CA of the profile named profile_name. */
int scep_store_save_ca(const char *dir, const char *profile_name,
    const scep_ca_t *ca, scep_error_t *err);

/*
 * Loads the CA saved for profile->name and checks it as a fetched one
 * is checked: selection, the pinned fingerprint, the algorithms under
 * the profile's FIPS rule.
 */
scep_ca_t *scep_store_load_ca(const char *dir, const scep_profile_t *profile,
    scep_error_t *err);

/*
 * Saves a named certificate (chain may be NULL), its key and the profile
 * it came through.  An existing name is refused, never replaced.
 */
int scep_store_save_cert(const char *dir, const char *name,
    const char *profile_name, X509 *cert, STACK_OF(X509) *chain,
    EVP_PKEY *key, scep_error_t *err);

/*
 * The store as a JSON array, sorted by name, one object per certificate:
 * kind ("ca", "ra" or "certificate"), name, profile, subject, issuer,
 * serial (hex), not_before, not_after (ISO 8601, UTC).  *json is
 * malloc'd and NUL-terminated.
 */
int scep_store_list(const char *dir, char **json, size_t *len,
    scep_error_t *err);


#endif /* SCEP_STORE_H */
