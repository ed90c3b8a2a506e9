/*
 * The <scep> element of a policy: the settings of push and proxy modes.
 */

#ifndef AGENT_SETTINGS_H
#define AGENT_SETTINGS_H

#include <libxml/tree.h>

#include "scep/scep_error.h"
#include "agent_answer.h"


/* Returns 0, or -1 with err set; s then holds nothing to free. */
int agent_settings_parse(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err);

void agent_settings_free(agent_settings_t *s);


#endif /* AGENT_SETTINGS_H */
