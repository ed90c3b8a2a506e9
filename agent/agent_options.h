/*
 * The command line of scep-agent.
 */

#ifndef AGENT_OPTIONS_H
#define AGENT_OPTIONS_H

#include <stddef.h>


/* The portal's limits on the login fields (PROTOCOL.md, section 4.2). */
#define AGENT_USER_MAX          256
#define AGENT_PASSWORD_MAX      1024
#define AGENT_DEVICE_ID_MAX     128

#define AGENT_TIMEOUT_DEFAULT   30
#define AGENT_TIMEOUT_MAX       600
#define AGENT_WAIT_MAX          (24 * 3600)

#define AGENT_PORTAL_URL_MAX    1024


typedef struct {
    char         portal[AGENT_PORTAL_URL_MAX + 1];  /* no trailing '/' */
    const char  *ca_file;         /* trusted roots for the portal */
    int          insecure;        /* no check of the portal's certificate */
    const char  *pki_ca_file;     /* trusted roots for an https SCEP server */
    const char  *user;
    const char  *password_file;
    const char  *host_id;
    const char  *udid;
    const char  *out_dir;
    long         timeout;         /* seconds, each exchange */
    long         wait;            /* seconds to wait for approval; 0 none */
    int          verbose;
} agent_options_t;


/*
 * Returns 0 with o filled, 1 when --help was asked (usage printed on
 * stdout), -1 after printing what is wrong.
 */
int agent_options_parse(int argc, char **argv, agent_options_t *o);


#endif /* AGENT_OPTIONS_H */
