/*
 * The admin endpoint: certificates made by hand through a profile (when
 * the automatic path failed, or for the portal's own devices), kept in
 * the certificate store, and a listing of that store.  Answers are JSON.
 *
 * Blocking, for a worker thread.  Access control is the location's
 * (allow/deny, auth_basic, client certificates): the endpoint itself
 * trusts whoever reaches it.
 */

#ifndef GP_ADMIN_H
#define GP_ADMIN_H

#include <stddef.h>

#include "agent-proto/gp_portal.h"
#include "scep/scep_profile.h"


typedef struct {
    int              status;        /* HTTP status */
    char            *body;          /* JSON, malloc'd */
    size_t           body_len;
    char            *audit;         /* one log line, escaped, or NULL */
    gp_log_level_t   log_level;
    char             reason[GP_REASON_LEN];
} gp_admin_result_t;


/* GET: the store as a JSON array. */
void gp_admin_list(const char *store, gp_admin_result_t *res);

/*
 * POST of a form: name (the certificate's name in the store, no spaces),
 * profile, and the values of the subject's tokens: username, email,
 * host-id, udid.  201 with the new certificate's description.
 */
void gp_admin_issue(const scep_profile_t *const *profiles, size_t nprofiles,
    const char *store, const char *body, size_t len, gp_admin_result_t *res);

void gp_admin_result_free(gp_admin_result_t *res);


#endif /* GP_ADMIN_H */
