/*
 * The status page in Prometheus's text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): each
 * family's HELP and TYPE, then its samples.  Counters are pre-initialised:
 * every label value that can occur is shown, with 0 until it happens, so
 * that rates work from the start.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "portal/portal_status.h"


/* Families shown only for the profiles that have something to show. */
typedef enum {
    PORTAL_STATUS_HAS_CA = 0,
    PORTAL_STATUS_HAS_NOT_AFTER,
    PORTAL_STATUS_HAS_KEY_POOL,
    PORTAL_STATUS_HAS_PROXY
} portal_status_has_t;


/* One sample's labels: up to three name="value" pairs. */
typedef struct {
    const char  *name[3];
    const char  *value[3];
    size_t       n;
} portal_status_labels_t;


static void portal_status_family(gp_buf_t *b, const char *name,
    const char *type, const char *help);
static void portal_status_sample(gp_buf_t *b, const char *name,
    const portal_status_labels_t *l, const char *value);
static void portal_status_u64(gp_buf_t *b, const char *name,
    const portal_status_labels_t *l, uint64_t value);
static void portal_status_label_value(gp_buf_t *b, const char *s);
static void portal_status_histogram(gp_buf_t *b, const char *name,
    const portal_status_labels_t *l, const portal_status_hist_t *h);
static void portal_status_text_profiles(const portal_status_t *st,
    gp_buf_t *b);
static size_t portal_status_count(const portal_status_t *st,
    portal_status_has_t what);
static void portal_status_text_ca(const portal_status_t *st, gp_buf_t *b);
static void portal_status_text_directories(const portal_status_t *st,
    gp_buf_t *b);
static void portal_status_text_pools(const portal_status_t *st,
    gp_buf_t *b);


void
portal_status_text(const portal_status_t *st, gp_buf_t *b)
{
    size_t                  i;
    portal_status_labels_t  l;

    portal_status_family(b, "scep_logins_total", "counter",
        "Logins to the portal by outcome, the words of $scep_result.");

    l.name[0] = "result";
    l.n = 1;

    for (i = 0; i < PORTAL_RESULT_KINDS; i++) {
        l.value[0] = portal_result_name(i);
        portal_status_u64(b, "scep_logins_total", &l, st->logins[i]);
    }

    portal_status_text_profiles(st, b);
    portal_status_text_ca(st, b);
    portal_status_text_directories(st, b);
    portal_status_text_pools(st, b);

    if (st->pending_cache) {
        portal_status_family(b, "scep_pending_requests", "gauge",
            "Enrollments the CA left pending, kept in scep_pending_cache "
            "for the user's next login.");
        portal_status_u64(b, "scep_pending_requests", NULL, st->pending);
    }
}


