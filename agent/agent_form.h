/*
 * The forms the agent posts, encoded as application/x-www-form-urlencoded
 * the way GlobalProtect agents send them (PROTOCOL.md, section 4).
 */

#ifndef AGENT_FORM_H
#define AGENT_FORM_H

#include "agent-proto/gp_buf.h"
#include "agent_options.h"


/* The portal takes at most 65536 bytes. */
#define AGENT_FORM_MAX  65536


/* The prelogin.esp form: who is asking, no credentials. */
void agent_form_prelogin(gp_buf_t *b, const agent_options_t *o);

/*
 * The getconfig.esp login.  b holds the password: free it with
 * gp_buf_free_secret().
 */
void agent_form_getconfig(gp_buf_t *b, const agent_options_t *o,
    const char *password);

/* Appends name=value, percent-encoded, with a '&' before all but the first. */
void agent_form_add(gp_buf_t *b, const char *name, const char *value);


#endif /* AGENT_FORM_H */
