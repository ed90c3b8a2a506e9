
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
#include "ngx_http_scep_job.h"
#include "ngx_http_scep_status.h"
#include "scep/scep_pki.h"
#include "scep/scep_subject.h"


#define NGX_HTTP_SCEP_FETCH_FIRST    1000
#define NGX_HTTP_SCEP_FETCH_MAX      (300 * 1000)
#define NGX_HTTP_SCEP_FETCH_REFRESH  (6 * 3600 * 1000)


struct ngx_http_scep_pki_s {
    ngx_http_scep_profile_t   *prof;
    scep_pki_t                *state;
    ngx_thread_pool_t         *thread_pool;
    ngx_log_t                 *log;

    ngx_event_t                timer;
    ngx_msec_t                 backoff;

    /* what each task reports back to the event loop */
    ngx_http_scep_task_t       fetch;
    int                        fetch_rc;
    scep_error_t               fetch_err;

    ngx_http_scep_task_t       refill;
    int                        refill_rc;
    scep_error_t               refill_err;

    unsigned                   fetching:1;
    unsigned                   refilling:1;
};


static void ngx_http_scep_pki_fetch_start(ngx_event_t *ev);
static void ngx_http_scep_pki_fetch_run(void *data);
static void ngx_http_scep_pki_fetch_done(void *data);
static void ngx_http_scep_pki_log_ca(ngx_http_scep_pki_t *pki);
static void ngx_http_scep_pki_refill_run(void *data);
static void ngx_http_scep_pki_refill_done(void *data);


ngx_http_scep_pki_t *
ngx_http_scep_pki_start(ngx_cycle_t *cycle, ngx_http_scep_main_conf_t *smcf,
    ngx_http_scep_profile_t *prof)
{
    scep_error_t          err;
    ngx_http_scep_pki_t  *pki;

    pki = ngx_pcalloc(cycle->pool, sizeof(ngx_http_scep_pki_t));
    if (pki == NULL) {
        return NULL;
    }

    pki->prof = prof;
    pki->thread_pool = smcf->thread_pool;
    pki->log = cycle->log;
    pki->backoff = NGX_HTTP_SCEP_FETCH_FIRST;

    pki->state = scep_pki_create(&prof->profile,
                                 smcf->store ? (char *) smcf->store->name.data
                                             : NULL,
                                 &err);
    if (pki->state == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "scep_profile \"%V\": %s", &prof->block.name,
                      err.message);
        return NULL;
    }

    ngx_http_scep_task_init(&pki->fetch, ngx_http_scep_pki_fetch_run,
                            ngx_http_scep_pki_fetch_done, pki, cycle->log);
    ngx_http_scep_task_init(&pki->refill, ngx_http_scep_pki_refill_run,
                            ngx_http_scep_pki_refill_done, pki, cycle->log);

    /* a timer that never holds back a graceful shutdown */
    pki->timer.handler = ngx_http_scep_pki_fetch_start;
    pki->timer.data = pki;
    pki->timer.log = cycle->log;
    pki->timer.cancelable = 1;

    ngx_add_timer(&pki->timer, 1);

    ngx_http_scep_pki_keys_refill(pki);

    return pki;
}


scep_pki_t *
ngx_http_scep_pki_state(ngx_http_scep_pki_t *pki)
{
    return pki->state;
}


/* Once the thread pools are stopped: no task can still use the state. */

void
ngx_http_scep_pki_stop(ngx_http_scep_pki_t *pki)
{
    scep_pki_destroy(pki->state);
    pki->state = NULL;
}


static void
ngx_http_scep_pki_fetch_start(ngx_event_t *ev)
{
    ngx_http_scep_pki_t  *pki = ev->data;

    if (pki->fetching || ngx_exiting || ngx_terminate) {
        return;
    }

    if (ngx_http_scep_task_post(&pki->fetch, pki->thread_pool) != NGX_OK) {
        ngx_add_timer(&pki->timer, NGX_HTTP_SCEP_FETCH_FIRST);
        return;
    }

    pki->fetching = 1;
}


