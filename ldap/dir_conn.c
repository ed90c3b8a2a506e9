#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openldap.h>

#include "dir_conn.h"
#include "dir_error.h"
#include "dir_tcp.h"
#include "dir_tls.h"


/*
 * The peer's half-close, which tells a closed TLS connection from one
 * with a session ticket waiting; Linux's, named by <poll.h> only with
 * _GNU_SOURCE, which the core is not built with.
 */
#if defined(__linux__) && !defined(POLLRDHUP)
#define POLLRDHUP  0x2000
#endif

#ifndef POLLRDHUP
#define POLLRDHUP  0
#endif


static void
dir_conn_timeval(long ms, struct timeval *tv)
{
    tv->tv_sec = ms / 1000;
    tv->tv_usec = (ms % 1000) * 1000;
}


static int
dir_conn_uses_tls(const dir_config_t *cfg, const char *url)
{
    return cfg->starttls || strncasecmp(url, "ldaps://", 8) == 0;
}


static int
dir_conn_set_options(const dir_config_t *cfg, LDAP *ld, const char *url,
    dir_error_t *err)
{
    int             version;
    struct timeval  connect_tv, op_tv;

    version = LDAP_VERSION3;
    dir_conn_timeval(cfg->connect_timeout_ms, &connect_tv);
    dir_conn_timeval(cfg->timeout_ms, &op_tv);

    /*
     * Referrals off: chasing one would send the service account's or the
     * user's password to a server that is not configured.  Asynchronous
     * mode is what makes libldap bound the TLS handshake by the network
     * timeout (see dir_tcp.h).
     */
    if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)
        != LDAP_OPT_SUCCESS
        || ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)
           != LDAP_OPT_SUCCESS
        || ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON)
           != LDAP_OPT_SUCCESS
        || ldap_set_option(ld, LDAP_OPT_CONNECT_ASYNC, LDAP_OPT_ON)
           != LDAP_OPT_SUCCESS
        || ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &connect_tv)
           != LDAP_OPT_SUCCESS
        || ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op_tv) != LDAP_OPT_SUCCESS)
    {
        return dir_error_set(err, DIR_ERR_INTERNAL, url,
                             "libldap refused the connection options for "
                             "%s", url);
    }

    return 0;
}


/* any_cert: a connection that only looks at the certificate a server has */
static int
dir_conn_set_tls(const dir_config_t *cfg, LDAP *ld, const char *url,
    int any_cert, dir_error_t *err)
{
    int  demand, min_protocol, client;

    demand = any_cert ? LDAP_OPT_X_TLS_ALLOW : LDAP_OPT_X_TLS_DEMAND;
    min_protocol = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
    client = 0;

    if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)
        != LDAP_OPT_SUCCESS
        || ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min_protocol)
           != LDAP_OPT_SUCCESS)
    {
        return dir_error_set(err, DIR_ERR_INTERNAL, url,
                             "libldap refused the TLS options for %s", url);
    }

    if (cfg->ca_file != NULL
        && ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ca_file)
           != LDAP_OPT_SUCCESS)
    {
        return dir_error_set(err, DIR_ERR_INTERNAL, url,
                             "libldap refused tls_trusted_certificate for "
                             "%s", url);
    }

    /* the settings above take effect only in a context of the handle's own */
    if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &client)
        != LDAP_OPT_SUCCESS)
    {
        return dir_error_set(err, DIR_ERR_CONFIG, url,
                             "tls_trusted_certificate \"%s\" cannot be "
                             "loaded for %s: it must be a readable file of "
                             "PEM certificates",
                             cfg->ca_file != NULL ? cfg->ca_file
                                                  : "(system default)",
                             url);
    }

    return 0;
}


static int
dir_conn_set_all(const dir_config_t *cfg, LDAP *ld, const char *url,
    int any_cert, dir_error_t *err)
{
    if (dir_conn_set_options(cfg, ld, url, err) != 0) {
        return -1;
    }

    if (dir_conn_uses_tls(cfg, url)) {
        return dir_conn_set_tls(cfg, ld, url, any_cert, err);
    }

    return 0;
}


int
dir_conn_check_tls(const dir_config_t *cfg, dir_error_t *err)
{
    int     rc;
    LDAP   *ld;
    size_t  i;

    for (i = 0; i < cfg->nurls; i++) {
        if (!dir_conn_uses_tls(cfg, cfg->urls[i])) {
            continue;
        }

        if (ldap_initialize(&ld, cfg->urls[i]) != LDAP_SUCCESS) {
            return dir_error_set(err, DIR_ERR_CONFIG, cfg->urls[i],
                                 "url \"%s\" cannot be used",
                                 cfg->urls[i]);
        }

        rc = dir_conn_set_all(cfg, ld, cfg->urls[i], 0, err);
        ldap_unbind_ext_s(ld, NULL, NULL);

        /* every url shares the same TLS settings */
        return rc;
    }

    return 0;
}


