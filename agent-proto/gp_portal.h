/*
 * The portal's answer to one agent login: authenticate against the
 * directory, choose the SCEP profile from the user's groups, fill the
 * subject, obtain the challenge, and render what the agent receives.
 *
 * Plain C, blocking: the nginx module runs gp_portal_getconfig() on a
 * thread pool and only sends the result it returns.
 */

#ifndef GP_PORTAL_H
#define GP_PORTAL_H

#include <stddef.h>

#include "agent-proto/gp_render.h"
#include "agent-proto/gp_request.h"
#include "ldap/dir.h"
#include "scep/scep_profile.h"


typedef struct {
    const char            *group;     /* a group DN, or its first RDN value */
    const scep_profile_t  *profile;
} gp_group_profile_t;

typedef struct {
    const char                *name;           /* shown to agents */
    const gp_group_profile_t  *group_profiles; /* first match wins */
    size_t                     ngroup_profiles;
    const scep_profile_t      *default_profile;
    const char               **allow_groups;   /* empty: everyone */
    size_t                     nallow_groups;
    const gp_gateway_t        *gateways;
    size_t                     ngateways;
    const unsigned char       *ticket_key;     /* proxy mode's tickets */
} gp_portal_t;


typedef enum {
    GP_RESULT_SETTINGS = 0,    /* push: settings sent */
    GP_RESULT_ISSUED,          /* enroll: certificate sent */
    GP_RESULT_PENDING,         /* enroll: the CA has not decided yet */
    GP_RESULT_REFUSED,         /* the user may not have a certificate */
    GP_RESULT_BAD_CREDENTIALS,
    GP_RESULT_BAD_REQUEST,
    GP_RESULT_BUSY,            /* try again later */
    GP_RESULT_FAILED           /* a backend failed */
} gp_result_kind_t;

typedef enum {
    GP_LOG_INFO = 0,
    GP_LOG_NOTICE,
    GP_LOG_WARN,
    GP_LOG_ERR
} gp_log_level_t;

#define GP_REASON_LEN      768
#define GP_FIELD_TEXT_LEN  128

typedef struct gp_portal_result_s {
    gp_result_kind_t   kind;
    int                status;              /* HTTP status */
    int                retry_after;         /* seconds, or 0 */
    char              *body;                /* XML, malloc'd */
    size_t             body_len;
    int                body_secret;         /* wipe before freeing */

    /*
     * Enroll mode, PENDING: the transaction to resume on the user's next
     * login.  It holds the request's private key: keep it only in the
     * portal's memory and free it with gp_portal_result_free().
     */
    unsigned char     *pending;
    size_t             pending_len;

    /* one audit line: key=value pairs, every value escaped for a log */
    char              *audit;

    /* the same, one by one and raw, for the module's variables */
    char               user[GP_FIELD_TEXT_LEN];
    char               profile[GP_FIELD_TEXT_LEN];
    char               serial[GP_FIELD_TEXT_LEN];
    gp_log_level_t     log_level;
    char               reason[GP_REASON_LEN];  /* for the log, or "" */
} gp_portal_result_t;


/*
 * One login in two steps, so that the caller can look up a pending
 * enrollment of the user between them (the user is known only once
 * the directory has answered):
 *
 *   s = gp_portal_begin(...)       authenticate, choose the profile,
 *                                  render the subject; NULL when the
 *                                  answer is already in result
 *   key = gp_session_pending_key(s)  enroll mode: which pending
 *                                  transaction to look for, else NULL
 *   gp_portal_finish(s, ...)       settings, or the certificate
 *   gp_session_free(s)
 */
typedef struct gp_session_s  gp_session_t;

gp_session_t *gp_portal_begin(const gp_portal_t *portal, dir_t *dir,
    const gp_login_t *login, gp_portal_result_t *result);

/* "<profile>\n<username>", or NULL when the mode has nothing pending. */
const char *gp_session_pending_key(const gp_session_t *s);

/* The profile chosen for the user. */
const scep_profile_t *gp_session_profile(const gp_session_t *s);

/* resume: a pending transaction saved from an earlier result, or NULL. */
void gp_portal_finish(gp_session_t *s, const unsigned char *resume,
    size_t resume_len, gp_portal_result_t *result);

void gp_session_free(gp_session_t *s);

/* Both steps, without pending transactions (tests, tools). */
void gp_portal_getconfig(const gp_portal_t *portal, dir_t *dir,
    const gp_login_t *login, gp_portal_result_t *result);

/* Renders an error answer: <response status="error">...; 0 or -1. */
int gp_portal_error(gp_portal_result_t *result, gp_result_kind_t kind,
    int status, const char *message);

void gp_portal_result_free(gp_portal_result_t *result);

const char *gp_result_name(gp_result_kind_t kind);

/*
 * The stable identifier that stands for the mail address of a user
 * who has none: a name-based UUID (RFC 4122 version 5) of the user's
 * DN in lower case.  out must hold 37 bytes.
 */
int gp_portal_mailless_id(const char *dn, char *out);


#endif /* GP_PORTAL_H */
