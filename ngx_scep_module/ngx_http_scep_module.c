
/*
 * ngx_http_scep_module: a remote-access portal that gives every user a
 * certificate of their own through the enterprise PKI's SCEP service.
 *
 * This file holds the directive table, the configuration's life cycle
 * and the per-worker start; each concern lives in its own file.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_job.h"
#include "ngx_http_scep_status.h"



static void *ngx_http_scep_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_scep_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_scep_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_scep_postconfiguration(ngx_conf_t *cf);
static char *ngx_http_scep_store(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_scep_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_scep_main_complete(ngx_conf_t *cf,
    ngx_http_scep_main_conf_t *smcf);
static ngx_int_t ngx_http_scep_profiles_keys(ngx_conf_t *cf,
    ngx_http_scep_main_conf_t *smcf);
static void ngx_http_scep_wipe_key(void *data);
static ngx_int_t ngx_http_scep_init_process(ngx_cycle_t *cycle);
static void ngx_http_scep_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_scep_commands[] = {

    { ngx_string("scep_profile"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_BLOCK|NGX_CONF_TAKE1,
      ngx_http_scep_profile_block,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_directory"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_BLOCK|NGX_CONF_TAKE1,
      ngx_http_scep_directory_block,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_store"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scep_store,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scep_key_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_pending_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_scep_pending_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_status_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_scep_status_zone_size,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_scep_admin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_scep_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_proxy"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_scep_proxy,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_portal"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_scep_portal,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_portal_name"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, portal_name),
      NULL },

    { ngx_string("scep_portal_version"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_scep_portal_version,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, portal_version),
      NULL },

    { ngx_string("scep_default_profile"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_scep_default_profile,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_group_profile"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_scep_group_profile,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_allow_group"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF
                        |NGX_CONF_1MORE,
      ngx_http_scep_allow_group,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_gateway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF
                        |NGX_CONF_TAKE123,
      ngx_http_scep_gateway,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, gateways),
      NULL },

    { ngx_string("scep_internal_gateway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF
                        |NGX_CONF_TAKE123,
      ngx_http_scep_gateway,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, internal_gateways),
      NULL },

    { ngx_string("scep_internal_host_detection"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_scep_host_detection,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("scep_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, thread_pool_name),
      NULL },

    { ngx_string("scep_login_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_scep_loc_conf_t, login_timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_scep_module_ctx = {
    ngx_http_scep_add_variables,           /* preconfiguration */
    ngx_http_scep_postconfiguration,       /* postconfiguration */

    ngx_http_scep_create_main_conf,        /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_scep_create_loc_conf,         /* create location configuration */
    ngx_http_scep_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_scep_module = {
    NGX_MODULE_V1,
    &ngx_http_scep_module_ctx,             /* module context */
    ngx_http_scep_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_scep_init_process,            /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_scep_exit_process,            /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_scep_create_main_conf(ngx_conf_t *cf)
{
    ngx_pool_cleanup_t         *cln;
    ngx_http_scep_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_scep_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&smcf->profiles, cf->pool, 4,
                       sizeof(ngx_http_scep_profile_t *))
        != NGX_OK
        || ngx_array_init(&smcf->directories, cf->pool, 2,
                          sizeof(ngx_http_scep_directory_t *))
           != NGX_OK
        || ngx_array_init(&smcf->refs, cf->pool, 8,
                          sizeof(ngx_http_scep_ref_t))
           != NGX_OK
        || ngx_array_init(&smcf->portal_locations, cf->pool, 2,
                          sizeof(ngx_http_scep_loc_conf_t *))
           != NGX_OK
        || ngx_array_init(&smcf->admin_locations, cf->pool, 1,
                          sizeof(ngx_http_scep_loc_conf_t *))
           != NGX_OK
        || ngx_array_init(&smcf->proxy_locations, cf->pool, 1,
                          sizeof(ngx_http_scep_loc_conf_t *))
           != NGX_OK)
    {
        return NULL;
    }

    /*
     * Without scep_key_file, tickets need not survive a reload: they
     * live minutes, and an agent refused after one simply logs in again.
     * The first scep_key_file replaces this key.
     */
    scep_keyring_init(&smcf->keys);

    if (scep_keyring_add_random(&smcf->keys, NULL) != 0) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_scep_wipe_key;
    cln->data = smcf;

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->store = NULL;
     *     smcf->pending = NULL;
     *     smcf->pending_store = NULL;
     */

    smcf->pending_size = NGX_CONF_UNSET;
    smcf->status_size = NGX_CONF_UNSET;

    return smcf;
}


