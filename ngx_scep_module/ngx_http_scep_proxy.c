
/*
 * scep_proxy: the gate in front of proxy mode's PKI.  The location
 * passes SCEP requests on with nginx's own proxy_pass; this gate lets
 * through only requests with a ticket the portal issued, for this
 * profile, and not yet expired.  It runs in the preaccess phase, so that
 * "satisfy any" cannot skip it.
 *
 * The ticket comes as the last segment of the URI's path, as stock SCEP
 * clients keep the server URL they were given ("/scep-proxy/<ticket>"
 * and "?operation=..."), or in an X-SCEP-Ticket header.  A ticket in the
 * path is taken out of the URI before proxy_pass builds the upstream's
 * ("/scep-proxy/", which a prefix location's proxy_pass with a URI
 * replaces), and out of $request and $request_uri, which logs print.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_status.h"
#include "agent-proto/gp_buf.h"
#include "agent-proto/gp_ticket.h"


static ngx_table_elt_t *ngx_http_scep_proxy_ticket(ngx_http_request_t *r);
static ngx_int_t ngx_http_scep_proxy_take(ngx_http_request_t *r, u_char *buf,
    size_t *len);
static void ngx_http_scep_proxy_log(ngx_http_request_t *r,
    ngx_http_scep_profile_t *prof, const char *result, const char *user,
    const char *reason);


static ngx_str_t  ngx_http_scep_ticket_header = ngx_string("X-SCEP-Ticket");
static ngx_str_t  ngx_http_scep_text_type =
    ngx_string("text/plain; charset=utf-8");


char *
ngx_http_scep_proxy(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    ngx_str_t                   *value;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_scep_loc_conf_t   **location;
    ngx_http_scep_main_conf_t   *smcf;

    if (slcf->proxy_set) {
        return "is duplicate";
    }

    /* "location = /scep-proxy" would never see "/scep-proxy/<ticket>" */
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->exact_match) {
        return "needs a prefix location such as \"location /scep-proxy\": "
               "stock SCEP clients send their ticket in the path, after "
               "proxy_url";
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_scep_module);

    location = ngx_array_push(&smcf->proxy_locations);
    if (location == NULL) {
        return NGX_CONF_ERROR;
    }

    *location = slcf;
    slcf->proxy_set = 1;
    slcf->file = cf->conf_file->file.name;
    slcf->line = cf->conf_file->line;

    value = cf->args->elts;

    return ngx_http_scep_ref_add(cf, &value[1], 0,
                                 (void **) &slcf->proxy_profile);
}


/* Once every name is resolved: a gate serves a proxy-mode profile. */

ngx_int_t
ngx_http_scep_proxy_init(ngx_conf_t *cf, ngx_http_scep_main_conf_t *smcf)
{
    ngx_uint_t                  i;
    ngx_http_handler_pt        *h;
    ngx_http_scep_loc_conf_t  **locations;
    ngx_http_core_main_conf_t  *cmcf;

    locations = smcf->proxy_locations.elts;

    for (i = 0; i < smcf->proxy_locations.nelts; i++) {
        if (locations[i]->proxy_profile->profile.mode != SCEP_MODE_PROXY) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "scep_proxy: scep_profile \"%V\" is not in mode "
                          "proxy in %V:%ui",
                          &locations[i]->proxy_profile->block.name,
                          &locations[i]->file, locations[i]->line);
            return NGX_ERROR;
        }
    }

    if (smcf->proxy_locations.nelts == 0) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_scep_proxy_handler;

    return NGX_OK;
}


