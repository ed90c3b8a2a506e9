/*
 * The servers' states as the client last saw them.
 */

#include <string.h>

#include "dir_priv.h"
#include "dir_servers.h"


int
dir_servers_init(dir_servers_t *s, const dir_config_t *cfg)
{
    size_t  i;

    memset(s->servers, 0, sizeof(s->servers));
    s->n = cfg->nurls < DIR_URLS_MAX ? cfg->nurls : DIR_URLS_MAX;

    for (i = 0; i < s->n; i++) {
        s->servers[i].url = cfg->urls[i];
        s->servers[i].state = DIR_SERVER_UNKNOWN;
    }

    return pthread_mutex_init(&s->mutex, NULL) == 0 ? 0 : -1;
}


void
dir_servers_destroy(dir_servers_t *s)
{
    pthread_mutex_destroy(&s->mutex);
}


void
dir_servers_note(dir_servers_t *s, const char *url, dir_code_t code,
    time_t now)
{
    size_t               i;
    dir_server_up_t      state;
    dir_server_state_t  *server;

    if (s == NULL) {
        return;
    }

    switch (code) {

    case DIR_ERR_UNAVAILABLE:
    case DIR_ERR_TIMEOUT:
        state = DIR_SERVER_DOWN;
        break;

    case DIR_OK:
    case DIR_ERR_BAD_CREDENTIALS:
    case DIR_ERR_SERVER:
    case DIR_ERR_SERVICE_ACCOUNT:
    case DIR_ERR_LIMIT:
        state = DIR_SERVER_UP;
        break;

    default:
        return;
    }

    pthread_mutex_lock(&s->mutex);

    for (i = 0; i < s->n; i++) {
        server = &s->servers[i];

        if (strcmp(server->url, url) != 0) {
            continue;
        }

        if (server->state != state) {
            server->state = state;
            server->changed = now;
        }

        server->seen = now;
        break;
    }

    pthread_mutex_unlock(&s->mutex);
}


size_t
dir_servers_copy(dir_servers_t *s, dir_server_state_t *out, size_t n)
{
    size_t  i;

    pthread_mutex_lock(&s->mutex);

    for (i = 0; i < s->n && i < n; i++) {
        out[i] = s->servers[i];
    }

    n = s->n;

    pthread_mutex_unlock(&s->mutex);

    return n;
}


size_t
dir_server_state(dir_t *dir, dir_server_state_t *out, size_t n)
{
    return dir_servers_copy(&dir->servers, out, n);
}
