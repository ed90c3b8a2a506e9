
/*
 * Reading request bodies and sending answers, for the portal and the
 * admin endpoint alike.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_scep_module.h"


static void ngx_http_scep_wipe(void *data);


/* What the agent endpoints answer: GlobalProtect's documents are XML. */
ngx_str_t  ngx_http_scep_xml_type =
    ngx_string("application/xml; charset=utf-8");


/*
 * Gathers the body into one buffer of our own: it may sit in several
 * buffers, or in a temporary file when it is large.  NGX_DECLINED when
 * it is larger than max.  The request's own buffers are wiped once
 * copied: a login form holds a password.
 */

ngx_int_t
ngx_http_scep_body_copy(ngx_http_request_t *r, ngx_str_t *body, size_t max)
{
    u_char       *p;
    size_t        len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    body->len = 0;
    body->data = (u_char *) "";

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > max) {
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
        OPENSSL_cleanse(b->pos, b->last - b->pos);
    }

    *p = '\0';
    body->len = p - body->data;

    return NGX_OK;
}


/* The methods a location takes, for its 405 answers. */

ngx_int_t
ngx_http_scep_allow(ngx_http_request_t *r, const char *methods)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    h->value.data = (u_char *) methods;
    h->value.len = ngx_strlen(methods);

    return NGX_OK;
}


ngx_int_t
ngx_http_scep_retry_after(ngx_http_request_t *r, ngx_uint_t secs)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        h->hash = 0;
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "%ui", secs) - p;

    return NGX_OK;
}


/*
 * A refusal's message where GlobalProtect clients look for it, besides
 * the XML body that the reference agent reads: the reason phrase of the
 * status line (openconnect prints the status line of every answer but a
 * 200, and drops its body) and X-Private-Pan-Globalprotect, where PAN-OS
 * portals name their reason and the yuezk client reads it.
 */

ngx_int_t
ngx_http_scep_reason(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    u_char           *p;
    size_t            len;
    ngx_table_elt_t  *h;
    char              text[GP_REASON_MAX];

    len = gp_render_reason(text, sizeof(text), message);
    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, sizeof("000 ") - 1 + len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    r->headers_out.status_line.data = p;
    r->headers_out.status_line.len = ngx_sprintf(p, "%03ui %*s", status, len,
                                                 text)
                                     - p;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "X-Private-Pan-Globalprotect");
    h->value.data = p + sizeof("000 ") - 1;
    h->value.len = len;

    return NGX_OK;
}


/*
 * Sends an answer.  The body is copied into the request's pool; when it
 * holds a secret (a one-time password, a key), the copy is wiped with
 * the request.  The caller's buffer is wiped by its owner.
 */

ngx_int_t
ngx_http_scep_send(ngx_http_request_t *r, ngx_uint_t status, ngx_str_t *type,
    const char *body, size_t len, ngx_uint_t secret)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_table_elt_t     *h;
    ngx_pool_cleanup_t  *cln;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
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


/*
 * An error answer for an agent: <response status="error"> with the
 * message, which the status line and X-Private-Pan-Globalprotect carry
 * too (ngx_http_scep_reason()).
 */

ngx_int_t
ngx_http_scep_agent_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    ngx_int_t  rc;
    gp_buf_t   buf;

    if (r->request_body == NULL) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (ngx_http_scep_reason(r, status, message) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    gp_buf_init(&buf, 0);
    gp_render_error(&buf, message);

    if (buf.failed) {
        gp_buf_free(&buf);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_scep_send(r, status, &ngx_http_scep_xml_type, buf.data,
                            buf.len, 0);

    gp_buf_free(&buf);

    return rc;
}
