/*
 * The challenge password that goes into one certificate request: none, the
 * profile's fixed one, a fresh one-time password from the PKI's
 * challenge service (an NDES-style mscep_admin page), or a bound
 * challenge minted for the subject (scep_bound.h).
 *
 * A dynamic password is fetched anew on every call and kept nowhere: one
 * request, one password.  The call blocks on the network: run it from a
 * worker thread.
 */

#ifndef SCEP_CHALLENGE_H
#define SCEP_CHALLENGE_H

#include <stddef.h>

#include <openssl/x509.h>

#include "scep_error.h"
#include "scep_profile.h"


/* Room for any challenge password, with its terminating NUL. */
#define SCEP_CHALLENGE_MAX  256


/*
 * Copies the challenge password for one request into out, NUL terminated
 * ("" for none).  subject and sans (NULL: none) are the request's, which
 * a bound challenge is for (and p->keys sign); the other kinds ignore
 * them.  The caller wipes out[] with OPENSSL_cleanse once the request is
 * built.  Error messages never contain the password.
 */
int scep_challenge_obtain(const scep_profile_t *p, const X509_NAME *subject,
    const scep_sans_t *sans, char *out, size_t outlen, scep_error_t *err);


#endif /* SCEP_CHALLENGE_H */
