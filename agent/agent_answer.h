/*
 * The portal's answers (PROTOCOL.md, sections 3 to 6), read into plain C:
 * the prelogin answer, and the getconfig answer with its settings (push
 * and proxy modes), certificate (enroll mode), pending notice, or error.
 *
 * Only what the agent acts on is kept; unknown elements are ignored, as
 * GlobalProtect clients do.  Every value is checked here, with the same
 * validators nginx -t uses, so that the rest of the agent gets settings
 * it can use as they are.
 */

#ifndef AGENT_ANSWER_H
#define AGENT_ANSWER_H

#include <stddef.h>

#include "scep/scep_error.h"
#include "scep/scep_profile.h"
#include "scep/scep_subject.h"


/* Bounds on what a portal may send. */
#define AGENT_NAME_MAX        256      /* portal, profile, user names */
#define AGENT_MESSAGE_MAX     1024     /* an error or prelogin message */
#define AGENT_TICKET_MAX      1024
#define AGENT_RDN_TYPE_MAX    64
#define AGENT_RETRY_MAX       86400    /* seconds */
#define AGENT_BLOB_MAX        (512 * 1024)  /* a PKCS#12, a CA chain */


typedef struct {
    char  *status;                 /* "Success" */
    char  *message;                /* <msg>, when the status is not */
    char  *portal_name;
    int    saml;                   /* the portal asks for a SAML login */
} agent_prelogin_t;


typedef struct {
    char  *type;                   /* OpenSSL short name or dotted OID */
    char  *value;
    int    same_rdn;               /* joins the previous attribute's RDN */
} agent_rdn_t;

/* <scep>: push and proxy modes. */
typedef struct {
    char                   *profile;
    scep_mode_t             mode;
    char                   *server_url;
    char                   *ca_ident;       /* NULL when not configured */
    char                   *subject;        /* text, for people only */

    agent_rdn_t             rdns[SCEP_SUBJECT_MAX_RDNS];
    size_t                  nrdns;

    scep_sans_t             sans;           /* checked, in order */

    int                     key_bits;
    scep_digest_t           digest;
    unsigned                key_usage;      /* SCEP_KU_* */

    unsigned char           ca_fingerprint[SCEP_FINGERPRINT_MAX];
    size_t                  ca_fingerprint_len;   /* 0, 20 or 32 */

    scep_challenge_type_t   challenge_type;
    char                   *challenge;      /* secret; NULL without one */

    char                   *ticket;         /* proxy mode */
} agent_settings_t;

/* <scep-certificate>: enroll mode. */
typedef struct {
    char  *profile;
    char  *subject;
    char  *serial;
    char  *issuer;
    char  *not_after;
    char  *pkcs12;                 /* base64; secret */
    char  *passphrase;             /* secret */
    char  *ca_chain;               /* PEM, or NULL */
} agent_certificate_t;

/* <scep-pending>: the CA has not decided yet. */
typedef struct {
    char  *profile;
    char  *transaction_id;
    long   retry_after;            /* seconds, 0..AGENT_RETRY_MAX */
} agent_pending_t;


typedef enum {
    AGENT_ANSWER_ERROR = 0,        /* <response status="error"> */
    AGENT_ANSWER_SETTINGS,         /* <policy> with <scep> */
    AGENT_ANSWER_CERTIFICATE,      /* <policy> with <scep-certificate> */
    AGENT_ANSWER_PENDING           /* <policy> with <scep-pending> */
} agent_answer_kind_t;

typedef struct {
    agent_answer_kind_t   kind;
    char                 *error;         /* the portal's message */
    char                 *portal_name;
    char                 *user_name;
    agent_settings_t      settings;
    agent_certificate_t   certificate;
    agent_pending_t       pending;
} agent_answer_t;


/*
 * Reads a prelogin.esp answer.  Returns 0, or -1 with err set
 * (SCEP_ERR_PROTOCOL) when it is not one.
 */
int agent_prelogin_parse(const char *xml, size_t len, agent_prelogin_t *p,
    scep_error_t *err);

void agent_prelogin_free(agent_prelogin_t *p);

/*
 * Reads a getconfig.esp answer: an error document, or a policy with
 * exactly one of <scep>, <scep-certificate> and <scep-pending>.  Returns
 * 0, or -1 with err set (SCEP_ERR_PROTOCOL, err->field naming the
 * element at fault) when the document is neither, or holds a value the
 * agent cannot use.
 */
int agent_answer_parse(const char *xml, size_t len, agent_answer_t *a,
    scep_error_t *err);

/* Wipes every value (some are secrets) and frees them. */
void agent_answer_free(agent_answer_t *a);


#endif /* AGENT_ANSWER_H */
