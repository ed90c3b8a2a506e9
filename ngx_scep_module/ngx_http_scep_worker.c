
/*
 * What each worker process makes for itself when it starts and owns
 * alone: a directory client per scep_directory (its connections and
 * cache), and each profile's PKI state (its CA certificate and key pool).
 * The configuration stays read-only: these are found by the block's
 * index, never stored in it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
#include "scep/scep_http.h"


typedef struct {
    dir_t                   **dirs;            /* by directory index */
    ngx_http_scep_pki_t     **pkis;            /* by profile index */
    portal_admin_profile_t   *admin_profiles;  /* by profile index */
} ngx_http_scep_worker_t;


static ngx_http_scep_worker_t  ngx_http_scep_worker;


ngx_int_t
ngx_http_scep_worker_init(ngx_cycle_t *cycle,
    ngx_http_scep_main_conf_t *smcf)
{
    ngx_uint_t                   i;
    dir_error_t                  derr;
    scep_error_t                 serr;
    ngx_http_scep_worker_t      *w;
    ngx_http_scep_profile_t    **profiles;
    ngx_http_scep_directory_t  **dirs;

    w = &ngx_http_scep_worker;

    if (smcf->profiles.nelts && scep_http_global_init(&serr) != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "scep: %s", serr.message);
        return NGX_ERROR;
    }

    w->dirs = ngx_pcalloc(cycle->pool,
                          (smcf->directories.nelts + 1) * sizeof(dir_t *));
    w->pkis = ngx_pcalloc(cycle->pool, (smcf->profiles.nelts + 1)
                                       * sizeof(ngx_http_scep_pki_t *));
    w->admin_profiles = ngx_pcalloc(cycle->pool,
                                    (smcf->profiles.nelts + 1)
                                    * sizeof(portal_admin_profile_t));

    if (w->dirs == NULL || w->pkis == NULL || w->admin_profiles == NULL) {
        return NGX_ERROR;
    }

    dirs = smcf->directories.elts;

    for (i = 0; i < smcf->directories.nelts; i++) {
        w->dirs[i] = dir_create(&dirs[i]->config, &derr);

        if (w->dirs[i] == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                          "scep_directory \"%V\": %s",
                          &dirs[i]->block.name, derr.message);
            return NGX_ERROR;
        }
    }

    profiles = smcf->profiles.elts;

    for (i = 0; i < smcf->profiles.nelts; i++) {
        w->pkis[i] = ngx_http_scep_pki_start(cycle, smcf, profiles[i]);
        if (w->pkis[i] == NULL) {
            return NGX_ERROR;
        }

        w->admin_profiles[i].profile = &profiles[i]->profile;
        w->admin_profiles[i].pki = ngx_http_scep_pki_state(w->pkis[i]);
    }

    return NGX_OK;
}


/*
 * The thread pools are stopped before this runs (their module exits
 * first, and ngx_http_scep_tasks_exit() made sure they were), so no task
 * can still use a directory or a PKI state.
 */

void
ngx_http_scep_worker_exit(ngx_http_scep_main_conf_t *smcf)
{
    ngx_uint_t               i;
    ngx_http_scep_worker_t  *w;

    w = &ngx_http_scep_worker;

    for (i = 0; w->dirs && i < smcf->directories.nelts; i++) {
        if (w->dirs[i]) {
            dir_destroy(w->dirs[i]);
            w->dirs[i] = NULL;
        }
    }

    for (i = 0; w->pkis && i < smcf->profiles.nelts; i++) {
        if (w->pkis[i]) {
            ngx_http_scep_pki_stop(w->pkis[i]);
            w->pkis[i] = NULL;
        }
    }
}


dir_t *
ngx_http_scep_worker_dir(ngx_http_scep_directory_t *directory)
{
    return ngx_http_scep_worker.dirs[directory->index];
}


static ngx_http_scep_pki_t *
ngx_http_scep_worker_find_pki(ngx_http_scep_main_conf_t *smcf,
    const scep_profile_t *profile)
{
    ngx_uint_t                 i;
    ngx_http_scep_profile_t  **profiles;

    profiles = smcf->profiles.elts;

    for (i = 0; i < smcf->profiles.nelts; i++) {
        if (&profiles[i]->profile == profile) {
            return ngx_http_scep_worker.pkis[i];
        }
    }

    return NULL;
}


scep_pki_t *
ngx_http_scep_worker_pki(ngx_http_scep_main_conf_t *smcf,
    const scep_profile_t *profile)
{
    ngx_http_scep_pki_t  *pki;

    pki = ngx_http_scep_worker_find_pki(smcf, profile);

    return pki ? ngx_http_scep_pki_state(pki) : NULL;
}


/* An enrollment may have taken a key from the profile's pool. */

void
ngx_http_scep_worker_keys_refill(ngx_http_scep_main_conf_t *smcf,
    const scep_profile_t *profile)
{
    ngx_http_scep_pki_t  *pki;

    pki = ngx_http_scep_worker_find_pki(smcf, profile);

    if (pki != NULL) {
        ngx_http_scep_pki_keys_refill(pki);
    }
}


const portal_admin_profile_t *
ngx_http_scep_worker_admin_profiles(void)
{
    return ngx_http_scep_worker.admin_profiles;
}
