#include <stdlib.h>
#include <string.h>

#include "dir_error.h"
#include "dir_priv.h"


/* Groups of one level looked up by one search in a nested walk. */
#define DIR_WALK_BATCH  16


static int
dir_groups_limit(dir_t *dir, dir_conn_t *conn, dir_error_t *err)
{
    return dir_error_set(err, DIR_ERR_LIMIT, conn->url,
                         "the user is a member of more than %zu groups; "
                         "raise max_groups or narrow group_base_dn",
                         dir->cfg.max_groups);
}


/*
 * A DN that is empty, oversized or holds control bytes cannot be matched
 * by any group rule: it is left out rather than failing the login.
 */
static int
dir_groups_add(dir_t *dir, dir_conn_t *conn, dir_list_t *groups,
    const char *dn, size_t len, dir_error_t *err)
{
    size_t  i;

    if (len == 0 || len > DIR_DN_LEN_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) dn[i] < 0x20 || dn[i] == 0x7f) {
            return 0;
        }
    }

    if (dir_list_has(groups, dn, len)) {
        return 0;
    }

    if (groups->n >= dir->cfg.max_groups) {
        return dir_groups_limit(dir, conn, err);
    }

    if (dir_list_push(groups, dn, len) != 0) {
        return dir_error_set(err, DIR_ERR_NOMEM, NULL,
                             "out of memory collecting groups");
    }

    return 0;
}


static int
dir_groups_add_values(dir_t *dir, dir_conn_t *conn, dir_list_t *groups,
    LDAPMessage *entry, dir_error_t *err)
{
    int              rc;
    size_t           i;
    struct berval  **values;

    values = ldap_get_values_len(conn->ld, entry, "memberOf");
    if (values == NULL) {
        return 0;
    }

    rc = 0;

    for (i = 0; values[i] != NULL && rc == 0; i++) {
        rc = dir_groups_add(dir, conn, groups, values[i]->bv_val,
                            values[i]->bv_len, err);
    }

    ldap_value_free_len(values);

    return rc;
}


/* Adds the DNs of the groups that filter finds under group_base_dn. */
static int
dir_groups_search(dir_t *dir, dir_conn_t *conn, const char *filter,
    dir_list_t *groups, dir_error_t *err)
{
    int           rc;
    char         *dn;
    LDAPMessage  *res, *entry;
    char         *attrs[] = { LDAP_NO_ATTRS, NULL };

    rc = dir_conn_search(&dir->cfg, conn, dir->group_base_dn, DIR_SCOPE_SUB,
                         filter, attrs, (int) dir->cfg.max_groups + 1, &res);

    if (rc == LDAP_SIZELIMIT_EXCEEDED) {
        ldap_msgfree(res);
        return dir_groups_limit(dir, conn, err);
    }

    if (rc != LDAP_SUCCESS) {
        ldap_msgfree(res);
        return dir_error_ldap(err, conn->ld, conn->url, rc,
                              "the group search", dir->cfg.timeout_ms);
    }

    rc = 0;

    for (entry = ldap_first_entry(conn->ld, res);
         entry != NULL && rc == 0;
         entry = ldap_next_entry(conn->ld, entry))
    {
        dn = ldap_get_dn(conn->ld, entry);
        if (dn == NULL) {
            continue;
        }

        rc = dir_groups_add(dir, conn, groups, dn, strlen(dn), err);
        ldap_memfree(dn);
    }

    ldap_msgfree(res);

    return rc;
}


static int
dir_groups_search_for(dir_t *dir, dir_conn_t *conn, const char *tpl,
    const char *member, dir_list_t *groups, dir_error_t *err)
{
    int    rc;
    char  *filter;

    filter = dir_filter_render(tpl, 'd', member, strlen(member));
    if (filter == NULL) {
        return dir_error_set(err, DIR_ERR_LIMIT, NULL,
                             "group_filter with the DN \"%.64s...\" is longer "
                             "than %d characters", member,
                             DIR_FILTER_LEN_MAX);
    }

    rc = dir_groups_search(dir, conn, filter, groups, err);
    free(filter);

    return rc;
}


/*
 * One search for the parents of up to DIR_WALK_BATCH groups:
 * "(|<filter for g1><filter for g2>...)".
 */
