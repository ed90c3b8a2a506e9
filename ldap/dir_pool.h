/*
 * The pool of idle connections of a client, one list for each role.  A
 * thread takes a connection, uses it alone, and gives it back; when none
 * is idle it opens one, and a connection given back to a full list is
 * closed, as is a broken one.
 */

#ifndef DIR_POOL_H
#define DIR_POOL_H

#include <pthread.h>

#include "dir_conn.h"
#include "dir_servers.h"


typedef struct {
    pthread_mutex_t   mutex;
    dir_conn_t       *idle[DIR_CONN_ROLES];
    int               nidle[DIR_CONN_ROLES];
    int               size;             /* idle connections kept a role */
    unsigned long     opened;
    unsigned long     reused;
    dir_servers_t    *servers;          /* noted at each open, or NULL */
} dir_pool_t;


int dir_pool_init(dir_pool_t *pool, int size);

/* Closes the idle connections; none may be taken any more. */
void dir_pool_destroy(dir_pool_t *pool);

/*
 * Takes an idle connection of the role, or opens a new one when none is
 * idle or when fresh is set.
 */
int dir_pool_take(dir_pool_t *pool, const dir_config_t *cfg,
    dir_conn_role_t role, int fresh, dir_conn_t **connp, dir_error_t *err);

/*
 * Gives a connection back, or closes it when it is broken.  A broken one
 * that had waited in the pool means the server went away or restarted:
 * every idle connection went with it, and is closed too.
 */
void dir_pool_give(dir_pool_t *pool, dir_conn_t *conn);

void dir_pool_stats(dir_pool_t *pool, unsigned long *opened,
    unsigned long *reused);


#endif /* DIR_POOL_H */
