/*
 * SCEP operation URLs: the query, percent-encoding, base64 for GET.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scep/scep_url.h"


static void
assert_url(const char *base, const char *op, const char *message,
    const char *expected)
{
    char          *url;
    scep_error_t   err;

    url = scep_url_operation(base, op, (const unsigned char *) message,
                             message ? strlen(message) : 0, &err);
    assert_non_null(url);
    assert_string_equal(url, expected);
    free(url);
}


static void
test_operation_urls(void **state)
{
    (void) state;

    assert_url("http://pki.example/scep", "GetCACaps", NULL,
               "http://pki.example/scep?operation=GetCACaps");

    assert_url("http://pki.example/certsrv/mscep/mscep.dll", "GetCACert",
               "Acme Issuing CA/1+x=y&z~._-",
               "http://pki.example/certsrv/mscep/mscep.dll"
               "?operation=GetCACert"
               "&message=Acme%20Issuing%20CA%2F1%2Bx%3Dy%26z~._-");

    /* a server URL with a query of its own */
    assert_url("https://pki.example/scep?tenant=7", "PKIOperation",
               "MIIB+/==",
               "https://pki.example/scep?tenant=7&operation=PKIOperation"
               "&message=MIIB%2B%2F%3D%3D");

    /* bytes above 127 and controls are encoded too */
    assert_url("http://p/s", "GetCACert", "\xc3\xa9\n",
               "http://p/s?operation=GetCACert&message=%C3%A9%0A");
}


static void
test_base64(void **state)
{
    char          *b64;
    scep_error_t   err;

    (void) state;

    b64 = scep_url_base64((const unsigned char *) "hello", 5, &err);
    assert_string_equal(b64, "aGVsbG8=");
    free(b64);

    b64 = scep_url_base64((const unsigned char *) "\xfb\xff", 2, &err);
    assert_string_equal(b64, "+/8=");
    free(b64);

    b64 = scep_url_base64((const unsigned char *) "", 0, &err);
    assert_string_equal(b64, "");
    free(b64);
}


static void
test_bounds(void **state)
{
    scep_error_t    err;
    unsigned char  *big;

    (void) state;

    big = calloc(1, SCEP_URL_OPERATION_MAX);
    assert_null(scep_url_operation("http://p/s", "PKIOperation", big,
                                   SCEP_URL_OPERATION_MAX / 3 + 1, &err));
    assert_int_equal(err.code, SCEP_ERR_INTERNAL);
    assert_non_null(strstr(err.message, "PKIOperation URL"));
    free(big);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_operation_urls),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
