/*
 * scep-agent status: what each certificate directory holds, when it
 * ends, when it will be renewed, and any request the CA has not decided
 * on; as text for people, or JSON (--json) for scripts.
 */

#ifndef AGENT_STATUS_H
#define AGENT_STATUS_H

#include <stdio.h>

#include "agent_exit.h"
#include "agent_options.h"


/*
 * Every directory under o->root (o->all) or o->out_dir.  Returns 0, or
 * 1 when a directory could not be read (it is still listed, with the
 * error).
 */
agent_exit_t agent_status_run(const agent_options_t *o);

/* s as a JSON string, quotes included; control bytes as \u00XX. */
void agent_status_json_string(FILE *f, const char *s);


#endif /* AGENT_STATUS_H */
