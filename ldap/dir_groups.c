/*
 * The groups of a user: memberOf values (read in ranges where Active
 * Directory splits them), a search for groups whose member the user is,
 * AD's tokenGroups, the primary group that neither memberOf nor member
 * lists, and nested groups by walk or by AD's in-chain rule.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dir_error.h"
#include "dir_priv.h"


/* Groups of one level looked up by one search in a nested walk. */
#define DIR_WALK_BATCH   64

/* SIDs resolved by one search: a filter of at most about 60 KB. */
#define DIR_SID_CHUNK    256

/* A binary SID: 8 bytes and up to 15 sub-authorities of 4. */
#define DIR_SID_LEN_MAX  68


typedef struct {
    dir_t        *dir;
    dir_conn_t   *conn;
    dir_strings_t   *groups;
    dir_error_t  *err;
} dir_groups_ctx_t;

/* Takes one value of a (ranged) attribute; 0, or -1 with err set. */
typedef int (*dir_value_pt)(dir_groups_ctx_t *ctx, const struct berval *v,
    void *arg);


static int
dir_groups_limit(dir_groups_ctx_t *ctx)
{
    return dir_error_set(ctx->err, DIR_ERR_LIMIT, ctx->conn->url,
                         "the user is a member of more than %zu groups; "
                         "raise max_groups or narrow group_base_dn",
                         ctx->dir->cfg.max_groups);
}


/*
 * A DN that is empty, oversized or holds control bytes cannot be matched
 * by any group rule: it is left out rather than failing the login.
 */
static int
dir_groups_add(dir_groups_ctx_t *ctx, const char *dn, size_t len)
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

    if (dir_strings_has(ctx->groups, dn, len)) {
        return 0;
    }

    if (ctx->groups->n >= ctx->dir->cfg.max_groups) {
        return dir_groups_limit(ctx);
    }

    if (dir_strings_push(ctx->groups, dn, len) != 0) {
        return dir_error_set(ctx->err, DIR_ERR_NOMEM, NULL,
                             "out of memory collecting groups");
    }

    return 0;
}


static int
dir_groups_add_value(dir_groups_ctx_t *ctx, const struct berval *v,
    void *arg)
{
    (void) arg;

    return dir_groups_add(ctx, v->bv_val, v->bv_len);
}


int
dir_range_parse(const char *desc, const char *attr, size_t *lo, size_t *hi,
    int *last)
{
    size_t       len, n;
    const char  *p;

    len = strlen(attr);

    if (strncasecmp(desc, attr, len) != 0) {
        return -1;
    }

    p = desc + len;

    if (*p == '\0') {
        return 1;
    }

    if (strncasecmp(p, ";range=", 7) != 0) {
        return -1;
    }

    p += 7;

    for (*lo = 0, n = 0; *p >= '0' && *p <= '9' && n < 9; p++, n++) {
        *lo = *lo * 10 + (size_t) (*p - '0');
    }

    if (n == 0 || *p++ != '-') {
        return -1;
    }

    if (p[0] == '*' && p[1] == '\0') {
        *hi = 0;
        *last = 1;
        return 0;
    }

    for (*hi = 0, n = 0; *p >= '0' && *p <= '9' && n < 9; p++, n++) {
        *hi = *hi * 10 + (size_t) (*p - '0');
    }

    if (n == 0 || *p != '\0' || *hi < *lo) {
        return -1;
    }

    *last = 0;

    return 0;
}


/*
 * Hands the values of attr in entry to take(): all of them, or one range,
 * which must start at expect.  Returns 1 when more ranges follow (*next
 * is where), 0 when not, -1 on a failure.
 */
