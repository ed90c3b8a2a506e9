/*
 * What scep-verify works with: the keys, the replay directory, the
 * profiles it serves, where it logs.  From a configuration file, one
 * setting a line:
 *
 *     # the keys the portal's scep_key_file lists; any of them verifies
 *     key_file    /etc/scep-verify/keys/2026-12.key
 *     key_file    /etc/scep-verify/keys/2026-06.key
 *     replay_dir  /var/lib/scep-verify
 *     profile     staff              (optional: only these profiles)
 *     log_file    /var/log/scep-verify.log   (optional: besides stderr)
 *
 * and from the same settings as options (--key-file, --replay-dir,
 * --profile, --log-file), which add to the file's.
 */

#ifndef VERIFY_CONFIG_H
#define VERIFY_CONFIG_H

#include <stddef.h>

#include "scep/scep_keyring.h"


#define VERIFY_CONFIG_DEFAULT  "/etc/scep-verify.conf"
#define VERIFY_CONFIG_ENV      "SCEP_VERIFY_CONFIG"
#define VERIFY_PROFILES_MAX    64
#define VERIFY_PATH_MAX        1024


typedef struct {
    scep_keyring_t  keys;
    char            replay_dir[VERIFY_PATH_MAX];
    char            log_file[VERIFY_PATH_MAX];
    char            profiles[VERIFY_PROFILES_MAX][65];
    size_t          nprofiles;
} verify_config_t;


void verify_config_init(verify_config_t *c);

/*
 * One setting, from the file (line > 0) or an option (line 0).  -1 with
 * a message in why.
 */
int verify_config_set(verify_config_t *c, const char *name,
    const char *value, char *why, size_t size);

/* Reads a configuration file; -1 with a message naming the line. */
int verify_config_read(verify_config_t *c, const char *path, char *why,
    size_t size);

/* A configuration that can judge: keys and a replay directory. */
int verify_config_check(const verify_config_t *c, char *why, size_t size);

/* Is a challenge of this profile served here? */
int verify_config_serves(const verify_config_t *c, const char *profile);

void verify_config_wipe(verify_config_t *c);


#endif /* VERIFY_CONFIG_H */
