
/*
 * The status page: its shared zone (ngx_http_scep_status_zone.c), the
 * counting into it (ngx_http_scep_status_count.c), called where things
 * happen, on the event loop, one atomic addition each and no lock, what
 * the page reads of it (ngx_http_scep_status_snapshot.c) and the page
 * itself (ngx_http_scep_status.c).
 */


#ifndef _NGX_HTTP_SCEP_STATUS_H_INCLUDED_
#define _NGX_HTTP_SCEP_STATUS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_job.h"
#include "portal/portal_status.h"


/*
 * One process's jobs on one thread pool, in the zone: in_flight from
 * the post to the completion handler, queued from the post until a
 * thread takes the task (the only counter a pool thread writes).
 */
struct ngx_http_scep_status_jobs_s {
    ngx_atomic_t               in_flight;
    ngx_atomic_t               queued;
};


/* Configuration: the zone, its nodes for this configuration's names. */
char *ngx_http_scep_status_zone_size(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_scep_status_init_conf(ngx_conf_t *cf,
    ngx_http_scep_main_conf_t *smcf);

/* A worker takes a process slot at start and gives it back at exit. */
void ngx_http_scep_status_worker_init(ngx_cycle_t *cycle,
    ngx_http_scep_main_conf_t *smcf);
void ngx_http_scep_status_worker_exit(void);

/* What the page shows, read from the zone into pool. */
ngx_int_t ngx_http_scep_status_snapshot(ngx_http_scep_main_conf_t *smcf,
    ngx_pool_t *pool, portal_status_t *st);

/* A login's outcome, as $scep_result has it. */
void ngx_http_scep_status_login(portal_result_kind_t kind);

/*
 * What a login's job brought back from the directory (its time, its
 * error, its servers' states) and the PKI; each is counted once, then
 * cleared from res.
 */
void ngx_http_scep_status_backends(ngx_http_scep_directory_t *directory,
    dir_t *dir, portal_result_t *res);

/* A certificate the portal asked for in enroll mode, by its outcome. */
void ngx_http_scep_status_certificate(const scep_profile_t *profile,
    portal_result_kind_t kind);

/* scep_admin's request, once it was for the CA. */
void ngx_http_scep_status_admin(const portal_admin_result_t *res);

void ngx_http_scep_status_proxy(ngx_http_scep_profile_t *prof,
    ngx_uint_t admitted);

/* This worker's CA certificate of the profile, after an attempt. */
void ngx_http_scep_status_ca(ngx_http_scep_profile_t *prof,
    scep_pki_t *state, scep_code_t code);

/* This worker's key pool of the profile. */
void ngx_http_scep_status_keys(ngx_http_scep_profile_t *prof,
    scep_pki_t *state);

/* This worker's job counters of a thread pool, or NULL. */
ngx_http_scep_status_jobs_t *ngx_http_scep_status_jobs(
    ngx_thread_pool_t *tp);

/* The location directive "scep_status" (ngx_http_scep_status.c). */
char *ngx_http_scep_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_SCEP_STATUS_H_INCLUDED_ */
