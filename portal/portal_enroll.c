/*
 * Enroll mode: the portal is the SCEP client.  It takes a key, obtains
 * the challenge, runs the transaction with the CA and hands the agent the
 * certificate with its key as PKCS#12; a PENDING request is kept for the
 * user's next login and resumed there.  So is an issued certificate whose
 * answer did not reach the agent (res->pending, which the caller keeps
 * only then): the next login delivers it without asking the CA again.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "portal/portal_session.h"
#include "scep/scep_challenge.h"
#include "scep/scep_client.h"
#include "scep/scep_pkcs12.h"
#include "scep/scep_pki.h"
#include "scep/scep_subject.h"
#include "scep/scep_transaction.h"


#define PORTAL_MSG_NO_CA  "The portal is still waiting for the CA " \
                          "certificate of your profile, try again in a minute"


typedef struct {
    X509                *cert;
    EVP_PKEY            *key;
    scep_transaction_t  *pending;
    scep_error_t         err;
    long                 usec;       /* the PKI's part, or -1 */
} portal_enrollment_t;


static void portal_enroll_start(portal_session_t *s, const scep_ca_t *ca,
    scep_pki_t *pki, portal_enrollment_t *e);
static void portal_enroll_resume(portal_session_t *s, const scep_ca_t *ca,
    scep_transaction_t *t, portal_enrollment_t *e);
static void portal_enroll_keep(portal_session_t *s, const scep_ca_t *ca,
    portal_enrollment_t *e, portal_result_t *res);
static void portal_enroll_issued(portal_session_t *s, const scep_ca_t *ca,
    portal_enrollment_t *e, portal_result_t *res);
static void portal_enroll_pending(portal_session_t *s, portal_enrollment_t *e,
    portal_result_t *res);
static STACK_OF(X509) *portal_enroll_chain(const scep_ca_t *ca);
static char *portal_enroll_chain_pem(STACK_OF(X509) *chain);
static void portal_enroll_describe(portal_session_t *s, X509 *cert,
    char *not_after, size_t size);
static void portal_enroll_internal(portal_result_t *res, const char *why);


void
portal_enroll(portal_session_t *s, scep_pki_t *pki,
    const unsigned char *resume, size_t resume_len, portal_result_t *res)
{
    scep_error_t         err;
    scep_pki_ca_t       *ca;
    portal_enrollment_t      e;
    scep_transaction_t  *t;

    memset(&e, 0, sizeof(e));
    e.usec = -1;
    scep_error_clear(&err);

    if (pki == NULL) {
        portal_enroll_internal(res, "the profile has no PKI state");
        return;
    }

    ca = scep_pki_ca_for_enrollment(pki, &err);

    if (ca == NULL && err.code == SCEP_ERR_CA_FINGERPRINT) {
        /* waiting would not help: the administrator must act */
        portal_fail_pki(res, s->profile->name, "CA certificate", &err);
        return;
    }

    if (ca == NULL) {
        res->pki_error = err.code;
        portal_fail(res, PORTAL_RESULT_BUSY, 503, PORTAL_MSG_NO_CA,
                    PORTAL_LOG_WARN, "profile \"%s\": %s", s->profile->name,
                    err.message);
        res->retry_after = 30;
        return;
    }

    t = NULL;

    if (resume != NULL) {
        t = scep_transaction_deserialize(resume, resume_len, &err);

        /*
         * A request for another subject (the template or the user's
         * values changed meanwhile) is not this login's: start anew.
         */
        if (t != NULL && X509_NAME_cmp(t->subject, s->subject) != 0) {
            scep_transaction_free(t);
            t = NULL;
        }
    }

    if (t != NULL) {
        portal_enroll_resume(s, ca->ca, t, &e);

    } else {
        portal_enroll_start(s, ca->ca, pki, &e);
    }

    res->pki_usec = e.usec;

    if (e.cert != NULL) {
        portal_enroll_issued(s, ca->ca, &e, res);
        portal_enroll_keep(s, ca->ca, &e, res);

    } else if (e.err.code == SCEP_ERR_PENDING && e.pending != NULL) {
        portal_enroll_pending(s, &e, res);

    } else {
        portal_fail_pki(res, s->profile->name, "enrollment", &e.err);
    }

    X509_free(e.cert);
    EVP_PKEY_free(e.key);

    if (e.pending != t) {
        scep_transaction_free(e.pending);
    }

    scep_transaction_free(t);
    scep_pki_ca_release(pki, ca);
}


