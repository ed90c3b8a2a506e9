
/*
 * $scep_user, $scep_profile, $scep_result, $scep_serial: the outcome of
 * a portal login, for log_format, so that an audit trail can have a file
 * of its own:
 *
 *     log_format scep '$time_iso8601 $remote_addr $scep_result '
 *                     '"$scep_user" $scep_profile $scep_serial';
 *     access_log /var/log/nginx/scep-audit.log scep if=$scep_result;
 *
 * They are empty on requests that were not logins.
 *
 * $scep_request is $request with a proxy-mode ticket in the URI's path
 * replaced by "[ticket]", for any access log a ticket may reach.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
#include "agent-proto/gp_ticket.h"


typedef enum {
    NGX_HTTP_SCEP_VAR_USER = 0,
    NGX_HTTP_SCEP_VAR_PROFILE,
    NGX_HTTP_SCEP_VAR_RESULT,
    NGX_HTTP_SCEP_VAR_SERIAL
} ngx_http_scep_var_e;


static ngx_int_t ngx_http_scep_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_scep_request_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_scep_copy(ngx_pool_t *pool, ngx_str_t *dst,
    const char *src);


static ngx_http_variable_t  ngx_http_scep_vars[] = {

    { ngx_string("scep_user"), NULL, ngx_http_scep_variable,
      NGX_HTTP_SCEP_VAR_USER, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_profile"), NULL, ngx_http_scep_variable,
      NGX_HTTP_SCEP_VAR_PROFILE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_result"), NULL, ngx_http_scep_variable,
      NGX_HTTP_SCEP_VAR_RESULT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_serial"), NULL, ngx_http_scep_variable,
      NGX_HTTP_SCEP_VAR_SERIAL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("scep_request"), NULL, ngx_http_scep_request_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_scep_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_scep_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* Keeps a login's outcome with its request, copied out of the result. */

ngx_int_t
ngx_http_scep_set_outcome(ngx_http_request_t *r, portal_result_t *res)
{
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_scep_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_scep_copy(r->pool, &ctx->result, portal_result_name(res->kind))
        != NGX_OK
        || ngx_http_scep_copy(r->pool, &ctx->user, res->user) != NGX_OK
        || ngx_http_scep_copy(r->pool, &ctx->profile, res->profile)
           != NGX_OK
        || ngx_http_scep_copy(r->pool, &ctx->serial, res->serial) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* For an outcome without a result from the core: "busy", ... */

void
ngx_http_scep_set_result(ngx_http_request_t *r, const char *result)
{
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_scep_get_ctx(r);

    if (ctx != NULL) {
        ctx->result.data = (u_char *) result;
        ctx->result.len = ngx_strlen(result);
    }
}


/* The request's context, made on first use. */

ngx_http_scep_ctx_t *
ngx_http_scep_get_ctx(ngx_http_request_t *r)
{
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_scep_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_scep_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r->main, ctx, ngx_http_scep_module);
    }

    return ctx;
}


/*
 * The same text with a ticket in its path replaced by "[ticket]": a
 * request line ("GET /p/<ticket>?x HTTP/1.1") or a URI.
 */

ngx_int_t
ngx_http_scep_mask_ticket(ngx_pool_t *pool, ngx_str_t *s,
    ngx_uint_t request_line)
{
    size_t   at, n, start, end;
    u_char  *p, *q;

    start = 0;
    end = s->len;

    if (request_line) {
        p = ngx_strlchr(s->data, s->data + s->len, ' ');
        if (p == NULL) {
            return NGX_OK;
        }

        start = p + 1 - s->data;

        for (q = s->data + s->len; q > p + 1; q--) {
            if (q[-1] == ' ') {
                end = q - 1 - s->data;
                break;
            }
        }
    }

    if (!gp_ticket_in_path((char *) s->data + start, end - start, &at, &n)) {
        return NGX_OK;
    }

    at += start;

    p = ngx_pnalloc(pool, s->len - n + sizeof("[ticket]") - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    q = ngx_cpymem(p, s->data, at);
    q = ngx_cpymem(q, "[ticket]", sizeof("[ticket]") - 1);
    q = ngx_cpymem(q, s->data + at + n, s->len - at - n);

    s->data = p;
    s->len = q - p;

    return NGX_OK;
}


/* $request, a ticket in the path masked (ngx_http_scep_proxy.c). */

static ngx_int_t
ngx_http_scep_request_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  line;

    line = r->request_line;

    if (line.data == NULL || line.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ngx_http_scep_mask_ticket(r->pool, &line, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    v->data = line.data;
    v->len = line.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_copy(ngx_pool_t *pool, ngx_str_t *dst, const char *src)
{
    dst->len = ngx_strlen(src);

    if (dst->len == 0) {
        dst->data = NULL;
        return NGX_OK;
    }

    dst->data = ngx_pnalloc(pool, dst->len);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, src, dst->len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t            *s;
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_scep_module);

    if (ctx == NULL || ctx->result.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {
    case NGX_HTTP_SCEP_VAR_USER:
        s = &ctx->user;
        break;
    case NGX_HTTP_SCEP_VAR_PROFILE:
        s = &ctx->profile;
        break;
    case NGX_HTTP_SCEP_VAR_RESULT:
        s = &ctx->result;
        break;
    default:
        s = &ctx->serial;
        break;
    }

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = s->data;
    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
