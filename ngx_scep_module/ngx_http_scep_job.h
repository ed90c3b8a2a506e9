
/*
 * Work that may wait on the network or burn CPU runs as a task on an
 * nginx thread pool; its completion handler runs back on the event loop.
 *
 * A task (ngx_http_scep_task_t) is the bare unit, for work that belongs
 * to the worker (a CA certificate fetch).  A job is a task for a request:
 * the request is pinned while its job is on the pool, and a request may
 * have one deadline for all its jobs.
 */


#ifndef _NGX_HTTP_SCEP_JOB_H_INCLUDED_
#define _NGX_HTTP_SCEP_JOB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * Runs on a pool thread, with plain C data only: it never touches an
 * ngx_pool_t, a request, a connection, a log, shared memory or a timer,
 * all of which belong to the event loop.
 */
typedef void (*ngx_http_scep_task_run_pt)(void *data);

/* Runs on the event loop once the task is over (or was skipped). */
typedef void (*ngx_http_scep_task_done_pt)(void *data);

/* The status page's counters of a worker's jobs on a pool. */
typedef struct ngx_http_scep_status_jobs_s  ngx_http_scep_status_jobs_t;

typedef struct {
    ngx_thread_task_t            task;
    ngx_http_scep_task_run_pt    run;
    ngx_http_scep_task_done_pt   done;
    void                        *data;

    /* set on the loop, read by the thread before it starts */
    ngx_atomic_t                 cancel;

    /* set by the thread, read on the loop in done() */
    ngx_uint_t                   skipped;

    /* where the task is counted while posted, or NULL */
    ngx_http_scep_status_jobs_t *counted;
} ngx_http_scep_task_t;


/* At a worker's start: what the tasks' threads need (ngx_http_scep_job.c). */
ngx_int_t ngx_http_scep_tasks_init(ngx_cycle_t *cycle);

void ngx_http_scep_task_init(ngx_http_scep_task_t *t,
    ngx_http_scep_task_run_pt run, ngx_http_scep_task_done_pt done,
    void *data, ngx_log_t *log);

/*
 * NGX_OK: posted, done() will be called on the loop.  NGX_BUSY: the
 * pool's queue is full, nothing was posted.
 */
ngx_int_t ngx_http_scep_task_post(ngx_http_scep_task_t *t,
    ngx_thread_pool_t *tp);

/*
 * Called first by the module's exit_process: waits until the pool
 * threads that ran our tasks have ended; a process whose pool threads
 * still run our tasks leaves without its exit-time cleanup (see
 * ngx_http_scep_job.c for why).
 */
void ngx_http_scep_tasks_exit(ngx_cycle_t *cycle);


/* A job's run: the same as a task's. */
typedef ngx_http_scep_task_run_pt  ngx_http_scep_job_run_pt;

/* Runs on the event loop once the job is over; it finalizes r. */
typedef void (*ngx_http_scep_job_done_pt)(ngx_http_request_t *r, void *data);

/*
 * Runs on the event loop when the request's deadline passes while a job
 * is queued or running; it answers and finalizes r.  The job's done()
 * is then never called.
 */
typedef void (*ngx_http_scep_job_expired_pt)(ngx_http_request_t *r);

/*
 * Runs on the event loop, instead of done(), when a job that was
 * running at its request's deadline comes back: what it brought must
 * not be lost (a certificate the CA issued), but the agent has had its
 * answer.  It must neither answer nor finalize r.
 */
typedef void (*ngx_http_scep_job_late_pt)(ngx_http_request_t *r, void *data);

/*
 * NGX_OK: posted; done(), or expired() and then late(), will be called.
 * NGX_BUSY: the pool's queue is full, nothing was posted.  NGX_ERROR:
 * out of memory.  late may be NULL.  data lives in r's pool, which is
 * kept until the task is back, whatever happens to the request.
 */
ngx_int_t ngx_http_scep_job_post(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_http_scep_job_run_pt run, ngx_http_scep_job_done_pt done,
    ngx_http_scep_job_late_pt late, void *data);

/*
 * Sets the request's deadline, timeout from now, for all the jobs it
 * will post; called once, before the first job.
 */
ngx_int_t ngx_http_scep_job_deadline(ngx_http_request_t *r,
    ngx_msec_t timeout, ngx_http_scep_job_expired_pt expired);

/* Whether the request's deadline has passed (its job was answered). */
ngx_uint_t ngx_http_scep_job_expired(ngx_http_request_t *r);


#endif /* _NGX_HTTP_SCEP_JOB_H_INCLUDED_ */
