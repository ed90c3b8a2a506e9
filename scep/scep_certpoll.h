/*
 * The content of a CertPoll (GetCertInitial, RFC 8894, section 3.3.3):
 * IssuerAndSubject, naming the CA and the subject of the pending request.
 */

#ifndef SCEP_CERTPOLL_H
#define SCEP_CERTPOLL_H

#include <stddef.h>

#include <openssl/x509.h>

#include "scep_error.h"


/* *der is OPENSSL_malloc'd. */
int scep_certpoll_encode(const X509_NAME *issuer, const X509_NAME *subject,
    unsigned char **der, size_t *len, scep_error_t *err);

/* The responder's side; *issuer and *subject are the caller's to free. */
int scep_certpoll_decode(const unsigned char *der, size_t len,
    X509_NAME **issuer, X509_NAME **subject, scep_error_t *err);


#endif /* SCEP_CERTPOLL_H */
