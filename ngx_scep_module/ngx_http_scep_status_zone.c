
/*
 * The status page's counters: one shared memory zone, "scep_status", that
 * every worker counts into with atomic additions, never a lock on the way
 * of a login, and that outlives reloads.
 *
 * Its size does not depend on the configuration (scep_status_zone, 1m by
 * default), so a reload that adds a profile, a directory or a thread
 * pool finds the same zone with every counter as it was: nginx reuses a
 * zone whose name and size are unchanged.  The zone holds a list of
 * nodes, one for each profile, directory, directory server and thread
 * pool ever configured, found by name.  The master adds the new ones of
 * a configuration when it loads it (the zone's init) and never removes
 * any, so a profile that comes back finds its counters again; a worker
 * keeps pointers to the nodes of its own configuration.
 *
 * Gauges that each worker knows for itself (its jobs on a thread pool,
 * its key pool, whether it holds a CA certificate) have a column for
 * each process: a worker takes a free slot when it starts and writes
 * only its own column, and the page adds up (or takes the least of) the
 * columns of the processes that are alive.  The slot of a worker that
 * died without giving it back is seen as free, and the next worker to
 * take it zeroes its columns.  Key pools and CA certificates count only
 * the workers of the newest configuration: a reload's old workers finish
 * what they have and take no new logins.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_status.h"
#include "ngx_http_scep_status_zone.h"


static ngx_int_t ngx_http_scep_status_add_pool(ngx_conf_t *cf,
    ngx_http_scep_status_conf_t *sc, ngx_thread_pool_t *tp, ngx_str_t *name);
static ngx_int_t ngx_http_scep_status_init_zone(ngx_shm_zone_t *zone,
    void *data);
static void ngx_http_scep_status_register(ngx_http_scep_status_conf_t *sc,
    ngx_log_t *log);
static void *ngx_http_scep_status_node(ngx_http_scep_status_conf_t *sc,
    ngx_uint_t kind, u_char *key, size_t key_len, size_t size,
    ngx_log_t *log);
static void ngx_http_scep_status_zero_column(ngx_http_scep_status_sh_t *sh,
    ngx_uint_t slot);


ngx_http_scep_status_proc_t  ngx_http_scep_status_proc = { NULL, -1 };


/* scep_status_zone size; */

char *
ngx_http_scep_status_zone_size(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_scep_main_conf_t *smcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (smcf->status_size != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[1]);
    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "scep_status_zone: invalid size \"%V\", "
                           "give at least %uz", &value[1], 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    smcf->status_size = size;

    return NGX_CONF_OK;
}


/*
 * The zone exists wherever the module is used: counting starts with the
 * first login, whether or not a status page is configured yet.
 */

