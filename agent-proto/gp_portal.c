/*
 * One agent login, from the directory to the rendered answer.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "agent-proto/gp_group.h"
#include "agent-proto/gp_session.h"
#include "scep/scep_subject.h"


/* What agents are told; the log gets the details. */
#define GP_MSG_BAD_CREDENTIALS  "Invalid username or password"
#define GP_MSG_NOT_ALLOWED      "Your account is not allowed to use " \
                                "this portal"
#define GP_MSG_NO_PROFILE       "No certificate profile applies to your " \
                                "account"
#define GP_MSG_DIR_DOWN         "The directory is unavailable, try again " \
                                "later"
#define GP_MSG_DIR_SLOW         "The directory did not answer in time, " \
                                "try again later"
#define GP_MSG_INTERNAL         "The portal failed to answer, try again " \
                                "later"


static int gp_portal_login(gp_session_t *s, dir_t *dir,
    const gp_login_t *login, gp_portal_result_t *res);
static int gp_portal_authorize(gp_session_t *s, gp_portal_result_t *res);
static int gp_portal_subject(gp_session_t *s, const gp_login_t *login,
    gp_portal_result_t *res);
static void gp_portal_audit(gp_session_t *s, gp_portal_result_t *res);


gp_session_t *
gp_portal_begin(const gp_portal_t *portal, dir_t *dir,
    const gp_login_t *login, gp_portal_result_t *res)
{
    size_t         len;
    gp_session_t  *s;

    memset(res, 0, sizeof(*res));

    s = calloc(1, sizeof(gp_session_t));
    if (s == NULL) {
        gp_portal_error(res, GP_RESULT_FAILED, 500, GP_MSG_INTERNAL);
        return NULL;
    }

    s->portal = portal;

    /* the login as typed, for the audit line only */
    len = login->user_len < sizeof(s->login) ? login->user_len
                                             : sizeof(s->login);
    memcpy(s->login, login->user, len);
    s->audit.login = s->login;
    s->audit.login_len = len;

    if (gp_portal_login(s, dir, login, res) != 0
        || gp_portal_authorize(s, res) != 0
        || gp_portal_subject(s, login, res) != 0)
    {
        gp_portal_audit(s, res);
        gp_session_free(s);
        return NULL;
    }

    if (s->profile->mode == SCEP_MODE_ENROLL) {
        len = strlen(s->profile->name) + strlen(s->user.username) + 2;

        s->pending_key = malloc(len);
        if (s->pending_key == NULL) {
            gp_portal_error(res, GP_RESULT_FAILED, 500, GP_MSG_INTERNAL);
            gp_portal_audit(s, res);
            gp_session_free(s);
            return NULL;
        }

        snprintf(s->pending_key, len, "%s\n%s", s->profile->name,
                 s->user.username);
    }

    return s;
}


const char *
gp_session_pending_key(const gp_session_t *s)
{
    return s->pending_key;
}


const scep_profile_t *
gp_session_profile(const gp_session_t *s)
{
    return s->profile;
}


void
gp_portal_finish(gp_session_t *s, const unsigned char *resume,
    size_t resume_len, gp_portal_result_t *res)
{
    switch (s->profile->mode) {

    case SCEP_MODE_PUSH:
    case SCEP_MODE_PROXY:
        gp_portal_push(s, res);
        break;

    case SCEP_MODE_ENROLL:
        gp_portal_enroll(s, resume, resume_len, res);
        break;

    default:
        gp_portal_error(res, GP_RESULT_FAILED, 500, GP_MSG_INTERNAL);
        res->log_level = GP_LOG_ERR;
        snprintf(res->reason, sizeof(res->reason),
                 "profile \"%s\": mode %s is not available",
                 s->profile->name, scep_mode_name(s->profile->mode));
        break;
    }

    gp_portal_audit(s, res);
}


void
gp_session_free(gp_session_t *s)
{
    if (s == NULL) {
        return;
    }

    X509_NAME_free(s->subject);
    dir_user_free(&s->user);
    free(s->pending_key);
    free(s);
}


