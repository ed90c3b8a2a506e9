/*
 * The outcome of one request to the portal, and the one way to refuse.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "agent-proto/gp_render.h"
#include "portal/portal_result.h"


void
portal_fail(portal_result_t *res, portal_result_kind_t kind, int status,
    const char *message, portal_log_level_t level, const char *reason, ...)
{
    va_list   args;
    gp_buf_t  buf;

    res->kind = kind;
    res->status = status;
    res->log_level = level;
    res->reason[0] = '\0';
    snprintf(res->message, sizeof(res->message), "%s", message);

    if (reason != NULL) {
        va_start(args, reason);
        vsnprintf(res->reason, sizeof(res->reason), reason, args);
        va_end(args);
    }

    free(res->body);
    res->body = NULL;
    res->body_len = 0;

    gp_buf_init(&buf, 0);
    gp_render_error(&buf, message);

    /* without a body the glue answers a bare 500 */
    if (!buf.failed) {
        res->body = gp_buf_take(&buf, &res->body_len);
    }

    gp_buf_free(&buf);
}


void
portal_fail_pki(portal_result_t *res, const char *profile, const char *what,
    const scep_error_t *err)
{
    int          status;
    char         text[160];
    const char  *msg;

    res->pki_error = err->code;
    status = 502;

    switch (err->code) {

    case SCEP_ERR_CHALLENGE_CACHE_FULL:
        msg = "The PKI's challenge password cache is full, try again later";
        break;

    case SCEP_ERR_CHALLENGE_PERMISSION:
        msg = "The portal's PKI account may not enroll with SCEP; "
              "tell your administrator";
        break;

    case SCEP_ERR_CHALLENGE_AUTH:
        msg = "The PKI refused the portal's account; "
              "tell your administrator";
        break;

    case SCEP_ERR_HTTP_TIMEOUT:
        status = 504;
        msg = "The PKI did not answer in time, try again later";
        break;

    case SCEP_ERR_HTTP_TLS:
        msg = "The portal could not make a trusted connection to the PKI; "
              "tell your administrator";
        break;

    case SCEP_ERR_CA_FINGERPRINT:
        msg = "The PKI's CA certificate does not match the portal's "
              "configuration; tell your administrator";
        break;

    case SCEP_ERR_FAILURE:
        /* the CA's decision: its reason helps the user and the helpdesk */
        snprintf(text, sizeof(text), "The CA refused the certificate "
                 "request (%s)", err->field[0] ? err->field : "failure");

        portal_fail(res, PORTAL_RESULT_REFUSED, 403, text, PORTAL_LOG_ERR,
                    "profile \"%s\": %s: %s: %s", profile, what,
                    scep_code_name(err->code), err->message);
        return;

    default:
        msg = (strcmp(what, "challenge") == 0)
              ? "The PKI did not give a challenge password, try again later"
              : "The PKI failed to issue a certificate, try again later";
        break;
    }

    portal_fail(res, PORTAL_RESULT_FAILED, status, msg, PORTAL_LOG_ERR,
                "profile \"%s\": %s: %s: %s", profile, what,
                scep_code_name(err->code), err->message);
}


void
portal_result_free(portal_result_t *res)
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
portal_result_name(portal_result_kind_t kind)
{
    static const char  *names[] = {
        "settings", "issued", "pending", "refused", "bad_credentials",
        "bad_request", "busy", "failed"
    };

    _Static_assert(sizeof(names) / sizeof(names[0]) == PORTAL_RESULT_KINDS,
                   "a word for every kind of result");

    if ((size_t) kind >= sizeof(names) / sizeof(names[0])) {
        return "unknown";
    }

    return names[kind];
}


void
portal_clock_start(struct timespec *start)
{
    (void) clock_gettime(CLOCK_MONOTONIC, start);
}


long
portal_clock_usec(const struct timespec *start)
{
    struct timespec  now;

    (void) clock_gettime(CLOCK_MONOTONIC, &now);

    return (long) (now.tv_sec - start->tv_sec) * 1000000
           + (now.tv_nsec - start->tv_nsec) / 1000;
}
