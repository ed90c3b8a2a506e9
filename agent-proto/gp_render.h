/*
 * Agent answers: the XML documents a GlobalProtect-style agent reads.
 * Every value is XML-escaped; the layout is described in PROTOCOL.md.
 */

#ifndef GP_RENDER_H
#define GP_RENDER_H

#include <stddef.h>

#include <openssl/x509.h>

#include "agent-proto/gp_buf.h"
#include "scep/scep_profile.h"


typedef struct {
    const char  *portal_name;
    const char  *auth_message;        /* "Enter login credentials" */
    const char  *username_label;
    const char  *password_label;
} gp_prelogin_t;

typedef struct {
    const char  *name;                /* shown to the user */
    const char  *address;             /* host[:port] */
    int          priority;            /* 1 is preferred */
} gp_gateway_t;

/* Push and proxy modes: what the agent needs to enroll by itself. */
typedef struct {
    const scep_profile_t  *profile;
    const X509_NAME       *subject;   /* rendered for this user */
    const char            *server_url;/* the profile's, or the portal's proxy */
    const char            *challenge; /* NULL when the profile has none */
    const char            *ticket;    /* proxy mode: admission ticket */
} gp_scep_settings_t;

/* Enroll mode: the certificate the portal obtained for the agent. */
typedef struct {
    const char  *profile;
    const char  *pkcs12_b64;
    const char  *passphrase;
    const char  *subject;
    const char  *serial;              /* hex */
    const char  *issuer;
    const char  *not_after;           /* RFC 3339 */
    const char  *ca_chain_pem;
} gp_scep_certificate_t;

/* Enroll mode, CA answered PENDING: come back later. */
typedef struct {
    const char  *profile;
    const char  *transaction_id;
    int          retry_after;         /* seconds */
} gp_scep_pending_t;

typedef struct {
    const char                   *portal_name;
    const char                   *user;
    const gp_gateway_t           *gateways;
    size_t                        ngateways;
    const gp_scep_settings_t     *settings;
    const gp_scep_certificate_t  *certificate;
    const gp_scep_pending_t      *pending;
} gp_policy_t;


/*
 * The renderers append to b; check b->failed once at the end.  It is set
 * when memory or b's bound runs out, and for an impossible input such as
 * settings without a profile or subject, or a fingerprint that is neither
 * SHA-1 nor SHA-256.
 */
void gp_render_prelogin(gp_buf_t *b, const gp_prelogin_t *p);

/*
 * The document may carry secrets: the challenge password, a PKCS#12 and
 * its passphrase.  Free that buffer with gp_buf_free_secret(), and wipe
 * any copy of it (OPENSSL_cleanse) once it has been sent.
 */
void gp_render_policy(gp_buf_t *b, const gp_policy_t *policy);

/* <response status="error"><error>message</error></response> */
void gp_render_error(gp_buf_t *b, const char *message);

/*
 * An error's message as an HTTP reason phrase and a header value can
 * carry it, for the clients that read it there (PROTOCOL.md, section
 * 6): printable ASCII, each other character (a UTF-8 sequence, a control
 * byte) as one '?', cut to size - 1 bytes and NUL-terminated.  Returns
 * the length; 0 for an empty message or a size of 0.
 */
size_t gp_render_reason(char *out, size_t size, const char *message);

/* Room for a reason: clients keep header lines short. */
#define GP_REASON_MAX  200


#endif /* GP_RENDER_H */
