
/*
 * scep_directory NAME { ... }: the LDAP directory that authenticates
 * portal logins and tells each user's groups and mail addresses.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"


static char *ngx_http_scep_directory_list(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_http_scep_sub_t *sub, void *conf);
static char *ngx_http_scep_directory_word(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_http_scep_sub_t *sub, void *conf);


#define ngx_http_scep_directory_slot(field)  offsetof(dir_config_t, field)


static ngx_http_scep_sub_t  ngx_http_scep_directory_subs[] = {

    { ngx_string("url"), 1, 16, 1,
      ngx_http_scep_directory_list, 0 },

    { ngx_string("starttls"), 1, 1, 0,
      ngx_http_scep_sub_flag,
      ngx_http_scep_directory_slot(starttls) },

    { ngx_string("tls_trusted_certificate"), 1, 1, 0,
      ngx_http_scep_sub_path,
      ngx_http_scep_directory_slot(ca_file) },

    { ngx_string("bind_dn"), 1, 1, 0,
      ngx_http_scep_sub_string,
      ngx_http_scep_directory_slot(bind_dn) },

    { ngx_string("bind_password"), 1, 1, 0,
      ngx_http_scep_sub_string,
      ngx_http_scep_directory_slot(bind_password) },

    { ngx_string("bind_password_file"), 1, 1, 0,
      ngx_http_scep_sub_secret_file,
      ngx_http_scep_directory_slot(bind_password) },

    { ngx_string("base_dn"), 1, 1, 0,
      ngx_http_scep_sub_string,
      ngx_http_scep_directory_slot(base_dn) },

    { ngx_string("scope"), 1, 1, 0,
      ngx_http_scep_directory_word, 0 },

    { ngx_string("user_filter"), 1, 1, 0,
      ngx_http_scep_sub_string,
      ngx_http_scep_directory_slot(user_filter) },

    { ngx_string("username_attribute"), 1, 1, 0,
      ngx_http_scep_sub_string,
      ngx_http_scep_directory_slot(username_attr) },

    { ngx_string("groups"), 1, 1, 0,
      ngx_http_scep_directory_word, 0 },

    { ngx_string("group_base_dn"), 1, 1, 0,
      ngx_http_scep_sub_string,
      ngx_http_scep_directory_slot(group_base_dn) },

    { ngx_string("group_filter"), 1, 1, 0,
      ngx_http_scep_sub_string,
      ngx_http_scep_directory_slot(group_filter) },

    { ngx_string("nested_groups"), 1, 1, 0,
      ngx_http_scep_directory_word, 0 },

    { ngx_string("nested_depth"), 1, 1, 0,
      ngx_http_scep_sub_number,
      ngx_http_scep_directory_slot(nested_depth) },

    { ngx_string("max_groups"), 1, 1, 0,
      ngx_http_scep_sub_size,
      ngx_http_scep_directory_slot(max_groups) },

    { ngx_string("mail_attributes"), 1, 16, 0,
      ngx_http_scep_directory_list, 0 },

    { ngx_string("connect_timeout"), 1, 1, 0,
      ngx_http_scep_sub_msec,
      ngx_http_scep_directory_slot(connect_timeout_ms) },

    { ngx_string("timeout"), 1, 1, 0,
      ngx_http_scep_sub_msec,
      ngx_http_scep_directory_slot(timeout_ms) },

    { ngx_string("pool_size"), 1, 1, 0,
      ngx_http_scep_sub_number,
      ngx_http_scep_directory_slot(pool_size) },

    { ngx_string("cache_ttl"), 1, 1, 0,
      ngx_http_scep_sub_sec,
      ngx_http_scep_directory_slot(cache_ttl_s) },

    { ngx_string("cache_max_entries"), 1, 1, 0,
      ngx_http_scep_sub_size,
      ngx_http_scep_directory_slot(cache_max_entries) },

    { ngx_null_string, 0, 0, 0, NULL, 0 }
};


char *
ngx_http_scep_directory_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_main_conf_t *smcf = conf;

    char                        *rv;
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

    if (ngx_array_init(&dir->urls, cf->pool, 2, sizeof(char *)) != NGX_OK
        || ngx_array_init(&dir->mail_attrs, cf->pool, 2, sizeof(char *))
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    dir_config_init(&dir->config);

    dir->block.kind = "scep_directory";
    dir->block.name = value[1];
    dir->block.subs = ngx_http_scep_directory_subs;
    dir->block.conf = &dir->config;

    rv = ngx_http_scep_block_parse(cf, &dir->block);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    dir->config.urls = dir->urls.elts;
    dir->config.nurls = dir->urls.nelts;

    if (dir->mail_attrs.nelts) {
        dir->config.mail_attrs = dir->mail_attrs.elts;
        dir->config.nmail_attrs = dir->mail_attrs.nelts;
    }

    if (dir_config_validate(&dir->config, &err) != 0) {
        /* the directory's messages begin with the directive's name */
        return ngx_http_scep_block_error_at(cf, &dir->block, err.message,
                                            err.message);
    }

    dirp = ngx_array_push(&smcf->directories);
    if (dirp == NULL) {
        return NGX_CONF_ERROR;
    }

    *dirp = dir;

    return NGX_CONF_OK;
}


/* "url" and "mail_attributes": one or more words, kept in order. */

static char *
ngx_http_scep_directory_list(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    ngx_http_scep_directory_t  *dir;

    char         **item;
    ngx_str_t     *value;
    ngx_uint_t     i;
    ngx_array_t   *list;

    dir = (ngx_http_scep_directory_t *)
              ((u_char *) conf - offsetof(ngx_http_scep_directory_t, config));

    list = (sub->name.data[0] == 'u') ? &dir->urls : &dir->mail_attrs;
    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        item = ngx_array_push(list);
        if (item == NULL) {
            return NGX_CONF_ERROR;
        }

        *item = ngx_http_scep_conf_cstr(&value[i]);

        if (*item == NULL || value[i].len == 0) {
            return ngx_http_scep_block_error(cf, block,
                                             (char *) sub->name.data,
                                             "an empty value, or one with "
                                             "a NUL byte");
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_scep_directory_word(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    dir_config_t  *dc = conf;

    int           rc;
    char         *word;
    ngx_str_t    *value;
    dir_error_t   err;

    value = cf->args->elts;

    word = ngx_http_scep_conf_cstr(&value[1]);
    if (word == NULL) {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "the value holds a NUL byte");
    }

    if (ngx_strcmp(sub->name.data, "scope") == 0) {
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
