/*
 * What a bound challenge grants one user: the portal's side, apart from
 * scep_bound.c, which the CA's verifier links alone.  The names are
 * encoded here as the CSR will carry them (scep_san.c), so that both
 * sides digest the same GeneralNames.
 */

#include <string.h>

#include <openssl/x509v3.h>

#include "scep_bound.h"
#include "scep_san.h"


int
scep_bound_entitlement(scep_entitlement_t *e, const scep_profile_t *p,
    const X509_NAME *subject, const scep_sans_t *sans, scep_error_t *err)
{
    int             rc;
    size_t          len;
    GENERAL_NAMES  *gens;

    memset(e, 0, sizeof(scep_entitlement_t));

    len = strlen(p->name);

    if (!scep_bound_profile_valid(p->name, len)) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge",
                              "a bound challenge needs a profile name of 1 "
                              "to %d characters of A-Z a-z 0-9 . _ -",
                              SCEP_BOUND_PROFILE_MAX);
    }

    memcpy(e->profile, p->name, len + 1);
    e->key_usage = p->key_usage;
    e->key_bits = p->key_bits;

    if (scep_bound_subject_digest(subject, e->subject, err) != 0) {
        return -1;
    }

    if (sans == NULL || sans->n == 0) {
        return scep_bound_san_digest(NULL, e->san, err);
    }

    /* the very names the CSR carries (scep_csr.c) */
    gens = scep_sans_encode(sans, err);
    if (gens == NULL) {
        return -1;
    }

    rc = scep_bound_san_digest(gens, e->san, err);

    GENERAL_NAMES_free(gens);

    return rc;
}
