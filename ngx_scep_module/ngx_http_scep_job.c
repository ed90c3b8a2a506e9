
/*
 * Thread-pool tasks, and jobs: tasks run for a request.
 *
 * What a task may touch.  Its run() gets plain C data and returns plain
 * C results in that data; it never touches an ngx_pool_t, a request, a
 * connection, a log, shared memory or a timer: they belong to the event
 * loop, which may use them at the same moment.  Everything else happens
 * in done(), back on the loop.  One exception, outside run(): the thread
 * that takes a task counts it out of the status page's "queued" with an
 * atomic subtraction in the shared zone, memory that stays mapped for as
 * long as the process lives and that atomics are made for.
 *
 * While a job is on the pool, its request is pinned, as nginx's own
 * thread users pin theirs (ngx_http_copy_filter_module.c): r->main->count
 * keeps the request from being freed when it is finalized meanwhile, and
 * r->main->blocked keeps ngx_http_terminate_request() (a worker's
 * shutdown timeout, say) from freeing it under the thread.  The job's
 * data lives in the request's pool, so it outlives the task.
 *
 * While any task is on a pool, a timer holds the worker process: nginx
 * lets a gracefully exiting worker (a reload) leave once no timer is
 * left, and it would leave its logins unanswered.
 *
 * A request may have a deadline for all its jobs (a login's).  When it
 * passes, the request is answered at once; a job still waiting in the
 * pool's queue is skipped when a thread takes it, and one already running
 * comes back to late(), so that what it brought is not lost.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_scep_module.h"
#include "ngx_http_scep_job.h"
#include "ngx_http_scep_status.h"


/* How often the holder timer looks again while tasks are out. */
#define NGX_HTTP_SCEP_TASKS_HOLD  1000

/* How long an exiting worker waits for its pool threads to end, in ms. */
#define NGX_HTTP_SCEP_THREADS_END  1000


typedef struct {
    ngx_http_request_t            *request;
    ngx_event_t                    deadline;
    ngx_http_scep_job_expired_pt   expired;
    ngx_http_scep_task_t          *current;   /* on a pool, or NULL */
    unsigned                       answered:1;
} ngx_http_scep_jobs_t;

typedef struct {
    ngx_http_scep_task_t           task;
    ngx_http_request_t            *request;
    ngx_http_scep_jobs_t          *jobs;
    ngx_http_scep_job_run_pt       run;
    ngx_http_scep_job_done_pt      done;
    ngx_http_scep_job_late_pt      late;
    void                          *data;
} ngx_http_scep_job_t;


static void ngx_http_scep_task_thread(void *data, ngx_log_t *log);
static void ngx_http_scep_task_event(ngx_event_t *ev);
static void ngx_http_scep_tasks_hold(ngx_event_t *ev);
static void ngx_http_scep_thread_mark(void);
static void ngx_http_scep_thread_end(void *data);
static ngx_http_scep_jobs_t *ngx_http_scep_jobs(ngx_http_request_t *r);
static void ngx_http_scep_jobs_cleanup(void *data);
static void ngx_http_scep_job_run(void *data);
static void ngx_http_scep_job_event(void *data);
static void ngx_http_scep_job_deadline_handler(ngx_event_t *ev);


/* Tasks posted and not yet back on the loop: the holder's count. */
static ngx_uint_t    ngx_http_scep_tasks_out;

/* Tasks posted whose run() has not returned: what a pool thread may run. */
static ngx_atomic_t  ngx_http_scep_tasks_in_pool;

static ngx_event_t   ngx_http_scep_tasks_holder;

/*
 * Pool threads that have run a task of ours and not ended yet: each holds
 * OpenSSL's per-thread state until the destructor of this key ends it.
 */
static pthread_key_t  ngx_http_scep_thread_key;
static ngx_atomic_t   ngx_http_scep_threads;


