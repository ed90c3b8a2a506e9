/*
 * The settings of a SCEP profile one at a time: the words they take and
 * their names, the bounds of each, and the parsers of what nginx
 * directives (and the agent's pushed settings) give.  The profile as a
 * whole, and the rules between its settings, are scep_profile.h's.
 */

#ifndef SCEP_SETTINGS_H
#define SCEP_SETTINGS_H

#include <stddef.h>

#include "scep_error.h"


typedef enum {
    SCEP_MODE_PUSH = 0,
    SCEP_MODE_ENROLL,
    SCEP_MODE_PROXY
} scep_mode_t;

typedef enum {
    SCEP_CHALLENGE_NONE = 0,
    SCEP_CHALLENGE_FIXED,
    SCEP_CHALLENGE_DYNAMIC,
    SCEP_CHALLENGE_BOUND
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
    SCEP_SAN_URI,
    SCEP_SAN_UPN                /* otherName 1.3.6.1.4.1.311.20.2.3 */
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

/* bound challenges: how long one may wait for its CSR */
#define SCEP_CHALLENGE_LIFETIME_DEFAULT_S  300
#define SCEP_CHALLENGE_LIFETIME_MAX_S      86400

/* PKCS#9 ub-challenge-password; also bounds the challenge login. */
#define SCEP_CHALLENGE_MAX_LEN     255

#define SCEP_URL_MAX_LEN           2048
#define SCEP_SAN_MAX_LEN           1024
#define SCEP_SANS_MAX              8

#define SCEP_CONNECT_TIMEOUT_DEFAULT_MS  5000
#define SCEP_TIMEOUT_DEFAULT_MS          30000
#define SCEP_TIMEOUT_MAX_MS              600000


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

/* 1024..8192 bits in steps of 256; 2048 or more with fips. */
int scep_check_key_bits(long bits, int fips, scep_error_t *err);

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


#endif /* SCEP_SETTINGS_H */
