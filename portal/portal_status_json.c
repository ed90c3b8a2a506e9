/*
 * The status page as one JSON object: the same values as the text
 * format, grouped by profile, directory and thread pool, each keyed by
 * its name; histograms with cumulative buckets, as Prometheus has them.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "portal/portal_status.h"


static void portal_status_json_key(gp_buf_t *b, const char *key, int first);
static void portal_status_json_histogram(gp_buf_t *b,
    const portal_status_hist_t *h);
static void portal_status_json_profile(const portal_status_t *st,
    const portal_status_profile_t *p, gp_buf_t *b);
static void portal_status_json_directory(const portal_status_directory_t *d,
    gp_buf_t *b);


void
portal_status_json(const portal_status_t *st, gp_buf_t *b)
{
    size_t  i;

    gp_buf_printf(b, "{\"time\":%lld,\"logins\":{", st->now);

    for (i = 0; i < PORTAL_RESULT_KINDS; i++) {
        gp_buf_printf(b, "%s\"%s\":%" PRIu64, i ? "," : "",
                      portal_result_name(i), st->logins[i]);
    }

    gp_buf_add_str(b, "},\"profiles\":{");

    for (i = 0; i < st->nprofiles; i++) {
        portal_status_json_key(b, st->profiles[i].name, i == 0);
        portal_status_json_profile(st, &st->profiles[i], b);
    }

    gp_buf_add_str(b, "},\"directories\":{");

    for (i = 0; i < st->ndirectories; i++) {
        portal_status_json_key(b, st->directories[i].name, i == 0);
        portal_status_json_directory(&st->directories[i], b);
    }

    gp_buf_add_str(b, "},\"thread_pools\":{");

    for (i = 0; i < st->npools; i++) {
        portal_status_json_key(b, st->pools[i].name, i == 0);
        gp_buf_printf(b, "{\"in_flight\":%" PRIu64 ",\"queued\":%" PRIu64
                      "}", st->pools[i].in_flight, st->pools[i].queued);
    }

    gp_buf_add_str(b, "}");

    if (st->pending_cache) {
        gp_buf_printf(b, ",\"pending_requests\":%" PRIu64, st->pending);
    }

    gp_buf_add_str(b, "}\n");
}


static void
portal_status_json_profile(const portal_status_t *st,
    const portal_status_profile_t *p, gp_buf_t *b)
{
    size_t  o, r, n;

    gp_buf_add_str(b, "{\"mode\":\"");
    gp_buf_add_json_str(b, p->mode);
    gp_buf_add_str(b, "\",\"certificates\":{");

    n = 0;

    for (o = 0; o < PORTAL_STATUS_ORIGINS; o++) {
        if (o == PORTAL_STATUS_BY_ENROLL && strcmp(p->mode, "enroll") != 0) {
            continue;
        }

        gp_buf_printf(b, "%s\"%s\":{", n++ ? "," : "",
                      portal_status_origin_name(o));

        for (r = 0; r < PORTAL_STATUS_CERT_RESULTS; r++) {
            gp_buf_printf(b, "%s\"%s\":%" PRIu64, r ? "," : "",
                          portal_status_cert_name(r),
                          p->certificates[o][r]);
        }

        gp_buf_add_str(b, "}");
    }

    gp_buf_add_str(b, "}");

    if (strcmp(p->mode, "proxy") == 0) {
        gp_buf_printf(b, ",\"proxy_requests\":{\"admitted\":%" PRIu64
                      ",\"refused\":%" PRIu64 "}", p->proxy_admitted,
                      p->proxy_refused);
    }

    gp_buf_add_str(b, ",\"pki_errors\":{");

    n = 0;

    for (r = 0; r < SCEP_ERR_LAST; r++) {
        if (portal_status_pki_error(r)) {
            gp_buf_printf(b, "%s\"%s\":%" PRIu64, n++ ? "," : "",
                          scep_code_name(r), p->errors[r]);
        }
    }

    gp_buf_add_str(b, "},\"pki_duration_seconds\":");
    portal_status_json_histogram(b, &p->pki);

    gp_buf_add_str(b, ",\"ca_certificate\":");

    if (!p->ca_known) {
        gp_buf_add_str(b, "null");

    } else {
        gp_buf_printf(b, "{\"fetched\":%s,\"last_fetch\":\"%s\"",
                      p->ca_fetched ? "true" : "false",
                      scep_code_name(p->ca_last));

        if (p->ca_not_after != 0) {
            gp_buf_printf(b, ",\"not_after\":%lld,\"expiry_seconds\":%lld",
                          p->ca_not_after, p->ca_not_after - st->now);
        }

        gp_buf_add_str(b, "}");
    }

    if (p->key_pool) {
        gp_buf_printf(b, ",\"key_pool_keys\":%" PRIu64, p->keys);
    }

    gp_buf_add_str(b, "}");
}


static void
portal_status_json_directory(const portal_status_directory_t *d,
    gp_buf_t *b)
{
    size_t  i, n;

    gp_buf_add_str(b, "{\"errors\":{");

    n = 0;

    for (i = 0; i < DIR_ERR_LAST; i++) {
        if (portal_status_dir_error(i)) {
            gp_buf_printf(b, "%s\"%s\":%" PRIu64, n++ ? "," : "",
                          dir_code_name(i), d->errors[i]);
        }
    }

    gp_buf_add_str(b, "},\"duration_seconds\":");
    portal_status_json_histogram(b, &d->latency);

    gp_buf_add_str(b, ",\"servers\":{");

    for (i = 0; i < d->nservers; i++) {
        portal_status_json_key(b, d->servers[i].url, i == 0);
        gp_buf_printf(b, "{\"up\":%s,\"last_change\":%lld}",
                      d->servers[i].up ? "true" : "false",
                      d->servers[i].changed);
    }

    gp_buf_add_str(b, "}}");
}


/* Cumulative buckets, as Prometheus has them. */

static void
portal_status_json_histogram(gp_buf_t *b, const portal_status_hist_t *h)
{
    char      sum[32], le[32];
    size_t    i;
    uint64_t  total;

    total = 0;

    gp_buf_add_str(b, "{\"buckets\":{");

    for (i = 0; i <= PORTAL_STATUS_BUCKETS; i++) {
        total += h->counts[i];

        if (i == PORTAL_STATUS_BUCKETS) {
            snprintf(le, sizeof(le), "+Inf");

        } else {
            portal_status_seconds(le, sizeof(le), portal_status_bounds[i]);
        }

        gp_buf_printf(b, "%s\"%s\":%" PRIu64, i ? "," : "", le, total);
    }

    portal_status_seconds(sum, sizeof(sum), h->sum_usec);

    gp_buf_printf(b, "},\"count\":%" PRIu64 ",\"sum\":%s}", total, sum);
}


static void
portal_status_json_key(gp_buf_t *b, const char *key, int first)
{
    gp_buf_add_str(b, first ? "\"" : ",\"");
    gp_buf_add_json_str(b, key);
    gp_buf_add_str(b, "\":");
}
