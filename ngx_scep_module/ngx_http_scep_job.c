
/*
 * Thread-pool jobs for requests.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_job.h"


typedef struct {
    ngx_http_request_t         *request;
    ngx_http_scep_job_run_pt    run;
    ngx_http_scep_job_done_pt   done;
    void                       *data;
} ngx_http_scep_job_t;


static void ngx_http_scep_job_thread(void *data, ngx_log_t *log);
static void ngx_http_scep_job_event(ngx_event_t *ev);


ngx_int_t
ngx_http_scep_job_post(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_http_scep_job_run_pt run, ngx_http_scep_job_done_pt done, void *data)
{
    ngx_thread_task_t    *task;
    ngx_http_scep_job_t  *job;

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_scep_job_t));
    if (task == NULL) {
        return NGX_ERROR;
    }

    job = task->ctx;
    job->request = r;
    job->run = run;
    job->done = done;
    job->data = data;

    task->handler = ngx_http_scep_job_thread;
    task->event.handler = ngx_http_scep_job_event;
    task->event.data = job;

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        /* the queue is full: the caller answers 503 rather than wait */
        return NGX_BUSY;
    }

    return NGX_OK;
}


static void
ngx_http_scep_job_thread(void *data, ngx_log_t *log)
{
    ngx_http_scep_job_t  *job = data;

    job->run(job->data);
}


static void
ngx_http_scep_job_event(ngx_event_t *ev)
{
    ngx_connection_t     *c;
    ngx_http_request_t   *r;
    ngx_http_scep_job_t  *job;

    job = ev->data;
    r = job->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    job->done(r, job->data);

    ngx_http_run_posted_requests(c);
}
