/*
 * The issued certificate, its key and the CA chain as one PKCS#12 for the
 * agent: PBES2 (PBKDF2 with HMAC-SHA-256) and AES-256-CBC for both the
 * key and the certificates, SCEP_PKCS12_ITERATIONS rounds, a SHA-256 MAC,
 * under a random passphrase the agent receives beside it.
 */

#ifndef SCEP_PKCS12_H
#define SCEP_PKCS12_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep_error.h"


/* 24 characters of a 56-letter alphabet: about 139 bits. */
#define SCEP_PKCS12_PASSPHRASE_LEN  24
#define SCEP_PKCS12_ITERATIONS      10000

/* Characters a person cannot confuse: no 0/O, 1/l/I. */
#define SCEP_PASSPHRASE_ALPHABET                                            \
    "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


typedef struct {
    unsigned char  *der;
    size_t          der_len;
    char           *base64;        /* of der, one line */
    char            passphrase[SCEP_PKCS12_PASSPHRASE_LEN + 1];
} scep_pkcs12_t;


/*
 * chain may be NULL; friendly_name may be NULL.  On success the caller
 * owns out and must call scep_pkcs12_release(), which wipes the
 * passphrase, as soon as it has been handed over.
 */
int scep_pkcs12_create(X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain,
    const char *friendly_name, scep_pkcs12_t *out, scep_error_t *err);

void scep_pkcs12_release(scep_pkcs12_t *p12);

/* len - 1 random characters of SCEP_PASSPHRASE_ALPHABET and a NUL. */
int scep_passphrase_generate(char *buf, size_t len, scep_error_t *err);


#endif /* SCEP_PKCS12_H */
