/*
 * Messages of the agent: errors and warnings on stderr, prefixed with the
 * program's name, progress with -v.  Messages often quote the portal or
 * the PKI, so every one is printed as untrusted text (agent_log_untrusted):
 * a hostile server must not send escape sequences to the user's terminal.
 * None of them ever holds a password, a challenge, a key or a passphrase.
 */

#ifndef AGENT_LOG_H
#define AGENT_LOG_H

#include <stdio.h>


#define AGENT_PROGRAM  "scep-agent"


void agent_log_set_verbose(int verbose);

void agent_log_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

void agent_log_warn(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Only with -v. */
void agent_log_verbose(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/*
 * Writes s to f: clean UTF-8 text kept as it is, control characters and
 * ill-formed bytes replaced by '?'.
 */
void agent_log_untrusted(FILE *f, const char *s);


#endif /* AGENT_LOG_H */
