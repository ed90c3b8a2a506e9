/*
 * The exit statuses of scep-agent: a script branches on them, so each
 * one says what the person running the agent can do next.
 */

#ifndef AGENT_EXIT_H
#define AGENT_EXIT_H


typedef enum {
    AGENT_EXIT_OK = 0,

    /* a mistake on this machine: options, password source, files */
    AGENT_EXIT_LOCAL = 1,

    /* the portal refused the user name or password (HTTP 512) */
    AGENT_EXIT_CREDENTIALS = 2,

    /* the portal refused this user or this request (403, 400) */
    AGENT_EXIT_REFUSED = 3,

    /* the portal or the PKI failed, or could not be reached or trusted */
    AGENT_EXIT_FAILED = 4,

    /* nothing is wrong yet: the certificate waits for approval, or the
     * portal is busy; run again later */
    AGENT_EXIT_RETRY = 5,

    /* a renewal needs a login through the portal (the CA offers no
     * RenewalReq, the certificate expired, or the CA changed), and no
     * password source was given: run it with one */
    AGENT_EXIT_LOGIN = 6

    /* ended by a signal: 128 + its number (130 SIGINT, 143 SIGTERM,
     * 129 SIGHUP), as a shell reports it; see agent_signal.h */
} agent_exit_t;


#endif /* AGENT_EXIT_H */
