
/*
 * The portal's endpoints: prelogin.esp answers at once; getconfig.esp
 * reads the login form, hands it to the core on a thread pool, and sends
 * back what the core rendered.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_job.h"


typedef struct {
    const gp_portal_t    *portal;
    dir_t                *dir;
    gp_login_t            login;
    gp_portal_result_t    result;
} ngx_http_scep_login_t;


static ngx_int_t ngx_http_scep_prelogin(ngx_http_request_t *r,
    ngx_http_scep_loc_conf_t *slcf);
static ngx_int_t ngx_http_scep_getconfig(ngx_http_request_t *r);
static void ngx_http_scep_getconfig_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_scep_body_copy(ngx_http_request_t *r,
    ngx_str_t *body);
static void ngx_http_scep_getconfig_run(void *data);
static void ngx_http_scep_getconfig_done(ngx_http_request_t *r, void *data);
static void ngx_http_scep_login_cleanup(void *data);
static ngx_int_t ngx_http_scep_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);
static ngx_int_t ngx_http_scep_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *body, size_t len, ngx_uint_t secret);
static ngx_int_t ngx_http_scep_retry_after(ngx_http_request_t *r);
static void ngx_http_scep_wipe(void *data);
static ngx_uint_t ngx_http_scep_endpoint(ngx_http_request_t *r);


#define NGX_HTTP_SCEP_PRELOGIN   1
#define NGX_HTTP_SCEP_GETCONFIG  2


static ngx_str_t  ngx_http_scep_xml_type =
    ngx_string("application/xml; charset=utf-8");
static ngx_str_t  ngx_http_scep_form_type =
    ngx_string("application/x-www-form-urlencoded");
static ngx_str_t  ngx_http_scep_none = ngx_string("none");


ngx_int_t
ngx_http_scep_portal_handler(ngx_http_request_t *r)
{
    ngx_http_scep_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    switch (ngx_http_scep_endpoint(r)) {

    case NGX_HTTP_SCEP_PRELOGIN:
        return ngx_http_scep_prelogin(r, slcf);

    case NGX_HTTP_SCEP_GETCONFIG:
        return ngx_http_scep_getconfig(r);

    default:
        return NGX_HTTP_NOT_FOUND;
    }
}


/* The last path segment names the endpoint, wherever the location is. */

static ngx_uint_t
ngx_http_scep_endpoint(ngx_http_request_t *r)
{
    u_char     *p, *last;
    ngx_str_t   name;

    last = r->uri.data + r->uri.len;
    p = last;

    while (p > r->uri.data && p[-1] != '/') {
        p--;
    }

    name.data = p;
    name.len = last - p;

    if (name.len == sizeof("prelogin.esp") - 1
        && ngx_strncmp(name.data, "prelogin.esp", name.len) == 0)
    {
        return NGX_HTTP_SCEP_PRELOGIN;
    }

    if (name.len == sizeof("getconfig.esp") - 1
        && ngx_strncmp(name.data, "getconfig.esp", name.len) == 0)
    {
        return NGX_HTTP_SCEP_GETCONFIG;
    }

    return 0;
}


static ngx_int_t
ngx_http_scep_prelogin(ngx_http_request_t *r, ngx_http_scep_loc_conf_t *slcf)
{
    ngx_int_t      rc;
    gp_buf_t       buf;
    gp_prelogin_t  pre;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST))) {
        return ngx_http_scep_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                        "prelogin.esp takes GET or POST");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    pre.portal_name = (char *) slcf->portal_name.data;
    pre.auth_message = "Enter login credentials";
    pre.username_label = "Username";
    pre.password_label = "Password";

    gp_buf_init(&buf, 0);
    gp_render_prelogin(&buf, &pre);

    if (buf.failed) {
        gp_buf_free(&buf);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_scep_send(r, NGX_HTTP_OK, buf.data, buf.len, 0);

    gp_buf_free(&buf);

    return rc;
}


