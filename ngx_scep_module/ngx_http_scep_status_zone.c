
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


#define NGX_HTTP_SCEP_STATUS_SIZE   (1024 * 1024)

/* Processes that may count at once: workers, and a reload's old ones. */
#define NGX_HTTP_SCEP_STATUS_SLOTS  128


typedef enum {
    NGX_HTTP_SCEP_STATUS_PROFILE = 1,
    NGX_HTTP_SCEP_STATUS_DIRECTORY,
    NGX_HTTP_SCEP_STATUS_SERVER,
    NGX_HTTP_SCEP_STATUS_POOL
} ngx_http_scep_status_kind_e;


typedef struct {
    ngx_atomic_t                 counts[PORTAL_STATUS_BUCKETS + 1];
    ngx_atomic_t                 sum_usec;
} ngx_http_scep_status_hist_t;

/* A process's CA certificate and key pool of a profile. */
typedef struct {
    ngx_atomic_t                 ca;         /* NGX_HTTP_SCEP_STATUS_CA_* */
    ngx_atomic_t                 not_after;
    ngx_atomic_t                 keys;
} ngx_http_scep_status_pki_t;

#define NGX_HTTP_SCEP_STATUS_CA_UNTRIED  0
#define NGX_HTTP_SCEP_STATUS_CA_NONE     1
#define NGX_HTTP_SCEP_STATUS_CA_HELD     2

typedef struct {
    ngx_atomic_t                 certificates[PORTAL_STATUS_ORIGINS]
                                             [PORTAL_STATUS_CERT_RESULTS];
    ngx_atomic_t                 proxy_admitted;
    ngx_atomic_t                 proxy_refused;
    ngx_atomic_t                 errors[SCEP_ERR_LAST];
    ngx_http_scep_status_hist_t  pki;
    ngx_atomic_t                 ca_last;    /* code + 1; 0: none yet */
    ngx_http_scep_status_pki_t   procs[NGX_HTTP_SCEP_STATUS_SLOTS];
} ngx_http_scep_status_profile_sh_t;

typedef struct {
    ngx_atomic_t                 errors[DIR_ERR_LAST];
    ngx_http_scep_status_hist_t  latency;
} ngx_http_scep_status_directory_sh_t;

/*
 * A directory server: the latest attempt any worker made, as its time
 * shifted left by one with the lowest bit set when the server was up
 * (0: none yet), and when that bit last changed.
 */
typedef struct {
    ngx_atomic_t                 seen;
    ngx_atomic_t                 changed;
} ngx_http_scep_status_server_sh_t;

typedef struct {
    ngx_http_scep_status_jobs_t  procs[NGX_HTTP_SCEP_STATUS_SLOTS];
} ngx_http_scep_status_pool_sh_t;

typedef struct ngx_http_scep_status_node_s  ngx_http_scep_status_node_t;

struct ngx_http_scep_status_node_s {
    ngx_http_scep_status_node_t  *next;
    ngx_uint_t                    kind;
    size_t                        size;      /* of the counters */
    u_char                       *key;       /* after the counters */
    size_t                        key_len;
    ngx_atomic_uint_t             counters[1];   /* aligned for atomics */
};

typedef struct {
    ngx_atomic_t                  pid;       /* 0: free */
    ngx_atomic_t                  generation;
} ngx_http_scep_status_slot_t;

typedef struct {
    ngx_uint_t                    layout;
    ngx_atomic_t                  generation;  /* configurations loaded */
    ngx_http_scep_status_node_t  *nodes;
    ngx_atomic_t                  logins[PORTAL_RESULT_KINDS];
    ngx_http_scep_status_slot_t   slots[NGX_HTTP_SCEP_STATUS_SLOTS];
} ngx_http_scep_status_sh_t;

/*
 * The zone's layout; a zone that another build of the module left (its
 * master still running) is not read.
 */
#define NGX_HTTP_SCEP_STATUS_LAYOUT                                           \
    (0x5c3b1 + sizeof(ngx_http_scep_status_sh_t) * 7                          \
     + sizeof(ngx_http_scep_status_profile_sh_t) * 5                          \
     + sizeof(ngx_http_scep_status_directory_sh_t) * 3                        \
     + sizeof(ngx_http_scep_status_pool_sh_t))


typedef struct {
    ngx_thread_pool_t                    *tp;
    ngx_str_t                             name;
    ngx_http_scep_status_pool_sh_t       *sh;
} ngx_http_scep_status_pool_t;

