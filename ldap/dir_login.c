#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dir_error.h"
#include "dir_priv.h"


/* the user's naming, mail, ids and what the groups need */
#define DIR_USER_ATTRS_MAX    (1 + DIR_MAIL_ATTRS_MAX + 4 \
                               + DIR_GROUPS_ATTRS_MAX + 1)

/* random bytes in the DN of the bind that answers a failed login */
#define DIR_DECOY_RANDOM_LEN  16


static void
dir_login_random(unsigned char *buf, size_t len)
{
    size_t           i;
    struct timespec  ts;

    if (getrandom(buf, len, 0) == (ssize_t) len) {
        return;
    }

    /* the DN only has to be one no entry has: unpredictable is a bonus */
    clock_gettime(CLOCK_REALTIME, &ts);

    for (i = 0; i < len; i++) {
        buf[i] = (unsigned char) ((ts.tv_nsec >> (i % 8)) ^ (i * 131));
    }
}


/* The connections of one try of a login. */
typedef struct {
    dir_t       *dir;
    dir_conn_t  *search;
    dir_conn_t  *bind;
    int          fresh;         /* the second try: no pooled connection */
    int          bind_sent;     /* a bind went out: the login is not tried
                                   again, lest a lockout count it twice */
} dir_login_t;


/*
 * What a failed bind tells, the same for the user's bind and for the
 * decoy's, so that no answer tells a wrong password from an unknown user:
 * a refusal of the credentials (servers differ in which code they use
 * for a DN that does not exist), or a fault of the server.  Only a state
 * that the server tells once the password was proven (see dir_account_t)
 * is an answer of its own.
 */
static int
dir_login_bind_failed(dir_login_t *lg, int rc, const dir_bind_result_t *r,
    dir_error_t *err)
{
    char  code[32];

    switch (rc) {

    case LDAP_SUCCESS:
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_NO_SUCH_OBJECT:
    case LDAP_INVALID_DN_SYNTAX:
        break;

    default:
        return dir_error_ldap(err, lg->bind->ld, lg->bind->url, rc,
                              "the user's bind", lg->dir->cfg.timeout_ms);
    }

    if (r == NULL || r->account == DIR_ACCOUNT_USABLE || !r->verified) {
        dir_error_bad_credentials(err);

        if (err != NULL && r != NULL && r->account != DIR_ACCOUNT_USABLE) {
            err->account = r->account;
            err->ad_code = r->ad_code;
        }

        return -1;
    }

    code[0] = '\0';

    if (r->ad_code != 0) {
        snprintf(code, sizeof(code), " (AD data %x)", r->ad_code);
    }

    dir_error_set(err, DIR_ERR_ACCOUNT, lg->bind->url,
                  "the password is right, but %s%s",
                  dir_account_describe(r->account), code);

    if (err != NULL) {
        err->account = r->account;
        err->password_verified = 1;
        err->ad_code = r->ad_code;
    }

    return -1;
}


/*
 * A bind connection that waited in the pool may have been closed by the
 * server meanwhile; the user's password goes to one that looks alive, so
 * that the bind need not be tried again.
 */
static int
dir_login_take_bind(dir_login_t *lg, dir_error_t *err)
{
    int  fresh;

    fresh = lg->fresh;

    for ( ;; ) {
        if (dir_pool_take(&lg->dir->pool, &lg->dir->cfg, DIR_CONN_BIND,
                          fresh, &lg->bind, err)
            != 0)
        {
            return -1;
        }

        if (!lg->bind->reused || dir_conn_alive(lg->bind)) {
            return 0;
        }

        lg->bind->broken = 1;
        dir_pool_give(&lg->dir->pool, lg->bind);
        lg->bind = NULL;
        fresh = 1;
    }
}


/* Binds on a bind connection, taken when the first bind is due. */
static int
dir_login_bind(dir_login_t *lg, const char *dn, const char *password,
    size_t password_len, dir_bind_result_t *r, dir_error_t *err)
{
    int  rc;

    if (lg->bind == NULL && dir_login_take_bind(lg, err) != 0) {
        return -1;
    }

    rc = dir_conn_bind(&lg->dir->cfg, lg->bind, dn, password, password_len,
                       DIR_BOUND_USER, r, &lg->bind_sent);

    if (rc == LDAP_SUCCESS && r->account == DIR_ACCOUNT_USABLE) {
        return 0;
    }

    return dir_login_bind_failed(lg, rc, r, err);
}


/*
 * An unknown, ambiguous or malformed login still costs the server a bind
 * with the password, against a DN that cannot exist, so that the time
 * to answer does not tell it from a wrong password.
 */
