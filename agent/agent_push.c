#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "scep/scep_caps.h"
#include "scep/scep_client.h"
#include "scep/scep_key.h"
#include "scep/scep_nextca.h"
#include "scep/scep_profile.h"
#include "scep/scep_transaction.h"
#include "agent_log.h"
#include "agent_push.h"
#include "agent_subject.h"


/* Polling after PENDING: the first wait, and the longest between polls. */
#define AGENT_POLL_INITIAL_MS   1000UL
#define AGENT_POLL_INTERVAL_MS  60000UL

#define AGENT_CONNECT_TIMEOUT_MS  5000L


static void agent_push_profile(const agent_options_t *o,
    const agent_settings_t *s, scep_profile_t *p);
static void agent_push_profile_state(const agent_options_t *o,
    const agent_state_t *st, scep_profile_t *p);
static void agent_push_timeouts(const agent_options_t *o, scep_profile_t *p);
static scep_ca_t *agent_push_ca(const scep_profile_t *profile,
    scep_error_t *err);
static X509 *agent_push_pending(const agent_options_t *o,
    const scep_profile_t *profile, const scep_ca_t *ca,
    scep_transaction_t *t, const agent_keeper_t *keeper, scep_error_t *err);
static int agent_push_finish(const scep_profile_t *profile,
    const scep_ca_t *ca, EVP_PKEY *key, X509 *cert, agent_credentials_t *out,
    scep_error_t *err);
static int agent_push_chain(const scep_ca_t *ca, agent_credentials_t *out,
    scep_error_t *err);
static int agent_push_keep(STACK_OF(X509) *chain, X509 *x);


int
agent_push_enroll(const agent_options_t *o, const agent_settings_t *s,
    const agent_keeper_t *keeper, agent_credentials_t *out,
    scep_error_t *err)
{
    int                  rc;
    char                 text[1024];
    X509                *cert;
    EVP_PKEY            *key;
    scep_ca_t           *ca;
    X509_NAME           *subject;
    scep_profile_t       profile;
    scep_transaction_t  *pending;

    memset(out, 0, sizeof(*out));

    agent_push_profile(o, s, &profile);

    subject = agent_subject_build(s->rdns, s->nrdns, err);
    if (subject == NULL) {
        return -1;
    }

    agent_log_verbose("subject %s",
                      agent_subject_text(subject, text, sizeof(text)));

    if (s->ca_fingerprint_len == 0) {
        agent_log_warn("the portal pins no CA fingerprint: the CA that %s "
                       "sends is taken on trust", s->server_url);
    }

    ca = agent_push_ca(&profile, err);
    if (ca == NULL) {
        X509_NAME_free(subject);
        return -1;
    }

    agent_log_verbose("generating an RSA key of %d bits", s->key_bits);

    cert = NULL;
    pending = NULL;

    key = scep_key_generate(s->key_bits, err);

    if (key != NULL) {
        agent_log_verbose("sending the request (PKCSReq) to %s",
                          s->server_url);

        /* no polling here: a PENDING request is saved before any wait */
        cert = scep_client_enroll(&profile, ca, key, subject, &s->sans,
                                  s->challenge, NULL, &pending, err);

        if (cert == NULL && pending != NULL) {
            cert = agent_push_pending(o, &profile, ca, pending, keeper, err);
        }

        scep_transaction_free(pending);
    }

    X509_NAME_free(subject);

    rc = (cert != NULL) ? agent_push_finish(&profile, ca, key, cert, out, err)
                        : -1;

    X509_free(cert);
    EVP_PKEY_free(key);
    scep_ca_free(ca);

    return rc;
}