static void
ngx_http_scep_pki_fetch_run(void *data)
{
    ngx_http_scep_pki_t  *pki = data;

    scep_error_clear(&pki->fetch_err);

    pki->fetch_rc = scep_pki_fetch_ca(pki->state, &pki->fetch_err);
}


static void
ngx_http_scep_pki_fetch_done(void *data)
{
    ngx_http_scep_pki_t  *pki = data;

    pki->fetching = 0;

    if (ngx_exiting || ngx_terminate || pki->fetch.skipped) {
        return;
    }

    ngx_http_scep_status_ca(pki->prof, pki->state,
                            pki->fetch_rc == 0 ? SCEP_OK
                                               : pki->fetch_err.code);

    if (pki->fetch_rc == 0) {
        ngx_http_scep_pki_log_ca(pki);
        pki->backoff = NGX_HTTP_SCEP_FETCH_FIRST;
        ngx_add_timer(&pki->timer, NGX_HTTP_SCEP_FETCH_REFRESH);
        return;
    }

    /*
     * Every attempt checks the fingerprint anew: retrying only helps when
     * the server was away or the CA has been fixed.
     */

    ngx_log_error(NGX_LOG_ERR, pki->log, 0,
                  "scep_profile \"%V\": cannot obtain the CA certificate "
                  "(%s): %s; enroll mode answers 503 until it succeeds, "
                  "next attempt in %M s",
                  &pki->prof->block.name, scep_code_name(pki->fetch_err.code),
                  pki->fetch_err.message, pki->backoff / 1000);

    ngx_add_timer(&pki->timer, pki->backoff);

    pki->backoff = ngx_min(pki->backoff * 2, NGX_HTTP_SCEP_FETCH_MAX);
}


static void
ngx_http_scep_pki_log_ca(ngx_http_scep_pki_t *pki)
{
    char            subject[512];
    u_char          md[32], hex[65];
    unsigned int    mdlen;
    scep_error_t    err;
    scep_pki_ca_t  *ca;

    ca = scep_pki_ca_acquire(pki->state, &err);
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

    scep_pki_ca_release(pki->state, ca);

    ngx_log_error(NGX_LOG_NOTICE, pki->log, 0,
                  "scep_profile \"%V\": CA certificate \"%s\" "
                  "(SHA-256 %s) obtained from %s",
                  &pki->prof->block.name, subject, hex,
                  pki->prof->profile.server_url);
}


void
ngx_http_scep_pki_keys_refill(ngx_http_scep_pki_t *pki)
{
    ngx_http_scep_status_keys(pki->prof, pki->state);

    if (pki->refilling || ngx_exiting || ngx_terminate
        || scep_pki_keys_wanted(pki->state) == 0)
    {
        return;
    }

    /* a full queue only delays the refill until the next enrollment */
    if (ngx_http_scep_task_post(&pki->refill, pki->thread_pool) == NGX_OK) {
        pki->refilling = 1;
    }
}


static void
ngx_http_scep_pki_refill_run(void *data)
{
    ngx_http_scep_pki_t  *pki = data;

    scep_error_clear(&pki->refill_err);

    pki->refill_rc = scep_pki_keys_refill(pki->state, &pki->refill_err);
}


static void
ngx_http_scep_pki_refill_done(void *data)
{
    ngx_http_scep_pki_t  *pki = data;

    pki->refilling = 0;

    if (pki->refill.skipped) {
        return;
    }

    if (pki->refill_rc != 0) {
        ngx_log_error(NGX_LOG_ERR, pki->log, 0,
                      "scep_profile \"%V\": cannot refill the key pool: %s",
                      &pki->prof->block.name, pki->refill_err.message);
        return;
    }

    /* keys taken while this refill ran */
    ngx_http_scep_pki_keys_refill(pki);
}
