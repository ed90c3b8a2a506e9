/*
 * The status page's renderings (portal/portal_status.c): Prometheus's
 * text format line by line (one HELP and TYPE per family, each family's
 * samples together, cumulative buckets, exact sums, escaped label
 * values), the JSON shape, and which codes count as errors.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portal/portal_status.h"


/* A snapshot with one profile of each mode and one directory. */
typedef struct {
    portal_status_t            st;
    portal_status_profile_t    profiles[3];
    portal_status_directory_t  directory;
    portal_status_server_t     servers[2];
    portal_status_pool_t       pool;
} snapshot_t;


static void
snapshot_init(snapshot_t *s)
{
    memset(s, 0, sizeof(*s));

    s->st.now = 1700000000;
    s->st.logins[PORTAL_RESULT_SETTINGS] = 3;
    s->st.logins[PORTAL_RESULT_BAD_CREDENTIALS] = 2;
    s->st.logins[PORTAL_RESULT_ISSUED] = 1;

    s->profiles[0].name = "staff";
    s->profiles[0].mode = "enroll";
    s->profiles[0].certificates[PORTAL_STATUS_BY_ENROLL]
                               [PORTAL_STATUS_CERT_ISSUED] = 1;
    s->profiles[0].certificates[PORTAL_STATUS_BY_ADMIN]
                               [PORTAL_STATUS_CERT_REFUSED] = 4;
    s->profiles[0].errors[SCEP_ERR_HTTP_CONNECT] = 5;
    s->profiles[0].pki.counts[0] = 1;           /* <= 1 ms */
    s->profiles[0].pki.counts[3] = 2;           /* <= 10 ms */
    s->profiles[0].pki.counts[PORTAL_STATUS_BUCKETS] = 1;
    s->profiles[0].pki.sum_usec = 61002500;
    s->profiles[0].ca_known = 1;
    s->profiles[0].ca_fetched = 1;
    s->profiles[0].ca_not_after = 1700086400;
    s->profiles[0].ca_last = SCEP_OK;
    s->profiles[0].key_pool = 1;
    s->profiles[0].keys = 7;

    s->profiles[1].name = "we\"ird\\name\n";
    s->profiles[1].mode = "push";
    s->profiles[1].ca_known = 1;
    s->profiles[1].ca_last = SCEP_ERR_HTTP_CONNECT;

    s->profiles[2].name = "gate";
    s->profiles[2].mode = "proxy";
    s->profiles[2].proxy_admitted = 6;
    s->profiles[2].proxy_refused = 2;

    s->directory.name = "corp";
    s->directory.errors[DIR_ERR_UNAVAILABLE] = 9;
    s->directory.errors[DIR_ERR_BAD_CREDENTIALS] = 100;  /* never shown */
    s->directory.latency.counts[2] = 4;
    s->directory.latency.sum_usec = 12000;
    s->servers[0].url = "ldap://127.0.0.1:389";
    s->servers[0].up = 1;
    s->servers[0].changed = 1699990000;
    s->servers[1].url = "ldap://127.0.0.2:389";
    s->servers[1].up = 0;
    s->servers[1].changed = 1699999999;
    s->directory.servers = s->servers;
    s->directory.nservers = 2;

    s->pool.name = "default";
    s->pool.in_flight = 3;
    s->pool.queued = 1;

    s->st.profiles = s->profiles;
    s->st.nprofiles = 3;
    s->st.directories = &s->directory;
    s->st.ndirectories = 1;
    s->st.pools = &s->pool;
    s->st.npools = 1;
    s->st.pending_cache = 1;
    s->st.pending = 2;
}


static char *
render_text(const portal_status_t *st)
{
    size_t    len;
    gp_buf_t  b;

    gp_buf_init(&b, 0);
    portal_status_text(st, &b);
    assert_false(b.failed);

    return gp_buf_take(&b, &len);
}


static char *
render_json(const portal_status_t *st)
{
    size_t    len;
    gp_buf_t  b;

    gp_buf_init(&b, 0);
    portal_status_json(st, &b);
    assert_false(b.failed);

    return gp_buf_take(&b, &len);
}


static void
assert_line(const char *text, const char *line)
{
    const char  *p;
    size_t       len;

    len = strlen(line);

    for (p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && p[len] == '\n') {
            return;
        }
    }

    fail_msg("line \"%s\" is not in:\n%s", line, text);
}


static void
assert_no(const char *text, const char *part)
{
    if (strstr(text, part) != NULL) {
        fail_msg("\"%s\" is in:\n%s", part, text);
    }
}


