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


static int portal_directory(portal_session_t *s, dir_t *dir,
    const gp_login_t *login, portal_result_t *res);
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
    dir_user_free(&s->user);
    free(s->pending_key);
    free(s);
}


static int
portal_directory(portal_session_t *s, dir_t *dir, const gp_login_t *login,
    portal_result_t *res)
{
    int              rc;
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
        portal_fail(res, PORTAL_RESULT_BAD_CREDENTIALS, 512,
                    PORTAL_MSG_BAD_CREDENTIALS, PORTAL_LOG_INFO,
                    "login refused: %s", err.message);
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
