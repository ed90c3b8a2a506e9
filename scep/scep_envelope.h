/*
 * The pkcsPKIEnvelope (RFC 8894, section 3.3): a CMS EnvelopedData with
 * one RSA key-transport recipient, content encrypted with AES or DES3.
 */

#ifndef SCEP_ENVELOPE_H
#define SCEP_ENVELOPE_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep_error.h"


/* Encrypts content to recipient; *der is OPENSSL_malloc'd. */
int scep_envelope_seal(const unsigned char *content, size_t len,
    X509 *recipient, const EVP_CIPHER *cipher, unsigned char **der,
    size_t *der_len, scep_error_t *err);

/*
 * Decrypts an envelope addressed to cert with key.  *out is
 * OPENSSL_malloc'd and may hold a challenge password: OPENSSL_clear_free
 * it.  With allow_legacy, single DES (which servers built on older PKCS#7
 * libraries still use for CertRep, whose content is only certificates) is
 * accepted through OpenSSL's legacy provider, in a library context of its
 * own so that the rest of the process is not affected.
 */
int scep_envelope_open(const unsigned char *der, size_t len, X509 *cert,
    EVP_PKEY *key, int allow_legacy, unsigned char **out, size_t *out_len,
    scep_error_t *err);


#endif /* SCEP_ENVELOPE_H */