static void
portal_status_text_profiles(const portal_status_t *st, gp_buf_t *b)
{
    size_t                          i, o, r;
    portal_status_labels_t          l;
    const portal_status_profile_t  *p;

    if (st->nprofiles == 0) {
        return;
    }

    portal_status_family(b, "scep_certificates_total", "counter",
        "Certificates the portal asked the CA for, by profile, by who "
        "asked (enroll: a login in enroll mode; admin: scep_admin) and "
        "by outcome.");

    l.name[0] = "profile";
    l.name[1] = "mode";
    l.name[2] = "result";
    l.n = 3;

    for (i = 0; i < st->nprofiles; i++) {
        p = &st->profiles[i];
        l.value[0] = p->name;

        for (o = 0; o < PORTAL_STATUS_ORIGINS; o++) {
            if (o == PORTAL_STATUS_BY_ENROLL
                && strcmp(p->mode, "enroll") != 0)
            {
                continue;
            }

            l.value[1] = portal_status_origin_name(o);

            for (r = 0; r < PORTAL_STATUS_CERT_RESULTS; r++) {
                l.value[2] = portal_status_cert_name(r);
                portal_status_u64(b, "scep_certificates_total", &l,
                                  p->certificates[o][r]);
            }
        }
    }

    if (portal_status_count(st, PORTAL_STATUS_HAS_PROXY)) {
        portal_status_family(b, "scep_proxy_requests_total", "counter",
            "SCEP requests of agents at a scep_proxy gate, by profile: "
            "admitted (with a valid ticket) or refused.");

        l.name[1] = "result";
        l.n = 2;

        for (i = 0; i < st->nprofiles; i++) {
            p = &st->profiles[i];

            if (strcmp(p->mode, "proxy") == 0) {
                l.value[0] = p->name;
                l.value[1] = "admitted";
                portal_status_u64(b, "scep_proxy_requests_total", &l,
                                  p->proxy_admitted);
                l.value[1] = "refused";
                portal_status_u64(b, "scep_proxy_requests_total", &l,
                                  p->proxy_refused);
            }
        }
    }

    portal_status_family(b, "scep_pki_errors_total", "counter",
        "Failures of the PKI (challenge service, SCEP service) in logins "
        "and scep_admin requests, by profile and SCEP error code.");

    l.name[1] = "code";
    l.n = 2;

    for (i = 0; i < st->nprofiles; i++) {
        l.value[0] = st->profiles[i].name;

        for (r = 0; r < SCEP_ERR_LAST; r++) {
            if (portal_status_pki_error(r)) {
                l.value[1] = scep_code_name(r);
                portal_status_u64(b, "scep_pki_errors_total", &l,
                                  st->profiles[i].errors[r]);
            }
        }
    }

    portal_status_family(b, "scep_pki_duration_seconds", "histogram",
        "Time the PKI took for a login or a scep_admin request: the "
        "challenge and the SCEP transaction.");

    l.n = 1;

    for (i = 0; i < st->nprofiles; i++) {
        l.value[0] = st->profiles[i].name;
        portal_status_histogram(b, "scep_pki_duration_seconds", &l,
                                &st->profiles[i].pki);
    }
}


/* How many profiles have something to show in a family. */

static size_t
portal_status_count(const portal_status_t *st, portal_status_has_t what)
{
    size_t                          i, n;
    const portal_status_profile_t  *p;

    n = 0;

    for (i = 0; i < st->nprofiles; i++) {
        p = &st->profiles[i];

        switch (what) {
        case PORTAL_STATUS_HAS_CA:
            n += p->ca_known != 0;
            break;
        case PORTAL_STATUS_HAS_NOT_AFTER:
            n += p->ca_known && p->ca_not_after != 0;
            break;
        case PORTAL_STATUS_HAS_KEY_POOL:
            n += p->key_pool != 0;
            break;
        case PORTAL_STATUS_HAS_PROXY:
            n += strcmp(p->mode, "proxy") == 0;
            break;
        }
    }

    return n;
}


