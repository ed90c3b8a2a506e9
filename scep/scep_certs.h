/*
 * Certificate helpers shared by the SCEP messages: the degenerate
 * "certs-only" PKCS#7 that carries certificates in GetCACert answers and
 * in CertRep, fingerprints, and names printed for people.
 */

#ifndef SCEP_CERTS_H
#define SCEP_CERTS_H

#include <stddef.h>

#include <openssl/x509.h>

#include "scep_error.h"


/* A CA with its RA certificates and a chain fits easily. */
#define SCEP_CERTS_MAX        16

/* Enough for the longest fingerprint (SHA-256) in hex. */
#define SCEP_FINGERPRINT_HEX  (2 * 32 + 1)

/* Names in messages are cut here to leave room for the sentence. */
#define SCEP_NAME_TEXT_LEN    96


/*
 * Reads a certs-only PKCS#7 SignedData; at most SCEP_CERTS_MAX, at least
 * one certificate.  Messages say what was wrong, not where it came from.
 */
STACK_OF(X509) *scep_certs_from_pkcs7(const unsigned char *der, size_t len,
    scep_error_t *err);

/* Writes certificates as a certs-only PKCS#7; *der is OPENSSL_malloc'd. */
int scep_certs_to_pkcs7(STACK_OF(X509) *certs, unsigned char **der,
    size_t *len, scep_error_t *err);

/* SHA-1 (len 20) or SHA-256 (len 32) of the DER certificate. */
int scep_cert_fingerprint(X509 *cert, size_t len, unsigned char *out);

/* Upper-case hex, NUL-terminated; out holds 2 * len + 1 bytes. */
void scep_hex(const unsigned char *in, size_t len, char *out);

/* RFC 2253 text of a name, cut to fit; never fails. */
void scep_name_text(const X509_NAME *name, char *buf, size_t len);

/* Frees a stack and its certificates; NULL is fine. */
void scep_certs_free(STACK_OF(X509) *certs);


#endif /* SCEP_CERTS_H */
