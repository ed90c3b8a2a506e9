
/*
 * One login, from its form to its answer.  A login is one job on the
 * thread pool (directory, profile, subject, settings; in enroll mode
 * with a sealed store, also reading, resuming and writing back the
 * user's pending enrollment), or two in enroll mode without one: between
 * them the event loop looks up the user's pending enrollment in shared
 * memory, which a pool thread may not touch.  Both run under one
 * deadline, scep_login_timeout, counted from the moment the form has
 * been read: a login is answered by then, however long the pool's queue
 * or the backends take.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_job.h"
#include "ngx_http_scep_status.h"
#include "portal/portal_pending.h"


typedef struct {
    const portal_t              *portal;
    dir_t                       *dir;
    gp_login_t                   login;
    portal_session_t            *session;
    const scep_profile_t        *profile;        /* enroll mode */
    scep_pki_t                  *pki;
    ngx_http_scep_main_conf_t   *smcf;

    /* shared memory: what the loop found between the two jobs */
    char                        *pending_key;
    u_char                      *resume;
    size_t                       resume_len;

    /* a sealed store: what the job did with the user's record */
    const scep_pending_store_t  *store;
    portal_pending_report_t      stored;

    portal_result_t              result;
} ngx_http_scep_login_t;


static void ngx_http_scep_begin_run(void *data);
static void ngx_http_scep_begin_done(ngx_http_request_t *r, void *data);
static void ngx_http_scep_begin_late(ngx_http_request_t *r, void *data);
static void ngx_http_scep_finish_run(void *data);
static void ngx_http_scep_finish_done(ngx_http_request_t *r, void *data);
static void ngx_http_scep_finish_late(ngx_http_request_t *r, void *data);
static void ngx_http_scep_login_expired(ngx_http_request_t *r);
static ngx_int_t ngx_http_scep_login_pending(ngx_http_request_t *r,
    ngx_http_scep_login_t *login, ngx_uint_t answered);
static void ngx_http_scep_login_stored(ngx_http_request_t *r,
    ngx_http_scep_login_t *login);
static void ngx_http_scep_answer(ngx_http_request_t *r,
    portal_result_t *res);
static void ngx_http_scep_busy(ngx_http_request_t *r);
static void ngx_http_scep_login_cleanup(void *data);


#define NGX_HTTP_SCEP_BUSY_RETRY 5


