
/*
 * What the status page shows, read from the zone: the counters as they
 * are, the gauges of each process added up (or the least taken) over the
 * processes alive.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_status.h"
#include "ngx_http_scep_status_zone.h"


static void ngx_http_scep_status_copy_hist(portal_status_hist_t *to,
    ngx_http_scep_status_hist_t *from);
static void ngx_http_scep_status_copy_profile(ngx_http_scep_profile_t *prof,
    ngx_http_scep_status_profile_sh_t *p, ngx_uint_t *live,
    ngx_uint_t generation, portal_status_profile_t *out);


ngx_int_t
ngx_http_scep_status_snapshot(ngx_http_scep_main_conf_t *smcf,
    ngx_pool_t *pool, portal_status_t *st)
{
    size_t                                n;
    ngx_int_t                             in_flight, queued;
    ngx_uint_t                            i, j, k, generation;
    ngx_uint_t                            live[NGX_HTTP_SCEP_STATUS_SLOTS];
    ngx_atomic_uint_t                     seen;
    portal_status_pool_t                 *pools;
    portal_status_server_t               *servers;
    portal_status_profile_t              *profiles;
    ngx_http_scep_status_sh_t            *sh;
    ngx_http_scep_status_conf_t          *sc;
    ngx_http_scep_status_pool_t          *cpools;
    ngx_http_scep_profile_t             **cprofiles;
    ngx_http_scep_directory_t           **cdirs;
    portal_status_directory_t            *dirs;
    ngx_http_scep_status_server_sh_t     *s;
    ngx_http_scep_status_directory_sh_t  *d;

    sc = smcf->status;

    if (sc == NULL || sc->sh == NULL) {
        return NGX_DECLINED;
    }

    sh = sc->sh;
    ngx_memzero(st, sizeof(portal_status_t));
    st->now = ngx_time();

    /* the processes alive, and the newest configuration among them */

    generation = 0;

    for (i = 0; i < NGX_HTTP_SCEP_STATUS_SLOTS; i++) {
        live[i] = ngx_http_scep_status_alive(sh->slots[i].pid)
                  ? sh->slots[i].generation : 0;
        generation = ngx_max(generation, live[i]);
    }

    for (i = 0; i < PORTAL_RESULT_KINDS; i++) {
        st->logins[i] = sh->logins[i];
    }

    n = smcf->profiles.nelts;
    cprofiles = smcf->profiles.elts;

    profiles = ngx_pcalloc(pool, (n + 1) * sizeof(portal_status_profile_t));
    if (profiles == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (sc->profiles[i] != NULL) {
            ngx_http_scep_status_copy_profile(cprofiles[i], sc->profiles[i],
                                              live, generation,
                                              &profiles[st->nprofiles++]);
        }
    }

    st->profiles = profiles;

    n = smcf->directories.nelts;
    cdirs = smcf->directories.elts;

    dirs = ngx_pcalloc(pool, (n + 1) * sizeof(portal_status_directory_t));
    if (dirs == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        d = sc->directories[i];

        if (d == NULL) {
            continue;
        }

        /* block names are C strings (ngx_http_scep_block_name()) */
        dirs[st->ndirectories].name = (char *) cdirs[i]->block.name.data;

        for (j = 0; j < DIR_ERR_LAST; j++) {
            dirs[st->ndirectories].errors[j] = d->errors[j];
        }

        ngx_http_scep_status_copy_hist(&dirs[st->ndirectories].latency,
                                       &d->latency);

        servers = ngx_pcalloc(pool, (cdirs[i]->config.nurls + 1)
                                    * sizeof(portal_status_server_t));
        if (servers == NULL) {
            return NGX_ERROR;
        }

        k = 0;

        for (j = 0; j < cdirs[i]->config.nurls; j++) {
            s = sc->servers[i][j];

            if (s == NULL || (seen = s->seen) == 0) {
                continue;
            }

            servers[k].url = cdirs[i]->config.urls[j];
            servers[k].up = seen & 1;
            servers[k].changed = s->changed;
            k++;
        }

        dirs[st->ndirectories].servers = servers;
        dirs[st->ndirectories].nservers = k;
        st->ndirectories++;
    }

    st->directories = dirs;

    /* jobs: every process alive, old workers finishing theirs too */

    cpools = sc->pools.elts;

    pools = ngx_pcalloc(pool, (sc->pools.nelts + 1)
                              * sizeof(portal_status_pool_t));
    if (pools == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < sc->pools.nelts; i++) {
        if (cpools[i].sh == NULL) {
            continue;
        }

        in_flight = 0;
        queued = 0;

        for (j = 0; j < NGX_HTTP_SCEP_STATUS_SLOTS; j++) {
            if (live[j]) {
                in_flight += (ngx_atomic_int_t)
                             cpools[i].sh->procs[j].in_flight;
                queued += (ngx_atomic_int_t) cpools[i].sh->procs[j].queued;
            }
        }

        pools[st->npools].name = (char *) cpools[i].name.data;
        pools[st->npools].in_flight = ngx_max(in_flight, 0);
        pools[st->npools].queued = ngx_max(queued, 0);
        st->npools++;
    }

    st->pools = pools;

    return NGX_OK;
}


static void
ngx_http_scep_status_copy_profile(ngx_http_scep_profile_t *prof,
    ngx_http_scep_status_profile_sh_t *p, ngx_uint_t *live,
    ngx_uint_t generation, portal_status_profile_t *out)
{
    time_t       not_after;
    ngx_uint_t   i, j, workers, held;
    ngx_uint_t   ca;

    out->name = prof->profile.name;
    out->mode = scep_mode_name(prof->profile.mode);

    for (i = 0; i < PORTAL_STATUS_ORIGINS; i++) {
        for (j = 0; j < PORTAL_STATUS_CERT_RESULTS; j++) {
            out->certificates[i][j] = p->certificates[i][j];
        }
    }

    out->proxy_admitted = p->proxy_admitted;
    out->proxy_refused = p->proxy_refused;

    for (i = 0; i < SCEP_ERR_LAST; i++) {
        out->errors[i] = p->errors[i];
    }

    ngx_http_scep_status_copy_hist(&out->pki, &p->pki);

    /* the workers of the newest configuration */

    workers = 0;
    held = 0;
    not_after = 0;

    for (i = 0; i < NGX_HTTP_SCEP_STATUS_SLOTS; i++) {
        if (live[i] == 0 || live[i] != generation) {
            continue;
        }

        workers++;
        ca = p->procs[i].ca;

        if (ca == NGX_HTTP_SCEP_STATUS_CA_HELD) {
            held++;

            if (not_after == 0
                || (time_t) p->procs[i].not_after < not_after)
            {
                not_after = (time_t) p->procs[i].not_after;
            }
        }

        out->keys += p->procs[i].keys;
    }

    out->ca_known = (p->ca_last != 0);
    out->ca_last = out->ca_known ? (scep_code_t) (p->ca_last - 1) : SCEP_OK;
    out->ca_fetched = (workers > 0 && held == workers);
    out->ca_not_after = not_after;
    out->key_pool = (prof->profile.key_pool > 0);
}


static void
ngx_http_scep_status_copy_hist(portal_status_hist_t *to,
    ngx_http_scep_status_hist_t *from)
{
    ngx_uint_t  i;

    for (i = 0; i <= PORTAL_STATUS_BUCKETS; i++) {
        to->counts[i] = from->counts[i];
    }

    to->sum_usec = from->sum_usec;
}
