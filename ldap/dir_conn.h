/*
 * One connection to a directory server: opening it (the servers in
 * order, TLS, the service account's bind), binding, searching, closing.
 * A connection is used by one thread at a time.
 *
 * Connections have one of two roles.  Search connections stay bound as
 * the service account; users' binds go to bind connections.  A login
 * then costs a search and a bind, not also a rebind of the service
 * account after every user.
 */

#ifndef DIR_CONN_H
#define DIR_CONN_H

#include <ldap.h>

#include "dir.h"
#include "dir_account.h"
#include "dir_servers.h"


typedef enum {
    DIR_CONN_SEARCH = 0,
    DIR_CONN_BIND,
    DIR_CONN_ROLES
} dir_conn_role_t;

typedef enum {
    DIR_BOUND_NOBODY = 0,       /* a failed bind leaves it anonymous */
    DIR_BOUND_SERVICE,
    DIR_BOUND_USER
} dir_bound_t;

typedef struct dir_conn_s  dir_conn_t;

struct dir_conn_s {
    LDAP             *ld;
    const char       *url;      /* one of the configuration's urls */
    dir_conn_role_t   role;
    dir_bound_t       bound;
    int               tls;      /* ldaps:// or StartTLS */
    int               reused;   /* came from the pool: may have died idle */
    int               broken;   /* dead, or its state unknown: not reused */
    dir_conn_t       *next;     /* in the pool's idle list */
};


/*
 * Opens a connection to the first server that answers; a search
 * connection is bound as the service account.  A server that cannot be
 * reached, fails TLS or does not answer in time is skipped; the error of
 * the last one is reported.  Each attempt is noted in servers (may be
 * NULL).
 */
int dir_conn_open(const dir_config_t *cfg, dir_conn_role_t role,
    dir_servers_t *servers, dir_conn_t **connp, dir_error_t *err);

/*
 * Builds the TLS settings of a connection without connecting, so that an
 * unusable tls_trusted_certificate is reported at configuration time.
 */
int dir_conn_check_tls(const dir_config_t *cfg, dir_error_t *err);

/* Rebinds as the service account (or anonymously when none is set). */
int dir_conn_bind_service(const dir_config_t *cfg, dir_conn_t *conn,
    dir_error_t *err);

/*
 * A simple bind bounded by the operation timeout, asking for the password
 * policy control when the configuration says so; returns libldap's result
 * code, records who the connection is bound as and, when r is not NULL,
 * what the server told about the account.  *sent is set once the request
 * went out: a bind that may have reached the server is never repeated,
 * so that a wrong password counts once towards a lockout.  The password
 * is handed to libldap in place, never copied here.
 */
int dir_conn_bind(const dir_config_t *cfg, dir_conn_t *conn, const char *dn,
    const char *password, size_t password_len, dir_bound_t as,
    dir_bind_result_t *r, int *sent);

/*
 * Whether an idle connection from the pool still looks usable: the
 * server closed it, or sent a notice of disconnection, when there is
 * anything to read.
 */
int dir_conn_alive(dir_conn_t *conn);

/*
 * A search bounded by the operation timeout and sizelimit entries;
 * returns libldap's result code and, whatever it is, *res to be freed
 * with ldap_msgfree() (it may be NULL).
 */
int dir_conn_search(const dir_config_t *cfg, dir_conn_t *conn,
    const char *base, dir_scope_t scope, const char *filter, char **attrs,
    int sizelimit, LDAPMessage **res);

/*
 * A search in pages of DIR_PAGE_SIZE entries (RFC 2696; a server without
 * the control sends everything at once), calling each() for every entry.
 * When each() returns non-zero the search ends there, the server is told
 * to drop the rest, and that value is left in *stopped.  Returns
 * libldap's result code.
 */
#define DIR_PAGE_SIZE  500

typedef int (*dir_entry_pt)(dir_conn_t *conn, LDAPMessage *entry,
    void *arg);

int dir_conn_search_paged(const dir_config_t *cfg, dir_conn_t *conn,
    const char *base, dir_scope_t scope, const char *filter, char **attrs,
    dir_entry_pt each, void *arg, int *stopped);

void dir_conn_close(dir_conn_t *conn);


#endif /* DIR_CONN_H */
