#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "scep_bound.h"
#include "scep_challenge.h"
#include "scep_http.h"
#include "scep_ndes.h"


/* How much of the account name a message quotes. */
#define SCEP_CHALLENGE_ACCOUNT_LEN  64


static int scep_challenge_fixed(const scep_profile_t *p, char *out,
    size_t outlen, scep_error_t *err);
static int scep_challenge_dynamic(const scep_profile_t *p, char *out,
    size_t outlen, scep_error_t *err);
static int scep_challenge_bound(const scep_profile_t *p,
    const X509_NAME *subject, const scep_sans_t *sans, char *out,
    size_t outlen, scep_error_t *err);
static int scep_challenge_judge(const scep_profile_t *p,
    const scep_http_response_t *resp, char *out, size_t outlen,
    scep_error_t *err);
static int scep_challenge_refused(const scep_profile_t *p, long status,
    scep_error_t *err);
static void scep_challenge_page_field(scep_error_t *err);
static void scep_challenge_set_field(scep_error_t *err, const char *field);


int
scep_challenge_obtain(const scep_profile_t *p, const X509_NAME *subject,
    const scep_sans_t *sans, char *out, size_t outlen, scep_error_t *err)
{
    if (out == NULL || outlen == 0) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "",
                              "no room for the challenge password");
    }

    out[0] = '\0';

    switch (p->challenge) {

    case SCEP_CHALLENGE_NONE:
        return 0;

    case SCEP_CHALLENGE_FIXED:
        return scep_challenge_fixed(p, out, outlen, err);

    case SCEP_CHALLENGE_DYNAMIC:
        return scep_challenge_dynamic(p, out, outlen, err);

    case SCEP_CHALLENGE_BOUND:
        return scep_challenge_bound(p, subject, sans, out, outlen, err);
    }

    return scep_error_set(err, SCEP_ERR_CONFIG, "challenge",
                          "the profile's challenge type is unknown");
}


static int
scep_challenge_fixed(const scep_profile_t *p, char *out, size_t outlen,
    scep_error_t *err)
{
    size_t  n;

    if (p->challenge_password == NULL || p->challenge_password[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge_password",
                              "a fixed challenge needs a password");
    }

    n = strlen(p->challenge_password);

    if (n >= outlen) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge_password",
                              "the fixed challenge password is %zu "
                              "characters, more than the %zu accepted",
                              n, outlen - 1);
    }

    memcpy(out, p->challenge_password, n + 1);

    return 0;
}


static int
scep_challenge_dynamic(const scep_profile_t *p, char *out, size_t outlen,
    scep_error_t *err)
{
    int                   rc;
    scep_http_request_t   req;
    scep_http_response_t  resp;

    if (p->challenge_url == NULL || p->challenge_url[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge_url",
                              "a dynamic challenge needs the URL of the "
                              "challenge service");
    }

    if (p->challenge_username == NULL || p->challenge_username[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge_username",
                              "a dynamic challenge needs the account that "
                              "logs in to the challenge service");
    }

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = p->challenge_url;
    req.username = p->challenge_username;
    req.password = p->challenge_password ? p->challenge_password : "";
    req.auth = p->challenge_auth;
    req.max_response = SCEP_NDES_PAGE_MAX;
    req.service = "the challenge service";

    if (scep_http_exchange(p, &req, &resp, err) != 0) {
        scep_challenge_set_field(err, "challenge_url");
        return -1;
    }

    rc = scep_challenge_judge(p, &resp, out, outlen, err);

    scep_http_response_free_secret(&resp);

    return rc;
}


/* Made here, for this subject only: the CA's verifier checks it. */
static int
scep_challenge_bound(const scep_profile_t *p, const X509_NAME *subject,
    const scep_sans_t *sans, char *out, size_t outlen, scep_error_t *err)
{
    scep_entitlement_t  e;

    if (p->keys == NULL || p->keys->n == 0) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge",
                              "challenge bound needs the keys of "
                              "scep_key_file");
    }

    if (subject == NULL) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "challenge",
                              "a bound challenge needs the subject it is "
                              "for");
    }

    if (scep_bound_entitlement(&e, p, subject, sans, err) != 0) {
        return -1;
    }

    return scep_bound_mint(p->keys, &e,
                           (long long) time(NULL) + p->challenge_lifetime_s,
                           out, outlen, err);
}


static int
scep_challenge_judge(const scep_profile_t *p,
    const scep_http_response_t *resp, char *out, size_t outlen,
    scep_error_t *err)
{
    int           rc;
    char          url[128];
    char          unused[SCEP_CHALLENGE_MAX];
    scep_error_t  page_err;

    switch (resp->status) {

    case 200:
        rc = scep_ndes_parse(resp->body, resp->len, out, outlen, err);
        if (rc != 0) {
            scep_challenge_page_field(err);
        }

        return rc;

    case 401:
        return scep_challenge_refused(p, resp->status, err);

    case 403:
        /* NDES may send its "no permission" page with a 403 */
        scep_error_clear(&page_err);

        rc = scep_ndes_parse(resp->body, resp->len, unused, sizeof(unused),
                             &page_err);
        OPENSSL_cleanse(unused, sizeof(unused));

        if (rc != 0 && (page_err.code == SCEP_ERR_CHALLENGE_PERMISSION
                        || page_err.code == SCEP_ERR_CHALLENGE_CACHE_FULL))
        {
            if (err != NULL) {
                *err = page_err;
            }

            scep_challenge_page_field(err);
            return -1;
        }

        return scep_challenge_refused(p, resp->status, err);
    }

    scep_http_url_for_message(p->challenge_url, url, sizeof(url));

    return scep_error_set(err, SCEP_ERR_CHALLENGE_STATUS, "challenge_url",
                          "the challenge service at %s answered HTTP %ld "
                          "instead of a challenge page", url, resp->status);
}


static int
scep_challenge_refused(const scep_profile_t *p, long status,
    scep_error_t *err)
{
    size_t       i;
    char         account[SCEP_CHALLENGE_ACCOUNT_LEN + 1];
    const char  *name, *auth;

    name = p->challenge_username;

    /*
     * The name comes from the configuration, but a log line is no place
     * for control characters.
     */
    for (i = 0; name[i] != '\0' && i < SCEP_CHALLENGE_ACCOUNT_LEN; i++) {
        account[i] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
    }

    account[i] = '\0';

    switch (p->challenge_auth) {
    case SCEP_HTTP_AUTH_NTLM:
        auth = "ntlm";
        break;
    case SCEP_HTTP_AUTH_ANY:
        auth = "any";
        break;
    default:
        auth = "basic";
        break;
    }

    return scep_error_set(err, SCEP_ERR_CHALLENGE_AUTH, "challenge_username",
                          "the challenge service refused the account %s "
                          "(HTTP %ld); check the challenge account, its "
                          "password and the authentication method (%s)",
                          account, status, auth);
}


/* What the admin should look at when the page itself says no. */
static void
scep_challenge_page_field(scep_error_t *err)
{
    if (err != NULL && err->code == SCEP_ERR_CHALLENGE_PERMISSION) {
        scep_challenge_set_field(err, "challenge_username");

    } else {
        scep_challenge_set_field(err, "challenge_url");
    }
}


/* Names the directive at fault unless a deeper layer already did. */
static void
scep_challenge_set_field(scep_error_t *err, const char *field)
{
    if (err != NULL && err->field[0] == '\0') {
        snprintf(err->field, sizeof(err->field), "%s", field);
    }
}