static void
portal_status_text_ca(const portal_status_t *st, gp_buf_t *b)
{
    size_t                          i;
    char                            value[32];
    portal_status_labels_t          l;
    const portal_status_profile_t  *p;

    l.name[0] = "profile";
    l.name[1] = "code";
    l.n = 1;

    if (portal_status_count(st, PORTAL_STATUS_HAS_CA)) {
        portal_status_family(b, "scep_ca_certificate_fetched", "gauge",
            "Whether every worker holds the profile's CA certificate "
            "(GetCACert succeeded): 1, or 0.");

        for (i = 0; i < st->nprofiles; i++) {
            p = &st->profiles[i];

            if (p->ca_known) {
                l.value[0] = p->name;
                portal_status_u64(b, "scep_ca_certificate_fetched", &l,
                                  p->ca_fetched ? 1 : 0);
            }
        }
    }

    if (portal_status_count(st, PORTAL_STATUS_HAS_NOT_AFTER)) {
        portal_status_family(b, "scep_ca_certificate_expiry_seconds",
            "gauge", "Seconds until the notAfter of the profile's CA "
            "certificate (the earliest the workers hold); negative once "
            "it has expired.");

        for (i = 0; i < st->nprofiles; i++) {
            p = &st->profiles[i];

            if (p->ca_known && p->ca_not_after != 0) {
                l.value[0] = p->name;
                snprintf(value, sizeof(value), "%lld",
                         p->ca_not_after - st->now);
                portal_status_sample(b, "scep_ca_certificate_expiry_seconds",
                                     &l, value);
            }
        }

        portal_status_family(b,
            "scep_ca_certificate_not_after_timestamp_seconds", "gauge",
            "The notAfter of the profile's CA certificate (the earliest "
            "the workers hold), as a Unix time.");

        for (i = 0; i < st->nprofiles; i++) {
            p = &st->profiles[i];

            if (p->ca_known && p->ca_not_after != 0) {
                l.value[0] = p->name;
                snprintf(value, sizeof(value), "%lld", p->ca_not_after);
                portal_status_sample(b,
                    "scep_ca_certificate_not_after_timestamp_seconds", &l,
                    value);
            }
        }
    }

    if (portal_status_count(st, PORTAL_STATUS_HAS_CA)) {
        portal_status_family(b, "scep_ca_certificate_last_fetch", "gauge",
            "The outcome of the latest attempt of any worker to fetch the "
            "profile's CA certificate: code is ok, or the SCEP error "
            "code; the value is always 1.");

        l.n = 2;

        for (i = 0; i < st->nprofiles; i++) {
            p = &st->profiles[i];

            if (p->ca_known) {
                l.value[0] = p->name;
                l.value[1] = scep_code_name(p->ca_last);
                portal_status_u64(b, "scep_ca_certificate_last_fetch", &l, 1);
            }
        }

        l.n = 1;
    }

    if (portal_status_count(st, PORTAL_STATUS_HAS_KEY_POOL)) {
        portal_status_family(b, "scep_key_pool_keys", "gauge",
            "Keys generated ahead for the profile's enrollments and ready, "
            "all workers together.");

        for (i = 0; i < st->nprofiles; i++) {
            p = &st->profiles[i];

            if (p->key_pool) {
                l.value[0] = p->name;
                portal_status_u64(b, "scep_key_pool_keys", &l, p->keys);
            }
        }
    }
}


static void
portal_status_text_directories(const portal_status_t *st, gp_buf_t *b)
{
    size_t                            i, j, servers;
    char                              value[32];
    portal_status_labels_t            l;
    const portal_status_directory_t  *d;

    if (st->ndirectories == 0) {
        return;
    }

    portal_status_family(b, "scep_directory_errors_total", "counter",
        "Failures of the directory in logins, by directory and error "
        "code; a user's wrong password is not one.");

    l.name[0] = "directory";
    l.name[1] = "code";
    l.n = 2;

    for (i = 0; i < st->ndirectories; i++) {
        d = &st->directories[i];
        l.value[0] = d->name;

        for (j = 0; j < DIR_ERR_LAST; j++) {
            if (portal_status_dir_error(j)) {
                l.value[1] = dir_code_name(j);
                portal_status_u64(b, "scep_directory_errors_total", &l,
                                  d->errors[j]);
            }
        }
    }

    portal_status_family(b, "scep_directory_duration_seconds", "histogram",
        "Time the directory took for a login: the user's search and "
        "bind, groups and mail.");

    l.n = 1;

    for (i = 0; i < st->ndirectories; i++) {
        l.value[0] = st->directories[i].name;
        portal_status_histogram(b, "scep_directory_duration_seconds", &l,
                                &st->directories[i].latency);
    }

    servers = 0;

    for (i = 0; i < st->ndirectories; i++) {
        servers += st->directories[i].nservers;
    }

    if (servers == 0) {
        return;
    }

    l.name[1] = "url";
    l.n = 2;

    portal_status_family(b, "scep_directory_server_up", "gauge",
        "Whether a directory server answered the latest attempt of any "
        "worker to connect to it: 1, or 0; a server is shown once tried.");

    for (i = 0; i < st->ndirectories; i++) {
        d = &st->directories[i];
        l.value[0] = d->name;

        for (j = 0; j < d->nservers; j++) {
            l.value[1] = d->servers[j].url;
            portal_status_u64(b, "scep_directory_server_up", &l,
                              d->servers[j].up ? 1 : 0);
        }
    }

    portal_status_family(b,
        "scep_directory_server_last_change_timestamp_seconds", "gauge",
        "When a directory server's state last changed, as a Unix time.");

    for (i = 0; i < st->ndirectories; i++) {
        d = &st->directories[i];
        l.value[0] = d->name;

        for (j = 0; j < d->nservers; j++) {
            l.value[1] = d->servers[j].url;
            snprintf(value, sizeof(value), "%lld", d->servers[j].changed);
            portal_status_sample(b,
                "scep_directory_server_last_change_timestamp_seconds", &l,
                value);
        }
    }
}


