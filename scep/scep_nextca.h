/*
 * GetNextCACert (RFC 8894, section 4.7): the certificate a CA will use
 * once its current one is replaced, announced ahead in a SignedData that
 * the current CA (or its RA) signs.  A client that checked the current
 * CA can so trust the next one on the current one's word.
 */

#ifndef SCEP_NEXTCA_H
#define SCEP_NEXTCA_H

#include <stddef.h>

#include <openssl/x509.h>

#include "scep_cacert.h"
#include "scep_error.h"
#include "scep_profile.h"


#define SCEP_NEXTCA_MAX_LEN  SCEP_CACERT_MAX_LEN


/*
 * Reads a GetNextCACert answer (application/x-x509-next-ca-cert): a
 * SignedData whose signature must verify with ca->verifier alone, its
 * certificates those of the next CA, carried in its certificates field or
 * as a certs-only PKCS#7 in its content.  Returns the next CA's
 * certificate: one with basicConstraints CA that is not the current CA.
 * url (display form) names the server in messages.
 */
X509 *scep_nextca_parse(const char *content_type, const unsigned char *body,
    size_t len, const scep_ca_t *ca, const char *url, scep_error_t *err);

/*
 * GetNextCACert from the profile's server, which must list GetNextCACert
 * in GetCACaps (ca->caps); else SCEP_ERR_INPUT with err->field
 * "GetNextCACert".
 */
X509 *scep_client_next_ca(const scep_profile_t *profile, const scep_ca_t *ca,
    scep_error_t *err);


#endif /* SCEP_NEXTCA_H */