static void *
ngx_http_scep_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_scep_loc_conf_t  *slcf;

    slcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_scep_loc_conf_t));
    if (slcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     slcf->directory = NULL;
     *     slcf->portal_name = { 0, NULL };
     *     slcf->portal_version = { 0, NULL };
     *     slcf->thread_pool_name = { 0, NULL };
     *     slcf->portal = NULL;
     */

    slcf->login_timeout = NGX_CONF_UNSET_MSEC;
    slcf->default_profile = NGX_CONF_UNSET_PTR;
    slcf->group_profiles = NGX_CONF_UNSET_PTR;
    slcf->allow_groups = NGX_CONF_UNSET_PTR;
    slcf->gateways = NGX_CONF_UNSET_PTR;
    slcf->internal_gateways = NGX_CONF_UNSET_PTR;
    slcf->host_detection = NGX_CONF_UNSET_PTR;

    return slcf;
}


static char *
ngx_http_scep_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_scep_loc_conf_t *prev = parent;
    ngx_http_scep_loc_conf_t *conf = child;

    ngx_conf_merge_str_value(conf->portal_name, prev->portal_name, "portal");
    ngx_conf_merge_str_value(conf->portal_version, prev->portal_version,
                             GP_SOFTWARE_VERSION_DEFAULT);
    ngx_conf_merge_str_value(conf->thread_pool_name, prev->thread_pool_name,
                             "default");
    ngx_conf_merge_msec_value(conf->login_timeout, prev->login_timeout,
                              NGX_HTTP_SCEP_LOGIN_TIMEOUT);

    ngx_conf_merge_ptr_value(conf->default_profile, prev->default_profile,
                             NULL);
    ngx_conf_merge_ptr_value(conf->group_profiles, prev->group_profiles,
                             NULL);
    ngx_conf_merge_ptr_value(conf->allow_groups, prev->allow_groups, NULL);
    ngx_conf_merge_ptr_value(conf->gateways, prev->gateways, NULL);
    ngx_conf_merge_ptr_value(conf->internal_gateways, prev->internal_gateways,
                             NULL);
    ngx_conf_merge_ptr_value(conf->host_detection, prev->host_detection,
                             NULL);

    if (conf->status_set
        && (conf->portal_set || conf->admin_set || conf->proxy_set))
    {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "scep_status needs a location of its own, without "
                      "scep_portal, scep_admin or scep_proxy, in %V:%ui",
                      &conf->file, conf->line);
        return NGX_CONF_ERROR;
    }

    if (conf->portal_set || conf->admin_set) {
        conf->thread_pool = ngx_thread_pool_add(cf, &conf->thread_pool_name);
        if (conf->thread_pool == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_scep_postconfiguration(ngx_conf_t *cf)
{
    ngx_uint_t                  i;
    ngx_http_scep_loc_conf_t  **portals;
    ngx_http_scep_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_scep_module);

    if (ngx_http_scep_refs_resolve(cf, smcf) != NGX_OK
        || ngx_http_scep_proxy_init(cf, smcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    portals = smcf->portal_locations.elts;

    for (i = 0; i < smcf->portal_locations.nelts; i++) {
        if (ngx_http_scep_portal_build(cf, portals[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (ngx_http_scep_main_complete(cf, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_scep_status_init_conf(cf, smcf);
}


/*
 * What needs the whole configuration: scep_admin's store, the thread
 * pool for the workers' own background work (the http level's
 * scep_thread_pool), where pending enrollments are kept (sealed in
 * scep_store, or in shared memory).
 */

static ngx_int_t
ngx_http_scep_main_complete(ngx_conf_t *cf, ngx_http_scep_main_conf_t *smcf)
{
    ngx_str_t                   name = ngx_string("default");
    ngx_uint_t                  i;
    ngx_http_scep_loc_conf_t   *top, **admins;

    if (smcf->profiles.nelts == 0) {
        return NGX_OK;
    }

    if (ngx_http_scep_profiles_keys(cf, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    admins = smcf->admin_locations.elts;

    for (i = 0; i < smcf->admin_locations.nelts; i++) {
        if (smcf->store == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "scep_admin needs scep_store at http level, "
                          "where certificates are kept, in %V:%ui",
                          &admins[i]->file, admins[i]->line);
            return NGX_ERROR;
        }
    }

    top = ngx_http_conf_get_module_loc_conf(cf, ngx_http_scep_module);

    smcf->thread_pool = ngx_thread_pool_add(cf,
                                            top->thread_pool_name.len
                                            ? &top->thread_pool_name
                                            : &name);
    if (smcf->thread_pool == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_scep_pending_store_init_conf(cf, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_scep_pending_init_conf(cf, smcf);
}


/*
 * Every profile signs with the http level's keys; a bound challenge needs
 * keys that the CA's verifier has too, so one made at load will not do.
 */

static ngx_int_t
ngx_http_scep_profiles_keys(ngx_conf_t *cf, ngx_http_scep_main_conf_t *smcf)
{
    ngx_uint_t                 i;
    ngx_http_scep_profile_t  **profiles;

    profiles = smcf->profiles.elts;

    for (i = 0; i < smcf->profiles.nelts; i++) {
        profiles[i]->profile.keys = &smcf->keys;

        if (profiles[i]->profile.challenge == SCEP_CHALLENGE_BOUND
            && !smcf->keys_from_files)
        {
            (void) ngx_http_scep_block_error(cf, &profiles[i]->block,
                                             "challenge",
                                             "challenge bound needs "
                                             "scep_key_file at http level: "
                                             "the key the portal shares "
                                             "with the CA's scep-verify");
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_scep_wipe_key(void *data)
{
    ngx_http_scep_main_conf_t  *smcf = data;

    scep_keyring_wipe(&smcf->keys);
}


/* scep_store path; nginx creates it, owned by the worker processes. */

static char *
ngx_http_scep_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_main_conf_t *smcf = conf;

    ngx_str_t   *value;
    ngx_path_t  *path;

    if (smcf->store != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_CONF_ERROR;
    }

    path->name = value[1];

    if (path->name.len == 0
        || ngx_http_scep_conf_cstr(&path->name) == NULL)
    {
        return "needs a directory";
    }

    if (path->name.data[path->name.len - 1] == '/') {
        path->name.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &path->name, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    path->conf_file = cf->conf_file->file.name.data;
    path->line = cf->conf_file->line;

    if (ngx_add_path(cf, &path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    smcf->store = path;

    return NGX_CONF_OK;
}


/*
 * scep_key_file path: the keys shared with the CA's verifier, read now
 * and wiped when the configuration is released; the first signs.
 */

static char *
ngx_http_scep_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_main_conf_t *smcf = conf;

    ngx_str_t     *value, path;
    scep_error_t   err;

    value = cf->args->elts;
    path = value[1];

    if (path.len == 0 || ngx_http_scep_conf_cstr(&path) == NULL
        || ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK)
    {
        return "needs a file name";
    }

    if (!smcf->keys_from_files) {
        scep_keyring_wipe(&smcf->keys);
        smcf->keys_from_files = 1;
    }

    scep_error_clear(&err);

    if (scep_keyring_add_file(&smcf->keys, (char *) path.data, &err) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V: %s", &cmd->name,
                           err.message);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * Directory connections and their cache, and each profile's CA
 * certificate and key pool, belong to one worker process: they are made
 * after the fork, never shared between processes.
 */

static ngx_int_t
ngx_http_scep_init_process(ngx_cycle_t *cycle)
{
    ngx_http_scep_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_scep_module);
    if (smcf == NULL) {
        return NGX_OK;
    }

    if (ngx_http_scep_tasks_init(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    /* before any task: a task's counters are found through its slot */
    ngx_http_scep_status_worker_init(cycle, smcf);

    if (ngx_http_scep_worker_init(cycle, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_scep_pending_store_start(cycle, smcf);
}


static void
ngx_http_scep_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_scep_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_scep_module);
    if (smcf == NULL) {
        return;
    }

    /* may not return: see there */
    ngx_http_scep_tasks_exit(cycle);

    ngx_http_scep_worker_exit(smcf);
    ngx_http_scep_status_worker_exit();
}
