
/*
 * Each worker's view of every profile's PKI: the CA certificate is
 * fetched when the worker starts (GetCACert, checked against the
 * profile's fingerprint, saved in scep_store), retried with backoff while
 * it fails and refreshed now and then; key pools are refilled in the
 * background.  Both run as thread-pool tasks, so a start never waits for
 * a CA.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
#include "scep/scep_pki.h"
#include "scep/scep_subject.h"


#define NGX_HTTP_SCEP_FETCH_FIRST    1000
#define NGX_HTTP_SCEP_FETCH_MAX      (300 * 1000)
#define NGX_HTTP_SCEP_FETCH_REFRESH  (6 * 3600 * 1000)


struct ngx_http_scep_pki_ctx_s {
    ngx_http_scep_profile_t   *prof;
    ngx_thread_pool_t         *thread_pool;
    ngx_log_t                 *log;

    ngx_event_t                timer;
    ngx_msec_t                 backoff;
    ngx_thread_task_t         *fetch;
    ngx_thread_task_t         *refill;

    unsigned                   fetching:1;
    unsigned                   refilling:1;
};

/* What a task reports back to the event loop. */
typedef struct {
    ngx_http_scep_pki_ctx_t   *ctx;
    int                        rc;
    scep_error_t               err;
} ngx_http_scep_pki_task_t;


static ngx_int_t ngx_http_scep_pki_init_profile(ngx_cycle_t *cycle,
    ngx_http_scep_main_conf_t *smcf, ngx_http_scep_profile_t *prof);
static void ngx_http_scep_pki_fetch_start(ngx_event_t *ev);
static void ngx_http_scep_pki_fetch_thread(void *data, ngx_log_t *log);
static void ngx_http_scep_pki_fetch_done(ngx_event_t *ev);
static void ngx_http_scep_pki_log_ca(ngx_http_scep_pki_ctx_t *ctx);
static void ngx_http_scep_pki_refill_thread(void *data, ngx_log_t *log);
static void ngx_http_scep_pki_refill_done(ngx_event_t *ev);