static int
dir_login_refuse(dir_login_t *lg, const char *password, size_t password_len,
    dir_error_t *err)
{
    int                 rc;
    char               *dn, rdn[2 * DIR_DECOY_RANDOM_LEN + 1];
    size_t              i, len;
    const char         *base_dn;
    unsigned char       random[DIR_DECOY_RANDOM_LEN];
    dir_bind_result_t   r;
    static const char   hex[] = "0123456789abcdef";

    dir_login_random(random, sizeof(random));

    for (i = 0; i < sizeof(random); i++) {
        rdn[2 * i] = hex[random[i] >> 4];
        rdn[2 * i + 1] = hex[random[i] & 0x0f];
    }

    rdn[2 * i] = '\0';

    base_dn = lg->dir->cfg.base_dn;
    len = sizeof("cn=,") + strlen(rdn) + strlen(base_dn);

    dn = malloc(len);
    if (dn == NULL) {
        return dir_error_set(err, DIR_ERR_NOMEM, NULL,
                             "out of memory answering a failed login");
    }

    snprintf(dn, len, "cn=%s,%s", rdn, base_dn);

    rc = dir_login_bind(lg, dn, password, password_len, &r, err);
    free(dn);

    /* whatever a server says of a DN that names nobody, nobody logs in */
    if (rc == 0 || (err != NULL && err->code == DIR_ERR_ACCOUNT)) {
        return dir_error_bad_credentials(err);
    }

    if (err != NULL && err->code == DIR_ERR_BAD_CREDENTIALS) {
        err->account = DIR_ACCOUNT_USABLE;
        err->ad_code = 0;
    }

    return -1;
}


static void
dir_login_user_attrs(dir_t *dir, char **attrs, char *buf, size_t size)
{
    size_t  i, n;

    n = 0;
    attrs[n++] = (char *) dir->cfg.username_attr;

    for (i = 0; i < dir->cfg.nmail_attrs; i++) {
        attrs[n++] = (char *) dir->cfg.mail_attrs[i];
    }

    /* each server ignores the names it does not know */
    attrs[n++] = "objectGUID";
    attrs[n++] = "entryUUID";
    attrs[n++] = "objectSid";
    attrs[n++] = "userPrincipalName";

    n += dir_groups_user_attrs(dir, attrs + n, buf, size);

    attrs[n] = NULL;
}


/*
 * Finds the user's only entry; 0 with *res holding it, 1 when there is
 * none or more than one, -1 on a fault.
 */
static int
dir_login_search(dir_login_t *lg, const dir_login_name_t *name,
    LDAPMessage **res, dir_error_t *err)
{
    int                  rc;
    char                *filter, ranged[48];
    char                *attrs[DIR_USER_ATTRS_MAX];
    dir_t               *dir;
    dir_conn_t          *conn;
    dir_filter_value_t   values[2];

    dir = lg->dir;
    conn = lg->search;

    values[0].placeholder = 'u';
    values[0].value = name->user;
    values[0].len = name->user_len;
    values[1].placeholder = 'p';
    values[1].value = name->upn;
    values[1].len = name->upn_len;

    filter = dir_filter_render_values(dir->cfg.user_filter, values, 2);
    if (filter == NULL) {
        return dir_error_set(err, DIR_ERR_LIMIT, NULL,
                             "user_filter with the login name is longer than "
                             "%d characters", DIR_FILTER_LEN_MAX);
    }

    dir_login_user_attrs(dir, attrs, ranged, sizeof(ranged));

    /* two entries are enough to know the login is ambiguous */
    rc = dir_conn_search(&dir->cfg, conn, dir->cfg.base_dn, dir->cfg.scope,
                         filter, attrs, 2, res);
    free(filter);

    if (rc == LDAP_SUCCESS && ldap_count_entries(conn->ld, *res) == 1) {
        return 0;
    }

    ldap_msgfree(*res);
    *res = NULL;

    if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) {
        return 1;
    }

    return dir_error_ldap(err, conn->ld, conn->url, rc, "the user search",
                          dir->cfg.timeout_ms);
}