ngx_int_t
ngx_http_scep_tasks_init(ngx_cycle_t *cycle)
{
    ngx_err_t  err;

    err = pthread_key_create(&ngx_http_scep_thread_key,
                             ngx_http_scep_thread_end);
    if (err != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, err,
                      "pthread_key_create() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_scep_task_init(ngx_http_scep_task_t *t,
    ngx_http_scep_task_run_pt run, ngx_http_scep_task_done_pt done,
    void *data, ngx_log_t *log)
{
    ngx_memzero(t, sizeof(ngx_http_scep_task_t));

    t->run = run;
    t->done = done;
    t->data = data;

    t->task.ctx = t;
    t->task.handler = ngx_http_scep_task_thread;
    t->task.event.handler = ngx_http_scep_task_event;
    t->task.event.data = t;
    t->task.event.log = log;
}


ngx_int_t
ngx_http_scep_task_post(ngx_http_scep_task_t *t, ngx_thread_pool_t *tp)
{
    ngx_event_t  *holder;

    t->cancel = 0;
    t->skipped = 0;
    t->counted = ngx_http_scep_status_jobs(tp);

    /* counted first: a thread may finish the task before post returns */
    (void) ngx_atomic_fetch_add(&ngx_http_scep_tasks_in_pool, 1);

    if (t->counted != NULL) {
        (void) ngx_atomic_fetch_add(&t->counted->in_flight, 1);
        (void) ngx_atomic_fetch_add(&t->counted->queued, 1);
    }

    if (ngx_thread_task_post(tp, &t->task) != NGX_OK) {
        (void) ngx_atomic_fetch_add(&ngx_http_scep_tasks_in_pool, -1);

        if (t->counted != NULL) {
            (void) ngx_atomic_fetch_add(&t->counted->in_flight, -1);
            (void) ngx_atomic_fetch_add(&t->counted->queued, -1);
        }

        return NGX_BUSY;
    }

    ngx_http_scep_tasks_out++;

    holder = &ngx_http_scep_tasks_holder;

    if (!holder->timer_set) {
        holder->handler = ngx_http_scep_tasks_hold;
        holder->log = ngx_cycle->log;

        /* debug logs read a timer's data as a connection: never NULL */
        holder->data = holder;

        ngx_add_timer(holder, NGX_HTTP_SCEP_TASKS_HOLD);
    }

    return NGX_OK;
}


static void
ngx_http_scep_task_thread(void *data, ngx_log_t *log)
{
    ngx_http_scep_task_t  *t = data;

    ngx_http_scep_thread_mark();

    if (t->counted != NULL) {
        (void) ngx_atomic_fetch_add(&t->counted->queued, -1);
    }

    /* a cancelled task, or any task at a fast shutdown, does nothing */

    if (t->cancel || ngx_terminate) {
        t->skipped = 1;

    } else {
        t->run(t->data);
    }

    (void) ngx_atomic_fetch_add(&ngx_http_scep_tasks_in_pool, -1);
}


static void
ngx_http_scep_task_event(ngx_event_t *ev)
{
    ngx_http_scep_task_t  *t = ev->data;

    ngx_http_scep_tasks_out--;

    if (t->counted != NULL) {
        (void) ngx_atomic_fetch_add(&t->counted->in_flight, -1);
    }

    t->done(t->data);
}


static void
ngx_http_scep_tasks_hold(ngx_event_t *ev)
{
    if (ngx_http_scep_tasks_out) {
        ngx_add_timer(ev, NGX_HTTP_SCEP_TASKS_HOLD);
    }
}


/*
 * nginx never joins its pool threads: a stopped pool's threads are still
 * inside pthread_exit(), running their thread-specific-data destructors,
 * when the worker calls exit().  OpenSSL's exit-time cleanup then frees
 * the per-thread state of every thread that used it, and a thread whose
 * own OpenSSL destructor comes after that frees it a second time (a
 * double free, and a crash without a sanitizer).  So each pool thread
 * that runs our tasks, which use OpenSSL, is counted, and ends its
 * OpenSSL state itself, in this key's destructor; the worker waits for
 * the count to reach zero before it lets exit() run.
 */

static void
ngx_http_scep_thread_mark(void)
{
    if (pthread_getspecific(ngx_http_scep_thread_key) != NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(&ngx_http_scep_threads, 1);
    /* any value but NULL: the destructor runs for set keys only */
    (void) pthread_setspecific(ngx_http_scep_thread_key,
                               &ngx_http_scep_thread_key);
}


static void
ngx_http_scep_thread_end(void *data)
{
    /* whichever of this and OpenSSL's own destructor runs first, once */
    OPENSSL_thread_stop();

    (void) ngx_atomic_fetch_add(&ngx_http_scep_threads, -1);
}


/*
 * At exit, nginx first stops the thread pools: it queues one "exit" task
 * per thread and waits for each.  When a pool's queue is full, that
 * fails ("queue overflow") and nginx goes on while the threads still
 * run the tasks queued before.  What comes next, our exit_process,
 * freeing the cycle's pool (where the pools' own locks live) and exit()
 * with OpenSSL's and libldap's cleanup, would then run under a thread
 * that is inside the directory client or OpenSSL.  So when a task of
 * ours has not returned, the process leaves at once, as the master's
 * SIGKILL would make it a moment later anyway.  Otherwise every thread
 * has taken its exit task, and the worker waits (briefly) until each has
 * ended its OpenSSL state, as above.
 */

void
ngx_http_scep_tasks_exit(ngx_cycle_t *cycle)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  n;

    n = ngx_http_scep_tasks_in_pool;

    if (n != 0) {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "scep: %uA task%s still on a thread pool whose queue "
                      "was full at exit, leaving without exit-time cleanup",
                      n, n == 1 ? " is" : "s are");
        _exit(0);
    }

    for (i = 0; ngx_http_scep_threads != 0
                && i < NGX_HTTP_SCEP_THREADS_END; i++)
    {
        ngx_msleep(1);
    }

    n = ngx_http_scep_threads;

    if (n != 0) {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "scep: %uA thread-pool thread%s not ended after %d ms, "
                      "leaving without exit-time cleanup",
                      n, n == 1 ? " has" : "s have",
                      NGX_HTTP_SCEP_THREADS_END);
        _exit(0);
    }
}


