/*
 * The PKCS#10 request inside a PKCSReq: the rendered subject, the public
 * key, an extensionRequest with the user's subject alternative names and
 * the profile's keyUsage, and the challenge password, signed with the
 * profile's digest.
 */

#ifndef SCEP_CSR_H
#define SCEP_CSR_H

#include <stddef.h>

#include <openssl/x509.h>

#include "scep_error.h"
#include "scep_profile.h"
#include "scep_san.h"



/*
 * sans: the names made for this user (scep_san_render()), or NULL for
 * none; challenge may be NULL (no challenge).  The request holds the
 * challenge: release it with scep_csr_free(), which wipes it.
 */
X509_REQ *scep_csr_build(const scep_profile_t *profile, EVP_PKEY *key,
    const X509_NAME *subject, const scep_sans_t *sans, const char *challenge,
    scep_error_t *err);

/* DER of the request; *der is OPENSSL_malloc'd: OPENSSL_clear_free it. */
int scep_csr_der(X509_REQ *req, unsigned char **der, size_t *len,
    scep_error_t *err);

/* Overwrites the challenge password held by the request with zeros. */
void scep_csr_wipe(X509_REQ *req);

/* Wipes, then frees; NULL is fine. */
void scep_csr_free(X509_REQ *req);


#endif /* SCEP_CSR_H */
