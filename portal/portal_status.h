/*
 * The status page: a snapshot of the portal's counters and gauges,
 * rendered in Prometheus's text exposition format (version 0.0.4) or as
 * JSON.  The module fills the snapshot from its shared memory; the
 * metrics' names, help texts and labels live here, in one place, and
 * the README lists them.
 *
 * Plain C: no nginx, no locks; the snapshot is the caller's.
 */

#ifndef PORTAL_STATUS_H
#define PORTAL_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "agent-proto/gp_buf.h"
#include "ldap/dir.h"
#include "portal/portal_result.h"
#include "scep/scep_error.h"


/*
 * Latency histograms: the upper bounds of the buckets, in microseconds
 * (1 ms to 60 s; a bucket holds durations up to and including its
 * bound), and one more bucket for the rest.
 */
#define PORTAL_STATUS_BUCKETS  15

extern const long  portal_status_bounds[PORTAL_STATUS_BUCKETS];

typedef struct {
    uint64_t    counts[PORTAL_STATUS_BUCKETS + 1];  /* each bucket's own */
    uint64_t    sum_usec;
} portal_status_hist_t;

/* The bucket of a duration: 0 .. PORTAL_STATUS_BUCKETS. */
size_t portal_status_bucket(long usec);


/* Who asked the CA for a certificate. */
typedef enum {
    PORTAL_STATUS_BY_ENROLL = 0,   /* a login in enroll mode */
    PORTAL_STATUS_BY_ADMIN,        /* scep_admin */
    PORTAL_STATUS_ORIGINS
} portal_status_origin_t;

typedef enum {
    PORTAL_STATUS_CERT_ISSUED = 0,
    PORTAL_STATUS_CERT_REFUSED,    /* by the CA */
    PORTAL_STATUS_CERT_PENDING,
    PORTAL_STATUS_CERT_FAILED,     /* the PKI could not be asked, or failed */
    PORTAL_STATUS_CERT_RESULTS
} portal_status_cert_t;

/* A certificate request's outcome from its result's kind. */
portal_status_cert_t portal_status_cert_result(portal_result_kind_t kind);

/* The labels' words: "enroll", "admin"; "issued", "refused", ... */
const char *portal_status_origin_name(portal_status_origin_t origin);
const char *portal_status_cert_name(portal_status_cert_t result);

/* Microseconds as seconds, exactly, without trailing zeros: "0.0025". */
void portal_status_seconds(char *buf, size_t size, uint64_t usec);

/*
 * Whether a directory's error is the directory's fault, and so counted:
 * not a wrong password, an empty one, or an account that may not log in.
 */
int portal_status_dir_error(dir_code_t code);

/* Whether a PKI's code is an error worth counting (not "ok", "pending"). */
int portal_status_pki_error(scep_code_t code);


typedef struct {
    const char            *name;
    const char            *mode;               /* push, enroll, proxy */
    uint64_t               certificates[PORTAL_STATUS_ORIGINS]
                                       [PORTAL_STATUS_CERT_RESULTS];
    uint64_t               proxy_admitted;
    uint64_t               proxy_refused;
    uint64_t               errors[SCEP_ERR_LAST];
    portal_status_hist_t   pki;

    /*
     * The CA certificate as the workers of the current configuration
     * hold it: known once one of them has tried to fetch it; fetched
     * when each holds one, not_after the earliest of theirs (Unix
     * time); last is the code of the latest attempt of any of them.
     */
    int                    ca_known;
    int                    ca_fetched;
    long long              ca_not_after;
    scep_code_t            ca_last;

    int                    key_pool;           /* the profile has one */
    uint64_t               keys;               /* ready, all workers */
} portal_status_profile_t;

typedef struct {
    const char            *url;
    int                    up;
    long long              changed;            /* Unix time */
} portal_status_server_t;

typedef struct {
    const char                    *name;
    uint64_t                       errors[DIR_ERR_LAST];
    portal_status_hist_t           latency;
    const portal_status_server_t  *servers;    /* those seen so far */
    size_t                         nservers;
} portal_status_directory_t;

typedef struct {
    const char            *name;
    uint64_t               in_flight;          /* posted, not back yet */
    uint64_t               queued;             /* of those, not started */
} portal_status_pool_t;

typedef struct {
    long long                         now;     /* Unix time */
    uint64_t                          logins[PORTAL_RESULT_KINDS];
    const portal_status_profile_t    *profiles;
    size_t                            nprofiles;
    const portal_status_directory_t  *directories;
    size_t                            ndirectories;
    const portal_status_pool_t       *pools;
    size_t                            npools;
    int                               pending_cache;  /* it exists */
    uint64_t                          pending;
} portal_status_t;


/*
 * The page, appended to out (check out->failed): in Prometheus's text
 * format (portal_status_text.c), or as JSON (portal_status_json.c).
 */
void portal_status_text(const portal_status_t *st, gp_buf_t *out);
void portal_status_json(const portal_status_t *st, gp_buf_t *out);


#endif /* PORTAL_STATUS_H */
