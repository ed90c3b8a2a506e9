/*
 * Writing the result: DIR/key.pem (mode 0600 from its creation),
 * DIR/cert.pem and DIR/ca.pem (0644, less what the umask takes).
 */

#ifndef AGENT_FILES_H
#define AGENT_FILES_H

#include <limits.h>
#include <sys/types.h>

#include "scep/scep_error.h"
#include "agent_credentials.h"


typedef struct {
    char  key[PATH_MAX];
    char  cert[PATH_MAX];
    char  ca[PATH_MAX];
    int   has_ca;                /* 0 when there was no CA certificate */
    char  key_prev[PATH_MAX];    /* the pair replaced, when there was one */
    char  cert_prev[PATH_MAX];
    int   has_prev;
} agent_paths_t;


/*
 * Creates dir (0700) when it does not exist, and checks that the agent
 * may write there.  Called before the login too: a certificate must not
 * be issued, and a one-time password spent, for files that cannot be
 * written.  Returns 0, or -1 with err set (SCEP_ERR_FILE).  A directory
 * created here is removed again by agent_files_abandon() (and by a
 * signal) while it is empty.
 */
int agent_files_prepare(const char *dir, scep_error_t *err);

/* After a failure: removes the directory this run created, if empty. */
void agent_files_abandon(void);

/*
 * Locks DIR (flock on the directory, not waiting) for the life of the
 * process: two runs in one directory (the timer's and a person's) would
 * race.
 */
int agent_files_lock(const char *dir, scep_error_t *err);

/*
 * DIR/name, at most max bytes, into *data (malloc'd, NUL-terminated,
 * wiped and freed by the caller).  Returns 0, 1 when there is no such
 * file, or -1 with err set.
 */
int agent_files_read(const char *dir, const char *name, size_t max,
    unsigned char **data, size_t *len, scep_error_t *err);

/* DIR/name written whole to a temporary file of mode, renamed in place. */
int agent_files_put(const char *dir, const char *name,
    const unsigned char *data, size_t len, mode_t mode, scep_error_t *err);

/* Removes DIR/name; no such file is no error. */
int agent_files_remove(const char *dir, const char *name, scep_error_t *err);

/*
 * The key, certificate and CA certificates held in DIR.  Returns 0, 1
 * when DIR holds no certificate, or -1 with err set (a file that cannot
 * be read, or a key that does not match the certificate).
 */
int agent_files_load(const char *dir, agent_credentials_t *c,
    scep_error_t *err);

/*
 * Prepares dir as agent_files_prepare() does.  Every file is first
 * written in full to a new temporary file beside it, created with its
 * final mode, and the files are renamed over the old ones only once all
 * are written: a failure while writing leaves the old files as they were,
 * and the key is never readable by others, not even for a moment.  The
 * pair it replaces is kept as key.pem.prev and cert.pem.prev (hard links
 * made before the new files are renamed in, so that key.pem never goes
 * missing), until the next replacement.
 * Without CA certificates, an old ca.pem is removed.  Returns 0, or -1
 * with err set (SCEP_ERR_FILE).
 */
int agent_files_write(const char *dir, const agent_credentials_t *c,
    agent_paths_t *paths, scep_error_t *err);


/*
 * The subdirectories of root that hold a state file, sorted by name, as
 * paths "root/name" in *dirs (free with agent_files_dirs_free()).
 * Returns 0, or -1 with err set.
 */
int agent_files_dirs(const char *root, char ***dirs, size_t *n,
    scep_error_t *err);

void agent_files_dirs_free(char **dirs, size_t n);


#endif /* AGENT_FILES_H */