static void
portal_enroll_start(portal_session_t *s, const scep_ca_t *ca, scep_pki_t *pki,
    portal_enrollment_t *e)
{
    char             challenge[SCEP_CHALLENGE_MAX];
    scep_poll_t      poll;
    struct timespec  start;

    e->key = scep_pki_key(pki, &e->err);
    if (e->key == NULL) {
        return;
    }

    /* the PKI's part: a key made here when the pool was empty is not */
    portal_clock_start(&start);

    if (scep_challenge_obtain(s->profile, s->subject, &s->sans, challenge,
                              sizeof(challenge), &e->err)
        != 0)
    {
        OPENSSL_cleanse(challenge, sizeof(challenge));
        e->usec = portal_clock_usec(&start);
        return;
    }

    poll.initial_ms = s->profile->poll_interval_ms;
    poll.max_interval_ms = s->profile->poll_wait_ms;
    poll.max_total_ms = s->profile->poll_wait_ms;

    e->cert = scep_client_enroll(s->profile, ca, e->key, s->subject,
                                 &s->sans, challenge[0] ? challenge : NULL,
                                 &poll, &e->pending, &e->err);

    e->usec = portal_clock_usec(&start);

    OPENSSL_cleanse(challenge, sizeof(challenge));
}


static void
portal_enroll_resume(portal_session_t *s, const scep_ca_t *ca,
    scep_transaction_t *t, portal_enrollment_t *e)
{
    scep_poll_t      poll;
    struct timespec  start;

    if (t->issued != NULL) {
        /* issued while an earlier login had given up waiting */
        X509_up_ref(t->issued);
        e->cert = t->issued;
        EVP_PKEY_up_ref(t->key);
        e->key = t->key;
        return;
    }

    poll.initial_ms = s->profile->poll_interval_ms;
    poll.max_interval_ms = s->profile->poll_wait_ms;
    poll.max_total_ms = s->profile->poll_wait_ms;

    portal_clock_start(&start);

    e->cert = scep_client_poll(s->profile, ca, t, &poll, &e->err);

    e->usec = portal_clock_usec(&start);

    if (e->cert != NULL) {
        EVP_PKEY_up_ref(t->key);
        e->key = t->key;

    } else if (e->err.code == SCEP_ERR_PENDING) {
        e->pending = t;
    }
}


static void
portal_enroll_issued(portal_session_t *s, const scep_ca_t *ca,
    portal_enrollment_t *e, portal_result_t *res)
{
    char                   subject[1024], not_after[32], *pem;
    gp_buf_t               buf;
    gp_policy_t            policy;
    scep_error_t           err;
    scep_pkcs12_t          p12;
    STACK_OF(X509)        *chain;
    gp_scep_certificate_t  cert;

    memset(&p12, 0, sizeof(p12));

    chain = portal_enroll_chain(ca);
    pem = chain ? portal_enroll_chain_pem(chain) : NULL;

    if (pem == NULL
        || scep_pkcs12_create(e->cert, e->key, chain, s->user.username, &p12,
                              &err)
           != 0)
    {
        sk_X509_free(chain);
        free(pem);
        portal_enroll_internal(res, "cannot build the PKCS#12");
        return;
    }

    sk_X509_free(chain);

    portal_enroll_describe(s, e->cert, not_after, sizeof(not_after));

    if (scep_name_to_text(X509_get_subject_name(e->cert), subject,
                          sizeof(subject))
        < 0)
    {
        subject[0] = '\0';
    }

    memset(&cert, 0, sizeof(cert));
    cert.profile = s->profile->name;
    cert.pkcs12_b64 = p12.base64;
    cert.passphrase = p12.passphrase;
    cert.subject = subject;
    cert.serial = s->serial;
    cert.issuer = s->issuer;
    cert.not_after = not_after;
    cert.ca_chain_pem = pem;

    portal_policy_init(&policy, s);
    policy.certificate = &cert;

    gp_buf_init(&buf, 0);
    gp_render_policy(&buf, &policy);

    scep_pkcs12_release(&p12);
    free(pem);

    if (buf.failed) {
        gp_buf_free_secret(&buf);
        portal_enroll_internal(res, "cannot render the policy");
        return;
    }

    res->kind = PORTAL_RESULT_ISSUED;
    res->status = 200;
    res->body_secret = 1;
    res->body = gp_buf_take(&buf, &res->body_len);
}


