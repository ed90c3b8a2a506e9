/*
 * Writing the result: DIR/key.pem (mode 0600 from its creation),
 * DIR/cert.pem and DIR/ca.pem (0644, less what the umask takes).
 */

#ifndef AGENT_FILES_H
#define AGENT_FILES_H

#include <limits.h>

#include "scep/scep_error.h"
#include "agent_credentials.h"


typedef struct {
    char  key[PATH_MAX];
    char  cert[PATH_MAX];
    char  ca[PATH_MAX];
    int   has_ca;                /* 0 when there was no CA certificate */
} agent_paths_t;


/*
 * Creates dir (0700) when it does not exist, and checks that the agent
 * may write there.  Called before the login too: a certificate must not
 * be issued, and a one-time password spent, for files that cannot be
 * written.  Returns 0, or -1 with err set (SCEP_ERR_FILE).
 */
int agent_files_prepare(const char *dir, scep_error_t *err);

/*
 * Prepares dir as agent_files_prepare() does.  Every file is first
 * written in full to a new temporary file beside it, created with its
 * final mode, and the files are renamed over the old ones only once all
 * are written: a failure while writing leaves the old files as they were,
 * and the key is never readable by others, not even for a moment.
 * Without CA certificates, an old ca.pem is removed.  Returns 0, or -1
 * with err set (SCEP_ERR_FILE).
 */
int agent_files_write(const char *dir, const agent_credentials_t *c,
    agent_paths_t *paths, scep_error_t *err);


#endif /* AGENT_FILES_H */