/* One try of the whole login; login is NULL when it is unusable. */
static int
dir_login_try(dir_login_t *lg, const char *login, size_t login_len,
    const char *password, size_t password_len, dir_user_t *user,
    dir_error_t *err)
{
    int                 rc, known;
    char               *dn;
    dir_t              *dir;
    LDAPMessage        *res, *entry;
    dir_login_name_t    name;
    dir_bind_result_t   r;

    dir = lg->dir;

    if (dir_pool_take(&dir->pool, &dir->cfg, DIR_CONN_SEARCH, lg->fresh,
                      &lg->search, err)
        != 0)
    {
        return -1;
    }

    /* a failed service bind earlier left the connection anonymous */
    if (lg->search->bound != DIR_BOUND_SERVICE
        && dir_conn_bind_service(&dir->cfg, lg->search, err) != 0)
    {
        return -1;
    }

    known = (login != NULL)
            ? dir_login_name_parse(&dir->cfg, login, login_len, &name) : -1;

    if (known < 0) {
        return dir_login_refuse(lg, password, password_len, err);
    }

    rc = dir_login_search(lg, &name, &res, err);

    /* a domain that is not ours costs what an unknown user does */
    if (rc == 0 && known != 0) {
        ldap_msgfree(res);
        rc = 1;
    }

    if (rc != 0) {
        return rc < 0 ? -1
                      : dir_login_refuse(lg, password, password_len, err);
    }

    entry = ldap_first_entry(lg->search->ld, res);
    dn = ldap_get_dn(lg->search->ld, entry);

    if (dn == NULL) {
        rc = dir_error_set(err, DIR_ERR_SERVER, lg->search->url,
                           "LDAP server %s sent a user entry without a DN",
                           lg->search->url);

    } else if (dn[0] == '\0') {
        /* an empty DN would make the bind anonymous, whatever the password */
        rc = dir_login_refuse(lg, password, password_len, err);

    } else {
        rc = dir_login_bind(lg, dn, password, password_len, &r, err);

        if (rc == 0) {
            rc = dir_user_fill(dir, lg->search, entry, dn, &r, user, err);
        }
    }

    ldap_memfree(dn);
    ldap_msgfree(res);

    return rc;
}


/* A pooled connection that died while idle: worth one more try. */
static int
dir_login_died_idle(dir_conn_t *conn)
{
    return conn != NULL && conn->broken && conn->reused;
}


int
dir_login_n(dir_t *dir, const char *login, size_t login_len,
    const char *password, size_t password_len, dir_user_t *user,
    dir_error_t *err)
{
    int          rc, retry;
    dir_error_t  e;
    dir_login_t  lg;

    dir_error_clear(&e);
    memset(user, 0, sizeof(dir_user_t));
    user->grace_logins = -1;
    user->expires_in_s = -1;

    if (password == NULL || password_len == 0) {
        rc = dir_error_set(&e, DIR_ERR_EMPTY_PASSWORD, NULL,
                           "an empty password is refused: the directory "
                           "would take it for an anonymous login");
        goto done;
    }

    if (login == NULL || !dir_name_usable(login, login_len)) {
        login = NULL;
    }

    if (password_len > DIR_PASSWORD_LEN_MAX) {
        login = NULL;
        password_len = DIR_PASSWORD_LEN_MAX;
    }

    lg.dir = dir;
    lg.fresh = 0;
    lg.bind_sent = 0;

    for ( ;; ) {
        lg.search = NULL;
        lg.bind = NULL;

        rc = dir_login_try(&lg, login, login_len, password, password_len,
                           user, &e);

        /*
         * Only a connection found dead before any bind with the user's
         * password went out: a bind that may have reached the server
         * would count a wrong password twice towards a lockout.
         */
        retry = rc != 0 && !lg.fresh && !lg.bind_sent
                && e.code == DIR_ERR_UNAVAILABLE
                && (dir_login_died_idle(lg.search)
                    || dir_login_died_idle(lg.bind));

        if (lg.search != NULL) {
            dir_pool_give(&dir->pool, lg.search);
        }

        if (lg.bind != NULL) {
            dir_pool_give(&dir->pool, lg.bind);
        }

        if (!retry) {
            break;
        }

        dir_user_free(user);
        dir_error_clear(&e);
        lg.fresh = 1;
    }

done:

    if (rc != 0) {
        dir_user_free(user);

        if (e.code == DIR_OK) {
            dir_error_set(&e, DIR_ERR_INTERNAL, NULL,
                          "the login failed without a reason");
        }
    }

    if (err != NULL) {
        *err = e;
    }

    return rc == 0 ? 0 : -1;
}


int
dir_login(dir_t *dir, const char *login, const char *password,
    dir_user_t *user, dir_error_t *err)
{
    return dir_login_n(dir, login, login != NULL ? strlen(login) : 0,
                       password, password != NULL ? strlen(password) : 0,
                       user, err);
}