/* A configuration's view of the zone; the zone's data. */
struct ngx_http_scep_status_conf_s {
    ngx_http_scep_main_conf_t            *smcf;
    ngx_slab_pool_t                      *shpool;
    ngx_http_scep_status_sh_t            *sh;     /* NULL: not usable */
    size_t                                size;
    ngx_uint_t                            generation;
    ngx_http_scep_status_profile_sh_t   **profiles;     /* by index */
    ngx_http_scep_status_directory_sh_t **directories;  /* by index */
    ngx_http_scep_status_server_sh_t   ***servers;      /* by index, url */
    ngx_array_t                           pools;
};

/* What this process counts into. */
typedef struct {
    ngx_http_scep_status_conf_t          *conf;
    ngx_int_t                             slot;         /* -1: none */
} ngx_http_scep_status_proc_t;


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
static ngx_uint_t ngx_http_scep_status_alive(ngx_atomic_uint_t pid);
static ngx_http_scep_status_profile_sh_t *ngx_http_scep_status_profile(
    const char *name);
static void ngx_http_scep_status_time(ngx_http_scep_status_hist_t *h,
    long usec);
static void ngx_http_scep_status_servers(ngx_http_scep_status_conf_t *sc,
    ngx_http_scep_directory_t *directory, dir_t *dir);
static void ngx_http_scep_status_copy_hist(portal_status_hist_t *to,
    ngx_http_scep_status_hist_t *from);
static void ngx_http_scep_status_copy_profile(ngx_http_scep_profile_t *prof,
    ngx_http_scep_status_profile_sh_t *p, ngx_uint_t *live,
    ngx_uint_t generation, portal_status_profile_t *out);


static ngx_http_scep_status_proc_t  ngx_http_scep_status_proc = { NULL, -1 };


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


static ngx_uint_t
ngx_http_scep_status_alive(ngx_atomic_uint_t pid)
{
    if (pid == 0) {
        return 0;
    }

    /* EPERM: a process is there, if not one of ours */
    return kill((ngx_pid_t) pid, 0) == 0 || ngx_errno != NGX_ESRCH;
}


/* -- counting, on the event loop -------------------------------------- */

void
ngx_http_scep_status_login(portal_result_kind_t kind)
{
    ngx_http_scep_status_conf_t  *sc;

    sc = ngx_http_scep_status_proc.conf;

    if (sc != NULL && (ngx_uint_t) kind < PORTAL_RESULT_KINDS) {
        (void) ngx_atomic_fetch_add(&sc->sh->logins[kind], 1);
    }
}


void
ngx_http_scep_status_backends(ngx_http_scep_directory_t *directory,
    dir_t *dir, portal_result_t *res)
{
    ngx_http_scep_status_conf_t          *sc;
    ngx_http_scep_status_profile_sh_t    *p;
    ngx_http_scep_status_directory_sh_t  *d;

    sc = ngx_http_scep_status_proc.conf;

    if (sc != NULL && directory != NULL && res->dir_usec >= 0) {
        d = sc->directories[directory->index];

        if (d != NULL) {
            ngx_http_scep_status_time(&d->latency, res->dir_usec);

            if (portal_status_dir_error(res->dir_error)) {
                (void) ngx_atomic_fetch_add(&d->errors[res->dir_error], 1);
            }
        }

        ngx_http_scep_status_servers(sc, directory, dir);
    }

    if (sc != NULL && (res->pki_usec >= 0 || res->pki_error != SCEP_OK)) {
        p = ngx_http_scep_status_profile(res->profile);

        if (p != NULL) {
            if (res->pki_usec >= 0) {
                ngx_http_scep_status_time(&p->pki, res->pki_usec);
            }

            if (portal_status_pki_error(res->pki_error)) {
                (void) ngx_atomic_fetch_add(&p->errors[res->pki_error], 1);
            }
        }
    }

    res->dir_usec = -1;
    res->dir_error = DIR_OK;
    res->pki_usec = -1;
    res->pki_error = SCEP_OK;
}


/*
 * The directory's servers as this worker saw them last, into the zone
 * when newer than what is there: the latest attempt of any worker wins.
 */

