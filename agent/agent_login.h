/*
 * The login with the portal: prelogin.esp, then getconfig.esp, and what
 * the portal's answer means for the agent's exit status.
 */

#ifndef AGENT_LOGIN_H
#define AGENT_LOGIN_H

#include "agent_answer.h"
#include "agent_exit.h"
#include "agent_options.h"


/*
 * Asks prelogin.esp whether the portal takes a password login.  Returns
 * AGENT_EXIT_OK, or an exit status after printing why not.
 */
agent_exit_t agent_login_prelogin(const agent_options_t *o);

/*
 * Posts the login to getconfig.esp.  AGENT_EXIT_OK: answer holds
 * settings, a certificate or a pending notice (agent_answer_free() it).
 * AGENT_EXIT_RETRY: the portal is busy, *retry_after says for how long
 * (seconds, 0 when it did not say), and answer holds nothing.  Any other
 * status: the portal's message, or what was wrong, has been printed.
 */
agent_exit_t agent_login_getconfig(const agent_options_t *o,
    const char *password, agent_answer_t *answer, long *retry_after);


#endif /* AGENT_LOGIN_H */
