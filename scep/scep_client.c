#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "scep_caps.h"
#include "scep_certpoll.h"
#include "scep_client.h"
#include "scep_csr.h"
#include "scep_pkiop.h"


/* Polling faster than this would only load the CA. */
#define SCEP_POLL_MIN_INTERVAL_MS  100


scep_ca_t *
scep_client_fetch_ca(const scep_profile_t *profile, scep_error_t *err)
{
    char                   shown[SCEP_URL_SHOWN];
    unsigned               caps;
    scep_ca_t             *ca;
    STACK_OF(X509)        *certs;
    scep_http_response_t   resp;

    scep_http_url_for_message(profile->server_url, shown, sizeof(shown));

    if (scep_pkiop_get(profile, "GetCACert", SCEP_CACERT_MAX_LEN, &resp,
                       err) != 0)
    {
        return NULL;
    }

    certs = scep_cacert_parse(resp.content_type, resp.body, resp.len, shown,
                              err);
    scep_http_response_free(&resp);

    if (certs == NULL) {
        return NULL;
    }

    ca = scep_ca_select(certs, shown, err);
    if (ca == NULL) {
        return NULL;
    }

    /* nothing more goes to a server that fails the pinned fingerprint */
    if (scep_ca_check_fingerprint(ca, profile->ca_fingerprint,
                                  profile->ca_fingerprint_len, shown, err)
        != 0)
    {
        scep_ca_free(ca);
        return NULL;
    }

    if (scep_pkiop_get(profile, "GetCACaps", SCEP_CAPS_MAX_LEN, &resp, err)
        != 0)
    {
        scep_ca_free(ca);
        return NULL;
    }

    if (scep_caps_parse((const char *) resp.body, resp.len, &caps, err) != 0
        || scep_caps_choose(caps, profile->fips, shown, &ca->algs, err) != 0)
    {
        scep_http_response_free(&resp);
        scep_ca_free(ca);
        return NULL;
    }

    scep_http_response_free(&resp);
    ca->caps = caps;

    return ca;
}


static void
scep_client_sleep(unsigned long ms)
{
    struct timespec  ts;

    ts.tv_sec = (time_t) (ms / 1000);
    ts.tv_nsec = (long) (ms % 1000) * 1000000L;

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* a signal cut the wait short: sleep the rest */
    }
}


static X509 *
scep_client_certpoll(const scep_profile_t *profile, const scep_ca_t *ca,
    const scep_transaction_t *t, scep_error_t *err)
{
    X509           *cert;
    size_t          len;
    unsigned char  *der;

    if (scep_certpoll_encode(t->issuer, t->subject, &der, &len, err) != 0) {
        return NULL;
    }

    cert = scep_pkiop_send(profile, ca, t, SCEP_MSG_CERT_POLL, der, len,
                           err);

    OPENSSL_free(der);

    return cert;
}


/*
 * Called after a PENDING answer: waits and polls with a doubling interval
 * until the certificate comes, a refusal, or the total wait is spent.
 */
static X509 *
scep_client_wait(const scep_profile_t *profile, const scep_ca_t *ca,
    const scep_transaction_t *t, const scep_poll_t *poll, scep_error_t *err)
{
    X509           *cert;
    char            shown[SCEP_URL_SHOWN];
    unsigned long   waited, interval, longest, total, ms;

    if (poll == NULL || poll->max_total_ms == 0) {
        return NULL;
    }

    total = poll->max_total_ms < SCEP_POLL_MAX_TOTAL_MS
            ? poll->max_total_ms : SCEP_POLL_MAX_TOTAL_MS;

    interval = poll->initial_ms > SCEP_POLL_MIN_INTERVAL_MS
               ? poll->initial_ms : SCEP_POLL_MIN_INTERVAL_MS;

    longest = poll->max_interval_ms > interval ? poll->max_interval_ms
                                               : interval;

    for (waited = 0; waited < total; /* void */) {
        ms = (interval < total - waited) ? interval : total - waited;

        scep_client_sleep(ms);
        waited += ms;

        cert = scep_client_certpoll(profile, ca, t, err);

        if (cert != NULL || err->code != SCEP_ERR_PENDING) {
            return cert;
        }

        interval = (interval < longest / 2) ? interval * 2 : longest;
    }

    scep_http_url_for_message(profile->server_url, shown, sizeof(shown));

    scep_error_set(err, SCEP_ERR_PENDING, NULL,
                   "the CA at %s still holds the request for approval "
                   "(PENDING) after %lu s of polling; transaction %.16s... "
                   "can be polled later", shown, waited / 1000, t->id);

    return NULL;
}


static void
scep_client_return_error(const scep_error_t *local, scep_error_t *err)
{
    if (err != NULL) {
        *err = *local;
    }
}


