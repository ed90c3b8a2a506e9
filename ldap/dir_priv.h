/*
 * The state of a client, shared by the files that implement dir.h.
 */

#ifndef DIR_PRIV_H
#define DIR_PRIV_H

#include <ldap.h>

#include "dir.h"
#include "dir_account.h"
#include "dir_cache.h"
#include "dir_conn.h"
#include "dir_strings.h"
#include "dir_pool.h"
#include "dir_servers.h"


/* DNs from the configuration or the server longer than this are refused. */
#define DIR_DN_LEN_MAX  1024

/* Active Directory's LDAP_MATCHING_RULE_IN_CHAIN on member. */
#define DIR_IN_CHAIN_FILTER  "(member:1.2.840.113556.1.4.1941:=%d)"


struct dir_s {
    dir_config_t   cfg;                 /* with the type's defaults */
    const char    *group_base_dn;       /* the setting, or its default */
    dir_pool_t     pool;
    dir_cache_t   *cache;               /* NULL when cache_ttl is 0 */
    dir_servers_t  servers;             /* as connections last saw them */
};


/*
 * Adds the groups of the user found in entry to groups, searching on
 * conn, a search connection, where the source needs it.
 */
int dir_groups_resolve(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    const char *dn, dir_strings_t *groups, dir_error_t *err);

/*
 * The attributes the user search asks for, beside the username and mail
 * attributes: memberOf (ranged when range_size is set) and the values
 * the groups need.  attrs has room for DIR_GROUPS_ATTRS_MAX; buf holds
 * a ranged name.  Returns the number added.
 */
#define DIR_GROUPS_ATTRS_MAX  3

size_t dir_groups_user_attrs(dir_t *dir, char **attrs, char *buf,
    size_t size);

/*
 * Fills user from the user's entry once the password was accepted: the
 * canonical name and ids, the password policy's warnings, then the groups
 * and mails, from the cache if it has them.
 */
int dir_user_fill(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    const char *dn, const dir_bind_result_t *bind, dir_user_t *user,
    dir_error_t *err);

/* Whether s[0..len) is usable as a name: no control bytes, bounded. */
int dir_name_usable(const char *s, size_t len);

/* A NetBIOS or DNS domain name. */
int dir_domain_valid(const char *s, size_t len);

/* The DC= part of a DN (its AD domain), or the DN when it has none. */
const char *dir_dn_domain(const char *dn);

/*
 * Copies a binary SID with its last sub-authority replaced by rid (the
 * primary group's SID from the user's); returns its length, or -1.
 */
int dir_sid_with_rid(const unsigned char *sid, size_t len,
    unsigned long rid, unsigned char *out, size_t size);

/*
 * An attribute description as AD answers a ranged read: "memberOf" (1),
 * or "memberOf;range=0-1499" / "memberOf;range=1500-*" (0, with lo, hi
 * and last set), for attr compared ignoring case; -1 for anything else.
 */
int dir_range_parse(const char *desc, const char *attr, size_t *lo,
    size_t *hi, int *last);


#endif /* DIR_PRIV_H */