static void
ngx_http_scep_status_servers(ngx_http_scep_status_conf_t *sc,
    ngx_http_scep_directory_t *directory, dir_t *dir)
{
    size_t                             i, n;
    ngx_atomic_uint_t                  old, seen;
    dir_server_state_t                 states[DIR_URLS_MAX];
    ngx_http_scep_status_server_sh_t  *s;

    n = dir_server_state(dir, states, DIR_URLS_MAX);
    n = ngx_min(n, DIR_URLS_MAX);

    for (i = 0; i < n && i < directory->config.nurls; i++) {
        s = sc->servers[directory->index][i];

        if (s == NULL || states[i].state == DIR_SERVER_UNKNOWN) {
            continue;
        }

        seen = ((ngx_atomic_uint_t) states[i].seen << 1)
               | (states[i].state == DIR_SERVER_UP);

        for ( ;; ) {
            old = s->seen;

            if ((old >> 1) >= (ngx_atomic_uint_t) states[i].seen) {
                break;
            }

            if (ngx_atomic_cmp_set(&s->seen, old, seen)) {
                if (old == 0 || (old & 1) != (seen & 1)) {
                    s->changed = states[i].seen;
                }

                break;
            }
        }
    }
}


void
ngx_http_scep_status_certificate(const scep_profile_t *profile,
    portal_result_kind_t kind)
{
    ngx_http_scep_status_profile_sh_t  *p;

    if (ngx_http_scep_status_proc.conf == NULL || profile == NULL) {
        return;
    }

    p = ngx_http_scep_status_profile(profile->name);

    if (p != NULL) {
        (void) ngx_atomic_fetch_add(
            &p->certificates[PORTAL_STATUS_BY_ENROLL]
                            [portal_status_cert_result(kind)], 1);
    }
}


