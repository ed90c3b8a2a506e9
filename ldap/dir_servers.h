/*
 * What a client last saw of each of its servers: the table behind
 * dir_server_state(), noted by every attempt to open a connection.
 */

#ifndef DIR_SERVERS_H
#define DIR_SERVERS_H

#include <pthread.h>

#include "dir.h"


typedef struct {
    pthread_mutex_t      mutex;
    dir_server_state_t   servers[DIR_URLS_MAX];
    size_t               n;
} dir_servers_t;


/* The servers of cfg, in order, all unknown; 0, or -1 without a lock. */
int dir_servers_init(dir_servers_t *s, const dir_config_t *cfg);
void dir_servers_destroy(dir_servers_t *s);

/*
 * An attempt to open a connection to url ended with code: DIR_OK (a
 * connection), or the error.  A server that could not be reached
 * (DIR_ERR_UNAVAILABLE, DIR_ERR_TIMEOUT) is down; one that answered,
 * even to refuse the service account, is up; other errors (out of
 * memory) say nothing about it.  s may be NULL.
 */
void dir_servers_note(dir_servers_t *s, const char *url, dir_code_t code,
    time_t now);

/* Copies at most n states to out; returns the number of servers. */
size_t dir_servers_copy(dir_servers_t *s, dir_server_state_t *out,
    size_t n);


#endif /* DIR_SERVERS_H */