static int
dir_groups_entry_values(dir_groups_ctx_t *ctx, LDAPMessage *entry,
    const char *attr, dir_value_pt take, void *arg, size_t expect,
    size_t *next)
{
    int              rc, last, ranged;
    char            *name;
    size_t           i, lo, hi;
    BerElement      *ber;
    struct berval  **values;

    rc = 0;
    ber = NULL;
    ranged = -1;

    for (name = ldap_first_attribute(ctx->conn->ld, entry, &ber);
         name != NULL;
         name = ldap_next_attribute(ctx->conn->ld, entry, ber))
    {
        ranged = dir_range_parse(name, attr, &lo, &hi, &last);

        if (ranged >= 0) {
            break;
        }

        ldap_memfree(name);
    }

    ber_free(ber, 0);

    if (name == NULL) {
        return 0;
    }

    if (ranged == 0 && lo != expect) {
        ldap_memfree(name);
        return dir_error_set(ctx->err, DIR_ERR_SERVER, ctx->conn->url,
                             "LDAP server %s sent %s from value %zu where "
                             "%zu was asked for", ctx->conn->url, attr, lo,
                             expect);
    }

    values = ldap_get_values_len(ctx->conn->ld, entry, name);
    ldap_memfree(name);

    for (i = 0; values != NULL && values[i] != NULL && rc == 0; i++) {
        rc = take(ctx, values[i], arg);
    }

    ldap_value_free_len(values);

    if (rc == 0 && ranged == 0 && !last) {
        *next = hi + 1;
        return 1;
    }

    return rc;
}


/*
 * Every value of attr of the entry dn, whose first part (whole, or a
 * range) is in entry, or NULL to read it from the start.  AD sends at
 * most MaxValRange values (1500 by default) of a large attribute, named
 * "memberOf;range=0-1499"; the rest is asked for range by range.
 */
static int
dir_groups_values(dir_groups_ctx_t *ctx, LDAPMessage *entry, const char *dn,
    const char *attr, dir_value_pt take, void *arg)
{
    int            rc, rounds;
    char           want[64], *attrs[2];
    size_t         next, step;
    LDAPMessage   *res;

    step = ctx->dir->cfg.range_size;
    next = 0;
    rc = 1;

    if (entry != NULL) {
        rc = dir_groups_entry_values(ctx, entry, attr, take, arg, 0, &next);
    }

    /* each round brings at least one value, and max_groups bounds them */
    for (rounds = 0; rc == 1; rounds++) {

        if (rounds > DIR_GROUPS_MAX) {
            return dir_error_set(ctx->err, DIR_ERR_SERVER, ctx->conn->url,
                                 "LDAP server %s sent %s in more ranges "
                                 "than any user has groups", ctx->conn->url,
                                 attr);
        }

        if (step != 0) {
            snprintf(want, sizeof(want), "%s;range=%zu-%zu", attr, next,
                     next + step - 1);

        } else if (next != 0) {
            snprintf(want, sizeof(want), "%s;range=%zu-*", attr, next);

        } else {
            snprintf(want, sizeof(want), "%s", attr);
        }

        attrs[0] = want;
        attrs[1] = NULL;

        rc = dir_conn_search(&ctx->dir->cfg, ctx->conn, dn, DIR_SCOPE_BASE,
                             "(objectClass=*)", attrs, 1, &res);

        if (rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_REFERRAL) {
            /* a group the server does not hold has nothing to tell */
            ldap_msgfree(res);
            return 0;
        }

        if (rc != LDAP_SUCCESS) {
            ldap_msgfree(res);
            return dir_error_ldap(ctx->err, ctx->conn->ld, ctx->conn->url,
                                  rc, "reading memberships",
                                  ctx->dir->cfg.timeout_ms);
        }

        entry = ldap_first_entry(ctx->conn->ld, res);

        rc = (entry != NULL)
             ? dir_groups_entry_values(ctx, entry, attr, take, arg, next,
                                       &next)
             : 0;

        ldap_msgfree(res);
    }

    return rc;
}


static int
dir_groups_add_entry(dir_conn_t *conn, LDAPMessage *entry, void *arg)
{
    int                rc;
    char              *dn;
    dir_groups_ctx_t  *ctx;

    ctx = arg;

    dn = ldap_get_dn(conn->ld, entry);
    if (dn == NULL) {
        return 0;
    }

    rc = dir_groups_add(ctx, dn, strlen(dn));
    ldap_memfree(dn);

    return rc;
}


