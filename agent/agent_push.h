/*
 * Push and proxy modes: the agent enrolls by itself with the portal's
 * settings, through the core's SCEP client.
 */

#ifndef AGENT_PUSH_H
#define AGENT_PUSH_H

#include "scep/scep_error.h"
#include "agent_answer.h"
#include "agent_credentials.h"
#include "agent_options.h"


/*
 * Checks the CA against the pinned fingerprint before anything else goes
 * to the SCEP server, makes the key, the subject and the request, and
 * runs the enrollment; while the CA answers PENDING it polls for up to
 * --wait seconds.  Returns 0 with out filled, or -1 with err set
 * (SCEP_ERR_PENDING when the CA still has not decided).
 */
int agent_push_enroll(const agent_options_t *o, const agent_settings_t *s,
    agent_credentials_t *out, scep_error_t *err);


#endif /* AGENT_PUSH_H */
