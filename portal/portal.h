/*
 * The portal's answer to one agent login: authenticate against the
 * directory, choose the SCEP profile from the user's groups, fill the
 * subject, obtain the challenge, and render what the agent receives.
 *
 * Plain C, blocking, nginx-free: the module runs these calls on a
 * thread pool and only sends the result they return.  A portal_t is
 * configuration, read-only once built; what changes at run time (the
 * directory's connections, a profile's CA certificate and key pool) is
 * handed in by the caller.
 */

#ifndef PORTAL_H
#define PORTAL_H

#include <stddef.h>

#include "agent-proto/gp_render.h"
#include "agent-proto/gp_request.h"
#include "ldap/dir.h"
#include "portal/portal_result.h"
#include "scep/scep_pki.h"
#include "scep/scep_profile.h"


typedef struct {
    const char            *group;     /* a group DN, or its first RDN value */
    const scep_profile_t  *profile;
} portal_group_profile_t;

typedef struct {
    const char                    *name;           /* shown to agents */
    const char                    *version;        /* GlobalProtect's */
    const portal_group_profile_t  *group_profiles; /* first match wins */
    size_t                         ngroup_profiles;
    const scep_profile_t          *default_profile;
    const char                   **allow_groups;   /* empty: everyone */
    size_t                         nallow_groups;
    const gp_gateway_t            *gateways;       /* external */
    size_t                         ngateways;
    const gp_gateway_t            *internal_gateways;
    size_t                         ninternal_gateways;
    const gp_host_detection_t     *host_detection; /* NULL: none */
    const scep_keyring_t          *keys;           /* proxy mode's tickets */
} portal_t;


/*
 * One login in two steps, so that the caller can look up a pending
 * enrollment of the user between them (the user is known only once
 * the directory has answered):
 *
 *   s = portal_login_begin(...)      authenticate, choose the profile,
 *                                    render the subject; NULL when the
 *                                    answer is already in result
 *   key = portal_session_pending_key(s)  enroll mode: which pending
 *                                    transaction to look for, else NULL
 *   portal_login_finish(s, pki, ...) settings, or the certificate
 *                                    (portal_login_finish_stored() of
 *                                    portal_pending.h reads and writes
 *                                    back the pending transaction itself)
 *   portal_session_free(s)
 */
typedef struct portal_session_s  portal_session_t;

portal_session_t *portal_login_begin(const portal_t *portal, dir_t *dir,
    const gp_login_t *login, portal_result_t *result);

/* "<profile>\n<username>", or NULL when the mode has nothing pending. */
const char *portal_session_pending_key(const portal_session_t *s);

/* The profile chosen for the user. */
const scep_profile_t *portal_session_profile(const portal_session_t *s);

/*
 * pki: this process's PKI state of the session's profile (its CA
 * certificate and key pool), which enroll mode needs; NULL otherwise.
 * resume: a pending transaction saved from an earlier result, or NULL.
 */
void portal_login_finish(portal_session_t *s, scep_pki_t *pki,
    const unsigned char *resume, size_t resume_len, portal_result_t *result);

void portal_session_free(portal_session_t *s);


#endif /* PORTAL_H */