/*
 * The exposition format's grouping: each family has one HELP and one
 * TYPE, before its samples, and its samples are not interleaved with
 * another family's.  A histogram's samples carry _bucket, _sum, _count.
 */
static void
assert_well_grouped(const char *text)
{
    char        family[128], seen[64][128], name[160];
    size_t      nseen, i, flen;
    const char *line, *end, *brace, *space;

    nseen = 0;
    family[0] = '\0';

    for (line = text; *line; line = end + 1) {
        end = strchr(line, '\n');
        assert_non_null(end);

        if (strncmp(line, "# HELP ", 7) == 0) {
            space = strchr(line + 7, ' ');
            assert_non_null(space);
            flen = space - (line + 7);
            assert_true(flen < sizeof(family));
            memcpy(family, line + 7, flen);
            family[flen] = '\0';

            for (i = 0; i < nseen; i++) {
                if (strcmp(seen[i], family) == 0) {
                    fail_msg("family %s appears twice", family);
                }
            }

            assert_true(nseen < 64);
            strcpy(seen[nseen++], family);

            /* the TYPE line follows */
            assert_int_equal(strncmp(end + 1, "# TYPE ", 7), 0);
            assert_int_equal(strncmp(end + 8, family, flen), 0);
            line = end + 1;
            end = strchr(line, '\n');
            continue;
        }

        assert_true(line[0] != '#');
        assert_true(family[0] != '\0');

        brace = strpbrk(line, "{ ");
        assert_non_null(brace);
        assert_true((size_t) (brace - line) < sizeof(name));
        memcpy(name, line, brace - line);
        name[brace - line] = '\0';

        flen = strlen(family);

        if (strcmp(name, family) != 0
            && !(strncmp(name, family, flen) == 0
                 && (strcmp(name + flen, "_bucket") == 0
                     || strcmp(name + flen, "_sum") == 0
                     || strcmp(name + flen, "_count") == 0)))
        {
            fail_msg("sample %s under family %s", name, family);
        }
    }
}


static void
test_bucket(void **state)
{
    (void) state;

    assert_int_equal(portal_status_bucket(0), 0);
    assert_int_equal(portal_status_bucket(1000), 0);
    assert_int_equal(portal_status_bucket(1001), 1);
    assert_int_equal(portal_status_bucket(2500), 1);
    assert_int_equal(portal_status_bucket(999999), 9);
    assert_int_equal(portal_status_bucket(1000000), 9);
    assert_int_equal(portal_status_bucket(60000000), 14);
    assert_int_equal(portal_status_bucket(60000001), PORTAL_STATUS_BUCKETS);
}


static void
test_what_counts(void **state)
{
    (void) state;

    assert_int_equal(portal_status_cert_result(PORTAL_RESULT_ISSUED),
                     PORTAL_STATUS_CERT_ISSUED);
    assert_int_equal(portal_status_cert_result(PORTAL_RESULT_PENDING),
                     PORTAL_STATUS_CERT_PENDING);
    assert_int_equal(portal_status_cert_result(PORTAL_RESULT_REFUSED),
                     PORTAL_STATUS_CERT_REFUSED);
    assert_int_equal(portal_status_cert_result(PORTAL_RESULT_BUSY),
                     PORTAL_STATUS_CERT_FAILED);
    assert_int_equal(portal_status_cert_result(PORTAL_RESULT_FAILED),
                     PORTAL_STATUS_CERT_FAILED);

    assert_false(portal_status_dir_error(DIR_OK));
    assert_false(portal_status_dir_error(DIR_ERR_BAD_CREDENTIALS));
    assert_false(portal_status_dir_error(DIR_ERR_EMPTY_PASSWORD));
    assert_false(portal_status_dir_error(DIR_ERR_ACCOUNT));
    assert_true(portal_status_dir_error(DIR_ERR_UNAVAILABLE));
    assert_true(portal_status_dir_error(DIR_ERR_TIMEOUT));
    assert_true(portal_status_dir_error(DIR_ERR_SERVICE_ACCOUNT));
    assert_false(portal_status_dir_error(DIR_ERR_LAST));

    assert_false(portal_status_pki_error(SCEP_OK));
    assert_false(portal_status_pki_error(SCEP_ERR_PENDING));
    assert_true(portal_status_pki_error(SCEP_ERR_HTTP_TIMEOUT));
    assert_true(portal_status_pki_error(SCEP_ERR_FAILURE));
    assert_false(portal_status_pki_error(SCEP_ERR_LAST));
}