void
ngx_http_scep_status_admin(const portal_admin_result_t *res)
{
    ngx_http_scep_status_profile_sh_t  *p;

    if (ngx_http_scep_status_proc.conf == NULL || res->profile == NULL) {
        return;
    }

    p = ngx_http_scep_status_profile(res->profile->name);

    if (p == NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(
        &p->certificates[PORTAL_STATUS_BY_ADMIN]
                        [portal_status_cert_result(res->kind)], 1);

    if (res->pki_usec >= 0) {
        ngx_http_scep_status_time(&p->pki, res->pki_usec);
    }

    if (portal_status_pki_error(res->pki_error)) {
        (void) ngx_atomic_fetch_add(&p->errors[res->pki_error], 1);
    }
}


void
ngx_http_scep_status_proxy(ngx_http_scep_profile_t *prof, ngx_uint_t admitted)
{
    ngx_http_scep_status_conf_t        *sc;
    ngx_http_scep_status_profile_sh_t  *p;

    sc = ngx_http_scep_status_proc.conf;

    if (sc == NULL || (p = sc->profiles[prof->index]) == NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(admitted ? &p->proxy_admitted
                                         : &p->proxy_refused, 1);
}


void
ngx_http_scep_status_ca(ngx_http_scep_profile_t *prof, scep_pki_t *state,
    scep_code_t code)
{
    time_t                              not_after;
    ngx_http_scep_status_pki_t         *mine;
    ngx_http_scep_status_conf_t        *sc;
    ngx_http_scep_status_profile_sh_t  *p;

    sc = ngx_http_scep_status_proc.conf;

    if (sc == NULL || (p = sc->profiles[prof->index]) == NULL) {
        return;
    }

    p->ca_last = (ngx_atomic_uint_t) code + 1;

    if (ngx_http_scep_status_proc.slot == -1) {
        return;
    }

    mine = &p->procs[ngx_http_scep_status_proc.slot];
    not_after = scep_pki_ca_not_after(state);

    mine->not_after = (ngx_atomic_uint_t) not_after;
    mine->ca = not_after ? NGX_HTTP_SCEP_STATUS_CA_HELD
                         : NGX_HTTP_SCEP_STATUS_CA_NONE;
}


void
ngx_http_scep_status_keys(ngx_http_scep_profile_t *prof, scep_pki_t *state)
{
    ngx_http_scep_status_conf_t        *sc;
    ngx_http_scep_status_profile_sh_t  *p;

    sc = ngx_http_scep_status_proc.conf;

    if (sc == NULL || ngx_http_scep_status_proc.slot == -1
        || (p = sc->profiles[prof->index]) == NULL)
    {
        return;
    }

    p->procs[ngx_http_scep_status_proc.slot].keys = scep_pki_keys_ready(state);
}


ngx_http_scep_status_jobs_t *
ngx_http_scep_status_jobs(ngx_thread_pool_t *tp)
{
    ngx_uint_t                    i;
    ngx_http_scep_status_conf_t  *sc;
    ngx_http_scep_status_pool_t  *pools;

    sc = ngx_http_scep_status_proc.conf;

    if (sc == NULL || ngx_http_scep_status_proc.slot == -1) {
        return NULL;
    }

    pools = sc->pools.elts;

    for (i = 0; i < sc->pools.nelts; i++) {
        if (pools[i].tp == tp && pools[i].sh != NULL) {
            return &pools[i].sh->procs[ngx_http_scep_status_proc.slot];
        }
    }

    return NULL;
}


static ngx_http_scep_status_profile_sh_t *
ngx_http_scep_status_profile(const char *name)
{
    ngx_uint_t                    i;
    ngx_http_scep_profile_t     **profiles;
    ngx_http_scep_status_conf_t  *sc;

    sc = ngx_http_scep_status_proc.conf;
    profiles = sc->smcf->profiles.elts;

    for (i = 0; i < sc->smcf->profiles.nelts; i++) {
        if (ngx_strcmp(profiles[i]->profile.name, name) == 0) {
            return sc->profiles[i];
        }
    }

    return NULL;
}


static void
ngx_http_scep_status_time(ngx_http_scep_status_hist_t *h, long usec)
{
    (void) ngx_atomic_fetch_add(&h->counts[portal_status_bucket(usec)], 1);
    (void) ngx_atomic_fetch_add(&h->sum_usec, (ngx_atomic_int_t) usec);
}


/* -- the page's snapshot ------------------------------------------------ */

ngx_int_t
ngx_http_scep_status_snapshot(ngx_http_scep_main_conf_t *smcf,
    ngx_pool_t *pool, portal_status_t *st)
{
    size_t                                n;
    ngx_int_t                             in_flight, queued;
    ngx_uint_t                            i, j, k, generation;
    ngx_uint_t                            live[NGX_HTTP_SCEP_STATUS_SLOTS];
    ngx_atomic_uint_t                     seen;
    portal_status_pool_t                 *pools;
    portal_status_server_t               *servers;
    portal_status_profile_t              *profiles;
    ngx_http_scep_status_sh_t            *sh;
    ngx_http_scep_status_conf_t          *sc;
    ngx_http_scep_status_pool_t          *cpools;
    ngx_http_scep_profile_t             **cprofiles;
    ngx_http_scep_directory_t           **cdirs;
    portal_status_directory_t            *dirs;
    ngx_http_scep_status_server_sh_t     *s;
    ngx_http_scep_status_directory_sh_t  *d;

    sc = smcf->status;

    if (sc == NULL || sc->sh == NULL) {
        return NGX_DECLINED;
    }

    sh = sc->sh;
    ngx_memzero(st, sizeof(portal_status_t));
    st->now = ngx_time();

    /* the processes alive, and the newest configuration among them */

    generation = 0;

    for (i = 0; i < NGX_HTTP_SCEP_STATUS_SLOTS; i++) {
        live[i] = ngx_http_scep_status_alive(sh->slots[i].pid)
                  ? sh->slots[i].generation : 0;
        generation = ngx_max(generation, live[i]);
    }

    for (i = 0; i < PORTAL_RESULT_KINDS; i++) {
        st->logins[i] = sh->logins[i];
    }

    n = smcf->profiles.nelts;
    cprofiles = smcf->profiles.elts;

    profiles = ngx_pcalloc(pool, (n + 1) * sizeof(portal_status_profile_t));
    if (profiles == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (sc->profiles[i] != NULL) {
            ngx_http_scep_status_copy_profile(cprofiles[i], sc->profiles[i],
                                              live, generation,
                                              &profiles[st->nprofiles++]);
        }
    }

    st->profiles = profiles;

    n = smcf->directories.nelts;
    cdirs = smcf->directories.elts;

    dirs = ngx_pcalloc(pool, (n + 1) * sizeof(portal_status_directory_t));
    if (dirs == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        d = sc->directories[i];

        if (d == NULL) {
            continue;
        }

        /* block names are C strings (ngx_http_scep_block_name()) */
        dirs[st->ndirectories].name = (char *) cdirs[i]->block.name.data;

        for (j = 0; j < DIR_ERR_LAST; j++) {
            dirs[st->ndirectories].errors[j] = d->errors[j];
        }

        ngx_http_scep_status_copy_hist(&dirs[st->ndirectories].latency,
                                       &d->latency);

        servers = ngx_pcalloc(pool, (cdirs[i]->config.nurls + 1)
                                    * sizeof(portal_status_server_t));
        if (servers == NULL) {
            return NGX_ERROR;
        }

        k = 0;

        for (j = 0; j < cdirs[i]->config.nurls; j++) {
            s = sc->servers[i][j];

            if (s == NULL || (seen = s->seen) == 0) {
                continue;
            }

            servers[k].url = cdirs[i]->config.urls[j];
            servers[k].up = seen & 1;
            servers[k].changed = s->changed;
            k++;
        }

        dirs[st->ndirectories].servers = servers;
        dirs[st->ndirectories].nservers = k;
        st->ndirectories++;
    }

    st->directories = dirs;

    /* jobs: every process alive, old workers finishing theirs too */

    cpools = sc->pools.elts;

    pools = ngx_pcalloc(pool, (sc->pools.nelts + 1)
                              * sizeof(portal_status_pool_t));
    if (pools == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < sc->pools.nelts; i++) {
        if (cpools[i].sh == NULL) {
            continue;
        }

        in_flight = 0;
        queued = 0;

        for (j = 0; j < NGX_HTTP_SCEP_STATUS_SLOTS; j++) {
            if (live[j]) {
                in_flight += (ngx_atomic_int_t)
                             cpools[i].sh->procs[j].in_flight;
                queued += (ngx_atomic_int_t) cpools[i].sh->procs[j].queued;
            }
        }

        pools[st->npools].name = (char *) cpools[i].name.data;
        pools[st->npools].in_flight = ngx_max(in_flight, 0);
        pools[st->npools].queued = ngx_max(queued, 0);
        st->npools++;
    }

    st->pools = pools;

    return NGX_OK;
}


static void
ngx_http_scep_status_copy_profile(ngx_http_scep_profile_t *prof,
    ngx_http_scep_status_profile_sh_t *p, ngx_uint_t *live,
    ngx_uint_t generation, portal_status_profile_t *out)
{
    time_t       not_after;
    ngx_uint_t   i, j, workers, held;
    ngx_uint_t   ca;

    out->name = prof->profile.name;
    out->mode = scep_mode_name(prof->profile.mode);

    for (i = 0; i < PORTAL_STATUS_ORIGINS; i++) {
        for (j = 0; j < PORTAL_STATUS_CERT_RESULTS; j++) {
            out->certificates[i][j] = p->certificates[i][j];
        }
    }

    out->proxy_admitted = p->proxy_admitted;
    out->proxy_refused = p->proxy_refused;

    for (i = 0; i < SCEP_ERR_LAST; i++) {
        out->errors[i] = p->errors[i];
    }

    ngx_http_scep_status_copy_hist(&out->pki, &p->pki);

    /* the workers of the newest configuration */

    workers = 0;
    held = 0;
    not_after = 0;

    for (i = 0; i < NGX_HTTP_SCEP_STATUS_SLOTS; i++) {
        if (live[i] == 0 || live[i] != generation) {
            continue;
        }

        workers++;
        ca = p->procs[i].ca;

        if (ca == NGX_HTTP_SCEP_STATUS_CA_HELD) {
            held++;

            if (not_after == 0
                || (time_t) p->procs[i].not_after < not_after)
            {
                not_after = (time_t) p->procs[i].not_after;
            }
        }

        out->keys += p->procs[i].keys;
    }

    out->ca_known = (p->ca_last != 0);
    out->ca_last = out->ca_known ? (scep_code_t) (p->ca_last - 1) : SCEP_OK;
    out->ca_fetched = (workers > 0 && held == workers);
    out->ca_not_after = not_after;
    out->key_pool = (prof->profile.key_pool > 0);
}


static void
ngx_http_scep_status_copy_hist(portal_status_hist_t *to,
    ngx_http_scep_status_hist_t *from)
{
    ngx_uint_t  i;

    for (i = 0; i <= PORTAL_STATUS_BUCKETS; i++) {
        to->counts[i] = from->counts[i];
    }

    to->sum_usec = from->sum_usec;
}
