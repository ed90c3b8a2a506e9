
/*
 * Work that may wait on the network or burn CPU runs as a task on an
 * nginx thread pool; its completion handler runs back on the event loop.
 */


#ifndef _NGX_HTTP_SCEP_JOB_H_INCLUDED_
#define _NGX_HTTP_SCEP_JOB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* Runs on a pool thread: plain C only, no pool, log, request or timer. */
typedef void (*ngx_http_scep_job_run_pt)(void *data);

/* Runs on the event loop once the task is over; it finalizes r. */
typedef void (*ngx_http_scep_job_done_pt)(ngx_http_request_t *r, void *data);


/*
 * NGX_OK: posted, done() will be called.  NGX_BUSY: the pool's queue is
 * full, nothing was posted.  NGX_ERROR: out of memory.
 */
ngx_int_t ngx_http_scep_job_post(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_http_scep_job_run_pt run, ngx_http_scep_job_done_pt done, void *data);


#endif /* _NGX_HTTP_SCEP_JOB_H_INCLUDED_ */
