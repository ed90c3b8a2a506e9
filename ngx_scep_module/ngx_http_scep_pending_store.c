
/*
 * Pending enrollments kept sealed in scep_store ("pending/", see
 * scep/scep_pending.h), when the configuration has both scep_store and
 * scep_key_file: they survive a restart, and every portal that shares
 * the directory and the key resumes them.  Without either, they stay in
 * shared memory (ngx_http_scep_pending.c), which a reload keeps and a
 * restart or another portal does not.
 *
 * Logins read and write their records in their own job
 * (ngx_http_scep_login.c).  Here: the choice, a sweep of expired
 * records now and then, and a certificate whose login had timed out,
 * kept by a task of the worker's own.  Every file operation runs on a
 * thread pool.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_job.h"


/* The longest time between two sweeps, in seconds. */
#define NGX_HTTP_SCEP_SWEEP_MAX  600


typedef struct {
    ngx_http_scep_task_t          task;
    ngx_event_t                   timer;
    const scep_pending_store_t   *store;
    ngx_thread_pool_t            *thread_pool;
    ngx_msec_t                    period;
    ngx_log_t                    *log;

    /* what the task reports back to the event loop */
    int                           rc;
    size_t                        removed;
    scep_error_t                  err;
} ngx_http_scep_sweep_t;

typedef struct {
    ngx_http_scep_task_t          task;
    const scep_pending_store_t   *store;
    char                         *key;
    char                         *user;
    u_char                       *data;
    size_t                        len;
    int                           rc;
    scep_error_t                  err;
} ngx_http_scep_keep_t;


static void ngx_http_scep_sweep_start(ngx_event_t *ev);
static void ngx_http_scep_sweep_run(void *data);
static void ngx_http_scep_sweep_done(void *data);
static void ngx_http_scep_keep_run(void *data);
static void ngx_http_scep_keep_done(void *data);


static ngx_http_scep_sweep_t  ngx_http_scep_sweep;


/*
 * The store is chosen when a profile enrolls for its users and both
 * scep_store and scep_key_file are set; scep_pending_cache's ttl holds
 * for it as for the shared memory.
 */

