/*
 * Manual certificates through a profile, and the store's listing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "agent-proto/gp_buf.h"
#include "agent-proto/gp_request.h"
#include "portal/portal_admin.h"
#include "scep/scep_challenge.h"
#include "scep/scep_client.h"
#include "scep/scep_pki.h"
#include "scep/scep_store.h"
#include "scep/scep_subject.h"


typedef struct {
    const char             *name;
    const scep_profile_t   *profile;
    scep_pki_t             *pki;
    scep_subject_values_t   values;
} portal_admin_request_t;


static int portal_admin_read(const portal_admin_profile_t *profiles,
    size_t nprofiles, const char *store, const gp_form_t *form,
    portal_admin_request_t *req, portal_admin_result_t *res);
static X509 *portal_admin_enroll(const portal_admin_request_t *req,
    X509_NAME *subject, const scep_sans_t *sans, EVP_PKEY **key,
    scep_pki_ca_t **ca, portal_admin_result_t *res);
static void portal_admin_saved(const portal_admin_request_t *req, X509 *cert,
    portal_admin_result_t *res);
static void portal_admin_answer(portal_admin_result_t *res, int status,
    portal_log_level_t level, const char *message);
static void portal_admin_audit(portal_admin_result_t *res, const char *result,
    const portal_admin_request_t *req, const char *subject, const char *serial);


void
portal_admin_list(const char *store, portal_admin_result_t *res)
{
    scep_error_t  err;

    memset(res, 0, sizeof(*res));

    if (scep_store_list(store, &res->body, &res->body_len, &err) != 0) {
        portal_admin_answer(res, 500, PORTAL_LOG_ERR, err.message);
        return;
    }

    res->status = 200;
}


void
portal_admin_issue(const portal_admin_profile_t *profiles, size_t nprofiles,
    const char *store, const char *body, size_t len,
    portal_admin_result_t *res)
{
    char                 text[1024];
    X509                *cert;
    EVP_PKEY            *key;
    gp_form_t            form;
    X509_NAME           *subject;
    scep_sans_t          sans;
    gp_error_t           ferr;
    scep_error_t         err;
    scep_pki_ca_t       *ca;
    STACK_OF(X509)      *chain;
    portal_admin_request_t   req;

    memset(res, 0, sizeof(*res));
    memset(&req, 0, sizeof(req));
    memset(&sans, 0, sizeof(sans));
    res->pki_usec = -1;

    if (gp_form_parse(body, len, &form, &ferr) != 0) {
        portal_admin_answer(res, gp_code_http_status(ferr.code),
                            PORTAL_LOG_INFO, ferr.message);
        portal_admin_audit(res, "refused", &req, NULL, NULL);
        return;
    }

    subject = NULL;
    cert = NULL;
    key = NULL;
    ca = NULL;

    if (portal_admin_read(profiles, nprofiles, store, &form, &req, res) != 0) {
        goto done;
    }

    subject = scep_subject_render(req.profile->subject_tpl, &req.values,
                                  &err);
    if (subject == NULL) {
        portal_admin_answer(res, 400, PORTAL_LOG_INFO, err.message);
        goto done;
    }

    if (scep_san_render(req.profile->san_tpl, &req.values, &sans, &err) != 0)
    {
        portal_admin_answer(res, 400, PORTAL_LOG_INFO, err.message);
        goto done;
    }

    cert = portal_admin_enroll(&req, subject, &sans, &key, &ca, res);
    if (cert == NULL) {
        goto done;
    }

    chain = sk_X509_new_null();

    if (chain == NULL || sk_X509_push(chain, ca->ca->ca) <= 0
        || scep_store_save_cert(store, req.name, req.profile->name, cert,
                                chain, key, &err)
           != 0)
    {
        sk_X509_free(chain);
        portal_admin_answer(res, 500, PORTAL_LOG_ERR,
                            chain ? err.message : "out of memory");
        goto done;
    }

    sk_X509_free(chain);

    portal_admin_saved(&req, cert, res);

done:

    if (res->profile != NULL) {
        res->kind = (res->status == 201) ? PORTAL_RESULT_ISSUED
                    : (res->status == 202) ? PORTAL_RESULT_PENDING
                    : (res->status == 403) ? PORTAL_RESULT_REFUSED
                    : PORTAL_RESULT_FAILED;
    }

    if (res->audit == NULL) {
        if (subject == NULL
            || scep_name_to_text(subject, text, sizeof(text)) < 0)
        {
            text[0] = '\0';
        }

        portal_admin_audit(res, res->status == 201 ? "issued" : "refused", &req,
                           text, NULL);
    }

    if (ca != NULL) {
        scep_pki_ca_release(req.pki, ca);
    }

    X509_free(cert);
    EVP_PKEY_free(key);
    X509_NAME_free(subject);
    scep_sans_free(&sans);
    gp_form_free(&form);
}


static int
portal_admin_read(const portal_admin_profile_t *profiles, size_t nprofiles,
    const char *store, const gp_form_t *form, portal_admin_request_t *req,
    portal_admin_result_t *res)
{
    char           path[4096];
    size_t         i, len;
    const char    *profile, *value;
    scep_error_t   err;

    struct {
        const char   *field;
        const char  **value;
    } tokens[] = {
        { "username", &req->values.username },
        { "email", &req->values.email },
        { "host-id", &req->values.hostid },
        { "udid", &req->values.udid },
        { "sid", &req->values.sid },
        { "upn", &req->values.upn },
    };

    req->name = gp_form_get(form, "name", &len);

    if (req->name == NULL || strlen(req->name) != len
        || !scep_store_name_valid(req->name))
    {
        portal_admin_answer(res, 400, PORTAL_LOG_INFO,
                            "name must be 1 to 64 characters of A-Z a-z 0-9 "
                            ". _ - (no spaces)");
        req->name = NULL;
        return -1;
    }

    profile = gp_form_get(form, "profile", &len);

    for (i = 0; profile != NULL && i < nprofiles; i++) {
        if (strcmp(profiles[i].profile->name, profile) == 0) {
            req->profile = profiles[i].profile;
            req->pki = profiles[i].pki;
        }
    }

    if (req->profile == NULL) {
        portal_admin_answer(res, 400, PORTAL_LOG_INFO,
                            "profile must name a scep_profile");
        return -1;
    }

    for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
        value = gp_form_get(form, tokens[i].field, &len);

        if (value == NULL) {
            continue;
        }

        if (scep_subject_check_value(value, len, &err) != 0) {
            snprintf(res->reason, sizeof(res->reason), "%s: %s",
                     tokens[i].field, err.message);
            portal_admin_answer(res, 400, PORTAL_LOG_INFO, res->reason);
            return -1;
        }

        *tokens[i].value = value;
    }

    /* refused before the CA is asked: a name is never reused */
    snprintf(path, sizeof(path), "%s/cert-%s.pem", store, req->name);

    if (access(path, F_OK) == 0) {
        portal_admin_answer(res, 409, PORTAL_LOG_INFO,
                        "a certificate of that name is already in the store");
        return -1;
    }

    return 0;
}


