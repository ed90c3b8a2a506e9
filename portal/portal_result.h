/*
 * What one request to the portal comes to: the answer for the agent (an
 * HTTP status and an XML body), the audit line, and the reason logged
 * beside it.  Every step of a login (directory, groups, subject, each
 * mode) ends in one of these; portal_fail() is the one way to refuse.
 */

#ifndef PORTAL_RESULT_H
#define PORTAL_RESULT_H

#include <stddef.h>
#include <time.h>

#include "ldap/dir.h"
#include "scep/scep_error.h"


typedef enum {
    PORTAL_RESULT_SETTINGS = 0,    /* push: settings sent */
    PORTAL_RESULT_ISSUED,          /* enroll: certificate sent */
    PORTAL_RESULT_PENDING,         /* enroll: the CA has not decided yet */
    PORTAL_RESULT_REFUSED,         /* the user may not have a certificate */
    PORTAL_RESULT_BAD_CREDENTIALS,
    PORTAL_RESULT_BAD_REQUEST,
    PORTAL_RESULT_BUSY,            /* try again later */
    PORTAL_RESULT_FAILED,          /* a backend failed */
    PORTAL_RESULT_KINDS            /* how many there are */
} portal_result_kind_t;

typedef enum {
    PORTAL_LOG_INFO = 0,
    PORTAL_LOG_NOTICE,
    PORTAL_LOG_WARN,
    PORTAL_LOG_ERR
} portal_log_level_t;

#define PORTAL_REASON_LEN      768
#define PORTAL_FIELD_TEXT_LEN  128
#define PORTAL_MESSAGE_LEN     256

/* What agents are told when the fault is the portal's own. */
#define PORTAL_MSG_INTERNAL    "The portal failed to answer, try again later"

typedef struct portal_result_s {
    portal_result_kind_t  kind;
    int                   status;           /* HTTP status */
    int                   retry_after;      /* seconds, or 0 */
    char                 *body;             /* XML, malloc'd */
    size_t                body_len;
    int                   body_secret;      /* wipe before freeing */

    /*
     * Enroll mode, PENDING: the transaction to resume on the user's next
     * login.  ISSUED: the finished transaction, to keep for the next
     * login only when this answer cannot reach the agent.  It holds the
     * private key: keep it only in the portal's memory or sealed
     * (scep/scep_seal.h), and free it with portal_result_free().
     */
    unsigned char        *pending;
    size_t                pending_len;

    /* one audit line: key=value pairs, every value escaped for a log */
    char                 *audit;

    /* the same, one by one and raw, for the module's variables */
    char                  user[PORTAL_FIELD_TEXT_LEN];
    char                  profile[PORTAL_FIELD_TEXT_LEN];
    char                  serial[PORTAL_FIELD_TEXT_LEN];
    portal_log_level_t    log_level;
    char                  reason[PORTAL_REASON_LEN];  /* for the log, or "" */

    /* a refusal's message, as the body has it: for the status line */
    char                  message[PORTAL_MESSAGE_LEN];

    /*
     * For the status page: how long the directory's part of the login
     * and the PKI's (challenge and SCEP transaction) took, in
     * microseconds of the monotonic clock, -1 when that backend was not
     * asked; and the code of the backend's failure, 0 when none.
     */
    long                  dir_usec;
    dir_code_t            dir_error;
    long                  pki_usec;
    scep_code_t           pki_error;
} portal_result_t;


/*
 * Ends a request with an error answer: kind and status, the message the
 * agent is shown (<response status="error">), and the reason the log
 * gets at level (printf-style; may be NULL for none).
 */
void portal_fail(portal_result_t *res, portal_result_kind_t kind, int status,
    const char *message, portal_log_level_t level, const char *reason, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/*
 * A failure of the PKI (challenge service, SCEP service) as the agent
 * is told of it, with the details for the log; what names the step
 * ("challenge", "enrollment", "CA certificate").
 */
void portal_fail_pki(portal_result_t *res, const char *profile,
    const char *what, const scep_error_t *err);

void portal_result_free(portal_result_t *res);

/* "settings", "issued", ...: the audit line's and $scep_result's word. */
const char *portal_result_name(portal_result_kind_t kind);

/*
 * Durations for the status page: portal_clock_start() notes the
 * monotonic clock, portal_clock_usec() gives the microseconds since.
 */
void portal_clock_start(struct timespec *start);
long portal_clock_usec(const struct timespec *start);


#endif /* PORTAL_RESULT_H */
