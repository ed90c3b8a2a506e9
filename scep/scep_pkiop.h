/*
 * One PKIOperation round trip: a signed, encrypted request out by POST
 * or GET (as the CA's capabilities allow), its CertRep back and read.
 * Also the GET operations that come before it, and the URL shown in
 * messages.
 */

#ifndef SCEP_PKIOP_H
#define SCEP_PKIOP_H

#include <stddef.h>

#include <openssl/x509.h>

#include "scep_cacert.h"
#include "scep_error.h"
#include "scep_http.h"
#include "scep_message.h"
#include "scep_profile.h"
#include "scep_transaction.h"


/* The server URL as messages show it: cut, without user information. */
#define SCEP_URL_SHOWN  96


/*
 * GET <server>?operation=<operation>&message=<CA-IDENT>; any answer other
 * than HTTP 200 is an error.  Free *resp with scep_http_response_free().
 */
int scep_pkiop_get(const scep_profile_t *profile, const char *operation,
    size_t max_response, scep_http_response_t *resp, scep_error_t *err);

/*
 * Builds one request of the transaction, signed with t->signer and t->key
 * and encrypted to the CA's recipient, under a fresh senderNonce (in
 * *msg).  *der is OPENSSL_malloc'd.
 */
int scep_pkiop_build(const scep_ca_t *ca, const scep_transaction_t *t,
    scep_msg_type_t type, const unsigned char *content, size_t len,
    scep_msg_t *msg, unsigned char **der, size_t *der_len, scep_error_t *err);

/*
 * Sends one request of the transaction (PKCSReq or RenewalReq with the
 * DER CSR, or CertPoll with IssuerAndSubject) under a fresh senderNonce
 * and reads the CertRep, as scep_certrep_read() does.
 */
X509 *scep_pkiop_send(const scep_profile_t *profile, const scep_ca_t *ca,
    const scep_transaction_t *t, scep_msg_type_t type,
    const unsigned char *content, size_t len, scep_error_t *err);


#endif /* SCEP_PKIOP_H */
