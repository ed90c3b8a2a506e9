/*
 * The admin endpoint: certificates made by hand through a profile (when
 * the automatic path failed, or for the portal's own devices), kept in
 * the certificate store, and a listing of that store.  Answers are JSON.
 *
 * Blocking, for a worker thread.  Access control is the location's
 * (allow/deny, auth_basic, client certificates): the endpoint itself
 * trusts whoever reaches it.
 */

#ifndef PORTAL_ADMIN_H
#define PORTAL_ADMIN_H

#include <stddef.h>

#include "portal/portal_result.h"
#include "scep/scep_pki.h"
#include "scep/scep_profile.h"


typedef struct {
    int                  status;        /* HTTP status */
    char                *body;          /* JSON, malloc'd */
    size_t               body_len;
    char                *audit;         /* one log line, escaped, or NULL */
    portal_log_level_t   log_level;
    char                 reason[PORTAL_REASON_LEN];

    /*
     * For the status page, once a request was for the CA (NULL profile
     * before): the outcome (ISSUED, PENDING, REFUSED by the CA, or
     * FAILED), the PKI's part in microseconds of the monotonic clock (-1
     * when the PKI was not asked) and the code of its failure, 0 if none.
     */
    const scep_profile_t  *profile;
    portal_result_kind_t   kind;
    long                   pki_usec;
    scep_code_t            pki_error;
} portal_admin_result_t;

/* A profile, and this process's PKI state of it (CA certificate, keys). */
typedef struct {
    const scep_profile_t  *profile;
    scep_pki_t            *pki;
} portal_admin_profile_t;


/* GET: the store as a JSON array. */
void portal_admin_list(const char *store, portal_admin_result_t *res);

/*
 * POST of a form: name (the certificate's name in the store, no spaces),
 * profile, and the values of the subject's tokens: username, email,
 * host-id, udid.  201 with the new certificate's description.
 */
void portal_admin_issue(const portal_admin_profile_t *profiles,
    size_t nprofiles, const char *store, const char *body, size_t len,
    portal_admin_result_t *res);

void portal_admin_result_free(portal_admin_result_t *res);


#endif /* PORTAL_ADMIN_H */