static int dir_conn_connect(const dir_config_t *cfg, const char *url,
    int any_cert, LDAP **ldp, dir_error_t *err);


/*
 * libldap says "Connect error" both for a certificate that does not
 * verify and for one that does not name the host: a second connection,
 * that takes any certificate and sends nothing, fetches the server's to
 * tell which.
 */
static void
dir_conn_explain_tls(const dir_config_t *cfg, const char *url, char *why,
    size_t size)
{
    LDAP           *ld;
    LDAPURLDesc    *lud;
    struct berval   cert;

    why[0] = '\0';

    if (ldap_url_parse(url, &lud) != LDAP_URL_SUCCESS) {
        return;
    }

    if (dir_conn_connect(cfg, url, 1, &ld, NULL) == 0) {
        cert.bv_val = NULL;
        cert.bv_len = 0;

        if (ldap_get_option(ld, LDAP_OPT_X_TLS_PEERCERT, &cert)
            == LDAP_OPT_SUCCESS
            && cert.bv_val != NULL)
        {
            (void) dir_tls_explain_cert((unsigned char *) cert.bv_val,
                                        cert.bv_len, lud->lud_host,
                                        cfg->ca_file, why, size);
            ber_memfree(cert.bv_val);
        }

        ldap_unbind_ext_s(ld, NULL, NULL);
    }

    ldap_free_urldesc(lud);
}


static int
dir_conn_handshake(const dir_config_t *cfg, LDAP *ld, const char *url,
    int any_cert, dir_error_t *err)
{
    int   rc;
    char  why[400];

    rc = ldap_install_tls(ld);
    if (rc == LDAP_SUCCESS) {
        return 0;
    }

    if (rc == LDAP_TIMEOUT) {
        return dir_error_set(err, DIR_ERR_TIMEOUT, url,
                             "LDAP server %s: the TLS handshake took longer "
                             "than %ld ms", url, cfg->connect_timeout_ms);
    }

    why[0] = '\0';

    if (!any_cert) {
        dir_conn_explain_tls(cfg, url, why, sizeof(why));
    }

    if (why[0] != '\0') {
        return dir_error_set(err, DIR_ERR_UNAVAILABLE, url,
                             "LDAP server %s: %s", url, why);
    }

    return dir_error_set(err, DIR_ERR_UNAVAILABLE, url,
                         "LDAP server %s: the TLS handshake failed (%s); "
                         "check that its certificate verifies with "
                         "tls_trusted_certificate and names the url's host",
                         url, ldap_err2string(rc));
}


static int
dir_conn_starttls(const dir_config_t *cfg, LDAP *ld, const char *url,
    int any_cert, dir_error_t *err)
{
    int             rc;
    char           *oid;
    struct berval  *data;

    oid = NULL;
    data = NULL;

    rc = ldap_extended_operation_s(ld, LDAP_EXOP_START_TLS, NULL, NULL, NULL,
                                   &oid, &data);
    ldap_memfree(oid);
    ber_bvfree(data);

    if (rc != LDAP_SUCCESS) {
        dir_error_ldap(err, ld, url, rc, "StartTLS", cfg->timeout_ms);

        /* a server that will not speak TLS is no server for us */
        if (err != NULL && err->code == DIR_ERR_SERVER) {
            err->code = DIR_ERR_UNAVAILABLE;
        }

        return -1;
    }

    return dir_conn_handshake(cfg, ld, url, any_cert, err);
}