static void
portal_status_text_pools(const portal_status_t *st, gp_buf_t *b)
{
    size_t                  i;
    portal_status_labels_t  l;

    if (st->npools == 0) {
        return;
    }

    l.name[0] = "pool";
    l.n = 1;

    portal_status_family(b, "scep_thread_pool_jobs_in_flight", "gauge",
        "The portal's jobs on an nginx thread pool: posted and not back "
        "on the event loop yet, all workers together.");

    for (i = 0; i < st->npools; i++) {
        l.value[0] = st->pools[i].name;
        portal_status_u64(b, "scep_thread_pool_jobs_in_flight", &l,
                          st->pools[i].in_flight);
    }

    portal_status_family(b, "scep_thread_pool_jobs_queued", "gauge",
        "Of the jobs in flight, those waiting in the pool's queue: posted "
        "and not yet started by a thread.");

    for (i = 0; i < st->npools; i++) {
        l.value[0] = st->pools[i].name;
        portal_status_u64(b, "scep_thread_pool_jobs_queued", &l,
                          st->pools[i].queued);
    }
}


static void
portal_status_family(gp_buf_t *b, const char *name, const char *type,
    const char *help)
{
    /* our help texts need no escaping: no backslash, no newline */
    gp_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}


static void
portal_status_sample(gp_buf_t *b, const char *name,
    const portal_status_labels_t *l, const char *value)
{
    size_t  i;

    gp_buf_add_str(b, name);

    if (l != NULL && l->n > 0) {
        gp_buf_add_str(b, "{");

        for (i = 0; i < l->n; i++) {
            gp_buf_printf(b, "%s%s=\"", i ? "," : "", l->name[i]);
            portal_status_label_value(b, l->value[i]);
            gp_buf_add_str(b, "\"");
        }

        gp_buf_add_str(b, "}");
    }

    gp_buf_printf(b, " %s\n", value);
}


static void
portal_status_u64(gp_buf_t *b, const char *name,
    const portal_status_labels_t *l, uint64_t value)
{
    char  text[24];

    snprintf(text, sizeof(text), "%" PRIu64, value);
    portal_status_sample(b, name, l, text);
}


/* A label's value: backslash, double quote and line feed escaped. */

static void
portal_status_label_value(gp_buf_t *b, const char *s)
{
    const char  *p;

    for (p = s; *p; p++) {
        switch (*p) {
        case '\\':
            gp_buf_add_str(b, "\\\\");
            break;
        case '"':
            gp_buf_add_str(b, "\\\"");
            break;
        case '\n':
            gp_buf_add_str(b, "\\n");
            break;
        default:
            gp_buf_add(b, p, 1);
            break;
        }
    }
}


static void
portal_status_histogram(gp_buf_t *b, const char *name,
    const portal_status_labels_t *l, const portal_status_hist_t *h)
{
    char                    metric[128], le[32];
    size_t                  i;
    uint64_t                total;
    portal_status_labels_t  bl;

    bl = *l;
    bl.name[bl.n] = "le";
    bl.value[bl.n] = le;
    bl.n++;

    snprintf(metric, sizeof(metric), "%s_bucket", name);
    total = 0;

    for (i = 0; i <= PORTAL_STATUS_BUCKETS; i++) {
        total += h->counts[i];

        if (i == PORTAL_STATUS_BUCKETS) {
            snprintf(le, sizeof(le), "+Inf");

        } else {
            portal_status_seconds(le, sizeof(le), portal_status_bounds[i]);
        }

        portal_status_u64(b, metric, &bl, total);
    }

    snprintf(metric, sizeof(metric), "%s_sum", name);
    portal_status_seconds(le, sizeof(le), h->sum_usec);
    portal_status_sample(b, metric, l, le);

    snprintf(metric, sizeof(metric), "%s_count", name);
    portal_status_u64(b, metric, l, total);
}
