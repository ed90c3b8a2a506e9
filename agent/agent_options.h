/*
 * The command line of scep-agent.
 */

#ifndef AGENT_OPTIONS_H
#define AGENT_OPTIONS_H

#include <stddef.h>

#include "agent_window.h"


/* The portal's limits on the login fields (PROTOCOL.md, section 4.2). */
#define AGENT_USER_MAX          256
#define AGENT_PASSWORD_MAX      1024
#define AGENT_DEVICE_ID_MAX     128

#define AGENT_TIMEOUT_DEFAULT   30
#define AGENT_TIMEOUT_MAX       600
#define AGENT_WAIT_MAX          (24 * 3600)

#define AGENT_PORTAL_URL_MAX    1024

/* Where renew --all and status look without --root: systemd's
 * StateDirectory= when it set one, else this. */
#define AGENT_ROOT_ENV          "STATE_DIRECTORY"
#define AGENT_ROOT_DEFAULT      "/var/lib/scep-agent"


typedef enum {
    AGENT_CMD_ENROLL = 0,
    AGENT_CMD_RENEW,
    AGENT_CMD_STATUS
} agent_command_t;


typedef struct {
    agent_command_t  command;
    char         portal[AGENT_PORTAL_URL_MAX + 1];  /* no trailing '/' */
    const char  *ca_file;         /* trusted roots for the portal */
    int          insecure;        /* no check of the portal's certificate */
    const char  *pki_ca_file;     /* trusted roots for an https SCEP server */
    const char  *user;
    const char  *password_file;
    const char  *host_id;
    const char  *udid;
    const char  *out_dir;         /* --dir: one certificate's directory */
    long         timeout;         /* seconds, each exchange */
    long         wait;            /* seconds to wait for approval; 0 none */
    int          verbose;

    int          force;           /* enroll over a valid certificate; renew
                                   * before the window */
    int          all;             /* renew, status: every directory */
    const char  *root;            /* ... under this one */
    int          json;            /* status */
    int          same_key;        /* renew: no new key */
    agent_window_t  window;
} agent_options_t;


/*
 * "scep-agent [COMMAND] OPTIONS": enroll (also without a command, as
 * before commands existed), renew or status.  No value typed on the
 * command line is ever repeated in an error: one in the wrong place may
 * be a password.  Returns 0 with o filled, 1 when --help was asked
 * (usage printed on stdout), -1 after printing what is wrong.
 */
int agent_options_parse(int argc, char **argv, agent_options_t *o);


#endif /* AGENT_OPTIONS_H */