int
agent_push_renew(const agent_options_t *o, const agent_state_t *st,
    const agent_credentials_t *held, const agent_keeper_t *keeper,
    agent_credentials_t *out, agent_rollover_t *roll, char *why,
    size_t why_size, scep_error_t *err)
{
    int                  rc;
    X509                *cert;
    EVP_PKEY            *key;
    scep_ca_t           *ca;
    scep_error_t         e;
    scep_profile_t       profile;
    scep_transaction_t  *pending;

    memset(out, 0, sizeof(*out));
    memset(roll, 0, sizeof(*roll));

    agent_push_profile_state(o, st, &profile);

    ca = agent_push_ca(&profile, err);

    /* the certificate the CA announced, vouched for by the old one */
    if (ca == NULL && err->code == SCEP_ERR_CA_FINGERPRINT
        && st->next_ca_fingerprint_len != 0)
    {
        memcpy(profile.ca_fingerprint, st->next_ca_fingerprint,
               st->next_ca_fingerprint_len);
        profile.ca_fingerprint_len = st->next_ca_fingerprint_len;

        ca = agent_push_ca(&profile, &e);
        roll->switched = (ca != NULL);
    }

    if (ca == NULL) {
        /* a CA that rolled over: the portal knows the new fingerprint */
        if (err->code == SCEP_ERR_CA_FINGERPRINT) {
            snprintf(why, why_size, "%s", err->message);
            return 1;
        }

        return -1;
    }

    if (ca->caps & SCEP_CAP_GET_NEXT_CA_CERT) {
        agent_log_verbose("GetNextCACert from %s", st->server_url);

        roll->announced = scep_client_next_ca(&profile, ca, &e);

        if (roll->announced == NULL) {
            agent_log_warn("%s", e.message);
        }
    }

    if (!(ca->caps & SCEP_CAP_RENEWAL)) {
        snprintf(why, why_size, "the CA at %s does not list Renewal in "
                 "GetCACaps", st->server_url);
        scep_ca_free(ca);
        return 1;
    }

    if (o->same_key) {
        key = held->key;
        EVP_PKEY_up_ref(key);
        agent_log_verbose("renewing for the current key (--same-key)");

    } else {
        agent_log_verbose("generating an RSA key of %d bits", st->key_bits);
        key = scep_key_generate(st->key_bits, err);
    }

    cert = NULL;
    pending = NULL;

    if (key != NULL) {
        agent_log_verbose("sending the request (RenewalReq, signed with the "
                          "current certificate) to %s", st->server_url);

        cert = scep_client_renew(&profile, ca, held->cert, held->key,
                                 o->same_key ? NULL : key, NULL, &pending,
                                 err);

        if (cert == NULL && pending != NULL) {
            cert = agent_push_pending(o, &profile, ca, pending, keeper, err);
        }

        scep_transaction_free(pending);
    }

    rc = (cert != NULL) ? agent_push_finish(&profile, ca, key, cert, out, err)
                        : -1;

    X509_free(cert);
    EVP_PKEY_free(key);
    scep_ca_free(ca);

    return rc;
}


int
agent_push_resume(const agent_options_t *o, const agent_state_t *st,
    const scep_transaction_t *t, agent_credentials_t *out,
    scep_error_t *err)
{
    int             rc;
    X509           *cert;
    scep_ca_t      *ca;
    scep_poll_t     poll;
    scep_profile_t  profile;

    memset(out, 0, sizeof(*out));

    agent_push_profile_state(o, st, &profile);

    ca = agent_push_ca(&profile, err);
    if (ca == NULL) {
        return -1;
    }

    poll.initial_ms = AGENT_POLL_INITIAL_MS;
    poll.max_interval_ms = AGENT_POLL_INTERVAL_MS;
    poll.max_total_ms = (unsigned long) o->wait * 1000UL;

    agent_log_verbose("asking the CA at %s about the pending request "
                      "(CertPoll)", st->server_url);

    cert = scep_client_poll(&profile, ca, t, &poll, err);

    rc = (cert != NULL)
         ? agent_push_finish(&profile, ca, scep_transaction_request_key(t),
                             cert, out, err)
         : -1;

    X509_free(cert);
    scep_ca_free(ca);

    return rc;
}


/* GetCACert, checked against the pin, and GetCACaps. */
static scep_ca_t *
agent_push_ca(const scep_profile_t *profile, scep_error_t *err)
{
    char        text[1024];
    scep_ca_t  *ca;

    agent_log_verbose("GetCACert and GetCACaps from %s",
                      profile->server_url);

    ca = scep_client_fetch_ca(profile, err);
    if (ca == NULL) {
        return NULL;
    }

    agent_log_verbose("CA %s%s",
                      agent_subject_text(X509_get_subject_name(ca->ca), text,
                                         sizeof(text)),
                      profile->ca_fingerprint_len
                      ? ", its fingerprint matches" : "");

    return ca;
}


/*
 * The CA said PENDING: the transaction is kept first, then polled while
 * --wait allows.
 */
static X509 *
agent_push_pending(const agent_options_t *o, const scep_profile_t *profile,
    const scep_ca_t *ca, scep_transaction_t *t, const agent_keeper_t *keeper,
    scep_error_t *err)
{
    scep_poll_t   poll;
    scep_error_t  pending;

    pending = *err;

    if (keeper != NULL && keeper->keep(keeper->ctx, t, err) != 0) {
        return NULL;
    }

    if (o->wait == 0) {
        *err = pending;
        return NULL;
    }

    poll.initial_ms = AGENT_POLL_INITIAL_MS;
    poll.max_interval_ms = AGENT_POLL_INTERVAL_MS;
    poll.max_total_ms = (unsigned long) o->wait * 1000UL;

    agent_log_verbose("the CA holds the request for approval; polling for "
                      "up to %ld s", o->wait);

    return scep_client_poll(profile, ca, t, &poll, err);
}


