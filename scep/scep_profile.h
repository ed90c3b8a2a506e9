/*
 * A SCEP profile: everything the portal needs to know about one PKI and
 * the certificates it asks that PKI for.  The nginx module fills it from
 * a "scep_profile" block; the validators here decide what is acceptable,
 * so that nginx -t, the agent and the tests agree.
 */

#ifndef SCEP_PROFILE_H
#define SCEP_PROFILE_H

#include <stddef.h>

#include "scep_error.h"
#include "scep_keyring.h"
#include "scep_san.h"
#include "scep_settings.h"
#include "scep_subject.h"


/*
 * Strings are NUL-terminated and owned by whoever filled the profile; the
 * core never frees them.  The parsed subject and subject alternative
 * name templates are owned by the profile and released by
 * scep_profile_release().
 */
typedef struct {
    const char             *name;
    scep_mode_t             mode;

    scep_challenge_type_t   challenge;
    const char             *challenge_password;   /* fixed, or dynamic login */
    const char             *challenge_password_file;  /* its source */
    const char             *challenge_url;        /* dynamic */
    const char             *challenge_username;   /* dynamic */
    scep_http_auth_t        challenge_auth;
    long                    challenge_lifetime_s; /* bound */

    /*
     * bound: the keys shared with the CA's verifier, the first signs;
     * set by whoever loads them (the module, from scep_key_file).
     */
    const scep_keyring_t   *keys;

    const char             *server_url;
    const char             *ca_ident;

    const char             *subject;              /* template text */
    scep_subject_tpl_t     *subject_tpl;          /* parsed by validate */

    /* subject_alt_name, in order: templates, parsed by validate */
    scep_san_conf_t         sans[SCEP_SANS_MAX];
    size_t                  nsans;
    scep_san_tpl_t         *san_tpl;

    int                     key_bits;
    scep_digest_t           digest;
    unsigned                key_usage;            /* SCEP_KU_* */

    unsigned char           ca_fingerprint[SCEP_FINGERPRINT_MAX];
    size_t                  ca_fingerprint_len;   /* 0, 20 or 32 */

    /* without a fingerprint, http:// takes any CA certificate: on purpose */
    int                     insecure_trust_any_ca;

    const char             *trusted_ca;           /* PEM file */
    const char             *client_cert;          /* PEM file */
    const char             *client_key;           /* PEM file */

    int                     fips;

    long                    connect_timeout_ms;
    long                    timeout_ms;

    /* proxy mode */
    const char             *proxy_url;            /* where agents send SCEP */
    long                    ticket_lifetime_s;    /* admission tickets */

    /* enroll mode */
    size_t                  key_pool;             /* keys made ahead; 0 off */
    long                    poll_interval_ms;     /* first wait on PENDING */
    long                    poll_wait_ms;         /* polling in one login */
    long                    poll_retry_s;         /* agents come back after */

    /*
     * Agent side of proxy mode: the portal's admission ticket, sent as
     * "X-SCEP-Ticket: <ticket>" with every request to server_url
     * (GetCACert, GetCACaps, PKIOperation), never to the challenge
     * service; NULL otherwise.  Printable ASCII without blanks.
     */
    const char             *ticket;
} scep_profile_t;


/*
 * Fills the defaults: push, no challenge, 2048 bits, sha256, both usages,
 * fips off, 5 s to connect and 30 s in all; in enroll mode no key pool,
 * polling from 1 s for up to 10 s, agents told to come back after 60 s.
 */
void scep_profile_init(scep_profile_t *p, const char *name);

/*
 * Checks one profile as a whole and parses its subject and subject
 * alternative name templates.  On
 * failure, err->field names the setting at fault (the directive's name;
 * "challenge_password_file" when the password was read from a file) and
 * nothing is left allocated.  Problems are reported one at a time, in the
 * order the directives are usually written: mode, challenge, server_url,
 * ca_ident, subject, subject_alt_name, key_bits, digest, key_usage,
 * ca_fingerprint, TLS files, timeouts.  Settings that would be silently
 * ignored (a challenge_url with challenge fixed) are errors too, except
 * challenge_auth basic, which is indistinguishable from its default.
 */
int scep_profile_validate(scep_profile_t *p, scep_error_t *err);

void scep_profile_release(scep_profile_t *p);


#endif /* SCEP_PROFILE_H */
