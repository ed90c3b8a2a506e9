#include <string.h>

#include <openssl/x509v3.h>

#include "scep/scep_client.h"
#include "scep/scep_key.h"
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
static int agent_push_chain(const scep_ca_t *ca, agent_credentials_t *out,
    scep_error_t *err);
static int agent_push_keep(STACK_OF(X509) *chain, X509 *x);


int
agent_push_enroll(const agent_options_t *o, const agent_settings_t *s,
    agent_credentials_t *out, scep_error_t *err)
{
    int                  rc;
    char                 text[1024];
    X509                *cert;
    EVP_PKEY            *key;
    scep_ca_t           *ca;
    X509_NAME           *subject;
    scep_poll_t          poll;
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

    agent_log_verbose("GetCACert and GetCACaps from %s", s->server_url);

    ca = scep_client_fetch_ca(&profile, err);
    if (ca == NULL) {
        X509_NAME_free(subject);
        return -1;
    }

    agent_log_verbose("CA %s%s",
                      agent_subject_text(X509_get_subject_name(ca->ca), text,
                                         sizeof(text)),
                      s->ca_fingerprint_len ? ", its fingerprint matches"
                                            : "");

    agent_log_verbose("generating an RSA key of %d bits", s->key_bits);

    cert = NULL;
    pending = NULL;

    key = scep_key_generate(s->key_bits, err);

    if (key != NULL) {
        poll.initial_ms = AGENT_POLL_INITIAL_MS;
        poll.max_interval_ms = AGENT_POLL_INTERVAL_MS;
        poll.max_total_ms = (unsigned long) o->wait * 1000UL;

        agent_log_verbose("sending the request (PKCSReq) to %s",
                          s->server_url);

        cert = scep_client_enroll(&profile, ca, key, subject, s->challenge,
                                  &poll, &pending, err);

        /* a later run starts over: the key of this one is not kept */
        scep_transaction_free(pending);
    }

    X509_NAME_free(subject);

    rc = -1;

    if (cert != NULL && X509_check_private_key(cert, key) != 1) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, "",
                       "the CA at %s issued a certificate for another key",
                       s->server_url);

    } else if (cert != NULL) {
        out->key = key;
        out->cert = cert;
        key = NULL;
        cert = NULL;

        rc = agent_push_chain(ca, out, err);
    }

    X509_free(cert);
    EVP_PKEY_free(key);
    scep_ca_free(ca);

    if (rc != 0) {
        agent_credentials_free(out);
    }

    return rc;
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
    p->san_type = s->san_type;
    p->san_value = s->san_value;
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
