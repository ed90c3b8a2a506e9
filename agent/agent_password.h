/*
 * Where the login password comes from: --password-file, else the
 * NGX_SCEP_PASSWORD environment variable, else the terminal (no echo).
 * The password is never printed; the caller wipes it with
 * OPENSSL_cleanse() as soon as the login is done.
 */

#ifndef AGENT_PASSWORD_H
#define AGENT_PASSWORD_H

#include <stddef.h>

#include "agent_options.h"


#define AGENT_PASSWORD_ENV  "NGX_SCEP_PASSWORD"


/*
 * Fills buf (AGENT_PASSWORD_MAX + 1 bytes) with the password and its
 * terminating NUL; returns 0, or -1 after printing why.
 */
int agent_password_obtain(const agent_options_t *o, char *buf, size_t size);

/* 1 when agent_password_obtain() has a source to ask, without asking. */
int agent_password_available(const agent_options_t *o);


#endif /* AGENT_PASSWORD_H */
