/*
 * The parts of scep_http and scep_challenge that need no server: URLs in
 * messages, requests refused before anything is sent, the none and fixed
 * challenges and their configuration errors.  Exchanges with real
 * servers are in tests/integration/test_challenge_pki.py.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scep/scep_challenge.h"
#include "scep/scep_http.h"


static void
profile_blank(scep_profile_t *p)
{
    memset(p, 0, sizeof(*p));
    p->name = "test";
}


static void
expect_url(const char *url, const char *shown)
{
    char  buf[128];

    scep_http_url_for_message(url, buf, sizeof(buf));
    assert_string_equal(buf, shown);
}


static void
test_url_loses_user_information(void **state)
{
    (void) state;

    expect_url("https://admin:S3cret@pki.example:8443/certsrv/?a=1",
               "https://pki.example:8443/certsrv/?a=1");
    expect_url("http://a@b:c@host/x@y", "http://host/x@y");
    expect_url("http://host/path@user", "http://host/path@user");
    expect_url("https://host?q=a@b", "https://host?q=a@b");
    expect_url("no-scheme@host/x", "no-scheme@host/x");
}


static void
test_url_control_characters_and_length(void **state)
{
    char  buf[16];

    (void) state;

    expect_url("http://h/\x01\n\x7f\xc3\xa9", "http://h/?????");

    scep_http_url_for_message("https://a-very-long-host-name.example/x",
                              buf, sizeof(buf));
    assert_string_equal(buf, "https://a-ve...");

    scep_http_url_for_message("https://short/", buf, sizeof(buf));
    assert_string_equal(buf, "https://short/");

    buf[0] = 'Z';
    scep_http_url_for_message("https://x/", buf, 0);
    assert_int_equal(buf[0], 'Z');
}


static int
exchange(const scep_profile_t *p, const char *method, const char *url,
    const char *content_type, scep_error_t *err)
{
    int                   rc;
    scep_http_request_t   req;
    scep_http_response_t  resp;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = url;
    req.content_type = content_type;
    req.username = "admin";
    req.password = "Pa55word";
    req.service = "the test service";

    scep_error_clear(err);
    memset(&resp, 0xA5, sizeof(resp));

    rc = scep_http_exchange(p, &req, &resp, err);

    if (rc != 0) {
        assert_null(resp.body);
        assert_int_equal(resp.len, 0);
        assert_int_equal(resp.status, 0);
    }

    scep_http_response_free(&resp);

    return rc;
}


static void
test_fips_refuses_http(void **state)
{
    scep_error_t    err;
    scep_profile_t  p;

    (void) state;

    profile_blank(&p);
    p.fips = 1;

    assert_int_equal(exchange(&p, "GET", "http://admin:Pa55word@127.0.0.1:9/",
                              NULL, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.field, "fips");
    assert_string_equal(err.message,
                        "FIPS mode allows only https URLs, and the test "
                        "service is at http://127.0.0.1:9/");
    assert_null(strstr(err.message, "Pa55word"));
}


static void
test_refused_before_sending(void **state)
{
    scep_error_t    err;
    scep_profile_t  p;

    (void) state;

    profile_blank(&p);

    assert_int_equal(exchange(&p, "GET", "ftp://host/x", NULL, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_non_null(strstr(err.message, "must start with http:// or "
                                        "https://"));

    assert_int_equal(exchange(&p, "GET", NULL, NULL, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.message, "the test service has no URL");

    assert_int_equal(exchange(&p, "PUT", "http://127.0.0.1:9/", NULL, &err),
                     -1);
    assert_int_equal(err.code, SCEP_ERR_INTERNAL);

    assert_int_equal(exchange(&p, "POST", "http://127.0.0.1:9/",
                              "text/plain\r\nX-Injected: 1", &err), -1);
    assert_int_equal(err.code, SCEP_ERR_INTERNAL);
    assert_non_null(strstr(err.message, "line break"));
}


/* Port 1 on loopback: nothing listens there, the kernel says so at once. */
static void
test_connection_refused(void **state)
{
    scep_error_t    err;
    scep_profile_t  p;

    (void) state;

    profile_blank(&p);
    p.connect_timeout_ms = 2000;
    p.timeout_ms = 2000;

    assert_int_equal(exchange(&p, "GET", "http://user:Pa55word@127.0.0.1:1/",
                              NULL, &err), -1);
    assert_string_equal(scep_code_name(err.code), "http_connect");
    assert_non_null(strstr(err.message, "could not connect to the test "
                                        "service at http://127.0.0.1:1/"));
    assert_null(strstr(err.message, "Pa55word"));
    assert_null(strstr(err.message, "user"));
}