void
gp_portal_getconfig(const gp_portal_t *portal, dir_t *dir,
    const gp_login_t *login, gp_portal_result_t *res)
{
    gp_session_t  *s;

    s = gp_portal_begin(portal, dir, login, res);
    if (s == NULL) {
        return;
    }

    gp_portal_finish(s, NULL, 0, res);
    gp_session_free(s);
}


static void
gp_portal_audit(gp_session_t *s, gp_portal_result_t *res)
{
    s->audit.profile = s->profile;
    s->audit.matched = s->matched;

    gp_audit_compose(&s->audit, s->subject, res);
}


static int
gp_portal_login(gp_session_t *s, dir_t *dir, const gp_login_t *login,
    gp_portal_result_t *res)
{
    dir_error_t  err;

    memset(&err, 0, sizeof(err));

    if (dir_login_n(dir, login->user, login->user_len, login->passwd,
                    login->passwd_len, &s->user, &err)
        == 0)
    {
        s->audit.user = &s->user;
        return 0;
    }

    switch (err.code) {

    case DIR_ERR_EMPTY_PASSWORD:
    case DIR_ERR_BAD_CREDENTIALS:
        /* real portals answer 512 to a failed login */
        gp_portal_error(res, GP_RESULT_BAD_CREDENTIALS, 512,
                        GP_MSG_BAD_CREDENTIALS);
        res->log_level = GP_LOG_INFO;
        snprintf(res->reason, sizeof(res->reason), "login refused: %s",
                 err.message);
        return -1;

    case DIR_ERR_TIMEOUT:
        gp_portal_error(res, GP_RESULT_FAILED, 504, GP_MSG_DIR_SLOW);
        break;

    case DIR_ERR_UNAVAILABLE:
    case DIR_ERR_SERVER:
        gp_portal_error(res, GP_RESULT_FAILED, 502, GP_MSG_DIR_DOWN);
        break;

    default:
        gp_portal_error(res, GP_RESULT_FAILED, 500, GP_MSG_INTERNAL);
        break;
    }

    res->log_level = GP_LOG_ERR;
    snprintf(res->reason, sizeof(res->reason), "directory: %s", err.message);

    return -1;
}


static int
gp_portal_authorize(gp_session_t *s, gp_portal_result_t *res)
{
    size_t                     i;
    const gp_portal_t         *portal;
    const gp_group_profile_t  *gp;

    portal = s->portal;

    if (portal->nallow_groups) {
        for (i = 0; i < portal->nallow_groups; i++) {
            if (gp_user_in_group(&s->user, portal->allow_groups[i])) {
                break;
            }
        }

        if (i == portal->nallow_groups) {
            gp_portal_error(res, GP_RESULT_REFUSED, 403, GP_MSG_NOT_ALLOWED);
            res->log_level = GP_LOG_NOTICE;
            snprintf(res->reason, sizeof(res->reason),
                     "the user is in none of the groups of "
                     "scep_allow_group");
            return -1;
        }
    }

    for (i = 0; i < portal->ngroup_profiles; i++) {
        gp = &portal->group_profiles[i];

        if (gp_user_in_group(&s->user, gp->group)) {
            s->profile = gp->profile;
            s->matched = gp->group;
            return 0;
        }
    }

    if (portal->default_profile) {
        s->profile = portal->default_profile;
        s->matched = "default";
        return 0;
    }

    gp_portal_error(res, GP_RESULT_REFUSED, 403, GP_MSG_NO_PROFILE);
    res->log_level = GP_LOG_NOTICE;
    snprintf(res->reason, sizeof(res->reason),
             "no scep_group_profile matches the user's groups and there is "
             "no scep_default_profile");

    return -1;
}


