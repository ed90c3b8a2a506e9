
/*
 * The portal's location directives, and the names they use: profiles
 * and directories may be defined anywhere at http level, before or after
 * the locations that name them, so names are resolved once the whole
 * configuration has been read.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <arpa/inet.h>

#include "ngx_http_scep_module.h"


char *
ngx_http_scep_ref_add(ngx_conf_t *cf, ngx_str_t *name, ngx_uint_t directory,
    void **target)
{
    ngx_str_t                  *value;
    ngx_http_scep_ref_t        *ref;
    ngx_http_scep_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_scep_module);
    value = cf->args->elts;

    ref = ngx_array_push(&smcf->refs);
    if (ref == NULL) {
        return NGX_CONF_ERROR;
    }

    ref->name = *name;
    ref->file = cf->conf_file->file.name;
    ref->line = cf->conf_file->line;
    ref->directive = (char *) value[0].data;
    ref->target = target;
    ref->directory = directory;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_scep_refs_resolve(ngx_conf_t *cf, ngx_http_scep_main_conf_t *smcf)
{
    ngx_uint_t                  i, j, n;
    ngx_http_scep_ref_t        *ref;
    ngx_http_scep_block_t      *block;
    ngx_http_scep_profile_t   **profiles;
    ngx_http_scep_directory_t **directories;

    ref = smcf->refs.elts;
    profiles = smcf->profiles.elts;
    directories = smcf->directories.elts;

    for (i = 0; i < smcf->refs.nelts; i++) {

        n = ref[i].directory ? smcf->directories.nelts
                             : smcf->profiles.nelts;

        for (j = 0; j < n; j++) {
            block = ref[i].directory ? &directories[j]->block
                                     : &profiles[j]->block;

            if (block->name.len == ref[i].name.len
                && ngx_strncmp(block->name.data, ref[i].name.data,
                               ref[i].name.len) == 0)
            {
                *ref[i].target = ref[i].directory ? (void *) directories[j]
                                                  : (void *) profiles[j];
                break;
            }
        }

        if (j == n) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "%s: %s \"%V\" is not defined in %V:%ui",
                          ref[i].directive,
                          ref[i].directory ? "scep_directory"
                                           : "scep_profile",
                          &ref[i].name, &ref[i].file, ref[i].line);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


char *
ngx_http_scep_portal(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    ngx_str_t                  *value;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_scep_main_conf_t  *smcf;
    ngx_http_scep_loc_conf_t  **portal;

    if (slcf->portal_set) {
        return "is duplicate";
    }

    value = cf->args->elts;
    slcf->portal_set = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_scep_portal_handler;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_scep_module);

    portal = ngx_array_push(&smcf->portal_locations);
    if (portal == NULL) {
        return NGX_CONF_ERROR;
    }

    *portal = slcf;
    slcf->file = cf->conf_file->file.name;
    slcf->line = cf->conf_file->line;
    slcf->core = clcf;

    return ngx_http_scep_ref_add(cf, &value[1], 1,
                                 (void **) &slcf->directory);
}


char *
ngx_http_scep_default_profile(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->default_profile != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    slcf->default_profile = NULL;

    return ngx_http_scep_ref_add(cf, &value[1], 0,
                                 (void **) &slcf->default_profile);
}


char *
ngx_http_scep_group_profile(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    ngx_str_t                      *value;
    ngx_http_scep_group_profile_t  *gp;

    value = cf->args->elts;

    if (value[1].len == 0 || ngx_http_scep_conf_cstr(&value[1]) == NULL) {
        return "needs a group name without NUL bytes";
    }

    if (slcf->group_profiles == NGX_CONF_UNSET_PTR) {
        slcf->group_profiles = ngx_array_create(cf->pool, 4,
                                   sizeof(ngx_http_scep_group_profile_t));
        if (slcf->group_profiles == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    gp = ngx_array_push(slcf->group_profiles);
    if (gp == NULL) {
        return NGX_CONF_ERROR;
    }

    gp->group = value[1];
    gp->profile = NULL;

    return ngx_http_scep_ref_add(cf, &value[2], 0, (void **) &gp->profile);
}


char *
ngx_http_scep_allow_group(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    char        **group;
    ngx_str_t    *value;
    ngx_uint_t    i;

    value = cf->args->elts;

    if (slcf->allow_groups == NGX_CONF_UNSET_PTR) {
        slcf->allow_groups = ngx_array_create(cf->pool, 4, sizeof(char *));
        if (slcf->allow_groups == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0 || ngx_http_scep_conf_cstr(&value[i]) == NULL) {
            return "needs group names without NUL bytes";
        }

        group = ngx_array_push(slcf->allow_groups);
        if (group == NULL) {
            return NGX_CONF_ERROR;
        }

        *group = (char *) value[i].data;
    }

    return NGX_CONF_OK;
}


/*
 * scep_gateway ADDRESS [name=TEXT] [priority=N];
 * scep_internal_gateway ADDRESS [name=TEXT] [priority=N];
 */

