
/*
 * The layout of the status zone, shared by the files that make it
 * (ngx_http_scep_status_zone.c), count into it
 * (ngx_http_scep_status_count.c) and read it
 * (ngx_http_scep_status_snapshot.c); see the first for how it works.
 */


#ifndef _NGX_HTTP_SCEP_STATUS_ZONE_H_INCLUDED_
#define _NGX_HTTP_SCEP_STATUS_ZONE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_scep_status.h"


#define NGX_HTTP_SCEP_STATUS_SIZE   (1024 * 1024)

/* Processes that may count at once: workers, and a reload's old ones. */
#define NGX_HTTP_SCEP_STATUS_SLOTS  128


typedef enum {
    NGX_HTTP_SCEP_STATUS_PROFILE = 1,
    NGX_HTTP_SCEP_STATUS_DIRECTORY,
    NGX_HTTP_SCEP_STATUS_SERVER,
    NGX_HTTP_SCEP_STATUS_POOL
} ngx_http_scep_status_kind_e;


typedef struct {
    ngx_atomic_t                 counts[PORTAL_STATUS_BUCKETS + 1];
    ngx_atomic_t                 sum_usec;
} ngx_http_scep_status_hist_t;

/* A process's CA certificate and key pool of a profile. */
typedef struct {
    ngx_atomic_t                 ca;         /* NGX_HTTP_SCEP_STATUS_CA_* */
    ngx_atomic_t                 not_after;
    ngx_atomic_t                 keys;
} ngx_http_scep_status_pki_t;

#define NGX_HTTP_SCEP_STATUS_CA_UNTRIED  0
#define NGX_HTTP_SCEP_STATUS_CA_NONE     1
#define NGX_HTTP_SCEP_STATUS_CA_HELD     2

typedef struct {
    ngx_atomic_t                 certificates[PORTAL_STATUS_ORIGINS]
                                             [PORTAL_STATUS_CERT_RESULTS];
    ngx_atomic_t                 proxy_admitted;
    ngx_atomic_t                 proxy_refused;
    ngx_atomic_t                 errors[SCEP_ERR_LAST];
    ngx_http_scep_status_hist_t  pki;
    ngx_atomic_t                 ca_last;    /* code + 1; 0: none yet */
    ngx_http_scep_status_pki_t   procs[NGX_HTTP_SCEP_STATUS_SLOTS];
} ngx_http_scep_status_profile_sh_t;

typedef struct {
    ngx_atomic_t                 errors[DIR_ERR_LAST];
    ngx_http_scep_status_hist_t  latency;
} ngx_http_scep_status_directory_sh_t;

/*
 * A directory server: the latest attempt any worker made, as its time
 * shifted left by one with the lowest bit set when the server was up
 * (0: none yet), and when that bit last changed.
 */
typedef struct {
    ngx_atomic_t                 seen;
    ngx_atomic_t                 changed;
} ngx_http_scep_status_server_sh_t;

typedef struct {
    ngx_http_scep_status_jobs_t  procs[NGX_HTTP_SCEP_STATUS_SLOTS];
} ngx_http_scep_status_pool_sh_t;

typedef struct ngx_http_scep_status_node_s  ngx_http_scep_status_node_t;

struct ngx_http_scep_status_node_s {
    ngx_http_scep_status_node_t  *next;
    ngx_uint_t                    kind;
    size_t                        size;      /* of the counters */
    u_char                       *key;       /* after the counters */
    size_t                        key_len;
    ngx_atomic_uint_t             counters[1];   /* aligned for atomics */
};

typedef struct {
    ngx_atomic_t                  pid;       /* 0: free */
    ngx_atomic_t                  generation;
} ngx_http_scep_status_slot_t;

typedef struct {
    ngx_uint_t                    layout;
    ngx_atomic_t                  generation;  /* configurations loaded */
    ngx_http_scep_status_node_t  *nodes;
    ngx_atomic_t                  logins[PORTAL_RESULT_KINDS];
    ngx_http_scep_status_slot_t   slots[NGX_HTTP_SCEP_STATUS_SLOTS];
} ngx_http_scep_status_sh_t;

/*
 * The zone's layout; a zone that another build of the module left (its
 * master still running) is not read.
 */
#define NGX_HTTP_SCEP_STATUS_LAYOUT                                           \
    (0x5c3b1 + sizeof(ngx_http_scep_status_sh_t) * 7                          \
     + sizeof(ngx_http_scep_status_profile_sh_t) * 5                          \
     + sizeof(ngx_http_scep_status_directory_sh_t) * 3                        \
     + sizeof(ngx_http_scep_status_pool_sh_t))


typedef struct {
    ngx_thread_pool_t                    *tp;
    ngx_str_t                             name;
    ngx_http_scep_status_pool_sh_t       *sh;
} ngx_http_scep_status_pool_t;

/* A configuration's view of the zone; the zone's data. */
struct ngx_http_scep_status_conf_s {
    ngx_http_scep_main_conf_t            *smcf;
    ngx_slab_pool_t                      *shpool;
    ngx_http_scep_status_sh_t            *sh;     /* NULL: not usable */
    size_t                                size;
    ngx_uint_t                            generation;
    ngx_http_scep_status_profile_sh_t   **profiles;     /* by index */
    ngx_http_scep_status_directory_sh_t **directories;  /* by index */
    ngx_http_scep_status_server_sh_t   ***servers;      /* by index, url */
    ngx_array_t                           pools;
};

/* What this process counts into: set when a worker starts. */
typedef struct {
    ngx_http_scep_status_conf_t          *conf;
    ngx_int_t                             slot;         /* -1: none */
} ngx_http_scep_status_proc_t;

extern ngx_http_scep_status_proc_t  ngx_http_scep_status_proc;


/* Whether the process of a slot is alive (ngx_http_scep_status_zone.c). */
ngx_uint_t ngx_http_scep_status_alive(ngx_atomic_uint_t pid);


#endif /* _NGX_HTTP_SCEP_STATUS_ZONE_H_INCLUDED_ */
