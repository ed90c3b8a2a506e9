
/*
 * The portal's endpoints: prelogin.esp answers at once; getconfig.esp
 * checks the request and reads the login form, which the login's jobs
 * take from there (ngx_http_scep_login.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"


static ngx_int_t ngx_http_scep_prelogin(ngx_http_request_t *r,
    ngx_http_scep_loc_conf_t *slcf);
static ngx_int_t ngx_http_scep_getconfig(ngx_http_request_t *r);
static ngx_uint_t ngx_http_scep_endpoint(ngx_http_request_t *r);
static void ngx_http_scep_log_content_type(ngx_http_request_t *r,
    ngx_table_elt_t *ct);


#define NGX_HTTP_SCEP_PRELOGIN   1
#define NGX_HTTP_SCEP_GETCONFIG  2


static ngx_str_t  ngx_http_scep_form_type =
    ngx_string("application/x-www-form-urlencoded");


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
        if (ngx_http_scep_allow(r, "GET, HEAD, POST") != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_scep_agent_error(r, NGX_HTTP_NOT_ALLOWED,
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

    rc = ngx_http_scep_send(r, NGX_HTTP_OK, &ngx_http_scep_xml_type,
                            buf.data, buf.len, 0);

    gp_buf_free(&buf);

    return rc;
}

static ngx_int_t
ngx_http_scep_getconfig(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *ct;

    if (r->method != NGX_HTTP_POST) {
        if (ngx_http_scep_allow(r, "POST") != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_scep_agent_error(r, NGX_HTTP_NOT_ALLOWED,
                                         "getconfig.esp takes a POST of the "
                                         "login form");
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
        ngx_http_scep_log_content_type(r, ct);

        return ngx_http_scep_agent_error(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                         "the login must be sent as "
                                        "application/x-www-form-urlencoded");
    }

    if (r->headers_in.content_length_n > GP_BODY_MAX) {
        return ngx_http_scep_agent_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                         "the login form is too large");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_scep_login_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}

/* The client's header, escaped: it may hold any byte but CR and LF. */

static void
ngx_http_scep_log_content_type(ngx_http_request_t *r, ngx_table_elt_t *ct)
{
    gp_buf_t  b;

    gp_buf_init(&b, 256);

    if (ct != NULL) {
        gp_buf_add_log(&b, (char *) ct->value.data, ct->value.len, 64);
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "scep portal: getconfig with content type \"%s\"",
                  (ct != NULL && !b.failed) ? b.data : "none");

    gp_buf_free(&b);
}