ngx_int_t
ngx_http_scep_job_post(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_http_scep_job_run_pt run, ngx_http_scep_job_done_pt done,
    ngx_http_scep_job_late_pt late, void *data)
{
    ngx_int_t              rc;
    ngx_http_scep_job_t   *job;
    ngx_http_scep_jobs_t  *jobs;

    jobs = ngx_http_scep_jobs(r);
    if (jobs == NULL) {
        return NGX_ERROR;
    }

    job = ngx_pcalloc(r->pool, sizeof(ngx_http_scep_job_t));
    if (job == NULL) {
        return NGX_ERROR;
    }

    job->request = r;
    job->jobs = jobs;
    job->run = run;
    job->done = done;
    job->late = late;
    job->data = data;

    ngx_http_scep_task_init(&job->task, ngx_http_scep_job_run,
                            ngx_http_scep_job_event, job, r->connection->log);

    rc = ngx_http_scep_task_post(&job->task, tp);
    if (rc != NGX_OK) {
        return rc;
    }

    r->main->count++;
    r->main->blocked++;

    jobs->current = &job->task;

    return NGX_OK;
}


ngx_int_t
ngx_http_scep_job_deadline(ngx_http_request_t *r, ngx_msec_t timeout,
    ngx_http_scep_job_expired_pt expired)
{
    ngx_http_scep_jobs_t  *jobs;

    jobs = ngx_http_scep_jobs(r);
    if (jobs == NULL) {
        return NGX_ERROR;
    }

    jobs->expired = expired;

    jobs->deadline.handler = ngx_http_scep_job_deadline_handler;
    jobs->deadline.data = jobs;
    jobs->deadline.log = r->connection->log;

    /* the holder timer, not this one, keeps an exiting worker */
    jobs->deadline.cancelable = 1;

    ngx_add_timer(&jobs->deadline, timeout);

    return NGX_OK;
}


ngx_uint_t
ngx_http_scep_job_expired(ngx_http_request_t *r)
{
    ngx_http_scep_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_scep_module);

    if (ctx == NULL || ctx->jobs == NULL) {
        return 0;
    }

    return ((ngx_http_scep_jobs_t *) ctx->jobs)->answered;
}


static ngx_http_scep_jobs_t *
ngx_http_scep_jobs(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t    *cln;
    ngx_http_scep_ctx_t   *ctx;
    ngx_http_scep_jobs_t  *jobs;

    ctx = ngx_http_scep_get_ctx(r);
    if (ctx == NULL) {
        return NULL;
    }

    if (ctx->jobs != NULL) {
        return ctx->jobs;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_scep_jobs_t));
    if (cln == NULL) {
        return NULL;
    }

    jobs = cln->data;
    ngx_memzero(jobs, sizeof(ngx_http_scep_jobs_t));
    jobs->request = r;

    cln->handler = ngx_http_scep_jobs_cleanup;
    ctx->jobs = jobs;

    return jobs;
}


static void
ngx_http_scep_jobs_cleanup(void *data)
{
    ngx_http_scep_jobs_t  *jobs = data;

    if (jobs->deadline.timer_set) {
        ngx_del_timer(&jobs->deadline);
    }
}


static void
ngx_http_scep_job_run(void *data)
{
    ngx_http_scep_job_t  *job = data;

    job->run(job->data);
}


static void
ngx_http_scep_job_event(void *data)
{
    ngx_http_scep_job_t  *job = data;

    ngx_connection_t      *c;
    ngx_http_request_t    *r;
    ngx_http_scep_jobs_t  *jobs;

    r = job->request;
    c = r->connection;
    jobs = job->jobs;

    jobs->current = NULL;
    r->main->blocked--;

    ngx_http_set_log_request(c->log, r);

    if (c->error) {
        /* terminated while the task ran: let nginx finish the request */
        ngx_http_finalize_request(r, NGX_ERROR);
        ngx_http_run_posted_requests(c);
        return;
    }

    if (jobs->answered) {
        if (job->late != NULL && !job->task.skipped) {
            job->late(r, job->data);
        }

        /* the deadline's answer is out: only our count is left */
        ngx_http_finalize_request(r, NGX_DONE);
        ngx_http_run_posted_requests(c);
        return;
    }

    /* the request still holds the count of its own handler */
    r->main->count--;

    job->done(r, job->data);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_scep_job_deadline_handler(ngx_event_t *ev)
{
    ngx_http_scep_jobs_t  *jobs = ev->data;

    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    if (jobs->current == NULL || jobs->answered) {
        /* the answer is on its way already */
        return;
    }

    r = jobs->request;
    c = r->connection;

    jobs->answered = 1;
    jobs->current->cancel = 1;

    ngx_http_set_log_request(c->log, r);

    jobs->expired(r);

    ngx_http_run_posted_requests(c);
}
