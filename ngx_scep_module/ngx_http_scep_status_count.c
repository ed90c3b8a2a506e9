
/*
 * Counting into the status zone, on the event loop, where things happen:
 * one atomic addition each, no lock.  Each does nothing in a process
 * without a zone; the gauges of a process without a slot are not kept.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_status.h"
#include "ngx_http_scep_status_zone.h"


static ngx_http_scep_status_profile_sh_t *ngx_http_scep_status_profile(
    const char *name);
static void ngx_http_scep_status_time(ngx_http_scep_status_hist_t *h,
    long usec);
static void ngx_http_scep_status_servers(ngx_http_scep_status_conf_t *sc,
    ngx_http_scep_directory_t *directory, dir_t *dir);


void
ngx_http_scep_status_login(portal_result_kind_t kind)
{
    ngx_http_scep_status_conf_t  *sc;

    sc = ngx_http_scep_status_proc.conf;

    if (sc != NULL && (ngx_uint_t) kind < PORTAL_RESULT_KINDS) {
        (void) ngx_atomic_fetch_add(&sc->sh->logins[kind], 1);
    }
}


void
ngx_http_scep_status_backends(ngx_http_scep_directory_t *directory,
    dir_t *dir, portal_result_t *res)
{
    ngx_http_scep_status_conf_t          *sc;
    ngx_http_scep_status_profile_sh_t    *p;
    ngx_http_scep_status_directory_sh_t  *d;

    sc = ngx_http_scep_status_proc.conf;

    if (sc != NULL && directory != NULL && res->dir_usec >= 0) {
        d = sc->directories[directory->index];

        if (d != NULL) {
            ngx_http_scep_status_time(&d->latency, res->dir_usec);

            if (portal_status_dir_error(res->dir_error)) {
                (void) ngx_atomic_fetch_add(&d->errors[res->dir_error], 1);
            }
        }

        ngx_http_scep_status_servers(sc, directory, dir);
    }

    if (sc != NULL && (res->pki_usec >= 0 || res->pki_error != SCEP_OK)) {
        p = ngx_http_scep_status_profile(res->profile);

        if (p != NULL) {
            if (res->pki_usec >= 0) {
                ngx_http_scep_status_time(&p->pki, res->pki_usec);
            }

            if (portal_status_pki_error(res->pki_error)) {
                (void) ngx_atomic_fetch_add(&p->errors[res->pki_error], 1);
            }
        }
    }

    res->dir_usec = -1;
    res->dir_error = DIR_OK;
    res->pki_usec = -1;
    res->pki_error = SCEP_OK;
}


/*
 * The directory's servers as this worker saw them last, into the zone
 * when newer than what is there: the latest attempt of any worker wins.
 */

static void
ngx_http_scep_status_servers(ngx_http_scep_status_conf_t *sc,
    ngx_http_scep_directory_t *directory, dir_t *dir)
{
    size_t                             i, n;
    ngx_atomic_uint_t                  old, seen;
    dir_server_state_t                 states[DIR_URLS_MAX];
    ngx_http_scep_status_server_sh_t  *s;

    n = dir_server_state(dir, states, DIR_URLS_MAX);
    n = ngx_min(n, DIR_URLS_MAX);

    for (i = 0; i < n && i < directory->config.nurls; i++) {
        s = sc->servers[directory->index][i];

        if (s == NULL || states[i].state == DIR_SERVER_UNKNOWN) {
            continue;
        }

        seen = ((ngx_atomic_uint_t) states[i].seen << 1)
               | (states[i].state == DIR_SERVER_UP);

        for ( ;; ) {
            old = s->seen;

            if ((old >> 1) >= (ngx_atomic_uint_t) states[i].seen) {
                break;
            }

            if (ngx_atomic_cmp_set(&s->seen, old, seen)) {
                if (old == 0 || (old & 1) != (seen & 1)) {
                    s->changed = states[i].seen;
                }

                break;
            }
        }
    }
}


void
ngx_http_scep_status_certificate(const scep_profile_t *profile,
    portal_result_kind_t kind)
{
    ngx_http_scep_status_profile_sh_t  *p;

    if (ngx_http_scep_status_proc.conf == NULL || profile == NULL) {
        return;
    }

    p = ngx_http_scep_status_profile(profile->name);

    if (p != NULL) {
        (void) ngx_atomic_fetch_add(
            &p->certificates[PORTAL_STATUS_BY_ENROLL]
                            [portal_status_cert_result(kind)], 1);
    }
}


