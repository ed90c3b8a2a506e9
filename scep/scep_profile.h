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
#include "scep_subject.h"


typedef enum {
    SCEP_MODE_PUSH = 0,
    SCEP_MODE_ENROLL,
    SCEP_MODE_PROXY
} scep_mode_t;

typedef enum {
    SCEP_CHALLENGE_NONE = 0,
    SCEP_CHALLENGE_FIXED,
    SCEP_CHALLENGE_DYNAMIC
} scep_challenge_type_t;

typedef enum {
    SCEP_HTTP_AUTH_BASIC = 0,
    SCEP_HTTP_AUTH_NTLM,
    SCEP_HTTP_AUTH_ANY
} scep_http_auth_t;

typedef enum {
    SCEP_SAN_NONE = 0,
    SCEP_SAN_RFC822,
    SCEP_SAN_DNS,
    SCEP_SAN_URI
} scep_san_type_t;

typedef enum {
    SCEP_DIGEST_SHA1 = 0,
    SCEP_DIGEST_SHA256,
    SCEP_DIGEST_SHA384
} scep_digest_t;

#define SCEP_KU_DIGITAL_SIGNATURE  0x01
#define SCEP_KU_KEY_ENCIPHERMENT   0x02

#define SCEP_CA_IDENT_MAX          255

/*
 * RSA key sizes: whole multiples of SCEP_KEY_BITS_STEP, so that a typo
 * such as 2049 is caught rather than handed to the CA.
 */
#define SCEP_KEY_BITS_MIN          1024
#define SCEP_KEY_BITS_FIPS_MIN     2048
#define SCEP_KEY_BITS_MAX          8192
#define SCEP_KEY_BITS_STEP         256
#define SCEP_KEY_BITS_DEFAULT      2048

#define SCEP_FINGERPRINT_MAX       32
#define SCEP_KEY_POOL_MAX          1024
#define SCEP_POLL_WAIT_MAX_MS      600000
#define SCEP_POLL_RETRY_MAX_S      86400
#define SCEP_TICKET_LIFETIME_MAX_S 86400

/* PKCS#9 ub-challenge-password; also bounds the challenge login. */
#define SCEP_CHALLENGE_MAX_LEN     255

#define SCEP_URL_MAX_LEN           2048
#define SCEP_SAN_MAX_LEN           1024

#define SCEP_CONNECT_TIMEOUT_DEFAULT_MS  5000
#define SCEP_TIMEOUT_DEFAULT_MS          30000
#define SCEP_TIMEOUT_MAX_MS              600000


/*
 * Strings are NUL-terminated and owned by whoever filled the profile; the
 * core never frees them.  The parsed subject template is owned by the
 * profile and released by scep_profile_release().
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

    const char             *server_url;
    const char             *ca_ident;

    const char             *subject;              /* template text */
    scep_subject_tpl_t     *subject_tpl;          /* parsed by validate */

    scep_san_type_t         san_type;
    const char             *san_value;

    int                     key_bits;
    scep_digest_t           digest;
    unsigned                key_usage;            /* SCEP_KU_* */

    unsigned char           ca_fingerprint[SCEP_FINGERPRINT_MAX];
    size_t                  ca_fingerprint_len;   /* 0, 20 or 32 */

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

    /* per process, set by the owner once it runs: CA, keys */
    struct scep_pki_s      *pki;

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
 * Checks one profile as a whole and parses its subject template.  On
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


/*
 * Single-setting parsers, used by the nginx directives and the agent.
 * Words are matched in any case; an unknown word is refused with the
 * list of accepted ones, err->field naming the directive.
 */
int scep_parse_mode(const char *s, scep_mode_t *out, scep_error_t *err);
int scep_parse_challenge(const char *s, scep_challenge_type_t *out,
    scep_error_t *err);
int scep_parse_http_auth(const char *s, scep_http_auth_t *out,
    scep_error_t *err);
int scep_parse_san_type(const char *s, scep_san_type_t *out,
    scep_error_t *err);
int scep_parse_digest(const char *s, scep_digest_t *out, scep_error_t *err);

/*
 * ORs the bit of one word (digital_signature, key_encipherment) into
 * *usage.  The default has both bits, so the caller clears *usage before
 * the first word of a key_usage directive.
 */
int scep_parse_key_usage(const char *s, unsigned *usage, scep_error_t *err);

/* Decimal, SCEP_KEY_BITS_MIN..SCEP_KEY_BITS_MAX, a multiple of the step. */
int scep_parse_key_bits(const char *s, int *out, scep_error_t *err);

/*
 * A SHA-1 (40 hex digits) or SHA-256 (64 hex digits) fingerprint, plain
 * or colon-separated pairs, any case.  out holds SCEP_FINGERPRINT_MAX
 * bytes; *len becomes 20 or 32.
 */
int scep_parse_fingerprint(const char *s, unsigned char *out, size_t *len,
    scep_error_t *err);

/*
 * An http:// or https:// (https_only: https:// only) URL with a host and
 * an optional port; printable ASCII, no user:password@, no #fragment.
 * err->field is "url": callers name their own setting.
 */
int scep_check_url(const char *url, int https_only, scep_error_t *err);

/* Names of the enum values as the directives spell them; "unknown" else. */
const char *scep_mode_name(scep_mode_t mode);
const char *scep_challenge_name(scep_challenge_type_t c);
const char *scep_san_type_name(scep_san_type_t t);
const char *scep_digest_name(scep_digest_t d);


#endif /* SCEP_PROFILE_H */