static void
test_text(void **state)
{
    char        *text;
    snapshot_t   s;

    (void) state;

    snapshot_init(&s);
    text = render_text(&s.st);

    assert_well_grouped(text);

    assert_line(text, "# TYPE scep_logins_total counter");
    assert_line(text, "scep_logins_total{result=\"settings\"} 3");
    assert_line(text, "scep_logins_total{result=\"issued\"} 1");
    assert_line(text, "scep_logins_total{result=\"bad_credentials\"} 2");
    assert_line(text, "scep_logins_total{result=\"busy\"} 0");

    /* enroll mode's own only for its profile; admin for every profile */
    assert_line(text, "scep_certificates_total{profile=\"staff\","
                      "mode=\"enroll\",result=\"issued\"} 1");
    assert_line(text, "scep_certificates_total{profile=\"staff\","
                      "mode=\"admin\",result=\"refused\"} 4");
    assert_line(text, "scep_certificates_total{profile=\"gate\","
                      "mode=\"admin\",result=\"pending\"} 0");
    assert_no(text, "profile=\"gate\",mode=\"enroll\"");

    /* a label value escaped as the format wants */
    assert_line(text, "scep_certificates_total{profile=\"we\\\"ird\\\\name"
                      "\\n\",mode=\"admin\",result=\"issued\"} 0");

    assert_line(text, "scep_proxy_requests_total{profile=\"gate\","
                      "result=\"admitted\"} 6");
    assert_line(text, "scep_proxy_requests_total{profile=\"gate\","
                      "result=\"refused\"} 2");
    assert_no(text, "scep_proxy_requests_total{profile=\"staff\"");

    assert_line(text, "scep_pki_errors_total{profile=\"staff\","
                      "code=\"http_connect\"} 5");
    assert_line(text, "scep_pki_errors_total{profile=\"gate\","
                      "code=\"challenge_cache_full\"} 0");
    assert_no(text, "code=\"pending\"");
    assert_no(text, "code=\"ok\"} 0");

    /* cumulative buckets, the sum exact */
    assert_line(text, "# TYPE scep_pki_duration_seconds histogram");
    assert_line(text, "scep_pki_duration_seconds_bucket{profile=\"staff\","
                      "le=\"0.001\"} 1");
    assert_line(text, "scep_pki_duration_seconds_bucket{profile=\"staff\","
                      "le=\"0.005\"} 1");
    assert_line(text, "scep_pki_duration_seconds_bucket{profile=\"staff\","
                      "le=\"0.01\"} 3");
    assert_line(text, "scep_pki_duration_seconds_bucket{profile=\"staff\","
                      "le=\"60\"} 3");
    assert_line(text, "scep_pki_duration_seconds_bucket{profile=\"staff\","
                      "le=\"+Inf\"} 4");
    assert_line(text, "scep_pki_duration_seconds_sum{profile=\"staff\"} "
                      "61.0025");
    assert_line(text, "scep_pki_duration_seconds_count{profile=\"staff\"} 4");
    assert_line(text, "scep_pki_duration_seconds_sum{profile=\"gate\"} 0");

    /* the CA: fetched, its expiry from the snapshot's time */
    assert_line(text, "scep_ca_certificate_fetched{profile=\"staff\"} 1");
    assert_line(text, "scep_ca_certificate_expiry_seconds{profile=\"staff\"}"
                      " 86400");
    assert_line(text, "scep_ca_certificate_not_after_timestamp_seconds{"
                      "profile=\"staff\"} 1700086400");
    assert_line(text, "scep_ca_certificate_last_fetch{profile=\"staff\","
                      "code=\"ok\"} 1");
    assert_line(text, "scep_ca_certificate_fetched{profile=\"we\\\"ird\\\\"
                      "name\\n\"} 0");
    assert_line(text, "scep_ca_certificate_last_fetch{profile=\"we\\\"ird"
                      "\\\\name\\n\",code=\"http_connect\"} 1");
    assert_no(text, "scep_ca_certificate_fetched{profile=\"gate\"}");
    assert_no(text, "scep_ca_certificate_expiry_seconds{profile=\"we");

    assert_line(text, "scep_key_pool_keys{profile=\"staff\"} 7");
    assert_no(text, "scep_key_pool_keys{profile=\"gate\"}");

    /* the user's own mistakes are not the directory's errors */
    assert_line(text, "scep_directory_errors_total{directory=\"corp\","
                      "code=\"unavailable\"} 9");
    assert_line(text, "scep_directory_errors_total{directory=\"corp\","
                      "code=\"timeout\"} 0");
    assert_no(text, "code=\"bad_credentials\"");
    assert_no(text, "code=\"account\"");
    assert_line(text, "scep_directory_duration_seconds_bucket{"
                      "directory=\"corp\",le=\"0.0025\"} 0");
    assert_line(text, "scep_directory_duration_seconds_bucket{"
                      "directory=\"corp\",le=\"0.005\"} 4");
    assert_line(text, "scep_directory_duration_seconds_sum{"
                      "directory=\"corp\"} 0.012");

    assert_line(text, "scep_directory_server_up{directory=\"corp\","
                      "url=\"ldap://127.0.0.1:389\"} 1");
    assert_line(text, "scep_directory_server_up{directory=\"corp\","
                      "url=\"ldap://127.0.0.2:389\"} 0");
    assert_line(text, "scep_directory_server_last_change_timestamp_seconds{"
                      "directory=\"corp\",url=\"ldap://127.0.0.2:389\"} "
                      "1699999999");

    assert_line(text, "scep_thread_pool_jobs_in_flight{pool=\"default\"} 3");
    assert_line(text, "scep_thread_pool_jobs_queued{pool=\"default\"} 1");
    assert_line(text, "scep_pending_requests 2");

    free(text);
}


