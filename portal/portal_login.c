/*
 * One agent login, from the directory to the rendered answer: the two
 * steps the glue runs, and the directory's verdict as the agent sees it.
 * The groups, the subject and each mode have files of their own.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portal/portal_session.h"


/* What agents are told; the log gets the details. */
#define PORTAL_MSG_BAD_CREDENTIALS  "Invalid username or password"
#define PORTAL_MSG_DIR_DOWN         "The directory is unavailable, try " \
                                    "again later"
#define PORTAL_MSG_DIR_SLOW         "The directory did not answer in " \
                                    "time, try again later"
#define PORTAL_MSG_TOO_MANY_GROUPS  "Your account is in more groups than " \
                                    "the portal is set to check; ask your " \
                                    "administrator"


/*
 * What the directory said of an account, as the audit line gives it and
 * as the user is told.  Only states a server tells once the password
 * was proven right are told (DIR_ERR_ACCOUNT): they reveal nothing to
 * whoever does not know it, and the user can act on them.  They are
 * answered 403, not 512: GlobalProtect clients ask for the password
 * again after a 512, which cannot help here, and show a 403's reason.
 * A locked account is said by servers whatever the password: it stays
 * the usual 512, and only the log tells it.
 */
static const struct {
    const char  *reason;        /* for the audit line */
    const char  *message;       /* for the user, or NULL: not told */
} portal_accounts[DIR_ACCOUNT_LAST] = {
    [DIR_ACCOUNT_USABLE] = { "", NULL },
    [DIR_ACCOUNT_LOCKED] = { "account locked", NULL },
    [DIR_ACCOUNT_DISABLED] = {
        "account disabled",
        "Your account is disabled; ask your administrator" },
    [DIR_ACCOUNT_EXPIRED] = {
        "account expired",
        "Your account has expired; ask your administrator" },
    [DIR_ACCOUNT_PASSWORD_EXPIRED] = {
        "password expired",
        "Your password has expired; change it and log in again" },
    [DIR_ACCOUNT_MUST_CHANGE] = {
        "password must be changed",
        "You must change your password before you log in; change it and "
        "log in again" },
    [DIR_ACCOUNT_LOGON_HOURS] = {
        "outside the account's logon hours",
        "Your account may not log in at this time" },
    [DIR_ACCOUNT_WORKSTATION] = {
        "not allowed from this computer (the portal)",
        "Your account may not log in through this portal; ask your "
        "administrator" },
};


static int portal_directory(portal_session_t *s, dir_t *dir,
    const gp_login_t *login, portal_result_t *res);
static void portal_account_reason(const dir_error_t *err, char *buf,
    size_t size);
static int portal_pending_key(portal_session_t *s, portal_result_t *res);
static void portal_audit(portal_session_t *s, portal_result_t *res);


portal_session_t *
portal_login_begin(const portal_t *portal, dir_t *dir,
    const gp_login_t *login, portal_result_t *res)
{
    size_t             len;
    portal_session_t  *s;

    memset(res, 0, sizeof(*res));
    res->dir_usec = -1;
    res->pki_usec = -1;

    s = calloc(1, sizeof(portal_session_t));
    if (s == NULL) {
        portal_fail(res, PORTAL_RESULT_FAILED, 500, PORTAL_MSG_INTERNAL,
                    PORTAL_LOG_ERR, "out of memory");
        return NULL;
    }

    s->portal = portal;

    /* the login as typed, for the audit line only */
    len = login->user_len < sizeof(s->login) ? login->user_len
                                             : sizeof(s->login);
    memcpy(s->login, login->user, len);
    s->audit.login = s->login;
    s->audit.login_len = len;

    if (portal_directory(s, dir, login, res) != 0
        || portal_authorize(s, res) != 0
        || portal_subject(s, login, res) != 0
        || portal_pending_key(s, res) != 0)
    {
        portal_audit(s, res);
        portal_session_free(s);
        return NULL;
    }

    return s;
}


const char *
portal_session_pending_key(const portal_session_t *s)
{
    return s->pending_key;
}


const scep_profile_t *
portal_session_profile(const portal_session_t *s)
{
    return s->profile;
}


void
portal_login_finish(portal_session_t *s, scep_pki_t *pki,
    const unsigned char *resume, size_t resume_len, portal_result_t *res)
{
    struct timespec  start;

    switch (s->profile->mode) {

    case SCEP_MODE_PUSH:
    case SCEP_MODE_PROXY:
        portal_clock_start(&start);
        portal_push(s, res);

        /* the PKI is asked only for a dynamic challenge */
        if (s->profile->challenge == SCEP_CHALLENGE_DYNAMIC) {
            res->pki_usec = portal_clock_usec(&start);
        }

        break;

    case SCEP_MODE_ENROLL:
        portal_enroll(s, pki, resume, resume_len, res);
        break;

    default:
        portal_fail(res, PORTAL_RESULT_FAILED, 500, PORTAL_MSG_INTERNAL,
                    PORTAL_LOG_ERR, "profile \"%s\": mode %s is not "
                    "available", s->profile->name,
                    scep_mode_name(s->profile->mode));
        break;
    }

    portal_audit(s, res);
}