void
ngx_http_scep_status_admin(const portal_admin_result_t *res)
{
    ngx_http_scep_status_profile_sh_t  *p;

    if (ngx_http_scep_status_proc.conf == NULL || res->profile == NULL) {
        return;
    }

    p = ngx_http_scep_status_profile(res->profile->name);

    if (p == NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(
        &p->certificates[PORTAL_STATUS_BY_ADMIN]
                        [portal_status_cert_result(res->kind)], 1);

    if (res->pki_usec >= 0) {
        ngx_http_scep_status_time(&p->pki, res->pki_usec);
    }

    if (portal_status_pki_error(res->pki_error)) {
        (void) ngx_atomic_fetch_add(&p->errors[res->pki_error], 1);
    }
}


void
ngx_http_scep_status_proxy(ngx_http_scep_profile_t *prof, ngx_uint_t admitted)
{
    ngx_http_scep_status_conf_t        *sc;
    ngx_http_scep_status_profile_sh_t  *p;

    sc = ngx_http_scep_status_proc.conf;

    if (sc == NULL || (p = sc->profiles[prof->index]) == NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(admitted ? &p->proxy_admitted
                                         : &p->proxy_refused, 1);
}


void
ngx_http_scep_status_ca(ngx_http_scep_profile_t *prof, scep_pki_t *state,
    scep_code_t code)
{
    time_t                              not_after;
    ngx_http_scep_status_pki_t         *mine;
    ngx_http_scep_status_conf_t        *sc;
    ngx_http_scep_status_profile_sh_t  *p;

    sc = ngx_http_scep_status_proc.conf;

    if (sc == NULL || (p = sc->profiles[prof->index]) == NULL) {
        return;
    }

    p->ca_last = (ngx_atomic_uint_t) code + 1;

    if (ngx_http_scep_status_proc.slot == -1) {
        return;
    }

    mine = &p->procs[ngx_http_scep_status_proc.slot];
    not_after = scep_pki_ca_not_after(state);

    mine->not_after = (ngx_atomic_uint_t) not_after;
    mine->ca = not_after ? NGX_HTTP_SCEP_STATUS_CA_HELD
                         : NGX_HTTP_SCEP_STATUS_CA_NONE;
}


void
ngx_http_scep_status_keys(ngx_http_scep_profile_t *prof, scep_pki_t *state)
{
    ngx_http_scep_status_conf_t        *sc;
    ngx_http_scep_status_profile_sh_t  *p;

    sc = ngx_http_scep_status_proc.conf;

    if (sc == NULL || ngx_http_scep_status_proc.slot == -1
        || (p = sc->profiles[prof->index]) == NULL)
    {
        return;
    }

    p->procs[ngx_http_scep_status_proc.slot].keys = scep_pki_keys_ready(state);
}


ngx_http_scep_status_jobs_t *
ngx_http_scep_status_jobs(ngx_thread_pool_t *tp)
{
    ngx_uint_t                    i;
    ngx_http_scep_status_conf_t  *sc;
    ngx_http_scep_status_pool_t  *pools;

    sc = ngx_http_scep_status_proc.conf;

    if (sc == NULL || ngx_http_scep_status_proc.slot == -1) {
        return NULL;
    }

    pools = sc->pools.elts;

    for (i = 0; i < sc->pools.nelts; i++) {
        if (pools[i].tp == tp && pools[i].sh != NULL) {
            return &pools[i].sh->procs[ngx_http_scep_status_proc.slot];
        }
    }

    return NULL;
}


static ngx_http_scep_status_profile_sh_t *
ngx_http_scep_status_profile(const char *name)
{
    ngx_uint_t                    i;
    ngx_http_scep_profile_t     **profiles;
    ngx_http_scep_status_conf_t  *sc;

    sc = ngx_http_scep_status_proc.conf;
    profiles = sc->smcf->profiles.elts;

    for (i = 0; i < sc->smcf->profiles.nelts; i++) {
        if (ngx_strcmp(profiles[i]->profile.name, name) == 0) {
            return sc->profiles[i];
        }
    }

    return NULL;
}


static void
ngx_http_scep_status_time(ngx_http_scep_status_hist_t *h, long usec)
{
    (void) ngx_atomic_fetch_add(&h->counts[portal_status_bucket(usec)], 1);
    (void) ngx_atomic_fetch_add(&h->sum_usec, (ngx_atomic_int_t) usec);
}
