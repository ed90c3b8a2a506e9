#include <stddef.h>

#include "dir_pool.h"


static void
dir_pool_close_all(dir_conn_t *conn)
{
    dir_conn_t  *next;

    for ( /* void */ ; conn != NULL; conn = next) {
        next = conn->next;
        dir_conn_close(conn);
    }
}


int
dir_pool_init(dir_pool_t *pool, int size)
{
    int  role;

    for (role = 0; role < DIR_CONN_ROLES; role++) {
        pool->idle[role] = NULL;
        pool->nidle[role] = 0;
    }

    pool->size = size;
    pool->opened = 0;
    pool->reused = 0;
    pool->servers = NULL;

    return pthread_mutex_init(&pool->mutex, NULL) == 0 ? 0 : -1;
}


void
dir_pool_destroy(dir_pool_t *pool)
{
    int  role;

    for (role = 0; role < DIR_CONN_ROLES; role++) {
        dir_pool_close_all(pool->idle[role]);
        pool->idle[role] = NULL;
        pool->nidle[role] = 0;
    }

    pthread_mutex_destroy(&pool->mutex);
}


int
dir_pool_take(dir_pool_t *pool, const dir_config_t *cfg,
    dir_conn_role_t role, int fresh, dir_conn_t **connp, dir_error_t *err)
{
    dir_conn_t  *conn;

    conn = NULL;

    pthread_mutex_lock(&pool->mutex);

    if (!fresh && pool->idle[role] != NULL) {
        conn = pool->idle[role];
        pool->idle[role] = conn->next;
        pool->nidle[role]--;
        pool->reused++;
    }

    pthread_mutex_unlock(&pool->mutex);

    if (conn != NULL) {
        conn->next = NULL;
        conn->reused = 1;
        *connp = conn;
        return 0;
    }

    /* opening waits on the network: never under the lock */
    if (dir_conn_open(cfg, role, pool->servers, &conn, err) != 0) {
        return -1;
    }

    pthread_mutex_lock(&pool->mutex);
    pool->opened++;
    pthread_mutex_unlock(&pool->mutex);

    *connp = conn;

    return 0;
}


void
dir_pool_give(dir_pool_t *pool, dir_conn_t *conn)
{
    int          role;
    dir_conn_t  *closing[DIR_CONN_ROLES];

    for (role = 0; role < DIR_CONN_ROLES; role++) {
        closing[role] = NULL;
    }

    pthread_mutex_lock(&pool->mutex);

    if (conn->broken && conn->reused) {
        for (role = 0; role < DIR_CONN_ROLES; role++) {
            closing[role] = pool->idle[role];
            pool->idle[role] = NULL;
            pool->nidle[role] = 0;
        }

    } else if (!conn->broken && pool->nidle[conn->role] < pool->size) {
        conn->next = pool->idle[conn->role];
        pool->idle[conn->role] = conn;
        pool->nidle[conn->role]++;
        conn = NULL;
    }

    pthread_mutex_unlock(&pool->mutex);

    /* closing may write to the network: not under the lock either */
    dir_conn_close(conn);

    for (role = 0; role < DIR_CONN_ROLES; role++) {
        dir_pool_close_all(closing[role]);
    }
}


void
dir_pool_stats(dir_pool_t *pool, unsigned long *opened,
    unsigned long *reused)
{
    pthread_mutex_lock(&pool->mutex);
    *opened = pool->opened;
    *reused = pool->reused;
    pthread_mutex_unlock(&pool->mutex);
}