static void
portal_enroll_pending(portal_session_t *s, portal_enrollment_t *e,
    portal_result_t *res)
{
    gp_buf_t           buf;
    gp_policy_t        policy;
    scep_error_t       err;
    gp_scep_pending_t  pending;

    if (scep_transaction_serialize(e->pending, &res->pending,
                                   &res->pending_len, &err)
        != 0)
    {
        portal_enroll_internal(res, err.message);
        return;
    }

    memset(&pending, 0, sizeof(pending));
    pending.profile = s->profile->name;
    pending.transaction_id = e->pending->id;
    pending.retry_after = (int) s->profile->poll_retry_s;

    portal_policy_init(&policy, s);
    policy.pending = &pending;

    gp_buf_init(&buf, 0);
    gp_render_policy(&buf, &policy);

    if (buf.failed) {
        gp_buf_free(&buf);
        portal_enroll_internal(res, "cannot render the policy");
        return;
    }

    res->kind = PORTAL_RESULT_PENDING;
    res->status = 200;
    res->retry_after = pending.retry_after;
    res->body = gp_buf_take(&buf, &res->body_len);
    res->log_level = PORTAL_LOG_NOTICE;
    snprintf(res->reason, sizeof(res->reason),
             "profile \"%s\": the CA has not decided on transaction %s yet",
             s->profile->name, e->pending->id);
}


/*
 * What to keep should the answer not reach the agent (its login timed
 * out meanwhile): the key and the certificate, as a finished transaction.
 * Without it the certificate is still sent; it just cannot be kept.
 */

static void
portal_enroll_keep(portal_session_t *s, const scep_ca_t *ca,
    portal_enrollment_t *e, portal_result_t *res)
{
    scep_error_t         err;
    scep_transaction_t  *t;

    if (res->kind != PORTAL_RESULT_ISSUED) {
        return;
    }

    t = scep_transaction_create(e->key, s->subject,
                                X509_get_subject_name(ca->ca),
                                scep_digest_evp(ca->algs.digest), &err);
    if (t == NULL) {
        return;
    }

    /* the transaction took a reference to the key */
    X509_up_ref(e->cert);
    t->issued = e->cert;

    if (scep_transaction_serialize(t, &res->pending, &res->pending_len, &err)
        != 0)
    {
        res->pending = NULL;
        res->pending_len = 0;
    }

    scep_transaction_free(t);
}


/* What the agent installs besides its certificate: the issuing CA. */

static STACK_OF(X509) *
portal_enroll_chain(const scep_ca_t *ca)
{
    STACK_OF(X509)  *chain;

    chain = sk_X509_new_null();

    if (chain != NULL && sk_X509_push(chain, ca->ca) <= 0) {
        sk_X509_free(chain);
        return NULL;
    }

    return chain;
}


static char *
portal_enroll_chain_pem(STACK_OF(X509) *chain)
{
    int      i;
    BIO     *bio;
    char    *data, *pem;
    long     len;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return NULL;
    }

    for (i = 0; i < sk_X509_num(chain); i++) {
        if (PEM_write_bio_X509(bio, sk_X509_value(chain, i)) != 1) {
            BIO_free(bio);
            return NULL;
        }
    }

    len = BIO_get_mem_data(bio, &data);

    pem = malloc(len + 1);
    if (pem != NULL) {
        memcpy(pem, data, len);
        pem[len] = '\0';
    }

    BIO_free(bio);

    return pem;
}


static void
portal_enroll_describe(portal_session_t *s, X509 *cert, char *not_after,
    size_t size)
{
    char            *hex;
    BIGNUM          *bn;
    struct tm        tm;
    const ASN1_TIME *t;

    s->serial[0] = '\0';
    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    hex = bn ? BN_bn2hex(bn) : NULL;

    if (hex != NULL) {
        snprintf(s->serial, sizeof(s->serial), "%s", hex);
    }

    OPENSSL_free(hex);
    BN_free(bn);

    if (scep_name_to_text(X509_get_issuer_name(cert), s->issuer,
                          sizeof(s->issuer))
        < 0)
    {
        s->issuer[0] = '\0';
    }

    s->audit.serial = s->serial;
    s->audit.issuer = s->issuer;

    not_after[0] = '\0';
    t = X509_get0_notAfter(cert);

    if (ASN1_TIME_to_tm(t, &tm) == 1) {
        strftime(not_after, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
}


static void
portal_enroll_internal(portal_result_t *res, const char *why)
{
    portal_fail(res, PORTAL_RESULT_FAILED, 500, PORTAL_MSG_INTERNAL,
                PORTAL_LOG_ERR, "enroll mode: %s", why);
}
