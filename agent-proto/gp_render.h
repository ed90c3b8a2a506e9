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

/*
 * The GlobalProtect software version a portal announces in <version>;
 * clients report it back to gateways as their own (openconnect 9.12 and
 * newer, as app-version).  Seen on PAN-OS portals in the field.
 */
#define GP_SOFTWARE_VERSION_DEFAULT  "6.2.8-263"
#define GP_SOFTWARE_VERSION_MAX      32

/* The version of this protocol's own elements (<scep> and the rest). */
#define GP_PROTOCOL_VERSION          1

typedef struct {
    const char  *name;                /* shown to the user */
    const char  *address;             /* host[:port] */
    int          priority;            /* 1 is preferred */
} gp_gateway_t;

/*
 * Internal host detection: a client that finds that address's reverse
 * lookup giving that host name is inside and takes the internal
 * gateways.  Either pair may be NULL.
 */
typedef struct {
    const char  *address;             /* an IPv4 address */
    const char  *host;
    const char  *address6;            /* an IPv6 address */
    const char  *host6;
} gp_host_detection_t;

/* Push and proxy modes: what the agent needs to enroll by itself. */
typedef struct {
    const scep_profile_t  *profile;
    const X509_NAME       *subject;   /* rendered for this user */
    const scep_sans_t     *sans;      /* made for this user, or NULL */
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
    const char                   *version;    /* NULL: the default */
    const char                   *user;
    const gp_gateway_t           *gateways;   /* external */
    size_t                        ngateways;
    const gp_gateway_t           *internal_gateways;
    size_t                        ninternal_gateways;
    const gp_host_detection_t    *host_detection;  /* NULL: none */
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

/*
 * A GlobalProtect software version as portals write it, "6.2.8-263":
 * 1 to GP_SOFTWARE_VERSION_MAX characters of digits, letters, '.' and
 * '-', starting with a digit.
 */
int gp_software_version_is_valid(const char *version);

/* Room for a reason: clients keep header lines short. */
#define GP_REASON_MAX  200


#endif /* GP_RENDER_H */