static X509 *
portal_admin_enroll(const portal_admin_request_t *req, X509_NAME *subject,
    const scep_sans_t *sans, EVP_PKEY **key, scep_pki_ca_t **ca,
    portal_admin_result_t *res)
{
    char                 challenge[SCEP_CHALLENGE_MAX];
    X509                *cert;
    scep_poll_t          poll;
    scep_error_t         err;
    struct timespec      start;
    scep_transaction_t  *pending;

    res->profile = req->profile;

    if (req->pki == NULL) {
        portal_admin_answer(res, 500, PORTAL_LOG_ERR,
                            "the profile has no PKI state");
        return NULL;
    }

    *ca = scep_pki_ca_for_enrollment(req->pki, &err);
    if (*ca == NULL) {
        res->pki_error = err.code;

        /* waiting helps, unless the CA does not match its fingerprint */
        portal_admin_answer(res,
                            err.code == SCEP_ERR_CA_FINGERPRINT ? 502 : 503,
                            PORTAL_LOG_WARN, err.message);
        return NULL;
    }

    *key = scep_pki_key(req->pki, &err);
    if (*key == NULL) {
        portal_admin_answer(res, 500, PORTAL_LOG_ERR, err.message);
        return NULL;
    }

    portal_clock_start(&start);

    if (scep_challenge_obtain(req->profile, subject, sans, challenge,
                              sizeof(challenge), &err)
        != 0)
    {
        OPENSSL_cleanse(challenge, sizeof(challenge));
        res->pki_usec = portal_clock_usec(&start);
        res->pki_error = err.code;
        portal_admin_answer(res, err.code == SCEP_ERR_HTTP_TIMEOUT ? 504 : 502,
                            PORTAL_LOG_ERR, err.message);
        return NULL;
    }

    poll.initial_ms = req->profile->poll_interval_ms;
    poll.max_interval_ms = req->profile->poll_wait_ms;
    poll.max_total_ms = req->profile->poll_wait_ms;

    pending = NULL;

    cert = scep_client_enroll(req->profile, (*ca)->ca, *key, subject, sans,
                              challenge[0] ? challenge : NULL, &poll,
                              &pending, &err);

    res->pki_usec = portal_clock_usec(&start);

    OPENSSL_cleanse(challenge, sizeof(challenge));

    if (cert != NULL) {
        return cert;
    }

    if (err.code != SCEP_ERR_PENDING) {
        res->pki_error = err.code;
    }

    if (err.code == SCEP_ERR_PENDING) {
        /* a manual request is not resumed: it is made again later */
        snprintf(res->reason, sizeof(res->reason),
                 "the CA has not decided on transaction %s within "
                 "poll_wait; ask again once it has been approved",
                 pending ? pending->id : "?");
        portal_admin_answer(res, 202, PORTAL_LOG_NOTICE, res->reason);

    } else {
        portal_admin_answer(res,
                            err.code == SCEP_ERR_HTTP_TIMEOUT ? 504
                            : err.code == SCEP_ERR_FAILURE ? 403 : 502,
                            PORTAL_LOG_ERR, err.message);
    }

    scep_transaction_free(pending);

    return NULL;
}