char *
ngx_http_scep_gateway(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char         *p;
    ngx_int_t       n;
    ngx_str_t      *value, s;
    ngx_uint_t      i;
    ngx_array_t   **list;
    gp_gateway_t   *gw;

    list = (ngx_array_t **) ((u_char *) conf + cmd->offset);
    value = cf->args->elts;

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (!(isalnum(*p) || *p == '.' || *p == '-' || *p == ':'
              || *p == '[' || *p == ']'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: \"%V\" is not a host[:port]",
                               &cmd->name, &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (value[1].len == 0) {
        return "needs an address";
    }

    if (*list == NGX_CONF_UNSET_PTR) {
        *list = ngx_array_create(cf->pool, 2, sizeof(gp_gateway_t));
        if (*list == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    gw = ngx_array_push(*list);
    if (gw == NULL) {
        return NGX_CONF_ERROR;
    }

    gw->address = (char *) value[1].data;
    gw->name = gw->address;
    gw->priority = (int) (*list)->nelts;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "name=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;

            if (s.len == 0 || ngx_http_scep_conf_cstr(&s) == NULL) {
                goto invalid;
            }

            gw->name = (char *) s.data;
            continue;
        }

        if (ngx_strncmp(value[i].data, "priority=", 9) == 0) {
            n = ngx_atoi(value[i].data + 9, value[i].len - 9);
            if (n == NGX_ERROR || n < 1 || n > 1000) {
                goto invalid;
            }

            gw->priority = (int) n;
            continue;
        }

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "%V: invalid parameter \"%V\", "
                       "use name=TEXT and priority=1..1000", &cmd->name,
                       &value[i]);

    return NGX_CONF_ERROR;
}


/* scep_portal_version VERSION; what <version> tells clients. */

char *
ngx_http_scep_portal_version(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->portal_version.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_scep_conf_cstr(&value[1]) == NULL
        || !gp_software_version_is_valid((char *) value[1].data))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "scep_portal_version: \"%V\" is not a "
                           "GlobalProtect version such as 6.2.8-263 (up to "
                           "%d digits, letters, \".\" and \"-\", from a "
                           "digit)", &value[1], GP_SOFTWARE_VERSION_MAX);
        return NGX_CONF_ERROR;
    }

    slcf->portal_version = value[1];

    return NGX_CONF_OK;
}


/*
 * scep_internal_host_detection ADDRESS HOSTNAME;  once for IPv4, once
 * for IPv6: a client is inside when ADDRESS's reverse lookup gives
 * HOSTNAME.
 */