static int
dir_conn_connect(const dir_config_t *cfg, const char *url, int any_cert,
    LDAP **ldp, dir_error_t *err)
{
    int           fd, rc, port, ldaps;
    LDAP         *ld;
    LDAPURLDesc  *lud;

    *ldp = NULL;

    if (ldap_url_parse(url, &lud) != LDAP_URL_SUCCESS) {
        return dir_error_set(err, DIR_ERR_CONFIG, url,
                             "url \"%s\" is not a valid LDAP URL", url);
    }

    ldaps = strcasecmp(lud->lud_scheme, "ldaps") == 0;
    port = lud->lud_port != 0 ? lud->lud_port : (ldaps ? LDAPS_PORT
                                                       : LDAP_PORT);

    rc = dir_tcp_connect(url, lud->lud_host, port, cfg->connect_timeout_ms,
                         &fd, err);
    ldap_free_urldesc(lud);

    if (rc != 0) {
        return -1;
    }

    rc = ldap_init_fd(fd, LDAP_PROTO_TCP, url, &ld);
    if (rc != LDAP_SUCCESS) {
        close(fd);
        return dir_error_set(err, DIR_ERR_NOMEM, url,
                             "libldap could not take the connection to %s: "
                             "%s", url, ldap_err2string(rc));
    }

    if (dir_conn_set_all(cfg, ld, url, any_cert, err) != 0
        || (ldaps && dir_conn_handshake(cfg, ld, url, any_cert, err) != 0)
        || (cfg->starttls
            && dir_conn_starttls(cfg, ld, url, any_cert, err) != 0))
    {
        ldap_unbind_ext_s(ld, NULL, NULL);
        return -1;
    }

    *ldp = ld;

    return 0;
}


static int
dir_conn_open_url(const dir_config_t *cfg, const char *url,
    dir_conn_role_t role, dir_conn_t **connp, dir_error_t *err)
{
    LDAP        *ld;
    dir_conn_t  *conn;

    if (dir_conn_connect(cfg, url, 0, &ld, err) != 0) {
        return -1;
    }

    conn = calloc(1, sizeof(dir_conn_t));
    if (conn == NULL) {
        ldap_unbind_ext_s(ld, NULL, NULL);
        return dir_error_set(err, DIR_ERR_NOMEM, url,
                             "out of memory connecting to %s", url);
    }

    conn->ld = ld;
    conn->url = url;
    conn->role = role;
    conn->tls = dir_conn_uses_tls(cfg, url);

    if (role == DIR_CONN_SEARCH
        && dir_conn_bind_service(cfg, conn, err) != 0)
    {
        dir_conn_close(conn);
        return -1;
    }

    *connp = conn;

    return 0;
}


int
dir_conn_open(const dir_config_t *cfg, dir_conn_role_t role,
    dir_servers_t *servers, dir_conn_t **connp, dir_error_t *err)
{
    size_t  i;

    *connp = NULL;

    for (i = 0; i < cfg->nurls; i++) {
        if (dir_conn_open_url(cfg, cfg->urls[i], role, connp, err) == 0) {
            dir_servers_note(servers, cfg->urls[i], DIR_OK, time(NULL));
            return 0;
        }

        dir_servers_note(servers, cfg->urls[i],
                         err != NULL ? err->code : DIR_ERR_UNAVAILABLE,
                         time(NULL));

        /* the next server may do better; a refused account will not */
        if (err != NULL && err->code != DIR_ERR_UNAVAILABLE
            && err->code != DIR_ERR_TIMEOUT)
        {
            return -1;
        }
    }

    return -1;
}


/*
 * After a timeout the server may still answer the abandoned request, and
 * after a local error the handle may be half-way through a message:
 * either way the connection cannot be trusted with the next login.
 */
static void
dir_conn_check_health(dir_conn_t *conn, int rc)
{
    switch (rc) {

    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_TIMEOUT:
    case LDAP_LOCAL_ERROR:
    case LDAP_ENCODING_ERROR:
    case LDAP_DECODING_ERROR:
    case LDAP_NO_MEMORY:
        conn->broken = 1;
        break;

    default:
        break;
    }
}


static void
dir_conn_bind_result(dir_conn_t *conn, LDAPMessage *res, int *rc,
    dir_bind_result_t *r)
{
    int                      has_pp;
    char                    *diag;
    ber_int_t                expire, grace;
    LDAPControl            **ctrls, *pp;
    LDAPPasswordPolicyError  pperr;

    diag = NULL;
    ctrls = NULL;

    if (ldap_parse_result(conn->ld, res, rc, NULL, &diag, NULL, &ctrls, 0)
        != LDAP_SUCCESS)
    {
        *rc = LDAP_DECODING_ERROR;
        return;
    }

    has_pp = 0;
    pperr = PP_noError;
    expire = -1;
    grace = -1;

    pp = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls, NULL);

    if (pp != NULL
        && ldap_parse_passwordpolicy_control(conn->ld, pp, &expire, &grace,
                                             &pperr)
           == LDAP_SUCCESS)
    {
        has_pp = 1;
    }

    if (r != NULL) {
        dir_bind_outcome(*rc, diag, has_pp, pperr, r);
        r->grace = has_pp ? grace : -1;
        r->expire = has_pp ? expire : -1;
    }

    ldap_memfree(diag);
    ldap_controls_free(ctrls);
}


