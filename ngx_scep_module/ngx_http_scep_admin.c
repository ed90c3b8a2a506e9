
/*
 * scep_admin: the certificate store's endpoint.  GET lists the store as
 * JSON; a POST of a form makes a named certificate through a profile.
 * Whoever reaches the location may use it: protect it with nginx's own
 * access control.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_job.h"
#include "ngx_http_scep_status.h"


typedef struct {
    const char                    *store;
    const portal_admin_profile_t  *profiles;
    size_t                         nprofiles;
    ngx_str_t                      body;     /* POST: the form */
    portal_admin_result_t          result;
} ngx_http_scep_admin_job_t;


static ngx_int_t ngx_http_scep_admin_handler(ngx_http_request_t *r);
static void ngx_http_scep_admin_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_scep_admin_post(ngx_http_request_t *r,
    ngx_http_scep_admin_job_t *job);
static void ngx_http_scep_admin_run(void *data);
static void ngx_http_scep_admin_done(ngx_http_request_t *r, void *data);
static void ngx_http_scep_admin_cleanup(void *data);
static ngx_int_t ngx_http_scep_admin_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);


#define NGX_HTTP_SCEP_ADMIN_BODY_MAX  (16 * 1024)


static ngx_str_t  ngx_http_scep_json_type =
    ngx_string("application/json; charset=utf-8");


char *
ngx_http_scep_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_scep_loc_conf_t  **admin;
    ngx_http_scep_main_conf_t  *smcf;

    if (slcf->admin_set) {
        return "is duplicate";
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_scep_module);

    admin = ngx_array_push(&smcf->admin_locations);
    if (admin == NULL) {
        return NGX_CONF_ERROR;
    }

    *admin = slcf;
    slcf->admin_set = 1;
    slcf->file = cf->conf_file->file.name;
    slcf->line = cf->conf_file->line;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_scep_admin_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_scep_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_pool_cleanup_t         *cln;
    ngx_http_scep_ctx_t        *ctx;
    ngx_http_scep_admin_job_t  *job;
    ngx_http_scep_main_conf_t  *smcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST))) {
        return ngx_http_scep_admin_error(r, NGX_HTTP_NOT_ALLOWED,
                                         "use GET to list the store, POST "
                                         "to make a certificate");
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_scep_admin_job_t));
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job = cln->data;
    ngx_memzero(job, sizeof(ngx_http_scep_admin_job_t));
    cln->handler = ngx_http_scep_admin_cleanup;

    job->store = (char *) smcf->store->name.data;
    job->profiles = ngx_http_scep_worker_admin_profiles();
    job->nprofiles = smcf->profiles.nelts;

    ctx = ngx_http_scep_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->admin = job;

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_scep_admin_post(r, job);
        if (rc != NGX_DONE) {
            return rc;
        }

        /* held until ngx_http_scep_admin_done() */
        r->main->count++;
        return NGX_DONE;
    }

    if (r->headers_in.content_length_n > NGX_HTTP_SCEP_ADMIN_BODY_MAX) {
        return ngx_http_scep_admin_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                         "the form is too large");
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_scep_admin_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_scep_admin_body(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_scep_ctx_t        *ctx;
    ngx_http_scep_admin_job_t  *job;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_scep_module);
    job = ctx->admin;

    rc = ngx_http_scep_body_copy(r, &job->body, NGX_HTTP_SCEP_ADMIN_BODY_MAX);

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r,
            ngx_http_scep_admin_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                      "the form is too large"));
        return;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_scep_admin_post(r, job);

    } else {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


/* NGX_DONE: the job runs; anything else is the request's final rc. */

static ngx_int_t
ngx_http_scep_admin_post(ngx_http_request_t *r,
    ngx_http_scep_admin_job_t *job)
{
    ngx_int_t                  rc;
    ngx_http_scep_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    rc = ngx_http_scep_job_post(r, slcf->thread_pool,
                                ngx_http_scep_admin_run,
                                ngx_http_scep_admin_done, NULL, job);

    if (rc == NGX_BUSY) {
        (void) ngx_http_scep_retry_after(r, 5);
        return ngx_http_scep_admin_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "busy, try again in a few seconds");
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DONE;
}


static void
ngx_http_scep_admin_run(void *data)
{
    ngx_http_scep_admin_job_t  *job = data;

    if (job->body.data == NULL) {
        portal_admin_list(job->store, &job->result);
        return;
    }

    portal_admin_issue(job->profiles, job->nprofiles, job->store,
                       (char *) job->body.data, job->body.len, &job->result);
}


static void
ngx_http_scep_admin_done(ngx_http_request_t *r, void *data)
{
    ngx_http_scep_admin_job_t  *job = data;

    ngx_int_t                   rc;
    ngx_uint_t                  level;
    portal_admin_result_t      *res;
    ngx_http_scep_main_conf_t  *smcf;

    res = &job->result;

    if (res->profile != NULL) {
        ngx_http_scep_status_admin(res);

        /* the certificate may have taken a key from the profile's pool */
        smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);
        ngx_http_scep_worker_keys_refill(smcf, res->profile);
    }

    if (res->audit != NULL) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "scep admin: client=%V %s", &r->connection->addr_text,
                      res->audit);
    }

    if (res->status >= 500 && res->reason[0]) {
        level = (res->log_level == PORTAL_LOG_WARN) ? NGX_LOG_WARN
                                                     : NGX_LOG_ERR;
        ngx_log_error(level, r->connection->log, 0, "scep admin: %s",
                      res->reason);
    }

    if (res->body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_scep_send(r, res->status, &ngx_http_scep_json_type,
                            res->body, res->body_len, 0);

    portal_admin_result_free(res);

    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_scep_admin_cleanup(void *data)
{
    ngx_http_scep_admin_job_t  *job = data;

    portal_admin_result_free(&job->result);
}


static ngx_int_t
ngx_http_scep_admin_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    u_char     *p;
    size_t      len;
    ngx_int_t   rc;

    if (status == NGX_HTTP_NOT_ALLOWED
        && ngx_http_scep_allow(r, "GET, HEAD, POST") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->request_body == NULL) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    /* the messages here are ours: no character needs escaping */
    len = sizeof("{\"error\":\"\"}\n") - 1 + ngx_strlen(message);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(p, "{\"error\":\"%s\"}\n", message);

    return ngx_http_scep_send(r, status, &ngx_http_scep_json_type,
                              (char *) p, len, 0);
}