void
ngx_http_scep_login_body(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  body;
    gp_error_t                 err;
    ngx_pool_cleanup_t        *cln;
    ngx_http_scep_login_t     *login;
    ngx_http_scep_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    rc = ngx_http_scep_body_copy(r, &body, GP_BODY_MAX);

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r,
            ngx_http_scep_agent_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                      "the login form is too large"));
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_scep_login_t));
    if (cln == NULL) {
        OPENSSL_cleanse(body.data, body.len);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    login = cln->data;
    ngx_memzero(login, sizeof(ngx_http_scep_login_t));
    cln->handler = ngx_http_scep_login_cleanup;

    rc = gp_login_parse((char *) body.data, body.len, &login->login, &err);

    /* the body held the password */
    OPENSSL_cleanse(body.data, body.len);

    if (rc != 0) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "scep audit: client=%V result=bad_request reason=\"%s\"",
                      &r->connection->addr_text, err.message);

        ngx_http_scep_set_result(r, "bad_request");
        ngx_http_scep_status_login(PORTAL_RESULT_BAD_REQUEST);

        ngx_http_finalize_request(r,
            ngx_http_scep_agent_error(r, gp_code_http_status(err.code),
                                      err.message));
        return;
    }

    login->portal = slcf->portal;
    login->dir = ngx_http_scep_worker_dir(slcf->directory);
    login->smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);
    login->store = login->smcf->pending_store;

    if (ngx_http_scep_job_deadline(r, slcf->login_timeout,
                                   ngx_http_scep_login_expired)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_scep_job_post(r, slcf->thread_pool,
                                ngx_http_scep_begin_run,
                                ngx_http_scep_begin_done,
                                ngx_http_scep_begin_late, login);

    if (rc == NGX_BUSY) {
        ngx_http_scep_busy(r);
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the request stays open until a job's done handler answers */
}

static void
ngx_http_scep_begin_run(void *data)
{
    ngx_http_scep_login_t  *login = data;

    login->session = portal_login_begin(login->portal, login->dir,
                                        &login->login, &login->result);

    /* the password is not needed beyond the directory */
    gp_login_free(&login->login);

    if (login->session == NULL) {
        return;
    }

    if (portal_session_pending_key(login->session) == NULL) {
        portal_login_finish(login->session, NULL, NULL, 0, &login->result);
        portal_session_free(login->session);
        login->session = NULL;
        return;
    }

    if (login->store == NULL) {
        /* the loop looks up the pending enrollment in shared memory */
        return;
    }

    /*
     * The profile's PKI state: what this worker made at its start, read
     * only, and kept until its pool threads have ended.
     */
    login->profile = portal_session_profile(login->session);
    login->pki = ngx_http_scep_worker_pki(login->smcf, login->profile);

    portal_login_finish_stored(login->session, login->pki, login->store,
                               &login->result, &login->stored);

    /* the session stays: finish_late() names the record by it */
}

static void
ngx_http_scep_begin_done(ngx_http_request_t *r, void *data)
{
    ngx_http_scep_login_t  *login = data;

    size_t                      len;
    ngx_int_t                   rc;
    const char                 *key;
    ngx_http_scep_loc_conf_t   *slcf;
    ngx_http_scep_main_conf_t  *smcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    ngx_http_scep_status_backends(slcf->directory, login->dir,
                                  &login->result);

    if (login->session == NULL) {
        ngx_http_scep_answer(r, &login->result);
        return;
    }

    if (login->store != NULL) {
        /* enroll mode, done in the job */
        ngx_http_scep_status_certificate(login->profile, login->result.kind);
        ngx_http_scep_login_stored(r, login);
        ngx_http_scep_worker_keys_refill(login->smcf, login->profile);
        ngx_http_scep_answer(r, &login->result);
        return;
    }

    /* enroll mode: is there a request of this user waiting at the CA? */

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);

    key = portal_session_pending_key(login->session);
    len = ngx_strlen(key) + 1;

    login->pending_key = ngx_pnalloc(r->pool, len);
    if (login->pending_key == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_memcpy(login->pending_key, key, len);
    login->profile = portal_session_profile(login->session);
    login->pki = ngx_http_scep_worker_pki(smcf, login->profile);

    if (smcf->pending) {
        login->resume = ngx_http_scep_pending_get(smcf->pending, key, r->pool,
                                                  &login->resume_len);
    }

    rc = ngx_http_scep_job_post(r, slcf->thread_pool,
                                ngx_http_scep_finish_run,
                                ngx_http_scep_finish_done,
                                ngx_http_scep_finish_late, login);

    if (rc == NGX_BUSY) {
        ngx_http_scep_busy(r);
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}

/*
 * The login's deadline answered meanwhile: what it cost is counted, and
 * an enrollment that ran in this job (a sealed store) is kept as one
 * that ran in a job of its own.
 */

static void
ngx_http_scep_begin_late(ngx_http_request_t *r, void *data)
{
    ngx_http_scep_login_t  *login = data;

    ngx_http_scep_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    ngx_http_scep_status_backends(slcf->directory, login->dir,
                                  &login->result);

    if (login->store != NULL && login->session != NULL) {
        ngx_http_scep_finish_late(r, data);
    }
}

static void
ngx_http_scep_finish_run(void *data)
{
    ngx_http_scep_login_t  *login = data;

    portal_login_finish(login->session, login->pki, login->resume,
                        login->resume_len, &login->result);

    portal_session_free(login->session);
    login->session = NULL;
}

static void
ngx_http_scep_finish_done(ngx_http_request_t *r, void *data)
{
    ngx_http_scep_login_t  *login = data;

    ngx_http_scep_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);

    ngx_http_scep_status_backends(NULL, NULL, &login->result);
    ngx_http_scep_status_certificate(login->profile, login->result.kind);

    (void) ngx_http_scep_login_pending(r, login, 1);

    ngx_http_scep_worker_keys_refill(smcf, login->profile);

    ngx_http_scep_answer(r, &login->result);
}

/*
 * The enrollment came back after the login's deadline had answered the
 * agent: a certificate the CA issued, or a request it left pending, is
 * kept for the user's next login, which delivers or resumes it.
 */

static void
ngx_http_scep_finish_late(ngx_http_request_t *r, void *data)
{
    ngx_http_scep_login_t  *login = data;

    portal_result_t            *res;
    ngx_http_scep_loc_conf_t   *slcf;
    ngx_http_scep_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);
    res = &login->result;

    ngx_http_scep_status_backends(NULL, NULL, res);
    ngx_http_scep_status_certificate(login->profile, res->kind);

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "scep audit: client=%V late=1 %s", &r->connection->addr_text,
                  res->audit ? res->audit : "result=failed");

    if (login->store != NULL) {
        ngx_http_scep_login_stored(r, login);

        if (portal_pending_fate(res, 0) == PORTAL_PENDING_KEEP
            && !login->stored.kept)
        {
            slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

            /* the task says whether it could */
            ngx_http_scep_pending_store_keep(smcf, slcf->thread_pool,
                portal_session_pending_key(login->session), res->user,
                res->pending, res->pending_len, r->connection->log);

        } else if (login->stored.kept) {
            ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                          "scep portal: the login of \"%s\" had timed out; "
                          "its pending request is kept for the user's next "
                          "login", res->user);
        }

    } else if (ngx_http_scep_login_pending(r, login, 0) == NGX_OK) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "scep portal: the login of \"%s\" had timed out; its "
                      "%s is kept for the user's next login", res->user,
                      res->kind == PORTAL_RESULT_ISSUED
                      ? "certificate" : "pending request");
    }

    ngx_http_scep_worker_keys_refill(smcf, login->profile);

    portal_result_free(res);
}