static ngx_int_t
ngx_http_scep_getconfig(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *ct;

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_scep_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                        "getconfig.esp takes a POST "
                                        "of the login form");
    }

    ct = r->headers_in.content_type;

    if (ct == NULL
        || ct->value.len < ngx_http_scep_form_type.len
        || ngx_strncasecmp(ct->value.data, ngx_http_scep_form_type.data,
                           ngx_http_scep_form_type.len) != 0
        || (ct->value.len > ngx_http_scep_form_type.len
            && ct->value.data[ngx_http_scep_form_type.len] != ';'
            && ct->value.data[ngx_http_scep_form_type.len] != ' '))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "scep portal: getconfig with content type \"%V\"",
                      ct ? &ct->value : &ngx_http_scep_none);

        return ngx_http_scep_send_error(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                        "the login must be sent as "
                                        "application/x-www-form-urlencoded");
    }

    if (r->headers_in.content_length_n > GP_BODY_MAX) {
        return ngx_http_scep_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "the login form is too large");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_scep_getconfig_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_scep_getconfig_body(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  body;
    gp_error_t                 err;
    ngx_pool_cleanup_t        *cln;
    ngx_http_scep_login_t     *login;
    ngx_http_scep_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    rc = ngx_http_scep_body_copy(r, &body);

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r,
            ngx_http_scep_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
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

        ngx_http_finalize_request(r,
            ngx_http_scep_send_error(r, gp_code_http_status(err.code),
                                     err.message));
        return;
    }

    login->portal = slcf->portal;
    login->dir = slcf->directory->dir;

    rc = ngx_http_scep_job_post(r, slcf->thread_pool,
                                ngx_http_scep_getconfig_run,
                                ngx_http_scep_getconfig_done, login);

    if (rc == NGX_BUSY) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "scep portal: thread pool \"%V\" is full, "
                      "login answered 503", &slcf->thread_pool_name);

        r->headers_out.status = NGX_HTTP_SERVICE_UNAVAILABLE;

        if (ngx_http_scep_retry_after(r) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        ngx_http_finalize_request(r,
            ngx_http_scep_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                     "the portal is busy, try again in "
                                     "a few seconds"));
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the request stays open until ngx_http_scep_getconfig_done() */
}


/*
 * Gathers the body into one buffer of our own (it may sit in several
 * buffers, or in a temporary file when it is large).
 */

static ngx_int_t
ngx_http_scep_body_copy(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    size_t        len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    body->len = 0;
    body->data = NULL;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        body->data = (u_char *) "";
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > GP_BODY_MAX) {
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                              b->file_pos);
            if (n == NGX_ERROR) {
                return NGX_ERROR;
            }

            p += n;
            continue;
        }

        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    *p = '\0';
    body->len = p - body->data;

    return NGX_OK;
}


static void
ngx_http_scep_getconfig_run(void *data)
{
    ngx_http_scep_login_t  *login = data;

    gp_portal_getconfig(login->portal, login->dir, &login->login,
                        &login->result);
}


static void
ngx_http_scep_getconfig_done(ngx_http_request_t *r, void *data)
{
    ngx_http_scep_login_t  *login = data;

    ngx_int_t            rc;
    ngx_uint_t           level;
    gp_portal_result_t  *res;

    res = &login->result;

    /* the password is no longer needed */
    gp_login_free(&login->login);

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "scep audit: client=%V %s",
                  &r->connection->addr_text,
                  res->audit ? res->audit : "result=failed");

    if (res->reason[0]) {
        switch (res->log_level) {
        case GP_LOG_ERR:
            level = NGX_LOG_ERR;
            break;
        case GP_LOG_WARN:
            level = NGX_LOG_WARN;
            break;
        case GP_LOG_NOTICE:
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

    if (res->status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        (void) ngx_http_scep_retry_after(r);
    }

    rc = ngx_http_scep_send(r, res->status, res->body, res->body_len,
                            res->body_secret);

    gp_portal_result_free(res);

    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_scep_login_cleanup(void *data)
{
    ngx_http_scep_login_t  *login = data;

    gp_login_free(&login->login);
    gp_portal_result_free(&login->result);
}


static ngx_int_t
ngx_http_scep_retry_after(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    ngx_str_set(&h->value, "5");

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    ngx_int_t         rc;
    gp_buf_t          buf;
    ngx_table_elt_t  *h;

    if (status == NGX_HTTP_NOT_ALLOWED) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Allow");

        if (ngx_http_scep_endpoint(r) == NGX_HTTP_SCEP_GETCONFIG) {
            ngx_str_set(&h->value, "POST");

        } else {
            ngx_str_set(&h->value, "GET, HEAD, POST");
        }
    }

    if (r->method != NGX_HTTP_POST || r->request_body == NULL) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    gp_buf_init(&buf, 0);
    gp_render_error(&buf, message);

    if (buf.failed) {
        gp_buf_free(&buf);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_scep_send(r, status, buf.data, buf.len, 0);

    gp_buf_free(&buf);

    return rc;
}


/*
 * Sends an XML answer.  The body is copied into the request's pool; when
 * it holds a secret (a one-time password, a key), the copy is wiped with
 * the request.  The caller's buffer is wiped by its owner.
 */

static ngx_int_t
ngx_http_scep_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *body, size_t len, ngx_uint_t secret)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_table_elt_t     *h;
    ngx_pool_cleanup_t  *cln;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    r->headers_out.content_type = ngx_http_scep_xml_type;
    r->headers_out.content_type_len = ngx_http_scep_xml_type.len;
    r->headers_out.content_type_lowcase = NULL;

    /* answers carry passwords and keys: no cache may keep them */
    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    if (r->method == NGX_HTTP_HEAD || len == 0) {
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    cln = NULL;

    if (secret) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (cln) {
        cln->handler = ngx_http_scep_wipe;
        cln->data = b;
    }

    b->last = ngx_cpymem(b->pos, body, len);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, &out);
}


static void
ngx_http_scep_wipe(void *data)
{
    ngx_buf_t  *b = data;

    OPENSSL_cleanse(b->start, b->end - b->start);
}