ngx_int_t
ngx_http_scep_status_init_conf(ngx_conf_t *cf,
    ngx_http_scep_main_conf_t *smcf)
{
    ngx_str_t                     name = ngx_string("scep_status");
    ngx_str_t                     dflt = ngx_string("default");
    ngx_uint_t                    i;
    ngx_shm_zone_t               *zone;
    ngx_http_scep_loc_conf_t     *top, **locs;
    ngx_http_scep_status_conf_t  *sc;
    ngx_http_scep_directory_t   **dirs;

    if (smcf->profiles.nelts == 0 && smcf->directories.nelts == 0
        && !smcf->status_used)
    {
        return NGX_OK;
    }

    sc = ngx_pcalloc(cf->pool, sizeof(ngx_http_scep_status_conf_t));
    if (sc == NULL) {
        return NGX_ERROR;
    }

    sc->smcf = smcf;
    sc->size = (smcf->status_size == NGX_CONF_UNSET)
               ? NGX_HTTP_SCEP_STATUS_SIZE : (size_t) smcf->status_size;

    sc->profiles = ngx_pcalloc(cf->pool, (smcf->profiles.nelts + 1)
                                         * sizeof(void *));
    sc->directories = ngx_pcalloc(cf->pool, (smcf->directories.nelts + 1)
                                            * sizeof(void *));
    sc->servers = ngx_pcalloc(cf->pool, (smcf->directories.nelts + 1)
                                        * sizeof(void *));

    if (sc->profiles == NULL || sc->directories == NULL
        || sc->servers == NULL
        || ngx_array_init(&sc->pools, cf->pool, 2,
                          sizeof(ngx_http_scep_status_pool_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    dirs = smcf->directories.elts;

    for (i = 0; i < smcf->directories.nelts; i++) {
        sc->servers[i] = ngx_pcalloc(cf->pool, (dirs[i]->config.nurls + 1)
                                               * sizeof(void *));
        if (sc->servers[i] == NULL) {
            return NGX_ERROR;
        }
    }

    /* the thread pools of the portals, scep_admin, and background work */

    locs = smcf->portal_locations.elts;

    for (i = 0; i < smcf->portal_locations.nelts; i++) {
        if (ngx_http_scep_status_add_pool(cf, sc, locs[i]->thread_pool,
                                          &locs[i]->thread_pool_name)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    locs = smcf->admin_locations.elts;

    for (i = 0; i < smcf->admin_locations.nelts; i++) {
        if (ngx_http_scep_status_add_pool(cf, sc, locs[i]->thread_pool,
                                          &locs[i]->thread_pool_name)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    top = ngx_http_conf_get_module_loc_conf(cf, ngx_http_scep_module);

    if (ngx_http_scep_status_add_pool(cf, sc, smcf->thread_pool,
                                      top->thread_pool_name.len
                                      ? &top->thread_pool_name : &dflt)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    zone = ngx_shared_memory_add(cf, &name, sc->size, &ngx_http_scep_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->init = ngx_http_scep_status_init_zone;
    zone->data = sc;

    smcf->status = sc;

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_status_add_pool(ngx_conf_t *cf, ngx_http_scep_status_conf_t *sc,
    ngx_thread_pool_t *tp, ngx_str_t *name)
{
    ngx_uint_t                    i;
    ngx_http_scep_status_pool_t  *pool;

    if (tp == NULL) {
        return NGX_OK;
    }

    pool = sc->pools.elts;

    for (i = 0; i < sc->pools.nelts; i++) {
        if (pool[i].tp == tp) {
            return NGX_OK;
        }
    }

    pool = ngx_array_push(&sc->pools);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    pool->tp = tp;
    pool->name = *name;
    pool->sh = NULL;

    return NGX_OK;
}


/* In the master, as it loads a configuration: the zone new or reused. */

static ngx_int_t
ngx_http_scep_status_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_http_scep_status_conf_t  *sc;
    ngx_http_scep_status_sh_t    *sh;

    sc = zone->data;
    sc->shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (data != NULL || zone->shm.exists) {
        sh = sc->shpool->data;

    } else {
        sh = ngx_slab_alloc(sc->shpool, sizeof(ngx_http_scep_status_sh_t));
        if (sh == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(sh, sizeof(ngx_http_scep_status_sh_t));
        sh->layout = NGX_HTTP_SCEP_STATUS_LAYOUT;

        sc->shpool->data = sh;
        sc->shpool->log_nomem = 0;
    }

    if (sh == NULL || sh->layout != NGX_HTTP_SCEP_STATUS_LAYOUT) {
        ngx_log_error(NGX_LOG_ALERT, zone->shm.log, 0,
                      "scep_status: the shared zone was made by another "
                      "build of the module, nothing is counted until "
                      "nginx is restarted");
        return NGX_OK;
    }

    sc->sh = sh;
    sc->generation = ngx_atomic_fetch_add(&sh->generation, 1) + 1;

    ngx_shmtx_lock(&sc->shpool->mutex);
    ngx_http_scep_status_register(sc, zone->shm.log);
    ngx_shmtx_unlock(&sc->shpool->mutex);

    return NGX_OK;
}


/* The nodes of this configuration's names, found or made. */

static void
ngx_http_scep_status_register(ngx_http_scep_status_conf_t *sc,
    ngx_log_t *log)
{
    u_char                       *key, *p;
    size_t                        len;
    ngx_uint_t                    i, j;
    dir_config_t                 *cfg;
    ngx_http_scep_profile_t     **profiles;
    ngx_http_scep_directory_t   **dirs;
    ngx_http_scep_status_pool_t  *pools;

    profiles = sc->smcf->profiles.elts;

    for (i = 0; i < sc->smcf->profiles.nelts; i++) {
        sc->profiles[i] = ngx_http_scep_status_node(sc,
                              NGX_HTTP_SCEP_STATUS_PROFILE,
                              profiles[i]->block.name.data,
                              profiles[i]->block.name.len,
                              sizeof(ngx_http_scep_status_profile_sh_t), log);
    }

    dirs = sc->smcf->directories.elts;

    for (i = 0; i < sc->smcf->directories.nelts; i++) {
        sc->directories[i] = ngx_http_scep_status_node(sc,
                                 NGX_HTTP_SCEP_STATUS_DIRECTORY,
                                 dirs[i]->block.name.data,
                                 dirs[i]->block.name.len,
                                 sizeof(ngx_http_scep_status_directory_sh_t),
                                 log);

        cfg = &dirs[i]->config;

        for (j = 0; j < cfg->nurls; j++) {

            /* the directory's name, a NUL, the url */
            len = dirs[i]->block.name.len + 1 + ngx_strlen(cfg->urls[j]);

            key = ngx_alloc(len, log);
            if (key == NULL) {
                continue;
            }

            p = ngx_cpymem(key, dirs[i]->block.name.data,
                           dirs[i]->block.name.len);
            *p++ = '\0';
            ngx_memcpy(p, cfg->urls[j], ngx_strlen(cfg->urls[j]));

            sc->servers[i][j] = ngx_http_scep_status_node(sc,
                                    NGX_HTTP_SCEP_STATUS_SERVER, key, len,
                                    sizeof(ngx_http_scep_status_server_sh_t),
                                    log);
            ngx_free(key);
        }
    }

    pools = sc->pools.elts;

    for (i = 0; i < sc->pools.nelts; i++) {
        pools[i].sh = ngx_http_scep_status_node(sc,
                          NGX_HTTP_SCEP_STATUS_POOL, pools[i].name.data,
                          pools[i].name.len,
                          sizeof(ngx_http_scep_status_pool_sh_t), log);
    }
}


/* Under the zone's lock: the counters of a name, or NULL. */

static void *
ngx_http_scep_status_node(ngx_http_scep_status_conf_t *sc, ngx_uint_t kind,
    u_char *key, size_t key_len, size_t size, ngx_log_t *log)
{
    ngx_http_scep_status_node_t  *node;

    for (node = sc->sh->nodes; node; node = node->next) {
        if (node->kind == kind && node->size == size
            && node->key_len == key_len
            && ngx_memcmp(node->key, key, key_len) == 0)
        {
            return node->counters;
        }
    }

    node = ngx_slab_alloc_locked(sc->shpool,
                                 offsetof(ngx_http_scep_status_node_t,
                                          counters)
                                 + size + key_len);
    if (node == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "scep_status_zone of %uz bytes is full: \"%*s\" is "
                      "not counted; a larger zone (a new size starts every "
                      "counter from zero) has room for it",
                      sc->size, key_len, key);
        return NULL;
    }

    ngx_memzero(node->counters, size);

    node->kind = kind;
    node->size = size;
    node->key = (u_char *) node->counters + size;
    node->key_len = key_len;
    ngx_memcpy(node->key, key, key_len);

    node->next = sc->sh->nodes;
    sc->sh->nodes = node;

    return node->counters;
}


/*
 * A worker takes a process slot: a free one, or one whose process is
 * gone (it crashed, or left without cleanup), whose columns it zeroes.
 */

void
ngx_http_scep_status_worker_init(ngx_cycle_t *cycle,
    ngx_http_scep_main_conf_t *smcf)
{
    ngx_int_t                     slot;
    ngx_uint_t                    i;
    ngx_atomic_uint_t             pid;
    ngx_http_scep_status_sh_t    *sh;
    ngx_http_scep_status_conf_t  *sc;

    sc = smcf->status;

    if (sc == NULL || sc->sh == NULL) {
        return;
    }

    ngx_http_scep_status_proc.conf = sc;
    ngx_http_scep_status_proc.slot = -1;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return;
    }

    sh = sc->sh;
    slot = -1;

    ngx_shmtx_lock(&sc->shpool->mutex);

    for (i = 0; i < NGX_HTTP_SCEP_STATUS_SLOTS; i++) {
        pid = sh->slots[i].pid;

        /* a slot with our pid is a dead process's that had it before */
        if (pid == (ngx_atomic_uint_t) ngx_pid) {
            sh->slots[i].pid = 0;
            pid = 0;
        }

        if (slot == -1
            && (pid == 0 || !ngx_http_scep_status_alive(pid)))
        {
            slot = i;
        }
    }

    if (slot != -1) {
        ngx_http_scep_status_zero_column(sh, slot);
        sh->slots[slot].generation = sc->generation;
        ngx_memory_barrier();
        sh->slots[slot].pid = ngx_pid;
    }

    ngx_shmtx_unlock(&sc->shpool->mutex);

    if (slot == -1) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "scep_status: all %d process slots are taken: this "
                      "worker's jobs, key pools and CA certificates are "
                      "not shown", NGX_HTTP_SCEP_STATUS_SLOTS);
        return;
    }

    ngx_http_scep_status_proc.slot = slot;
}


void
ngx_http_scep_status_worker_exit(void)
{
    ngx_http_scep_status_conf_t  *sc;

    sc = ngx_http_scep_status_proc.conf;

    if (sc != NULL && ngx_http_scep_status_proc.slot != -1) {
        sc->sh->slots[ngx_http_scep_status_proc.slot].pid = 0;
        ngx_http_scep_status_proc.slot = -1;
    }
}


static void
ngx_http_scep_status_zero_column(ngx_http_scep_status_sh_t *sh,
    ngx_uint_t slot)
{
    ngx_http_scep_status_node_t        *node;
    ngx_http_scep_status_pool_sh_t     *pool;
    ngx_http_scep_status_profile_sh_t  *prof;

    for (node = sh->nodes; node; node = node->next) {

        switch (node->kind) {

        case NGX_HTTP_SCEP_STATUS_PROFILE:
            prof = (ngx_http_scep_status_profile_sh_t *) node->counters;
            prof->procs[slot].ca = NGX_HTTP_SCEP_STATUS_CA_UNTRIED;
            prof->procs[slot].not_after = 0;
            prof->procs[slot].keys = 0;
            break;

        case NGX_HTTP_SCEP_STATUS_POOL:
            pool = (ngx_http_scep_status_pool_sh_t *) node->counters;
            pool->procs[slot].in_flight = 0;
            pool->procs[slot].queued = 0;
            break;

        default:
            break;
        }
    }
}


ngx_uint_t
ngx_http_scep_status_alive(ngx_atomic_uint_t pid)
{
    if (pid == 0) {
        return 0;
    }

    /* EPERM: a process is there, if not one of ours */
    return kill((ngx_pid_t) pid, 0) == 0 || ngx_errno != NGX_ESRCH;
}