static void
portal_admin_saved(const portal_admin_request_t *req, X509 *cert,
    portal_admin_result_t *res)
{
    char         subject[1024], issuer[1024], serial[80], not_after[32];
    char        *hex;
    size_t       len;
    BIGNUM      *bn;
    gp_buf_t     b;
    struct tm    tm;

    if (scep_name_to_text(X509_get_subject_name(cert), subject,
                          sizeof(subject)) < 0
        || scep_name_to_text(X509_get_issuer_name(cert), issuer,
                             sizeof(issuer)) < 0)
    {
        subject[0] = '\0';
        issuer[0] = '\0';
    }

    serial[0] = '\0';
    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    hex = bn ? BN_bn2hex(bn) : NULL;

    if (hex != NULL) {
        snprintf(serial, sizeof(serial), "%s", hex);
    }

    OPENSSL_free(hex);
    BN_free(bn);

    not_after[0] = '\0';

    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
        strftime(not_after, sizeof(not_after), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }

    gp_buf_init(&b, 0);
    gp_buf_add_str(&b, "{\"name\":\"");
    gp_buf_add_json_str(&b, req->name);
    gp_buf_add_str(&b, "\",\"profile\":\"");
    gp_buf_add_json_str(&b, req->profile->name);
    gp_buf_add_str(&b, "\",\"subject\":\"");
    gp_buf_add_json_str(&b, subject);
    gp_buf_add_str(&b, "\",\"issuer\":\"");
    gp_buf_add_json_str(&b, issuer);
    gp_buf_add_str(&b, "\",\"serial\":\"");
    gp_buf_add_json_str(&b, serial);
    gp_buf_add_str(&b, "\",\"not_after\":\"");
    gp_buf_add_json_str(&b, not_after);
    gp_buf_add_str(&b, "\"}\n");

    if (b.failed) {
        gp_buf_free(&b);
        portal_admin_answer(res, 500, PORTAL_LOG_ERR, "out of memory");
        return;
    }

    res->status = 201;
    res->body = gp_buf_take(&b, &len);
    res->body_len = len;

    portal_admin_audit(res, "issued", req, subject, serial);
}


/* {"error": "..."}; the message is logged too, at level. */

static void
portal_admin_answer(portal_admin_result_t *res, int status,
    portal_log_level_t level, const char *message)
{
    size_t    len;
    gp_buf_t  b;

    if (message != res->reason) {
        snprintf(res->reason, sizeof(res->reason), "%s", message);
    }

    gp_text_printable(res->reason);

    res->status = status;
    res->log_level = level;

    gp_buf_init(&b, 0);
    gp_buf_add_str(&b, status == 202 ? "{\"pending\":\"" : "{\"error\":\"");
    gp_buf_add_json_str(&b, message);
    gp_buf_add_str(&b, "\"}\n");

    free(res->body);
    res->body = b.failed ? NULL : gp_buf_take(&b, &len);
    res->body_len = res->body ? len : 0;

    gp_buf_free(&b);
}


static void
portal_admin_audit(portal_admin_result_t *res, const char *result,
    const portal_admin_request_t *req, const char *subject, const char *serial)
{
    size_t    len;
    gp_buf_t  b;

    gp_buf_init(&b, 4096);
    gp_buf_printf(&b, "result=%s status=%d", result, res->status);

    if (req->name != NULL) {
        gp_buf_add_str(&b, " name=\"");
        gp_buf_add_log(&b, req->name, strlen(req->name), 64);
        gp_buf_add_str(&b, "\"");
    }

    if (req->profile != NULL) {
        gp_buf_add_str(&b, " profile=\"");
        gp_buf_add_log(&b, req->profile->name, strlen(req->profile->name),
                       64);
        gp_buf_add_str(&b, "\"");
    }

    if (subject != NULL && subject[0] != '\0') {
        gp_buf_add_str(&b, " subject=\"");
        gp_buf_add_log(&b, subject, strlen(subject), 256);
        gp_buf_add_str(&b, "\"");
    }

    if (serial != NULL) {
        gp_buf_printf(&b, " serial=%s", serial);

    } else if (res->reason[0] != '\0') {
        gp_buf_add_str(&b, " reason=\"");
        gp_buf_add_log(&b, res->reason, strlen(res->reason), 512);
        gp_buf_add_str(&b, "\"");
    }

    res->audit = b.failed ? NULL : gp_buf_take(&b, &len);

    gp_buf_free(&b);
}


void
portal_admin_result_free(portal_admin_result_t *res)
{
    free(res->body);
    free(res->audit);
    res->body = NULL;
    res->audit = NULL;
}