static int
gp_portal_subject(gp_session_t *s, const gp_login_t *login,
    gp_portal_result_t *res)
{
    unsigned               tokens;
    scep_error_t           err;
    scep_subject_values_t  values;

    tokens = scep_subject_tokens(s->profile->subject_tpl);

    memset(&values, 0, sizeof(values));
    values.username = s->user.username;
    values.hostid = login->host_id;
    values.udid = login->udid;

    if (s->user.nmails) {
        values.email = s->user.mails[0];

    } else if (tokens & SCEP_TOKEN_EMAILADDRESS) {
        if (gp_portal_mailless_id(s->user.dn, s->mailless) != 0) {
            gp_portal_error(res, GP_RESULT_FAILED, 500, GP_MSG_INTERNAL);
            res->log_level = GP_LOG_ERR;
            snprintf(res->reason, sizeof(res->reason),
                     "cannot compute the mail-less identifier (SHA-1)");
            return -1;
        }

        values.email = s->mailless;
    }

    scep_error_clear(&err);

    s->subject = scep_subject_render(s->profile->subject_tpl, &values, &err);
    if (s->subject != NULL) {
        return 0;
    }

    if (strcmp(err.field, "$HOSTID") == 0 || strcmp(err.field, "$UDID") == 0)
    {
        /* the agent's own values: it can be told what to fix */
        gp_portal_error(res, GP_RESULT_BAD_REQUEST, 400, err.message);
        res->log_level = GP_LOG_INFO;

    } else {
        gp_portal_error(res, GP_RESULT_REFUSED, 403,
                        "A certificate subject cannot be made for your "
                        "account; ask your administrator");
        res->log_level = GP_LOG_WARN;
    }

    snprintf(res->reason, sizeof(res->reason), "profile \"%s\": %s",
             s->profile->name, err.message);

    return -1;
}


int
gp_portal_error(gp_portal_result_t *res, gp_result_kind_t kind, int status,
    const char *message)
{
    gp_buf_t  buf;

    res->kind = kind;
    res->status = status;

    gp_buf_init(&buf, 0);
    gp_render_error(&buf, message);

    if (buf.failed) {
        gp_buf_free(&buf);
        return -1;
    }

    res->body = gp_buf_take(&buf, &res->body_len);

    return 0;
}


void
gp_portal_result_free(gp_portal_result_t *res)
{
    if (res->pending != NULL) {
        OPENSSL_clear_free(res->pending, res->pending_len);
        res->pending = NULL;
    }

    if (res->body != NULL) {
        if (res->body_secret) {
            OPENSSL_cleanse(res->body, res->body_len);
        }

        free(res->body);
        res->body = NULL;
    }

    free(res->audit);
    res->audit = NULL;
}


const char *
gp_result_name(gp_result_kind_t kind)
{
    static const char  *names[] = {
        "settings", "issued", "pending", "refused", "bad_credentials",
        "bad_request", "busy", "failed"
    };

    if ((size_t) kind >= sizeof(names) / sizeof(names[0])) {
        return "unknown";
    }

    return names[kind];
}


/*
 * RFC 4122 version 5 (SHA-1, name-based) UUID of the lower-cased DN in
 * the project's own namespace, so that a user without mail always gets
 * the same identifier, and the identifier does not reveal the DN.
 */

int
gp_portal_mailless_id(const char *dn, char *out)
{
    static const unsigned char  ns[16] = {
        0x4e, 0x2b, 0x8c, 0x51, 0x0d, 0x6a, 0x4f, 0x93,
        0xa1, 0x7e, 0x5c, 0x20, 0x39, 0xd4, 0x86, 0xfb
    };

    int             rc;
    size_t          i, len;
    char           *lower;
    unsigned int    mdlen;
    unsigned char   md[EVP_MAX_MD_SIZE];
    EVP_MD_CTX     *ctx;

    len = strlen(dn);
    lower = malloc(len + 1);
    ctx = EVP_MD_CTX_new();
    rc = -1;

    if (lower == NULL || ctx == NULL) {
        goto done;
    }

    for (i = 0; i <= len; i++) {
        lower[i] = (dn[i] >= 'A' && dn[i] <= 'Z') ? dn[i] + 32 : dn[i];
    }

    if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1
        || EVP_DigestUpdate(ctx, ns, sizeof(ns)) != 1
        || EVP_DigestUpdate(ctx, lower, len) != 1
        || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
    {
        goto done;
    }

    md[6] = (md[6] & 0x0f) | 0x50;      /* version 5 */
    md[8] = (md[8] & 0x3f) | 0x80;      /* RFC 4122 variant */

    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7],
             md[8], md[9], md[10], md[11], md[12], md[13], md[14], md[15]);

    rc = 0;

done:

    EVP_MD_CTX_free(ctx);
    free(lower);

    return rc;
}