ngx_int_t
ngx_http_scep_proxy_handler(ngx_http_request_t *r)
{
    char                        user[256];
    u_char                      buf[GP_TICKET_MAX];
    size_t                      len;
    ngx_int_t                   rc;
    const char                 *reason, *ticket;
    ngx_table_elt_t            *h;
    gp_ticket_status_t          status;
    ngx_http_scep_loc_conf_t   *slcf;
    ngx_http_scep_main_conf_t  *smcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_scep_module);

    if (slcf->proxy_profile == NULL || r != r->main) {
        return NGX_DECLINED;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_scep_module);

    rc = ngx_http_scep_proxy_take(r, buf, &len);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK) {
        ticket = (char *) buf;

    } else {
        h = ngx_http_scep_proxy_ticket(r);
        ticket = h ? (char *) h->value.data : NULL;
        len = h ? h->value.len : 0;
    }

    status = gp_ticket_check(&smcf->keys, ticket, len,
                             slcf->proxy_profile->profile.name,
                             ngx_time(), user, sizeof(user));

    ngx_explicit_memzero(buf, sizeof(buf));

    ngx_http_scep_status_proxy(slcf->proxy_profile, status == GP_TICKET_OK);

    if (status == GP_TICKET_OK) {
        ngx_http_scep_proxy_log(r, slcf->proxy_profile, "admitted", user,
                                NULL);
        return NGX_DECLINED;
    }

    reason = gp_ticket_status_text(status);

    ngx_http_scep_proxy_log(r, slcf->proxy_profile, "refused", NULL, reason);

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_scep_send(r, NGX_HTTP_FORBIDDEN, &ngx_http_scep_text_type,
                            reason, ngx_strlen(reason), 0);

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


/*
 * A ticket in the path: copied into buf (GP_TICKET_MAX), then taken out
 * of the URI and of what logs print.  NGX_DECLINED when the path has
 * none.
 */

static ngx_int_t
ngx_http_scep_proxy_take(ngx_http_request_t *r, u_char *buf, size_t *len)
{
    size_t                     at, n, keep;
    u_char                    *p;
    ngx_http_core_loc_conf_t  *clcf;

    if (!gp_ticket_in_path((char *) r->uri.data, r->uri.len, &at, &n)) {
        return NGX_DECLINED;
    }

    ngx_memcpy(buf, r->uri.data + at, n);
    *len = n;

    /*
     * "/scep-proxy/<ticket>" becomes "/scep-proxy": the upstream's URI is
     * then proxy_pass's own.  A prefix location "/scep-proxy/" keeps the
     * slash, which proxy_pass replaces; a URI shorter than the location's
     * prefix would be read before its start.
     */
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    keep = at;

    if (at > 1
        && (
#if (NGX_PCRE)
            clcf->regex != NULL ||
#endif
            at - 1 >= clcf->name.len))
    {
        keep = at - 1;
    }

    p = ngx_pnalloc(r->pool, keep);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, r->uri.data, keep);

    r->uri.data = p;
    r->uri.len = keep;
    r->exten.len = 0;
    r->exten.data = NULL;

    /* proxy_pass without a URI sends the unparsed URI when it may */
    r->valid_unparsed_uri = 0;

    if (ngx_http_scep_mask_ticket(r->pool, &r->request_line, 1) != NGX_OK
        || ngx_http_scep_mask_ticket(r->pool, &r->unparsed_uri, 0)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_scep_proxy_ticket(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == ngx_http_scep_ticket_header.len
            && ngx_strncasecmp(h[i].key.data,
                               ngx_http_scep_ticket_header.data,
                               h[i].key.len)
               == 0)
        {
            return &h[i];
        }
    }
}


/* One line per SCEP request through the gate; no ticket is ever logged. */

static void
ngx_http_scep_proxy_log(ngx_http_request_t *r, ngx_http_scep_profile_t *prof,
    const char *result, const char *user, const char *reason)
{
    ngx_str_t  operation;
    gp_buf_t   b;

    gp_buf_init(&b, 1024);

    gp_buf_printf(&b, "result=%s profile=\"", result);
    gp_buf_add_log(&b, prof->profile.name, ngx_strlen(prof->profile.name),
                   64);
    gp_buf_add_str(&b, "\"");

    if (ngx_http_arg(r, (u_char *) "operation", 9, &operation) == NGX_OK) {
        gp_buf_add_str(&b, " operation=\"");
        gp_buf_add_log(&b, (char *) operation.data, operation.len, 32);
        gp_buf_add_str(&b, "\"");
    }

    if (user != NULL) {
        gp_buf_add_str(&b, " user=\"");
        gp_buf_add_log(&b, user, ngx_strlen(user), 128);
        gp_buf_add_str(&b, "\"");
    }

    if (reason != NULL) {
        gp_buf_printf(&b, " reason=\"%s\"", reason);
    }

    if (!b.failed) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "scep proxy: client=%V %s", &r->connection->addr_text,
                      b.data);
    }

    gp_buf_free(&b);
}
