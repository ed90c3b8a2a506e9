/*
 * HTTPS to the portal's agent endpoints, through libcurl: a form POST
 * and its answer, whatever the HTTP status.
 */

#ifndef AGENT_PORTAL_H
#define AGENT_PORTAL_H

#include "agent-proto/gp_buf.h"
#include "agent_options.h"


/* A policy with a PKCS#12 is a few kilobytes; anything this big is not. */
#define AGENT_ANSWER_MAX    (1024 * 1024)

#define AGENT_PRELOGIN_PATH   "/global-protect/prelogin.esp"
#define AGENT_GETCONFIG_PATH  "/global-protect/getconfig.esp"


typedef struct {
    long      status;
    long      retry_after;   /* seconds of a Retry-After header, or 0 */

    /* may hold a challenge password, a PKCS#12 and its passphrase: free
     * it with gp_buf_free_secret() */
    gp_buf_t  body;
} agent_portal_answer_t;


/*
 * Posts form to the endpoint path of the portal.  Returns 0 with answer
 * filled for any HTTP status, -1 after printing why there was no answer
 * (connection, TLS, timeout, size).
 */
int agent_portal_post(const agent_options_t *o, const char *path,
    const gp_buf_t *form, agent_portal_answer_t *answer);

void agent_portal_answer_free(agent_portal_answer_t *answer);


#endif /* AGENT_PORTAL_H */