/*
 * Sends the CSR for the transaction's request key as a PKCSReq or a
 * RenewalReq, then polls while PENDING; a transaction still PENDING goes
 * to *pending when the caller takes it.
 */
static X509 *
scep_client_request(const scep_profile_t *profile, const scep_ca_t *ca,
    scep_transaction_t *t, scep_msg_type_t type, const scep_sans_t *sans,
    const char *challenge, const scep_poll_t *poll,
    scep_transaction_t **pending, scep_error_t *e)
{
    X509           *cert;
    size_t          csr_len;
    X509_REQ       *req;
    unsigned char  *csr;

    cert = NULL;
    csr = NULL;
    csr_len = 0;

    req = scep_csr_build(profile, scep_transaction_request_key(t),
                         t->subject, sans, challenge, e);

    if (req == NULL || scep_csr_der(req, &csr, &csr_len, e) != 0) {
        goto done;
    }

    cert = scep_pkiop_send(profile, ca, t, type, csr, csr_len, e);

    if (cert == NULL && e->code == SCEP_ERR_PENDING) {
        cert = scep_client_wait(profile, ca, t, poll, e);

        if (cert == NULL && e->code == SCEP_ERR_PENDING && pending != NULL) {
            *pending = t;
        }
    }

done:

    /* the request holds the challenge password */
    OPENSSL_clear_free(csr, csr_len);
    scep_csr_free(req);

    return cert;
}


X509 *
scep_client_enroll(const scep_profile_t *profile, const scep_ca_t *ca,
    EVP_PKEY *key, const X509_NAME *subject, const scep_sans_t *sans,
    const char *challenge, const scep_poll_t *poll,
    scep_transaction_t **pending, scep_error_t *err)
{
    X509                *cert;
    scep_error_t         e;
    scep_transaction_t  *t, *kept;

    if (pending != NULL) {
        *pending = NULL;
    }

    scep_error_clear(&e);
    cert = NULL;
    kept = NULL;

    t = scep_transaction_create(key, subject, X509_get_subject_name(ca->ca),
                                scep_digest_evp(ca->algs.digest), &e);

    if (t != NULL) {
        cert = scep_client_request(profile, ca, t, SCEP_MSG_PKCS_REQ, sans,
                                   challenge, poll,
                                   pending != NULL ? &kept : NULL, &e);
    }

    if (kept != NULL) {
        *pending = kept;

    } else {
        scep_transaction_free(t);
    }

    scep_client_return_error(&e, err);

    return cert;
}


X509 *
scep_client_renew(const scep_profile_t *profile, const scep_ca_t *ca,
    X509 *current, EVP_PKEY *current_key, EVP_PKEY *new_key,
    const scep_poll_t *poll, scep_transaction_t **pending,
    scep_error_t *err)
{
    X509                *cert;
    char                 shown[SCEP_URL_SHOWN];
    scep_sans_t          sans;
    scep_error_t         e;
    scep_transaction_t  *t, *kept;

    if (pending != NULL) {
        *pending = NULL;
    }

    scep_error_clear(&e);
    memset(&sans, 0, sizeof(sans));
    cert = NULL;
    kept = NULL;
    t = NULL;

    if (!(ca->caps & SCEP_CAP_RENEWAL)) {
        scep_http_url_for_message(profile->server_url, shown, sizeof(shown));
        scep_error_set(&e, SCEP_ERR_INPUT, "renewal",
                       "the CA at %s does not list Renewal in GetCACaps",
                       shown);
        goto done;
    }

    /*
     * The same subject and names: a renewal extends an identity, it makes
     * none
     */
    if (scep_sans_from_cert(current, &sans, &e) != 0) {
        goto done;
    }

    t = scep_transaction_renewal(current, current_key, new_key,
                                 X509_get_subject_name(current),
                                 X509_get_subject_name(ca->ca), &e);

    if (t != NULL) {
        cert = scep_client_request(profile, ca, t, SCEP_MSG_RENEWAL_REQ,
                                   &sans, NULL, poll,
                                   pending != NULL ? &kept : NULL, &e);
    }

done:

    scep_sans_free(&sans);

    if (kept != NULL) {
        *pending = kept;

    } else {
        scep_transaction_free(t);
    }

    scep_client_return_error(&e, err);

    return cert;
}


X509 *
scep_client_poll(const scep_profile_t *profile, const scep_ca_t *ca,
    const scep_transaction_t *t, const scep_poll_t *poll, scep_error_t *err)
{
    X509          *cert;
    scep_error_t   e;

    scep_error_clear(&e);

    cert = scep_client_certpoll(profile, ca, t, &e);

    if (cert == NULL && e.code == SCEP_ERR_PENDING) {
        cert = scep_client_wait(profile, ca, t, poll, &e);
    }

    scep_client_return_error(&e, err);

    return cert;
}
