
/*
 * scep_status: the status page, for Prometheus and for people.  It
 * answers GET and HEAD with the counters of every worker (the shared
 * zone, ngx_http_scep_status_zone.c) in Prometheus's text exposition
 * format, or as JSON when asked with ?format=json or an Accept header
 * that names application/json; ?format=prometheus forces the text.
 * Whoever reaches the location may read it: protect it with nginx's own
 * access control, as scep_admin.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_status.h"


static ngx_int_t ngx_http_scep_status_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_scep_status_wants_json(ngx_http_request_t *r);
static ngx_int_t ngx_http_scep_status_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);


#define NGX_HTTP_SCEP_STATUS_BAD_FORMAT  -2


static ngx_str_t  ngx_http_scep_status_text_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");
static ngx_str_t  ngx_http_scep_status_json_type =
    ngx_string("application/json; charset=utf-8");
static ngx_str_t  ngx_http_scep_status_plain_type =
    ngx_string("text/plain; charset=utf-8");


char *
ngx_http_scep_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_scep_main_conf_t  *smcf;

    if (slcf->status_set) {
        return "is duplicate";
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_scep_module);
    smcf->status_used = 1;

    slcf->status_set = 1;
    slcf->file = cf->conf_file->file.name;
    slcf->line = cf->conf_file->line;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_scep_status_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_scep_status_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc, json;
    gp_buf_t                    b;
    portal_status_t             st;
    ngx_http_scep_main_conf_t  *smcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_scep_status_error(r, NGX_HTTP_NOT_ALLOWED,
                                          "the status page takes GET\n");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    json = ngx_http_scep_status_wants_json(r);

    if (json == NGX_HTTP_SCEP_STATUS_BAD_FORMAT) {
        return ngx_http_scep_status_error(r, NGX_HTTP_BAD_REQUEST,
                                          "format must be prometheus or "
                                          "json\n");
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);

    rc = ngx_http_scep_status_snapshot(smcf, r->pool, &st);

    if (rc == NGX_DECLINED) {
        return ngx_http_scep_status_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                          "the status zone cannot be read "
                                          "until nginx is restarted (see "
                                          "the error log)\n");
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (smcf->pending != NULL) {
        st.pending_cache = 1;
        st.pending = ngx_http_scep_pending_count(smcf->pending);
    }

    gp_buf_init(&b, 0);

    if (json) {
        portal_status_json(&st, &b);

    } else {
        portal_status_text(&st, &b);
    }

    if (b.failed) {
        gp_buf_free(&b);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_scep_send(r, NGX_HTTP_OK,
                            json ? &ngx_http_scep_status_json_type
                                 : &ngx_http_scep_status_text_type,
                            b.data, b.len, 0);

    gp_buf_free(&b);

    return rc;
}


/*
 * 1: JSON, 0: Prometheus's text.  ?format= decides; without it, an
 * Accept header that names application/json (Prometheus's own never
 * does).
 */

static ngx_int_t
ngx_http_scep_status_wants_json(ngx_http_request_t *r)
{
    ngx_str_t         format;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK) {

        if (format.len == 4 && ngx_strncmp(format.data, "json", 4) == 0) {
            return 1;
        }

        if (format.len == 10
            && ngx_strncmp(format.data, "prometheus", 10) == 0)
        {
            return 0;
        }

        return NGX_HTTP_SCEP_STATUS_BAD_FORMAT;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Accept") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Accept",
                               sizeof("Accept") - 1) == 0
            && ngx_strlcasestrn(h[i].value.data,
                                h[i].value.data + h[i].value.len,
                                (u_char *) "application/json",
                                sizeof("application/json") - 2)
               != NULL)
        {
            return 1;
        }
    }
}


static ngx_int_t
ngx_http_scep_status_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    ngx_int_t  rc;

    if (status == NGX_HTTP_NOT_ALLOWED
        && ngx_http_scep_allow(r, "GET, HEAD") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_scep_send(r, status, &ngx_http_scep_status_plain_type,
                              message, ngx_strlen(message), 0);
}
