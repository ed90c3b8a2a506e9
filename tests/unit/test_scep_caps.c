/*
 * GetCACaps parsing and the algorithm choice, with and without FIPS.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "scep/scep_caps.h"


#define URL  "http://pki.example/scep"


static void
test_parse_micromdm_answer(void **state)
{
    unsigned      caps;
    scep_error_t  err;
    const char   *text = "Renewal\nSHA-1\nSHA-256\nAES\nDES3\n"
                         "SCEPStandard\nPOSTPKIOperation\n";

    (void) state;

    assert_int_equal(scep_caps_parse(text, strlen(text), &caps, &err), 0);
    assert_int_equal(caps, SCEP_CAP_RENEWAL | SCEP_CAP_SHA1
                           | SCEP_CAP_SHA256 | SCEP_CAP_AES | SCEP_CAP_DES3
                           | SCEP_CAP_SCEP_STANDARD
                           | SCEP_CAP_POST_PKI_OPERATION);
}


static void
test_parse_case_crlf_blanks_unknown(void **state)
{
    unsigned      caps;
    scep_error_t  err;
    const char   *text = "  aes \r\npostpkioperation\r\nsha-512\r\n"
                         "GetNextCACert\r\nUpdate\r\nSHA-2\r\n"
                         "AESX\r\n\r\nsha-256";

    (void) state;

    assert_int_equal(scep_caps_parse(text, strlen(text), &caps, &err), 0);
    assert_int_equal(caps, SCEP_CAP_AES | SCEP_CAP_POST_PKI_OPERATION
                           | SCEP_CAP_SHA512 | SCEP_CAP_GET_NEXT_CA_CERT
                           | SCEP_CAP_SHA256);
}


static void
test_parse_nul_is_not_a_blank(void **state)
{
    unsigned      caps;
    scep_error_t  err;
    const char    text[] = "AES\0\nDES3\n";

    (void) state;

    assert_int_equal(scep_caps_parse(text, sizeof(text) - 1, &caps, &err),
                     0);
    assert_int_equal(caps, SCEP_CAP_DES3);
}


static void
test_parse_empty_and_oversized(void **state)
{
    char          big[SCEP_CAPS_MAX_LEN + 1];
    unsigned      caps;
    scep_error_t  err;

    (void) state;

    assert_int_equal(scep_caps_parse("", 0, &caps, &err), 0);
    assert_int_equal(caps, 0);

    memset(big, 'A', sizeof(big));
    assert_int_equal(scep_caps_parse(big, sizeof(big), &caps, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "4097 bytes"));
}


static void
test_format_round_trip(void **state)
{
    char          text[SCEP_CAPS_TEXT_LEN];
    size_t        len;
    unsigned      caps, all;
    scep_error_t  err;

    (void) state;

    all = SCEP_CAP_AES | SCEP_CAP_DES3 | SCEP_CAP_GET_NEXT_CA_CERT
          | SCEP_CAP_POST_PKI_OPERATION | SCEP_CAP_RENEWAL | SCEP_CAP_SHA1
          | SCEP_CAP_SHA256 | SCEP_CAP_SHA512 | SCEP_CAP_SCEP_STANDARD;

    len = scep_caps_format(all, text, sizeof(text));
    assert_int_equal(len, strlen(text));
    assert_string_equal(text, "AES\nDES3\nGetNextCACert\nPOSTPKIOperation\n"
                              "Renewal\nSHA-1\nSHA-256\nSHA-512\n"
                              "SCEPStandard\n");

    assert_int_equal(scep_caps_parse(text, len, &caps, &err), 0);
    assert_int_equal(caps, all);

    assert_int_equal(scep_caps_format(SCEP_CAP_AES | SCEP_CAP_SHA1, text, 6),
                     4);
    assert_string_equal(text, "AES\n");
}


static void
assert_choice(unsigned caps, int fips, scep_cipher_t cipher,
    scep_digest_t digest, int post)
{
    scep_algs_t   algs;
    scep_error_t  err;

    assert_int_equal(scep_caps_choose(caps, fips, URL, &algs, &err), 0);
    assert_int_equal(algs.cipher, cipher);
    assert_int_equal(algs.digest, digest);
    assert_int_equal(algs.post, post);
}


static void
test_choose(void **state)
{
    (void) state;

    assert_choice(SCEP_CAP_AES | SCEP_CAP_SHA256
                  | SCEP_CAP_POST_PKI_OPERATION, 0,
                  SCEP_CIPHER_AES_256_CBC, SCEP_DIGEST_SHA256, 1);

    /* SCEPStandard implies AES, SHA-256 and POST */
    assert_choice(SCEP_CAP_SCEP_STANDARD, 1, SCEP_CIPHER_AES_256_CBC,
                  SCEP_DIGEST_SHA256, 1);

    /* an old server: nothing announced */
    assert_choice(0, 0, SCEP_CIPHER_DES3_CBC, SCEP_DIGEST_SHA1, 0);

    assert_choice(SCEP_CAP_DES3 | SCEP_CAP_SHA1, 0, SCEP_CIPHER_DES3_CBC,
                  SCEP_DIGEST_SHA1, 0);

    /* SHA-512 alone still means SHA-256 is fine */
    assert_choice(SCEP_CAP_AES | SCEP_CAP_SHA512, 1,
                  SCEP_CIPHER_AES_256_CBC, SCEP_DIGEST_SHA256, 0);
}


static void
test_choose_fips_refusals(void **state)
{
    scep_algs_t   algs;
    scep_error_t  err;

    (void) state;

    assert_int_equal(scep_caps_choose(SCEP_CAP_DES3 | SCEP_CAP_SHA256, 1,
                                      URL, &algs, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
    assert_string_equal(err.field, "fips");
    assert_string_equal(err.message,
                        "the SCEP server " URL " does not offer AES in "
                        "GetCACaps, and FIPS mode refuses its only other "
                        "cipher, DES3");

    assert_int_equal(scep_caps_choose(SCEP_CAP_AES | SCEP_CAP_SHA1, 1, URL,
                                      &algs, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "refuses SHA-1"));
    assert_non_null(strstr(err.message, URL));
}


static void
test_algorithm_objects(void **state)
{
    (void) state;

    assert_int_equal(EVP_CIPHER_get_nid(
                         scep_cipher_evp(SCEP_CIPHER_AES_256_CBC)),
                     NID_aes_256_cbc);
    assert_int_equal(EVP_CIPHER_get_nid(
                         scep_cipher_evp(SCEP_CIPHER_DES3_CBC)),
                     NID_des_ede3_cbc);
    assert_int_equal(EVP_MD_get_type(scep_digest_evp(SCEP_DIGEST_SHA1)),
                     NID_sha1);
    assert_int_equal(EVP_MD_get_type(scep_digest_evp(SCEP_DIGEST_SHA256)),
                     NID_sha256);
    assert_int_equal(EVP_MD_get_type(scep_digest_evp(SCEP_DIGEST_SHA384)),
                     NID_sha384);
    assert_string_equal(scep_cipher_label(SCEP_CIPHER_DES3_CBC), "DES3-CBC");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse_micromdm_answer),
        cmocka_unit_test(test_parse_case_crlf_blanks_unknown),
        cmocka_unit_test(test_parse_nul_is_not_a_blank),
        cmocka_unit_test(test_parse_empty_and_oversized),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_choose_fips_refusals),
        cmocka_unit_test(test_algorithm_objects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