ngx_int_t
ngx_http_scep_pki_init_process(ngx_cycle_t *cycle,
    ngx_http_scep_main_conf_t *smcf)
{
    ngx_uint_t                 i;
    ngx_http_scep_profile_t  **profiles;

    profiles = smcf->profiles.elts;

    for (i = 0; i < smcf->profiles.nelts; i++) {
        if (ngx_http_scep_pki_init_profile(cycle, smcf, profiles[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_pki_init_profile(ngx_cycle_t *cycle,
    ngx_http_scep_main_conf_t *smcf, ngx_http_scep_profile_t *prof)
{
    scep_error_t              err;
    ngx_http_scep_pki_ctx_t  *ctx;
    ngx_http_scep_pki_task_t *payload;

    ctx = ngx_pcalloc(cycle->pool, sizeof(ngx_http_scep_pki_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->prof = prof;
    ctx->thread_pool = smcf->thread_pool;
    ctx->log = cycle->log;
    ctx->backoff = NGX_HTTP_SCEP_FETCH_FIRST;

    prof->profile.pki = scep_pki_create(&prof->profile,
                                        smcf->store
                                        ? (char *) smcf->store->name.data
                                        : NULL,
                                        &err);
    if (prof->profile.pki == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "scep_profile \"%V\": %s", &prof->block.name,
                      err.message);
        return NGX_ERROR;
    }

    ctx->fetch = ngx_thread_task_alloc(cycle->pool,
                                       sizeof(ngx_http_scep_pki_task_t));
    ctx->refill = ngx_thread_task_alloc(cycle->pool,
                                        sizeof(ngx_http_scep_pki_task_t));
    if (ctx->fetch == NULL || ctx->refill == NULL) {
        return NGX_ERROR;
    }

    payload = ctx->fetch->ctx;
    payload->ctx = ctx;
    ctx->fetch->handler = ngx_http_scep_pki_fetch_thread;
    ctx->fetch->event.handler = ngx_http_scep_pki_fetch_done;
    ctx->fetch->event.data = payload;
    ctx->fetch->event.log = cycle->log;

    payload = ctx->refill->ctx;
    payload->ctx = ctx;
    ctx->refill->handler = ngx_http_scep_pki_refill_thread;
    ctx->refill->event.handler = ngx_http_scep_pki_refill_done;
    ctx->refill->event.data = payload;
    ctx->refill->event.log = cycle->log;

    /* a timer that never holds back a graceful shutdown */
    ctx->timer.handler = ngx_http_scep_pki_fetch_start;
    ctx->timer.data = ctx;
    ctx->timer.log = cycle->log;
    ctx->timer.cancelable = 1;

    prof->pki = ctx;

    ngx_add_timer(&ctx->timer, 1);

    ngx_http_scep_pki_keys_refill(prof);

    return NGX_OK;
}


/*
 * The thread pools are gone by now (their module exits first), so no
 * task can still use a profile's PKI.
 */

void
ngx_http_scep_pki_exit_process(ngx_http_scep_main_conf_t *smcf)
{
    ngx_uint_t                 i;
    ngx_http_scep_profile_t  **profiles;

    profiles = smcf->profiles.elts;

    for (i = 0; i < smcf->profiles.nelts; i++) {
        scep_pki_destroy(profiles[i]->profile.pki);
        profiles[i]->profile.pki = NULL;
    }
}


static void
ngx_http_scep_pki_fetch_start(ngx_event_t *ev)
{
    ngx_http_scep_pki_ctx_t  *ctx = ev->data;

    if (ctx->fetching || ngx_exiting || ngx_terminate) {
        return;
    }

    if (ngx_thread_task_post(ctx->thread_pool, ctx->fetch) != NGX_OK) {
        ngx_add_timer(&ctx->timer, NGX_HTTP_SCEP_FETCH_FIRST);
        return;
    }

    ctx->fetching = 1;
}


static void
ngx_http_scep_pki_fetch_thread(void *data, ngx_log_t *log)
{
    ngx_http_scep_pki_task_t  *task = data;

    scep_error_clear(&task->err);

    task->rc = scep_pki_fetch_ca(task->ctx->prof->profile.pki, &task->err);
}


static void
ngx_http_scep_pki_fetch_done(ngx_event_t *ev)
{
    ngx_http_scep_pki_task_t  *task = ev->data;

    ngx_http_scep_pki_ctx_t  *ctx;

    ctx = task->ctx;
    ctx->fetching = 0;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    if (task->rc == 0) {
        ngx_http_scep_pki_log_ca(ctx);
        ctx->backoff = NGX_HTTP_SCEP_FETCH_FIRST;
        ngx_add_timer(&ctx->timer, NGX_HTTP_SCEP_FETCH_REFRESH);
        return;
    }

    /*
     * Every attempt checks the fingerprint anew: retrying only helps when
     * the server was away or the CA has been fixed.
     */

    ngx_log_error(NGX_LOG_ERR, ctx->log, 0,
                  "scep_profile \"%V\": cannot obtain the CA certificate "
                  "(%s): %s; enroll mode answers 503 until it succeeds, "
                  "next attempt in %M s",
                  &ctx->prof->block.name, scep_code_name(task->err.code),
                  task->err.message, ctx->backoff / 1000);

    ngx_add_timer(&ctx->timer, ctx->backoff);

    ctx->backoff = ngx_min(ctx->backoff * 2, NGX_HTTP_SCEP_FETCH_MAX);
}


static void
ngx_http_scep_pki_log_ca(ngx_http_scep_pki_ctx_t *ctx)
{
    char            subject[512];
    u_char          md[32], hex[65];
    unsigned int    mdlen;
    scep_error_t    err;
    scep_pki_ca_t  *ca;

    ca = scep_pki_ca_acquire(ctx->prof->profile.pki, &err);
    if (ca == NULL) {
        return;
    }

    if (scep_name_to_text(X509_get_subject_name(ca->ca->ca), subject,
                          sizeof(subject))
        < 0)
    {
        ngx_cpystrn((u_char *) subject, (u_char *) "?", sizeof(subject));
    }

    mdlen = 0;

    if (X509_digest(ca->ca->ca, EVP_sha256(), md, &mdlen) != 1) {
        mdlen = 0;
    }

    *ngx_hex_dump(hex, md, mdlen) = '\0';

    scep_pki_ca_release(ctx->prof->profile.pki, ca);

    ngx_log_error(NGX_LOG_NOTICE, ctx->log, 0,
                  "scep_profile \"%V\": CA certificate \"%s\" "
                  "(SHA-256 %s) obtained from %s",
                  &ctx->prof->block.name, subject, hex,
                  ctx->prof->profile.server_url);
}


void
ngx_http_scep_pki_keys_refill(ngx_http_scep_profile_t *prof)
{
    ngx_http_scep_pki_ctx_t  *ctx;

    ctx = prof->pki;

    if (ctx == NULL || ctx->refilling || ngx_exiting || ngx_terminate
        || scep_pki_keys_wanted(prof->profile.pki) == 0)
    {
        return;
    }

    /* a full queue only delays the refill until the next enrollment */
    if (ngx_thread_task_post(ctx->thread_pool, ctx->refill) == NGX_OK) {
        ctx->refilling = 1;
    }
}


static void
ngx_http_scep_pki_refill_thread(void *data, ngx_log_t *log)
{
    ngx_http_scep_pki_task_t  *task = data;

    scep_error_clear(&task->err);

    task->rc = scep_pki_keys_refill(task->ctx->prof->profile.pki,
                                    &task->err);
}


static void
ngx_http_scep_pki_refill_done(ngx_event_t *ev)
{
    ngx_http_scep_pki_task_t  *task = ev->data;

    ngx_http_scep_pki_ctx_t  *ctx;

    ctx = task->ctx;
    ctx->refilling = 0;

    if (task->rc != 0) {
        ngx_log_error(NGX_LOG_ERR, ctx->log, 0,
                      "scep_profile \"%V\": cannot refill the key pool: %s",
                      &ctx->prof->block.name, task->err.message);
        return;
    }

    /* keys taken while this refill ran */
    ngx_http_scep_pki_keys_refill(ctx->prof);
}