int
dir_conn_bind(const dir_config_t *cfg, dir_conn_t *conn, const char *dn,
    const char *password, size_t password_len, dir_bound_t as,
    dir_bind_result_t *r, int *sent)
{
    int              rc, msgid, n;
    struct berval    cred;
    struct timeval   tv;
    LDAPMessage     *res;
    LDAPControl     *pp, *ctrls[2];

    if (r != NULL) {
        memset(r, 0, sizeof(dir_bind_result_t));
        r->grace = -1;
        r->expire = -1;
    }

    pp = NULL;
    ctrls[0] = NULL;
    ctrls[1] = NULL;

    if (cfg->password_policy == 1) {
        rc = ldap_create_passwordpolicy_control(conn->ld, &pp);
        if (rc != LDAP_SUCCESS) {
            conn->bound = DIR_BOUND_NOBODY;
            return rc;
        }

        ctrls[0] = pp;
    }

    cred.bv_val = (char *) password;
    cred.bv_len = password_len;

    rc = ldap_sasl_bind(conn->ld, dn, LDAP_SASL_SIMPLE, &cred,
                        pp != NULL ? ctrls : NULL, NULL, &msgid);

    /* the only reference to the password this client made */
    explicit_bzero(&cred, sizeof(struct berval));
    ldap_control_free(pp);

    if (rc == LDAP_SUCCESS) {
        *sent = 1;

        dir_conn_timeval(cfg->timeout_ms, &tv);
        res = NULL;

        n = ldap_result(conn->ld, msgid, LDAP_MSG_ALL, &tv, &res);

        if (n == 0) {
            (void) ldap_abandon_ext(conn->ld, msgid, NULL, NULL);
            rc = LDAP_TIMEOUT;

        } else if (n < 0) {
            if (ldap_get_option(conn->ld, LDAP_OPT_RESULT_CODE, &rc)
                != LDAP_OPT_SUCCESS || rc == LDAP_SUCCESS)
            {
                rc = LDAP_SERVER_DOWN;
            }

        } else {
            dir_conn_bind_result(conn, res, &rc, r);
        }

        ldap_msgfree(res);
    }

    conn->bound = (rc == LDAP_SUCCESS) ? as : DIR_BOUND_NOBODY;
    dir_conn_check_health(conn, rc);

    return rc;
}


int
dir_conn_alive(dir_conn_t *conn)
{
    int            fd;
    char           c;
    ssize_t        n;
    struct pollfd  pfd;

    if (ldap_get_option(conn->ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS
        || fd < 0)
    {
        return 0;
    }

    pfd.fd = fd;
    pfd.events = POLLIN | POLLRDHUP;
    pfd.revents = 0;

    if (poll(&pfd, 1, 0) == 0) {
        return 1;
    }

    if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) {
        return 0;
    }

    n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

    if (n <= 0) {
        return 0;
    }

    /*
     * Bytes on an idle plain connection can only be a notice of
     * disconnection; under TLS they may be a session ticket as well.
     */
    return conn->tls;
}


int
dir_conn_bind_service(const dir_config_t *cfg, dir_conn_t *conn,
    dir_error_t *err)
{
    int                 rc, sent;
    const char         *dn, *password;
    dir_bind_result_t   r;

    dn = cfg->bind_dn != NULL ? cfg->bind_dn : "";
    password = cfg->bind_password != NULL ? cfg->bind_password : "";
    sent = 0;

    rc = dir_conn_bind(cfg, conn, dn, password, strlen(password),
                       DIR_BOUND_SERVICE, &r, &sent);

    if (rc == LDAP_SUCCESS && r.account == DIR_ACCOUNT_USABLE) {
        return 0;
    }

    if (rc == LDAP_SUCCESS || rc == LDAP_INVALID_CREDENTIALS
        || rc == LDAP_INAPPROPRIATE_AUTH)
    {
        conn->bound = DIR_BOUND_NOBODY;
        return dir_error_service_account(err, conn->url, dn, &r);
    }

    return dir_error_ldap(err, conn->ld, conn->url, rc,
                          "the service account's bind", cfg->timeout_ms);
}


