
/*
 * scep_directory NAME { ... }: the LDAP directory that authenticates
 * portal logins and tells each user's groups and mail addresses.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"


static char *ngx_http_scep_directory_word(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_http_scep_sub_t *sub, void *conf);


static ngx_http_scep_sub_t  ngx_http_scep_directory_subs[] = {

    { ngx_string("type"), 1, 1, 0, 0,
      ngx_http_scep_directory_word, 0 },

    { ngx_string("url"), 1, 16, 1, 0,
      ngx_http_scep_list_slot(ngx_http_scep_directory_t, urls) },

    { ngx_string("starttls"), 1, 1, 0, 0,
      ngx_http_scep_flag_slot(ngx_http_scep_directory_t,
                              config.starttls) },

    { ngx_string("tls_trusted_certificate"), 1, 1, 0, 0,
      ngx_http_scep_path_slot(ngx_http_scep_directory_t,
                              config.ca_file) },

    { ngx_string("bind_dn"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_directory_t,
                                config.bind_dn) },

    { ngx_string("bind_password"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_directory_t,
                                config.bind_password) },

    { ngx_string("bind_password_file"), 1, 1, 0, 0,
      ngx_http_scep_secret_file_slot(ngx_http_scep_directory_t,
                                     config.bind_password) },

    { ngx_string("base_dn"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_directory_t,
                                config.base_dn) },

    { ngx_string("scope"), 1, 1, 0, 0,
      ngx_http_scep_directory_word, 0 },

    { ngx_string("user_filter"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_directory_t,
                                config.user_filter) },

    { ngx_string("username_attribute"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_directory_t,
                                config.username_attr) },

    { ngx_string("domains"), 1, 16, 1, 0,
      ngx_http_scep_list_slot(ngx_http_scep_directory_t, domains) },

    { ngx_string("password_policy"), 1, 1, 0, 0,
      ngx_http_scep_flag_slot(ngx_http_scep_directory_t,
                              config.password_policy) },

    { ngx_string("groups"), 1, 1, 0, 0,
      ngx_http_scep_directory_word, 0 },

    { ngx_string("group_base_dn"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_directory_t,
                                config.group_base_dn) },

    { ngx_string("group_filter"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_directory_t,
                                config.group_filter) },

    { ngx_string("nested_groups"), 1, 1, 0, 0,
      ngx_http_scep_directory_word, 0 },

    { ngx_string("nested_depth"), 1, 1, 0, 0,
      ngx_http_scep_int_slot(ngx_http_scep_directory_t,
                             config.nested_depth) },

    { ngx_string("max_groups"), 1, 1, 0, 0,
      ngx_http_scep_size_slot(ngx_http_scep_directory_t,
                              config.max_groups) },

    { ngx_string("range_size"), 1, 1, 0, 0,
      ngx_http_scep_size_slot(ngx_http_scep_directory_t,
                              config.range_size) },

    { ngx_string("mail_attributes"), 1, 16, 0, 0,
      ngx_http_scep_list_slot(ngx_http_scep_directory_t, mail_attrs) },

    { ngx_string("connect_timeout"), 1, 1, 0, 0,
      ngx_http_scep_msec_slot(ngx_http_scep_directory_t,
                              config.connect_timeout_ms) },

    { ngx_string("timeout"), 1, 1, 0, 0,
      ngx_http_scep_msec_slot(ngx_http_scep_directory_t,
                              config.timeout_ms) },

    { ngx_string("pool_size"), 1, 1, 0, 0,
      ngx_http_scep_int_slot(ngx_http_scep_directory_t,
                             config.pool_size) },

    { ngx_string("cache_ttl"), 1, 1, 0, 0,
      ngx_http_scep_sec_slot(ngx_http_scep_directory_t,
                             config.cache_ttl_s) },

    { ngx_string("cache_max_entries"), 1, 1, 0, 0,
      ngx_http_scep_size_slot(ngx_http_scep_directory_t,
                              config.cache_max_entries) },

    { ngx_null_string, 0, 0, 0, 0, NULL, 0 }
};


char *
ngx_http_scep_directory_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_main_conf_t *smcf = conf;

    char                        *rv, *p, *next;
    char                         warnings[2048];
    ngx_str_t                   *value;
    dir_error_t                  err;
    ngx_http_scep_directory_t   *dir, **dirp;

    value = cf->args->elts;

    rv = ngx_http_scep_block_name(cf, "scep_directory", &smcf->directories,
                                  &value[1]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    dir = ngx_pcalloc(cf->pool, sizeof(ngx_http_scep_directory_t));
    if (dir == NULL) {
        return NGX_CONF_ERROR;
    }

    dir_config_init(&dir->config);

    dir->block.kind = "scep_directory";
    dir->block.name = value[1];
    dir->block.subs = ngx_http_scep_directory_subs;
    dir->block.conf = dir;

    rv = ngx_http_scep_block_parse(cf, &dir->block);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (dir->urls.nelts) {
        dir->config.urls = dir->urls.elts;
        dir->config.nurls = dir->urls.nelts;
    }

    if (dir->mail_attrs.nelts) {
        dir->config.mail_attrs = dir->mail_attrs.elts;
        dir->config.nmail_attrs = dir->mail_attrs.nelts;
    }

    if (dir->domains.nelts) {
        dir->config.domains = dir->domains.elts;
        dir->config.ndomains = dir->domains.nelts;
    }

    if (dir_config_validate(&dir->config, &err) != 0) {
        /* the directory's messages begin with the directive's name */
        return ngx_http_scep_block_error_at(cf, &dir->block, err.message,
                                            err.message);
    }

    /* advice, one line each, at the line of the directive it names */

    if (dir_config_warnings(&dir->config, warnings, sizeof(warnings)) > 0) {
        for (p = warnings; p != NULL && *p != '\0'; p = next) {
            next = (char *) ngx_strchr(p, '\n');

            if (next != NULL) {
                *next++ = '\0';
            }

            ngx_http_scep_block_warn(cf, &dir->block, p);
        }
    }

    dirp = ngx_array_push(&smcf->directories);
    if (dirp == NULL) {
        return NGX_CONF_ERROR;
    }

    dir->index = smcf->directories.nelts - 1;
    *dirp = dir;

    return NGX_CONF_OK;
}


static char *
ngx_http_scep_directory_word(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    ngx_http_scep_directory_t  *dir = conf;

    int            rc;
    char          *word;
    ngx_str_t     *value;
    dir_error_t    err;
    dir_config_t  *dc;

    value = cf->args->elts;
    dc = &dir->config;

    word = ngx_http_scep_conf_cstr(&value[1]);
    if (word == NULL) {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "the value holds a NUL byte");
    }

    if (ngx_strcmp(sub->name.data, "type") == 0) {
        rc = dir_parse_type(word, &dc->type, &err);

    } else if (ngx_strcmp(sub->name.data, "scope") == 0) {
        rc = dir_parse_scope(word, &dc->scope, &err);

    } else if (ngx_strcmp(sub->name.data, "groups") == 0) {
        rc = dir_parse_group_source(word, &dc->group_source, &err);

    } else {
        rc = dir_parse_nested(word, &dc->nested, &err);
    }

    if (rc != 0) {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         err.message);
    }

    return NGX_CONF_OK;
}
