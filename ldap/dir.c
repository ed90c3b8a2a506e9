#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dir_error.h"
#include "dir_strings.h"
#include "dir_priv.h"


/*
 * libldap initialises its process-wide options, and its TLS library, on
 * first use and without a lock; doing it here, before any worker thread
 * exists, keeps that first use single-threaded.
 */
static int
dir_init_library(const dir_config_t *cfg, dir_error_t *err)
{
    int     version, client;
    size_t  i;

    version = LDAP_VERSION3;

    if (ldap_set_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &version)
        != LDAP_OPT_SUCCESS)
    {
        return dir_error_set(err, DIR_ERR_INTERNAL, NULL,
                             "libldap could not be initialised");
    }

    for (i = 0; i < cfg->nurls; i++) {
        if (cfg->starttls || strncasecmp(cfg->urls[i], "ldaps://", 8) == 0) {
            break;
        }
    }

    if (i == cfg->nurls) {
        return 0;
    }

    client = 0;

    /*
     * Every connection has a TLS context of its own; this global one only
     * makes the TLS library start now.  Its failure is not ours to report:
     * the check of the connections' own settings follows.
     */
    (void) ldap_set_option(NULL, LDAP_OPT_X_TLS_NEWCTX, &client);

    return dir_conn_check_tls(cfg, err);
}


dir_t *
dir_create(const dir_config_t *cfg, dir_error_t *err)
{
    dir_t  *dir;

    if (dir_config_validate(cfg, err) != 0
        || dir_init_library(cfg, err) != 0)
    {
        return NULL;
    }

    dir = calloc(1, sizeof(dir_t));
    if (dir == NULL) {
        dir_error_set(err, DIR_ERR_NOMEM, NULL,
                      "out of memory creating the directory client");
        return NULL;
    }

    dir_config_effective(cfg, &dir->cfg);
    dir->group_base_dn = dir->cfg.group_base_dn;

    if (cfg->cache_ttl_s > 0) {
        dir->cache = dir_cache_create(cfg->cache_ttl_s,
                                      cfg->cache_max_entries, NULL);
        if (dir->cache == NULL) {
            free(dir);
            dir_error_set(err, DIR_ERR_NOMEM, NULL,
                          "out of memory creating the directory cache");
            return NULL;
        }
    }

    if (dir_pool_init(&dir->pool, cfg->pool_size) != 0) {
        dir_cache_destroy(dir->cache);
        free(dir);
        dir_error_set(err, DIR_ERR_INTERNAL, NULL,
                      "the connection pool's lock could not be created");
        return NULL;
    }

    if (dir_servers_init(&dir->servers, &dir->cfg) != 0) {
        dir_pool_destroy(&dir->pool);
        dir_cache_destroy(dir->cache);
        free(dir);
        dir_error_set(err, DIR_ERR_INTERNAL, NULL,
                      "the server table's lock could not be created");
        return NULL;
    }

    dir->pool.servers = &dir->servers;

    return dir;
}


void
dir_destroy(dir_t *dir)
{
    if (dir == NULL) {
        return;
    }

    dir_pool_destroy(&dir->pool);
    dir_servers_destroy(&dir->servers);
    dir_cache_destroy(dir->cache);
    free(dir);
}


void
dir_stats(dir_t *dir, unsigned long *opened, unsigned long *reused)
{
    dir_pool_stats(&dir->pool, opened, reused);
}


void
dir_user_free(dir_user_t *user)
{
    if (user == NULL) {
        return;
    }

    free(user->dn);
    free(user->username);
    free(user->guid);
    free(user->sid);
    free(user->upn);
    dir_strings_array_free(user->groups, user->ngroups);
    dir_strings_array_free(user->mails, user->nmails);

    memset(user, 0, sizeof(dir_user_t));
    user->grace_logins = -1;
    user->expires_in_s = -1;
}