int
dir_conn_search(const dir_config_t *cfg, dir_conn_t *conn, const char *base,
    dir_scope_t scope, const char *filter, char **attrs, int sizelimit,
    LDAPMessage **res)
{
    int               rc;
    struct timeval    tv;
    static const int  scopes[] = {
        [DIR_SCOPE_BASE] = LDAP_SCOPE_BASE,
        [DIR_SCOPE_ONE] = LDAP_SCOPE_ONELEVEL,
        [DIR_SCOPE_SUB] = LDAP_SCOPE_SUBTREE
    };

    *res = NULL;
    dir_conn_timeval(cfg->timeout_ms, &tv);

    rc = ldap_search_ext_s(conn->ld, base, scopes[scope], filter, attrs, 0,
                           NULL, NULL, &tv, sizelimit, res);

    dir_conn_check_health(conn, rc);

    return rc;
}


/* Tells the server to drop what is left of a paged search. */
static void
dir_conn_page_abandon(const dir_config_t *cfg, dir_conn_t *conn,
    const char *base, int scope, const char *filter, struct berval *cookie)
{
    char             *none[] = { LDAP_NO_ATTRS, NULL };
    LDAPMessage      *res;
    LDAPControl      *page, *ctrls[2];
    struct timeval    tv;

    if (ldap_create_page_control(conn->ld, 0, cookie, 0, &page)
        != LDAP_SUCCESS)
    {
        return;
    }

    ctrls[0] = page;
    ctrls[1] = NULL;
    res = NULL;
    dir_conn_timeval(cfg->timeout_ms, &tv);

    dir_conn_check_health(conn,
                          ldap_search_ext_s(conn->ld, base, scope, filter,
                                            none, 0, ctrls, NULL, &tv, 0,
                                            &res));
    ldap_msgfree(res);
    ldap_control_free(page);
}


int
dir_conn_search_paged(const dir_config_t *cfg, dir_conn_t *conn,
    const char *base, dir_scope_t scope, const char *filter, char **attrs,
    dir_entry_pt each, void *arg, int *stopped)
{
    int               rc, err;
    ber_int_t         count;
    LDAPMessage      *res, *entry;
    LDAPControl      *page, *ctrls[2], **rctrls, *found;
    struct berval     cookie;
    struct timeval    tv;
    static const int  scopes[] = {
        [DIR_SCOPE_BASE] = LDAP_SCOPE_BASE,
        [DIR_SCOPE_ONE] = LDAP_SCOPE_ONELEVEL,
        [DIR_SCOPE_SUB] = LDAP_SCOPE_SUBTREE
    };

    *stopped = 0;
    cookie.bv_val = NULL;
    cookie.bv_len = 0;

    for ( ;; ) {
        rc = ldap_create_page_control(conn->ld, DIR_PAGE_SIZE,
                                      cookie.bv_len ? &cookie : NULL, 0,
                                      &page);
        if (rc != LDAP_SUCCESS) {
            break;
        }

        ctrls[0] = page;
        ctrls[1] = NULL;
        res = NULL;
        dir_conn_timeval(cfg->timeout_ms, &tv);

        rc = ldap_search_ext_s(conn->ld, base, scopes[scope], filter, attrs,
                               0, ctrls, NULL, &tv, 0, &res);
        ldap_control_free(page);
        dir_conn_check_health(conn, rc);

        for (entry = ldap_first_entry(conn->ld, res);
             entry != NULL && *stopped == 0;
             entry = ldap_next_entry(conn->ld, entry))
        {
            *stopped = each(conn, entry, arg);
        }

        rctrls = NULL;
        found = NULL;

        if (res != NULL
            && ldap_parse_result(conn->ld, res, &err, NULL, NULL, NULL,
                                 &rctrls, 0)
               == LDAP_SUCCESS)
        {
            found = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls,
                                      NULL);
        }

        ldap_memfree(cookie.bv_val);
        cookie.bv_val = NULL;
        cookie.bv_len = 0;

        if (found != NULL
            && ldap_parse_pageresponse_control(conn->ld, found, &count,
                                               &cookie)
               != LDAP_SUCCESS)
        {
            cookie.bv_val = NULL;
            cookie.bv_len = 0;
        }

        ldap_controls_free(rctrls);
        ldap_msgfree(res);

        if (*stopped != 0) {
            if (cookie.bv_len != 0 && !conn->broken) {
                dir_conn_page_abandon(cfg, conn, base, scopes[scope], filter,
                                      &cookie);
            }

            rc = LDAP_SUCCESS;
            break;
        }

        if (rc != LDAP_SUCCESS || cookie.bv_len == 0) {
            break;
        }
    }

    ldap_memfree(cookie.bv_val);

    return rc;
}


void
dir_conn_close(dir_conn_t *conn)
{
    if (conn == NULL) {
        return;
    }

    ldap_unbind_ext_s(conn->ld, NULL, NULL);
    free(conn);
}