static char *
dir_groups_batch_filter(const char *tpl, char *const *members, size_t n)
{
    char    *filter, *one[DIR_WALK_BATCH], *p;
    size_t   i, len;

    filter = NULL;
    len = sizeof("(|)");

    for (i = 0; i < n; i++) {
        one[i] = dir_filter_render(tpl, 'd', members[i], strlen(members[i]));
        if (one[i] == NULL) {
            goto done;
        }

        len += strlen(one[i]);
    }

    filter = malloc(len);
    if (filter == NULL) {
        goto done;
    }

    p = filter;
    *p++ = '(';
    *p++ = '|';

    for (i = 0; i < n; i++) {
        len = strlen(one[i]);
        memcpy(p, one[i], len);
        p += len;
    }

    *p++ = ')';
    *p = '\0';

done:

    while (i-- > 0) {
        free(one[i]);
    }

    return filter;
}


static int
dir_groups_walk_search(dir_t *dir, dir_conn_t *conn, dir_list_t *groups,
    size_t from, size_t to, dir_error_t *err)
{
    int     rc;
    char   *filter;
    size_t  n;

    for ( /* void */ ; from < to; from += n) {
        n = to - from < DIR_WALK_BATCH ? to - from : DIR_WALK_BATCH;

        /* built before the search, whose additions may move the list */
        filter = dir_groups_batch_filter(dir->cfg.group_filter,
                                         groups->items + from, n);
        if (filter == NULL) {
            return dir_error_set(err, DIR_ERR_LIMIT, NULL,
                                 "a group DN made group_filter longer than "
                                 "%d characters", DIR_FILTER_LEN_MAX);
        }

        rc = dir_groups_search(dir, conn, filter, groups, err);
        free(filter);

        if (rc != 0) {
            return -1;
        }
    }

    return 0;
}


/*
 * Reads the memberOf of each group.  A group the server does not hold
 * (a dangling value, or one in another naming context) has no parents
 * to follow.
 */
static int
dir_groups_walk_memberof(dir_t *dir, dir_conn_t *conn, dir_list_t *groups,
    size_t from, size_t to, dir_error_t *err)
{
    int           rc;
    char         *dn;
    LDAPMessage  *res;
    char         *attrs[] = { "memberOf", NULL };

    for ( /* void */ ; from < to; from++) {
        dn = groups->items[from];

        rc = dir_conn_search(&dir->cfg, conn, dn, DIR_SCOPE_BASE,
                             "(objectClass=*)", attrs, 1, &res);

        if (rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_REFERRAL) {
            ldap_msgfree(res);
            continue;
        }

        if (rc != LDAP_SUCCESS) {
            ldap_msgfree(res);
            return dir_error_ldap(err, conn->ld, conn->url, rc,
                                  "reading a group's memberOf",
                                  dir->cfg.timeout_ms);
        }

        rc = dir_groups_add_values(dir, conn, groups,
                                   ldap_first_entry(conn->ld, res), err);
        ldap_msgfree(res);

        if (rc != 0) {
            return -1;
        }
    }

    return 0;
}


/*
 * Breadth first, one level at a time: the groups found at one level are
 * the members looked up at the next.  A group already known is not
 * added again, which ends cycles.
 */
static int
dir_groups_walk(dir_t *dir, dir_conn_t *conn, dir_list_t *groups,
    dir_error_t *err)
{
    int     rc, level;
    size_t  from, to;

    from = 0;

    for (level = 0; level < dir->cfg.nested_depth; level++) {
        to = groups->n;

        if (from == to) {
            break;
        }

        if (dir->cfg.group_source == DIR_GROUPS_SEARCH) {
            rc = dir_groups_walk_search(dir, conn, groups, from, to, err);

        } else {
            rc = dir_groups_walk_memberof(dir, conn, groups, from, to, err);
        }

        if (rc != 0) {
            return -1;
        }

        from = to;
    }

    return 0;
}


int
dir_groups_resolve(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    const char *dn, dir_list_t *groups, dir_error_t *err)
{
    int  rc;

    switch (dir->cfg.group_source) {

    case DIR_GROUPS_NONE:
        return 0;

    case DIR_GROUPS_MEMBEROF:
        rc = dir_groups_add_values(dir, conn, groups, entry, err);
        break;

    default:
        rc = 0;

        if (dir->cfg.nested != DIR_NESTED_IN_CHAIN) {
            rc = dir_groups_search_for(dir, conn, dir->cfg.group_filter, dn,
                                       groups, err);
        }

        break;
    }

    if (rc != 0) {
        return -1;
    }

    switch (dir->cfg.nested) {

    case DIR_NESTED_WALK:
        return dir_groups_walk(dir, conn, groups, err);

    case DIR_NESTED_IN_CHAIN:
        return dir_groups_search_for(dir, conn, DIR_IN_CHAIN_FILTER, dn,
                                     groups, err);

    default:
        return 0;
    }
}