ngx_int_t
ngx_http_scep_pending_store_init_conf(ngx_conf_t *cf,
    ngx_http_scep_main_conf_t *smcf)
{
    size_t                     len;
    u_char                    *dir;
    ngx_uint_t                 enroll;
    scep_pending_store_t      *store;

    enroll = ngx_http_scep_has_enroll_profile(smcf);

    if (!enroll || smcf->store == NULL || !smcf->keys_from_files) {
        return NGX_OK;
    }

    store = ngx_pcalloc(cf->pool, sizeof(scep_pending_store_t));
    if (store == NULL) {
        return NGX_ERROR;
    }

    len = smcf->store->name.len + sizeof("/pending");

    dir = ngx_pnalloc(cf->pool, len);
    if (dir == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(dir, "%V/pending%Z", &smcf->store->name);

    store->dir = (char *) dir;
    store->keys = &smcf->keys;
    store->ttl = (smcf->pending_size == NGX_CONF_UNSET)
                 ? NGX_HTTP_SCEP_PENDING_TTL : smcf->pending_ttl;

    smcf->pending_store = store;

    return NGX_OK;
}


/*
 * One worker of each portal sweeps: at start, then every ttl (at most
 * NGX_HTTP_SCEP_SWEEP_MAX).  Portals that share the store all sweep it;
 * a record removed twice is no harm.
 */

ngx_int_t
ngx_http_scep_pending_store_start(ngx_cycle_t *cycle,
    ngx_http_scep_main_conf_t *smcf)
{
    ngx_http_scep_sweep_t  *sw;

    if (smcf->pending_store == NULL || ngx_worker != 0) {
        return NGX_OK;
    }

    sw = &ngx_http_scep_sweep;

    sw->store = smcf->pending_store;
    sw->thread_pool = smcf->thread_pool;
    sw->log = cycle->log;
    sw->period = (ngx_msec_t) ngx_min(ngx_max(sw->store->ttl, 1),
                                      NGX_HTTP_SCEP_SWEEP_MAX) * 1000;

    ngx_http_scep_task_init(&sw->task, ngx_http_scep_sweep_run,
                            ngx_http_scep_sweep_done, sw, cycle->log);

    /* a timer that never holds back a graceful shutdown */
    sw->timer.handler = ngx_http_scep_sweep_start;
    sw->timer.data = sw;
    sw->timer.log = cycle->log;
    sw->timer.cancelable = 1;

    ngx_add_timer(&sw->timer, 1);

    return NGX_OK;
}


static void
ngx_http_scep_sweep_start(ngx_event_t *ev)
{
    ngx_http_scep_sweep_t  *sw = ev->data;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    if (ngx_http_scep_task_post(&sw->task, sw->thread_pool) != NGX_OK) {
        ngx_add_timer(&sw->timer, sw->period);
    }
}


static void
ngx_http_scep_sweep_run(void *data)
{
    ngx_http_scep_sweep_t  *sw = data;

    scep_error_clear(&sw->err);

    sw->rc = scep_pending_sweep(sw->store, time(NULL), &sw->removed,
                                &sw->err);
}


static void
ngx_http_scep_sweep_done(void *data)
{
    ngx_http_scep_sweep_t  *sw = data;

    if (sw->task.skipped) {
        return;
    }

    if (sw->removed) {
        ngx_log_error(NGX_LOG_INFO, sw->log, 0,
                      "scep_store: %uz expired pending request%s removed "
                      "from %s", sw->removed, sw->removed == 1 ? "" : "s",
                      sw->store->dir);
    }

    if (sw->rc != 0) {
        ngx_log_error(NGX_LOG_WARN, sw->log, 0,
                      "scep_store: sweeping expired pending requests: %s",
                      sw->err.message);
    }

    if (!ngx_exiting && !ngx_terminate) {
        ngx_add_timer(&sw->timer, sw->period);
    }
}


/*
 * A certificate issued after its login had timed out: the login's job
 * had already dropped the user's record, as for an answered login, and
 * the request is over.  The certificate is kept for the user's next
 * login by a task of its own, with its own copy of what it writes.
 */

void
ngx_http_scep_pending_store_keep(ngx_http_scep_main_conf_t *smcf,
    ngx_thread_pool_t *tp, const char *key, const char *user,
    const u_char *data, size_t len, ngx_log_t *log)
{
    size_t                 klen, ulen;
    ngx_http_scep_keep_t  *k;

    klen = ngx_strlen(key) + 1;
    ulen = ngx_strlen(user) + 1;

    k = ngx_alloc(sizeof(ngx_http_scep_keep_t) + klen + ulen + len, log);
    if (k == NULL) {
        return;
    }

    ngx_memzero(k, sizeof(ngx_http_scep_keep_t));

    k->store = smcf->pending_store;
    k->key = (char *) (k + 1);
    k->user = k->key + klen;
    k->data = (u_char *) k->user + ulen;
    k->len = len;

    ngx_memcpy(k->key, key, klen);
    ngx_memcpy(k->user, user, ulen);
    ngx_memcpy(k->data, data, len);

    ngx_http_scep_task_init(&k->task, ngx_http_scep_keep_run,
                            ngx_http_scep_keep_done, k, ngx_cycle->log);

    if (ngx_http_scep_task_post(&k->task, tp) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "scep portal: the login of \"%s\" had timed out; its "
                      "certificate cannot be kept: the thread pool is full",
                      user);

        /* the data holds a private key */
        OPENSSL_cleanse(k->data, k->len);
        ngx_free(k);
    }
}


static void
ngx_http_scep_keep_run(void *data)
{
    ngx_http_scep_keep_t  *k = data;

    scep_error_clear(&k->err);

    k->rc = scep_pending_put(k->store, k->key, time(NULL), k->data, k->len,
                             &k->err);
}


static void
ngx_http_scep_keep_done(void *data)
{
    ngx_http_scep_keep_t  *k = data;

    if (k->task.skipped) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "scep portal: the login of \"%s\" had timed out; its "
                      "certificate was not kept: the worker was stopping",
                      k->user);

    } else if (k->rc != 0) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "scep portal: the login of \"%s\" had timed out; its "
                      "certificate cannot be kept in scep_store: %s",
                      k->user, k->err.message);

    } else {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "scep portal: the login of \"%s\" had timed out; its "
                      "certificate is kept for the user's next login",
                      k->user);
    }

    OPENSSL_cleanse(k->data, k->len);
    ngx_free(k);
}
