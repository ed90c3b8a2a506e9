/*
 * Reading the CA's CertRep (RFC 8894, section 3.3.2) to one of our
 * requests: who signed it, whether it answers our transaction and nonce,
 * and what it says.
 */

#ifndef SCEP_CERTREP_H
#define SCEP_CERTREP_H

#include <stddef.h>

#include <openssl/x509.h>

#include "scep_cacert.h"
#include "scep_error.h"
#include "scep_message.h"
#include "scep_transaction.h"


/*
 * The CertRep must be signed by the CA's verifier certificate, name our
 * transactionID and echo sender_nonce as its recipientNonce.
 *
 * SUCCESS: returns the issued certificate, the one of the degenerate
 * PKCS#7 whose key is ours, which must carry the CA's signature.
 * PENDING: NULL with SCEP_ERR_PENDING.  FAILURE: NULL with
 * SCEP_ERR_FAILURE and err->field set to the failInfo name ("badRequest").
 * url (display form) names the server in messages.
 */
X509 *scep_certrep_read(const unsigned char *der, size_t len,
    const scep_ca_t *ca, const scep_transaction_t *t,
    const unsigned char *sender_nonce, int fips, const char *url,
    scep_error_t *err);


#endif /* SCEP_CERTREP_H */