/*
 * What becomes of the user's pending enrollment in shared memory, by
 * portal_pending_fate(): answered 0 when the agent did not receive the
 * answer.  NGX_OK: kept.
 */

static ngx_int_t
ngx_http_scep_login_pending(ngx_http_request_t *r,
    ngx_http_scep_login_t *login, ngx_uint_t answered)
{
    portal_result_t            *res;
    ngx_http_scep_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);
    res = &login->result;

    if (smcf->pending == NULL) {
        return NGX_DECLINED;
    }

    switch (portal_pending_fate(res, answered)) {

    case PORTAL_PENDING_KEEP:
        return ngx_http_scep_pending_put(smcf->pending, login->pending_key,
                                         res->pending, res->pending_len,
                                         r->connection->log);

    case PORTAL_PENDING_DROP:
        ngx_http_scep_pending_delete(smcf->pending, login->pending_key);
        return NGX_DECLINED;

    default:
        return NGX_DECLINED;
    }
}

/* What the job could not do with the user's record in scep_store. */

static void
ngx_http_scep_login_stored(ngx_http_request_t *r,
    ngx_http_scep_login_t *login)
{
    portal_pending_report_t  *st;

    st = &login->stored;

    if (st->read_err.code != SCEP_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "scep portal: the pending request of \"%s\" cannot "
                      "be resumed, the login starts anew: %s",
                      login->result.user, st->read_err.message);
    }

    if (st->write_err.code != SCEP_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "scep portal: the pending request of \"%s\": %s",
                      login->result.user, st->write_err.message);
    }
}

/* scep_login_timeout has passed: the agent is told now. */

static void
ngx_http_scep_login_expired(ngx_http_request_t *r)
{
    ngx_http_scep_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "scep portal: no answer within scep_login_timeout (%M ms): "
                  "the thread pool \"%V\" or a backend is too slow",
                  slcf->login_timeout, &slcf->thread_pool_name);

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "scep audit: client=%V result=failed status=504 "
                  "reason=\"scep_login_timeout\"",
                  &r->connection->addr_text);

    ngx_http_scep_set_result(r, "failed");
    ngx_http_scep_status_login(PORTAL_RESULT_FAILED);

    ngx_http_finalize_request(r,
        ngx_http_scep_agent_error(r, NGX_HTTP_GATEWAY_TIME_OUT,
                                  "The portal did not answer in time, try "
                                  "again later"));
}

/* Logs the outcome, sends the answer and ends the request. */

static void
ngx_http_scep_answer(ngx_http_request_t *r, portal_result_t *res)
{
    ngx_int_t   rc;
    ngx_uint_t  level;

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "scep audit: client=%V %s", &r->connection->addr_text,
                  res->audit ? res->audit : "result=failed");

    ngx_http_scep_status_login(res->kind);

    if (ngx_http_scep_set_outcome(r, res) != NGX_OK) {
        portal_result_free(res);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (res->reason[0]) {
        switch (res->log_level) {
        case PORTAL_LOG_ERR:
            level = NGX_LOG_ERR;
            break;
        case PORTAL_LOG_WARN:
            level = NGX_LOG_WARN;
            break;
        case PORTAL_LOG_NOTICE:
            level = NGX_LOG_NOTICE;
            break;
        default:
            level = NGX_LOG_INFO;
        }

        ngx_log_error(level, r->connection->log, 0,
                      "scep portal: %s", res->reason);
    }

    if (res->body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if ((res->retry_after > 0
         && ngx_http_scep_retry_after(r, res->retry_after) != NGX_OK)
        || (res->status != NGX_HTTP_OK
            && ngx_http_scep_reason(r, res->status, res->message) != NGX_OK))
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_scep_send(r, res->status, &ngx_http_scep_xml_type,
                            res->body, res->body_len, res->body_secret);

    portal_result_free(res);

    ngx_http_finalize_request(r, rc);
}

static void
ngx_http_scep_busy(ngx_http_request_t *r)
{
    ngx_http_scep_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "scep portal: thread pool \"%V\" is full, "
                  "login answered 503", &slcf->thread_pool_name);

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "scep audit: client=%V result=busy status=503",
                  &r->connection->addr_text);

    ngx_http_scep_set_result(r, "busy");
    ngx_http_scep_status_login(PORTAL_RESULT_BUSY);

    if (ngx_http_scep_retry_after(r, NGX_HTTP_SCEP_BUSY_RETRY) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r,
        ngx_http_scep_agent_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                  "the portal is busy, try again in "
                                  "a few seconds"));
}

static void
ngx_http_scep_login_cleanup(void *data)
{
    ngx_http_scep_login_t  *login = data;

    gp_login_free(&login->login);
    portal_session_free(login->session);
    portal_result_free(&login->result);

    if (login->resume) {
        OPENSSL_cleanse(login->resume, login->resume_len);
    }
}