static void
test_free_secret_wipes_and_frees(void **state)
{
    scep_http_response_t  resp;

    (void) state;

    memset(&resp, 0, sizeof(resp));
    scep_http_response_free_secret(&resp);
    assert_null(resp.body);

    resp.body = (unsigned char *) strdup("5C3B8E14A2D94F70");
    assert_non_null(resp.body);
    resp.len = 16;

    scep_http_response_free_secret(&resp);
    assert_null(resp.body);
    assert_int_equal(resp.len, 0);
}


static void
test_challenge_none(void **state)
{
    char            out[SCEP_CHALLENGE_MAX];
    scep_error_t    err;
    scep_profile_t  p;

    (void) state;

    profile_blank(&p);
    p.challenge = SCEP_CHALLENGE_NONE;
    p.challenge_password = "ignored";
    memset(out, 'X', sizeof(out));

    assert_int_equal(scep_challenge_obtain(&p, NULL, NULL, out,
                                           sizeof(out), &err),
                     0);
    assert_string_equal(out, "");
}


static void
test_challenge_fixed(void **state)
{
    char            out[SCEP_CHALLENGE_MAX], small[4];
    scep_error_t    err;
    scep_profile_t  p;

    (void) state;

    profile_blank(&p);
    p.challenge = SCEP_CHALLENGE_FIXED;
    p.challenge_password = "fixed-0ne";

    assert_int_equal(scep_challenge_obtain(&p, NULL, NULL, out,
                                           sizeof(out), &err),
                     0);
    assert_string_equal(out, "fixed-0ne");

    scep_error_clear(&err);
    assert_int_equal(scep_challenge_obtain(&p, NULL, NULL, small,
                                           sizeof(small), &err),
                     -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.field, "challenge_password");
    assert_string_equal(small, "");
    assert_null(strstr(err.message, "fixed-0ne"));

    p.challenge_password = NULL;
    scep_error_clear(&err);
    assert_int_equal(scep_challenge_obtain(&p, NULL, NULL, out,
                                           sizeof(out), &err),
                     -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.field, "challenge_password");
}


static void
test_challenge_dynamic_needs_url_and_account(void **state)
{
    char            out[SCEP_CHALLENGE_MAX];
    scep_error_t    err;
    scep_profile_t  p;

    (void) state;

    profile_blank(&p);
    p.challenge = SCEP_CHALLENGE_DYNAMIC;
    p.challenge_username = "admin";
    p.challenge_password = "Pa55word";

    scep_error_clear(&err);
    assert_int_equal(scep_challenge_obtain(&p, NULL, NULL, out,
                                           sizeof(out), &err),
                     -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.field, "challenge_url");

    p.challenge_url = "https://127.0.0.1:9/certsrv/mscep_admin/";
    p.challenge_username = "";
    scep_error_clear(&err);
    assert_int_equal(scep_challenge_obtain(&p, NULL, NULL, out,
                                           sizeof(out), &err),
                     -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.field, "challenge_username");

    p.challenge = (scep_challenge_type_t) 42;
    scep_error_clear(&err);
    assert_int_equal(scep_challenge_obtain(&p, NULL, NULL, out,
                                           sizeof(out), &err),
                     -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.field, "challenge");
}


/* A transport failure names the directive to look at. */
static void
test_challenge_dynamic_transport_error(void **state)
{
    char            out[SCEP_CHALLENGE_MAX];
    scep_error_t    err;
    scep_profile_t  p;

    (void) state;

    profile_blank(&p);
    p.challenge = SCEP_CHALLENGE_DYNAMIC;
    p.challenge_url = "http://127.0.0.1:1/certsrv/mscep_admin/";
    p.challenge_username = "admin";
    p.challenge_password = "Pa55word";

    scep_error_clear(&err);
    assert_int_equal(scep_challenge_obtain(&p, NULL, NULL, out,
                                           sizeof(out), &err),
                     -1);
    assert_int_equal(err.code, SCEP_ERR_HTTP_CONNECT);
    assert_string_equal(err.field, "challenge_url");
    assert_non_null(strstr(err.message, "the challenge service at "
                            "http://127.0.0.1:1/certsrv/mscep_admin/"));
    assert_string_equal(out, "");
}


static int
global_setup(void **state)
{
    (void) state;

    return scep_http_global_init(NULL);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_url_loses_user_information),
        cmocka_unit_test(test_url_control_characters_and_length),
        cmocka_unit_test(test_fips_refuses_http),
        cmocka_unit_test(test_refused_before_sending),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_free_secret_wipes_and_frees),
        cmocka_unit_test(test_challenge_none),
        cmocka_unit_test(test_challenge_fixed),
        cmocka_unit_test(test_challenge_dynamic_needs_url_and_account),
        cmocka_unit_test(test_challenge_dynamic_transport_error),
    };

    return cmocka_run_group_tests_name("http", tests, global_setup, NULL);
}