/* With nothing configured beyond a status page: the logins alone. */
static void
test_text_empty(void **state)
{
    char             *text;
    portal_status_t   st;

    (void) state;

    memset(&st, 0, sizeof(st));
    text = render_text(&st);

    assert_well_grouped(text);
    assert_line(text, "scep_logins_total{result=\"failed\"} 0");
    assert_no(text, "scep_certificates_total");
    assert_no(text, "scep_directory_");
    assert_no(text, "scep_thread_pool_");
    assert_no(text, "scep_pending_requests");

    free(text);
}


static void
test_json(void **state)
{
    char        *json;
    snapshot_t   s;

    (void) state;

    snapshot_init(&s);
    s.profiles[0].pki.counts[PORTAL_STATUS_BUCKETS] = 0;
    json = render_json(&s.st);

    assert_int_equal(strncmp(json, "{\"time\":1700000000,\"logins\":{"
                                   "\"settings\":3,\"issued\":1,", 49), 0);
    assert_non_null(strstr(json, "\"profiles\":{\"staff\":{\"mode\":"
                                 "\"enroll\",\"certificates\":{\"enroll\":{"
                                 "\"issued\":1,\"refused\":0,\"pending\":0,"
                                 "\"failed\":0},\"admin\":{\"issued\":0,"
                                 "\"refused\":4,"));
    assert_non_null(strstr(json, "\"pki_duration_seconds\":{\"buckets\":{"
                                 "\"0.001\":1,\"0.0025\":1,\"0.005\":1,"
                                 "\"0.01\":3,"));
    assert_non_null(strstr(json, "\"+Inf\":3},\"count\":3,\"sum\":61.0025}"));
    assert_non_null(strstr(json, "\"ca_certificate\":{\"fetched\":true,"
                                 "\"last_fetch\":\"ok\",\"not_after\":"
                                 "1700086400,\"expiry_seconds\":86400},"
                                 "\"key_pool_keys\":7}"));
    assert_non_null(strstr(json, "\"we\\\"ird\\\\name\\n\":{\"mode\":"
                                 "\"push\",\"certificates\":{\"admin\":{"));
    assert_non_null(strstr(json, "\"gate\":{\"mode\":\"proxy\","));
    assert_non_null(strstr(json, "\"proxy_requests\":{\"admitted\":6,"
                                 "\"refused\":2}"));
    assert_non_null(strstr(json, "\"ca_certificate\":null}"));
    assert_non_null(strstr(json, "\"directories\":{\"corp\":{\"errors\":{"
                                 "\"config\":0,\"unavailable\":9,"));
    assert_non_null(strstr(json, "\"servers\":{\"ldap://127.0.0.1:389\":{"
                                 "\"up\":true,\"last_change\":1699990000},"
                                 "\"ldap://127.0.0.2:389\":{\"up\":false,"
                                 "\"last_change\":1699999999}}}}"));
    assert_non_null(strstr(json, "\"thread_pools\":{\"default\":{"
                                 "\"in_flight\":3,\"queued\":1}},"
                                 "\"pending_requests\":2}\n"));
    assert_null(strstr(json, "bad_credentials\":100"));

    free(json);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_what_counts),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_text_empty),
        cmocka_unit_test(test_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