char *
ngx_http_scep_host_detection(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_loc_conf_t *slcf = conf;

    u_char               *p, *last;
    ngx_str_t            *value;
    const char          **address, **host;
    unsigned char         buf[sizeof(struct in6_addr)];
    gp_host_detection_t  *d;

    value = cf->args->elts;

    if (slcf->host_detection == NGX_CONF_UNSET_PTR) {
        slcf->host_detection = ngx_pcalloc(cf->pool,
                                           sizeof(gp_host_detection_t));
        if (slcf->host_detection == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    d = slcf->host_detection;

    if (ngx_http_scep_conf_cstr(&value[1]) != NULL
        && inet_pton(AF_INET, (char *) value[1].data, buf) == 1)
    {
        address = &d->address;
        host = &d->host;

    } else if (ngx_http_scep_conf_cstr(&value[1]) != NULL
               && inet_pton(AF_INET6, (char *) value[1].data, buf) == 1)
    {
        address = &d->address6;
        host = &d->host6;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "scep_internal_host_detection: \"%V\" is not an "
                           "IPv4 or IPv6 address", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (*address != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "scep_internal_host_detection: an %s address is "
                           "already given", address == &d->address
                                            ? "IPv4" : "IPv6");
        return NGX_CONF_ERROR;
    }

    last = value[2].data + value[2].len;

    for (p = value[2].data; p < last; p++) {
        if (!(isalnum(*p) || *p == '.' || *p == '-')) {
            break;
        }
    }

    if (value[2].len == 0 || value[2].len > 253 || p != last) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "scep_internal_host_detection: \"%V\" is not a "
                           "host name", &value[2]);
        return NGX_CONF_ERROR;
    }

    *address = (char *) value[1].data;
    *host = (char *) value[2].data;

    return NGX_CONF_OK;
}


/*
 * Hands the portal's settings to the core as plain C, once every name
 * is resolved and the location's settings are merged.
 */

ngx_int_t
ngx_http_scep_portal_build(ngx_conf_t *cf, ngx_http_scep_loc_conf_t *slcf)
{
    ngx_uint_t                      i, n;
    portal_t                       *portal;
    portal_group_profile_t         *map;
    ngx_http_scep_main_conf_t      *smcf;
    ngx_http_scep_group_profile_t  *gp;

    portal = ngx_pcalloc(cf->pool, sizeof(portal_t));
    if (portal == NULL) {
        return NGX_ERROR;
    }

    portal->name = (char *) slcf->portal_name.data;
    portal->version = (char *) slcf->portal_version.data;
    portal->host_detection = slcf->host_detection;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_scep_module);
    portal->keys = &smcf->keys;

    if (slcf->default_profile) {
        portal->default_profile = &slcf->default_profile->profile;
    }

    if (slcf->group_profiles) {
        n = slcf->group_profiles->nelts;
        gp = slcf->group_profiles->elts;

        map = ngx_pcalloc(cf->pool, n * sizeof(portal_group_profile_t));
        if (map == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < n; i++) {
            map[i].group = (char *) gp[i].group.data;
            map[i].profile = &gp[i].profile->profile;
        }

        portal->group_profiles = map;
        portal->ngroup_profiles = n;
    }

    if (portal->default_profile == NULL && portal->ngroup_profiles == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "scep_portal needs a profile: give "
                      "scep_default_profile or scep_group_profile "
                      "in %V:%ui", &slcf->file, slcf->line);
        return NGX_ERROR;
    }

    if (slcf->allow_groups) {
        portal->allow_groups = slcf->allow_groups->elts;
        portal->nallow_groups = slcf->allow_groups->nelts;
    }

    if (slcf->gateways) {
        portal->gateways = slcf->gateways->elts;
        portal->ngateways = slcf->gateways->nelts;
    }

    if (slcf->internal_gateways) {
        portal->internal_gateways = slcf->internal_gateways->elts;
        portal->ninternal_gateways = slcf->internal_gateways->nelts;
    }

    slcf->portal = portal;

    /*
     * A login form is read into memory whole, never into a temporary
     * file, where its password would outlive the request on disk.
     */
    if (slcf->core->client_body_buffer_size < GP_BODY_MAX) {
        slcf->core->client_body_buffer_size = GP_BODY_MAX;
    }

    return NGX_OK;
}
