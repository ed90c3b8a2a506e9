/*
 * What the agent keeps in its directory to renew a certificate and to
 * resume a pending request without being told again: the portal and the
 * login name, the SCEP settings the portal pushed, and the pending
 * transaction's id.  The pending transaction itself (its key) is in a
 * file of its own, pending.der.
 *
 * DIR/state is text, one "name = value" a line, '#' comments: a person
 * may read it, and only the agent writes it (mode 0600, to a temporary
 * file renamed into place).  It holds no secret: no password, no
 * challenge, no key.
 */

#ifndef AGENT_STATE_H
#define AGENT_STATE_H

#include <stddef.h>
#include <time.h>

#include "scep/scep_error.h"
#include "scep/scep_profile.h"


#define AGENT_STATE_FILE       "state"
#define AGENT_PENDING_FILE     "pending.der"
#define AGENT_STATE_VERSION    1

/* A state file is a few hundred bytes; anything longer is not one. */
#define AGENT_STATE_MAX_LEN    (16 * 1024)

#define AGENT_STATE_URL_MAX    1024
#define AGENT_STATE_PATH_MAX   1024
#define AGENT_STATE_NAME_MAX   256
#define AGENT_STATE_ID_MAX     128


typedef enum {
    AGENT_PENDING_NONE = 0,
    AGENT_PENDING_ENROLL,          /* a PKCSReq left PENDING */
    AGENT_PENDING_RENEWAL          /* a RenewalReq left PENDING */
} agent_pending_kind_t;


typedef struct {
    /* the login: where, who, and how the portal's certificate is trusted */
    char                   portal[AGENT_STATE_URL_MAX + 1];
    char                   portal_ca_file[AGENT_STATE_PATH_MAX + 1];
    int                    insecure;
    char                   user[AGENT_STATE_NAME_MAX + 1];
    char                   host_id[AGENT_STATE_NAME_MAX + 1];
    char                   udid[AGENT_STATE_NAME_MAX + 1];

    /* what the portal said last */
    char                   profile[AGENT_STATE_NAME_MAX + 1];
    scep_mode_t            mode;

    /* push mode: the SCEP settings, for a RenewalReq without the portal */
    char                   server_url[AGENT_STATE_URL_MAX + 1];
    char                   ca_ident[AGENT_STATE_NAME_MAX + 1];
    unsigned char          ca_fingerprint[SCEP_FINGERPRINT_MAX];
    size_t                 ca_fingerprint_len;

    /* the CA's next certificate, announced by GetNextCACert (SHA-256) */
    unsigned char          next_ca_fingerprint[SCEP_FINGERPRINT_MAX];
    size_t                 next_ca_fingerprint_len;

    char                   pki_ca_file[AGENT_STATE_PATH_MAX + 1];
    int                    key_bits;
    scep_digest_t          digest;
    unsigned               key_usage;

    /* a request the CA has not decided on */
    agent_pending_kind_t   pending;
    char                   pending_id[AGENT_STATE_ID_MAX + 1];
    time_t                 pending_since;
} agent_state_t;


/* Empties s: no pending request, the profile's defaults. */
void agent_state_init(agent_state_t *s);

/*
 * Reads the text of a state file.  Unknown names are refused (the file
 * is the agent's own: anything else is damage), as are values with
 * control characters or beyond their bounds.  Returns 0, or -1 with err
 * set (SCEP_ERR_INPUT, err->field naming the line's name).
 */
int agent_state_parse(const char *text, size_t len, agent_state_t *s,
    scep_error_t *err);

/* Writes s as a state file's text; returns its length, or 0 if too long. */
size_t agent_state_format(const agent_state_t *s, char *buf, size_t size);

/*
 * DIR/state: agent_state_load() returns 1 when there is none, 0 when it
 * was read, -1 with err set (SCEP_ERR_FILE or SCEP_ERR_INPUT).
 */
int agent_state_load(const char *dir, agent_state_t *s, scep_error_t *err);

/* Written whole to a temporary file (0600) renamed over DIR/state. */
int agent_state_save(const char *dir, const agent_state_t *s,
    scep_error_t *err);

/* "enroll", "renewal", "none". */
const char *agent_pending_kind_name(agent_pending_kind_t kind);


#endif /* AGENT_STATE_H */
