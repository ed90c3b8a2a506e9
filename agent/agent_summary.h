/*
 * The few lines a person reads at the end: what was issued, by whom, until
 * when, and where the files are.
 */

#ifndef AGENT_SUMMARY_H
#define AGENT_SUMMARY_H

#include <stdio.h>

#include "agent_credentials.h"
#include "agent_files.h"


/* how: "push mode", "enroll mode"...; profile may be NULL. */
void agent_summary_print(FILE *f, const char *how, const char *profile,
    const agent_credentials_t *c, const agent_paths_t *paths);


#endif /* AGENT_SUMMARY_H */