void
portal_session_free(portal_session_t *s)
{
    if (s == NULL) {
        return;
    }

    X509_NAME_free(s->subject);
    scep_sans_free(&s->sans);
    dir_user_free(&s->user);
    free(s->pending_key);
    free(s);
}


static int
portal_directory(portal_session_t *s, dir_t *dir, const gp_login_t *login,
    portal_result_t *res)
{
    int              rc;
    char             reason[160];
    dir_error_t      err;
    struct timespec  start;

    memset(&err, 0, sizeof(err));

    portal_clock_start(&start);

    rc = dir_login_n(dir, login->user, login->user_len, login->passwd,
                     login->passwd_len, &s->user, &err);

    res->dir_usec = portal_clock_usec(&start);

    if (rc == 0) {
        s->audit.user = &s->user;
        return 0;
    }

    res->dir_error = err.code;

    switch (err.code) {

    case DIR_ERR_EMPTY_PASSWORD:
    case DIR_ERR_BAD_CREDENTIALS:
        /* real portals answer 512 to a failed login */
        if (err.account != DIR_ACCOUNT_USABLE) {
            /* said whatever the password: for the log only */
            portal_account_reason(&err, reason, sizeof(reason));
            portal_fail(res, PORTAL_RESULT_BAD_CREDENTIALS, 512,
                        PORTAL_MSG_BAD_CREDENTIALS, PORTAL_LOG_NOTICE,
                        "%s", reason);
            break;
        }

        portal_fail(res, PORTAL_RESULT_BAD_CREDENTIALS, 512,
                    PORTAL_MSG_BAD_CREDENTIALS, PORTAL_LOG_INFO,
                    "login refused: %s", err.message);
        break;

    case DIR_ERR_ACCOUNT:
        portal_account_reason(&err, reason, sizeof(reason));

        if ((unsigned) err.account < DIR_ACCOUNT_LAST
            && portal_accounts[err.account].message != NULL
            && err.password_verified)
        {
            portal_fail(res, PORTAL_RESULT_REFUSED, 403,
                        portal_accounts[err.account].message,
                        PORTAL_LOG_NOTICE, "%s", reason);
            break;
        }

        portal_fail(res, PORTAL_RESULT_BAD_CREDENTIALS, 512,
                    PORTAL_MSG_BAD_CREDENTIALS, PORTAL_LOG_NOTICE, "%s",
                    reason);
        break;

    case DIR_ERR_SERVICE_ACCOUNT:
        /* the admin's to fix: users only learn that the portal cannot */
        portal_fail(res, PORTAL_RESULT_FAILED, 502, PORTAL_MSG_DIR_DOWN,
                    PORTAL_LOG_ERR, "directory: %s", err.message);
        break;

    case DIR_ERR_LIMIT:
        portal_fail(res, PORTAL_RESULT_REFUSED, 403,
                    PORTAL_MSG_TOO_MANY_GROUPS, PORTAL_LOG_WARN,
                    "directory: %s", err.message);
        break;

    case DIR_ERR_TIMEOUT:
        portal_fail(res, PORTAL_RESULT_FAILED, 504, PORTAL_MSG_DIR_SLOW,
                    PORTAL_LOG_ERR, "directory: %s", err.message);
        break;

    case DIR_ERR_UNAVAILABLE:
    case DIR_ERR_SERVER:
        portal_fail(res, PORTAL_RESULT_FAILED, 502, PORTAL_MSG_DIR_DOWN,
                    PORTAL_LOG_ERR, "directory: %s", err.message);
        break;

    default:
        portal_fail(res, PORTAL_RESULT_FAILED, 500, PORTAL_MSG_INTERNAL,
                    PORTAL_LOG_ERR, "directory: %s", err.message);
        break;
    }

    return -1;
}


/*
 * "account disabled (AD data 533)", "password expired (password
 * policy)": the audit line's reason for an account state.
 */

static void
portal_account_reason(const dir_error_t *err, char *buf, size_t size)
{
    const char  *what;

    what = ((unsigned) err->account < DIR_ACCOUNT_LAST
            && err->account != DIR_ACCOUNT_USABLE)
           ? portal_accounts[err->account].reason : "account refused";

    if (err->ad_code != 0) {
        snprintf(buf, size, "%s (AD data %x)", what, err->ad_code);

    } else {
        snprintf(buf, size, "%s (password policy)", what);
    }
}


/* Enroll mode: the key under which a pending request of the user waits. */

static int
portal_pending_key(portal_session_t *s, portal_result_t *res)
{
    size_t  len;

    if (s->profile->mode != SCEP_MODE_ENROLL) {
        return 0;
    }

    len = strlen(s->profile->name) + strlen(s->user.username) + 2;

    s->pending_key = malloc(len);
    if (s->pending_key == NULL) {
        portal_fail(res, PORTAL_RESULT_FAILED, 500, PORTAL_MSG_INTERNAL,
                    PORTAL_LOG_ERR, "out of memory");
        return -1;
    }

    snprintf(s->pending_key, len, "%s\n%s", s->profile->name,
             s->user.username);

    return 0;
}


static void
portal_audit(portal_session_t *s, portal_result_t *res)
{
    s->audit.profile = s->profile;
    s->audit.matched = s->matched;

    portal_audit_compose(&s->audit, s->subject, res);
}
