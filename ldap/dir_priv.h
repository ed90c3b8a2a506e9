/*
 * The state of a client, shared by the files that implement dir.h.
 */

#ifndef DIR_PRIV_H
#define DIR_PRIV_H

#include <ldap.h>

#include "dir.h"
#include "dir_cache.h"
#include "dir_conn.h"
#include "dir_list.h"
#include "dir_pool.h"


/* DNs from the configuration or the server longer than this are refused. */
#define DIR_DN_LEN_MAX  1024

/* Active Directory's LDAP_MATCHING_RULE_IN_CHAIN on member. */
#define DIR_IN_CHAIN_FILTER  "(member:1.2.840.113556.1.4.1941:=%d)"


struct dir_s {
    dir_config_t   cfg;
    const char    *group_base_dn;       /* the setting, or base_dn */
    dir_pool_t     pool;
    dir_cache_t   *cache;               /* NULL when cache_ttl is 0 */
};


/*
 * Adds the groups of the user found in entry to groups, searching on
 * conn, a search connection, where the source needs it.
 */
int dir_groups_resolve(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    const char *dn, dir_list_t *groups, dir_error_t *err);

/*
 * Fills user from the user's entry once the password was accepted: the
 * canonical name, then the groups and mails, from the cache if it has
 * them.
 */
int dir_user_fill(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    const char *dn, const char *login, size_t login_len, dir_user_t *user,
    dir_error_t *err);

/* Whether s[0..len) is usable as a name: no control bytes, bounded. */
int dir_name_usable(const char *s, size_t len);


#endif /* DIR_PRIV_H */