static int
agent_push_finish(const scep_profile_t *profile, const scep_ca_t *ca,
    EVP_PKEY *key, X509 *cert, agent_credentials_t *out, scep_error_t *err)
{
    if (X509_check_private_key(cert, key) != 1) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "",
                              "the CA at %s issued a certificate for "
                              "another key", profile->server_url);
    }

    if (!EVP_PKEY_up_ref(key) || !X509_up_ref(cert)) {
        return scep_error_set(err, SCEP_ERR_NOMEM, "", "out of memory");
    }

    out->key = key;
    out->cert = cert;

    if (agent_push_chain(ca, out, err) != 0) {
        agent_credentials_free(out);
        return -1;
    }

    return 0;
}


/*
 * The profile the core's client works from, filled from the settings.
 * Its strings point into s and o, which outlive it.
 */
static void
agent_push_profile(const agent_options_t *o, const agent_settings_t *s,
    scep_profile_t *p)
{
    scep_profile_init(p, s->profile ? s->profile : "portal");

    p->mode = s->mode;
    p->server_url = s->server_url;
    p->ca_ident = s->ca_ident;
    p->subject = s->subject;
    p->key_bits = s->key_bits;
    p->digest = s->digest;
    p->key_usage = s->key_usage;
    p->challenge = s->challenge_type;

    memcpy(p->ca_fingerprint, s->ca_fingerprint, s->ca_fingerprint_len);
    p->ca_fingerprint_len = s->ca_fingerprint_len;

    /* through the portal's proxy, the SCEP server is the portal itself */
    p->trusted_ca = o->pki_ca_file;

    if (p->trusted_ca == NULL && s->mode == SCEP_MODE_PROXY) {
        p->trusted_ca = o->ca_file;
    }

    /* proxy mode: sent as X-SCEP-Ticket with every SCEP request */
    p->ticket = s->ticket;

    agent_push_timeouts(o, p);
}


/* The same profile, from what the state kept of the settings. */
static void
agent_push_profile_state(const agent_options_t *o, const agent_state_t *st,
    scep_profile_t *p)
{
    scep_profile_init(p, st->profile[0] ? st->profile : "portal");

    p->mode = st->mode;
    p->server_url = st->server_url;
    p->ca_ident = st->ca_ident[0] ? st->ca_ident : NULL;
    p->key_bits = st->key_bits;
    p->digest = st->digest;
    p->key_usage = st->key_usage;

    memcpy(p->ca_fingerprint, st->ca_fingerprint, st->ca_fingerprint_len);
    p->ca_fingerprint_len = st->ca_fingerprint_len;

    p->trusted_ca = st->pki_ca_file[0] ? st->pki_ca_file : NULL;

    agent_push_timeouts(o, p);
}


static void
agent_push_timeouts(const agent_options_t *o, scep_profile_t *p)
{
    p->timeout_ms = o->timeout * 1000L;
    p->connect_timeout_ms = (p->timeout_ms < AGENT_CONNECT_TIMEOUT_MS)
                            ? p->timeout_ms : AGENT_CONNECT_TIMEOUT_MS;
}


/* The CA first, then any CA certificate of the chain GetCACert sent. */
static int
agent_push_chain(const scep_ca_t *ca, agent_credentials_t *out,
    scep_error_t *err)
{
    int              i, rc;
    X509            *x;
    STACK_OF(X509)  *others;

    out->chain = sk_X509_new_null();
    others = scep_ca_others(ca);

    rc = (out->chain != NULL && others != NULL)
         ? agent_push_keep(out->chain, ca->ca) : -1;

    for (i = 0; rc == 0 && i < sk_X509_num(others); i++) {
        x = sk_X509_value(others, i);

        /* RA certificates are no part of a trust chain */
        if (X509_check_ca(x) > 0) {
            rc = agent_push_keep(out->chain, x);
        }
    }

    sk_X509_free(others);

    if (rc != 0) {
        return scep_error_set(err, SCEP_ERR_NOMEM, "",
                              "out of memory keeping the CA certificates");
    }

    return 0;
}


static int
agent_push_keep(STACK_OF(X509) *chain, X509 *x)
{
    if (!X509_up_ref(x)) {
        return -1;
    }

    if (!sk_X509_push(chain, x)) {
        X509_free(x);
        return -1;
    }

    return 0;
}