/* Adds the DNs of the groups that filter finds under group_base_dn. */
static int
dir_groups_search(dir_groups_ctx_t *ctx, const char *filter)
{
    int    rc, stopped;
    char  *attrs[] = { LDAP_NO_ATTRS, NULL };

    rc = dir_conn_search_paged(&ctx->dir->cfg, ctx->conn,
                               ctx->dir->group_base_dn, DIR_SCOPE_SUB,
                               filter, attrs, dir_groups_add_entry, ctx,
                               &stopped);

    if (stopped != 0) {
        return -1;
    }

    if (rc == LDAP_SIZELIMIT_EXCEEDED || rc == LDAP_ADMINLIMIT_EXCEEDED) {
        return dir_error_set(ctx->err, DIR_ERR_LIMIT, ctx->conn->url,
                             "LDAP server %s: the group search went past "
                             "the server's size limit", ctx->conn->url);
    }

    if (rc != LDAP_SUCCESS) {
        return dir_error_ldap(ctx->err, ctx->conn->ld, ctx->conn->url, rc,
                              "the group search", ctx->dir->cfg.timeout_ms);
    }

    return 0;
}


static int
dir_groups_search_for(dir_groups_ctx_t *ctx, const char *tpl,
    const char *member)
{
    int    rc;
    char  *filter;

    filter = dir_filter_render(tpl, 'd', member, strlen(member));
    if (filter == NULL) {
        return dir_error_set(ctx->err, DIR_ERR_LIMIT, NULL,
                             "group_filter with the DN \"%.64s...\" is longer "
                             "than %d characters", member,
                             DIR_FILTER_LEN_MAX);
    }

    rc = dir_groups_search(ctx, filter);
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
dir_groups_walk_search(dir_groups_ctx_t *ctx, size_t from, size_t to)
{
    int     rc;
    char   *filter;
    size_t  n;

    for ( /* void */ ; from < to; from += n) {
        n = to - from < DIR_WALK_BATCH ? to - from : DIR_WALK_BATCH;

        /* built before the search, whose additions may move the list */
        filter = dir_groups_batch_filter(ctx->dir->cfg.group_filter,
                                         ctx->groups->items + from, n);
        if (filter == NULL) {
            return dir_error_set(ctx->err, DIR_ERR_LIMIT, NULL,
                                 "a group DN made group_filter longer than "
                                 "%d characters", DIR_FILTER_LEN_MAX);
        }

        rc = dir_groups_search(ctx, filter);
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
dir_groups_walk_memberof(dir_groups_ctx_t *ctx, size_t from, size_t to)
{
    char  *dn;

    for ( /* void */ ; from < to; from++) {
        /* a copy: the additions may move the list */
        dn = strdup(ctx->groups->items[from]);
        if (dn == NULL) {
            return dir_error_set(ctx->err, DIR_ERR_NOMEM, NULL,
                                 "out of memory collecting groups");
        }

        if (dir_groups_values(ctx, NULL, dn, "memberOf",
                              dir_groups_add_value, NULL)
            != 0)
        {
            free(dn);
            return -1;
        }

        free(dn);
    }

    return 0;
}


/*
 * Breadth first, one level at a time: the groups found at one level are
 * the members looked up at the next.  A group already known is not
 * added again, which ends cycles.
 */
static int
dir_groups_walk(dir_groups_ctx_t *ctx)
{
    int     rc, level;
    size_t  from, to;

    from = 0;

    for (level = 0; level < ctx->dir->cfg.nested_depth; level++) {
        to = ctx->groups->n;

        if (from == to) {
            break;
        }

        if (ctx->dir->cfg.group_source == DIR_GROUPS_SEARCH) {
            rc = dir_groups_walk_search(ctx, from, to);

        } else {
            rc = dir_groups_walk_memberof(ctx, from, to);
        }

        if (rc != 0) {
            return -1;
        }

        from = to;
    }

    return 0;
}


/* "(objectSid=\01\05...)" for a binary SID, appended at *p. */
static size_t
dir_groups_sid_filter(const unsigned char *sid, size_t len, char *p)
{
    int     n;
    size_t  o;

    o = 0;
    memcpy(p, "(objectSid=", 11);
    o += 11;

    n = dir_escape_filter_value((const char *) sid, len, p + o,
                                DIR_ESCAPED_LEN(len));
    o += (size_t) (n > 0 ? n : 0);

    p[o++] = ')';
    p[o] = '\0';

    return o;
}


typedef struct {
    unsigned char  (*sids)[DIR_SID_LEN_MAX];
    size_t          *lens;
    size_t           n;
    size_t           cap;
} dir_sids_t;


static int
dir_groups_take_sid(dir_groups_ctx_t *ctx, const struct berval *v, void *arg)
{
    size_t       cap, *lens;
    dir_sids_t  *s;
    unsigned char  (*sids)[DIR_SID_LEN_MAX];

    s = arg;

    /* not a SID: nothing a group could be found by */
    if (v->bv_len < 8 || v->bv_len > DIR_SID_LEN_MAX) {
        return 0;
    }

    if (s->n >= ctx->dir->cfg.max_groups) {
        return dir_groups_limit(ctx);
    }

    if (s->n == s->cap) {
        cap = s->cap ? s->cap * 2 : 64;

        sids = realloc(s->sids, cap * DIR_SID_LEN_MAX);
        if (sids == NULL) {
            goto nomem;
        }

        s->sids = sids;

        lens = realloc(s->lens, cap * sizeof(size_t));
        if (lens == NULL) {
            goto nomem;
        }

        s->lens = lens;
        s->cap = cap;
    }

    memcpy(s->sids[s->n], v->bv_val, v->bv_len);
    s->lens[s->n] = v->bv_len;
    s->n++;

    return 0;

nomem:

    return dir_error_set(ctx->err, DIR_ERR_NOMEM, NULL,
                         "out of memory reading tokenGroups");
}


/*
 * tokenGroups, constructed by AD on a base-scope read only, holds the
 * SID of every security group the user is in, nested ones and the
 * primary group included (not distribution groups).  The SIDs are turned
 * into DNs by searches of DIR_SID_CHUNK SIDs each.
 */
static int
dir_groups_token(dir_groups_ctx_t *ctx, const char *dn)
{
    int          rc;
    char        *filter, *p;
    size_t       i, from, n;
    dir_sids_t   sids;

    memset(&sids, 0, sizeof(dir_sids_t));

    rc = dir_groups_values(ctx, NULL, dn, "tokenGroups", dir_groups_take_sid,
                           &sids);

    filter = NULL;

    if (rc == 0 && sids.n > 0) {
        filter = malloc(4 + DIR_SID_CHUNK
                            * (13 + DIR_ESCAPED_LEN(DIR_SID_LEN_MAX)));
        if (filter == NULL) {
            rc = dir_error_set(ctx->err, DIR_ERR_NOMEM, NULL,
                               "out of memory resolving tokenGroups");
        }
    }

    for (from = 0; rc == 0 && from < sids.n; from += n) {
        n = sids.n - from < DIR_SID_CHUNK ? sids.n - from : DIR_SID_CHUNK;

        p = filter;
        *p++ = '(';
        *p++ = '|';

        for (i = from; i < from + n; i++) {
            p += dir_groups_sid_filter(sids.sids[i], sids.lens[i], p);
        }

        *p++ = ')';
        *p = '\0';

        rc = dir_groups_search(ctx, filter);
    }

    free(filter);
    free(sids.sids);
    free(sids.lens);

    return rc;
}


/*
 * AD keeps the primary group (Domain Users, mostly) out of both memberOf
 * and the group's member: its SID is the domain's, the user's SID
 * without its last part, followed by primaryGroupID.  Adds its DN and
 * returns it in *primary (the caller frees it), or NULL when the entry
 * is not AD's.
 */
static int
dir_groups_primary(dir_groups_ctx_t *ctx, LDAPMessage *entry,
    char **primary)
{
    int              rc, len;
    char             filter[16 + DIR_ESCAPED_LEN(DIR_SID_LEN_MAX)], *end;
    char             num[12];
    unsigned long    rid;
    unsigned char    sid[DIR_SID_LEN_MAX];
    struct berval  **usid, **pgid;
    size_t           before;

    *primary = NULL;

    usid = ldap_get_values_len(ctx->conn->ld, entry, "objectSid");
    pgid = ldap_get_values_len(ctx->conn->ld, entry, "primaryGroupID");

    rc = 0;
    len = -1;

    if (usid != NULL && usid[0] != NULL && pgid != NULL && pgid[0] != NULL
        && pgid[0]->bv_len > 0 && pgid[0]->bv_len < 11)
    {
        memcpy(num, pgid[0]->bv_val, pgid[0]->bv_len);
        num[pgid[0]->bv_len] = '\0';
        rid = strtoul(num, &end, 10);

        if (*end == '\0' && usid[0]->bv_len <= DIR_SID_LEN_MAX) {
            len = dir_sid_with_rid((unsigned char *) usid[0]->bv_val,
                                   usid[0]->bv_len, rid, sid, sizeof(sid));
        }
    }

    ldap_value_free_len(usid);
    ldap_value_free_len(pgid);

    if (len < 0) {
        return 0;
    }

    dir_groups_sid_filter(sid, (size_t) len, filter);

    before = ctx->groups->n;
    rc = dir_groups_search(ctx, filter);

    if (rc == 0 && ctx->groups->n > before) {
        *primary = strdup(ctx->groups->items[before]);
        if (*primary == NULL) {
            return dir_error_set(ctx->err, DIR_ERR_NOMEM, NULL,
                                 "out of memory collecting groups");
        }
    }

    return rc;
}


size_t
dir_groups_user_attrs(dir_t *dir, char **attrs, char *buf, size_t size)
{
    size_t  n;

    n = 0;

    if (dir->cfg.group_source == DIR_GROUPS_MEMBEROF) {
        if (dir->cfg.range_size != 0) {
            snprintf(buf, size, "memberOf;range=0-%zu",
                     dir->cfg.range_size - 1);
            attrs[n++] = buf;

        } else {
            attrs[n++] = "memberOf";
        }
    }

    if (dir->cfg.group_source == DIR_GROUPS_MEMBEROF
        || dir->cfg.group_source == DIR_GROUPS_SEARCH)
    {
        attrs[n++] = "primaryGroupID";
    }

    return n;
}


int
dir_groups_resolve(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    const char *dn, dir_strings_t *groups, dir_error_t *err)
{
    int               rc;
    char             *primary;
    dir_groups_ctx_t  ctx;

    ctx.dir = dir;
    ctx.conn = conn;
    ctx.groups = groups;
    ctx.err = err;

    primary = NULL;

    switch (dir->cfg.group_source) {

    case DIR_GROUPS_NONE:
        return 0;

    case DIR_GROUPS_TOKEN:
        return dir_groups_token(&ctx, dn);

    case DIR_GROUPS_MEMBEROF:
        rc = dir_groups_values(&ctx, entry, dn, "memberOf",
                               dir_groups_add_value, NULL);
        break;

    default:
        rc = 0;

        if (dir->cfg.nested != DIR_NESTED_IN_CHAIN) {
            rc = dir_groups_search_for(&ctx, dir->cfg.group_filter, dn);
        }

        break;
    }

    if (rc == 0) {
        rc = dir_groups_primary(&ctx, entry, &primary);
    }

    if (rc != 0) {
        free(primary);
        return -1;
    }

    switch (dir->cfg.nested) {

    case DIR_NESTED_WALK:
        rc = dir_groups_walk(&ctx);
        break;

    case DIR_NESTED_IN_CHAIN:
        rc = dir_groups_search_for(&ctx, DIR_IN_CHAIN_FILTER, dn);

        /* the groups the primary group is in, and theirs */
        if (rc == 0 && primary != NULL) {
            rc = dir_groups_search_for(&ctx, DIR_IN_CHAIN_FILTER, primary);
        }

        break;

    default:
        break;
    }

    free(primary);

    return rc;
}
