/*
 * The NDES admin page parser, on recorded pages (tests/unit/data/ndes/,
 * read from the repository root as "make unit" runs) and on damaged or
 * unusual pages built here.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scep/scep_challenge.h"
#include "scep/scep_ndes.h"


#define NDES_DATA  "tests/unit/data/ndes/"

#define PHRASE     "The enrollment challenge password is:"


typedef struct {
    unsigned char  *data;
    size_t          len;
} page_t;


static page_t
page_load(const char *name)
{
    FILE    *f;
    long     size;
    page_t   page;
    char     path[256];

    snprintf(path, sizeof(path), NDES_DATA "%s", name);

    f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s (run from the repository root)", path);
    }

    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size > 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);

    page.len = (size_t) size;
    page.data = malloc(page.len + 1);
    assert_non_null(page.data);
    assert_int_equal(fread(page.data, 1, page.len, f), page.len);
    fclose(f);

    return page;
}


/* ASCII text as UTF-16LE, with a byte order mark when asked. */
static page_t
page_utf16le(const char *text, int bom)
{
    size_t   i, n;
    page_t   page;

    n = strlen(text);
    page.len = n * 2 + (bom ? 2 : 0);
    page.data = malloc(page.len + 1);
    assert_non_null(page.data);

    i = 0;
    if (bom) {
        page.data[i++] = 0xFF;
        page.data[i++] = 0xFE;
    }

    for (n = 0; text[n] != '\0'; n++) {
        page.data[i++] = (unsigned char) text[n];
        page.data[i++] = 0;
    }

    return page;
}


static int
parse(const unsigned char *data, size_t len, char *out, size_t outlen,
    scep_error_t *err)
{
    scep_error_clear(err);
    memset(out, 'X', outlen);

    return scep_ndes_parse(data, len, out, outlen, err);
}


static void
expect_password(const char *name, const char *password)
{
    page_t        page;
    char          out[SCEP_CHALLENGE_MAX];
    scep_error_t  err;

    page = page_load(name);

    assert_int_equal(parse(page.data, page.len, out, sizeof(out), &err), 0);
    assert_int_equal(err.code, SCEP_OK);
    assert_string_equal(out, password);

    free(page.data);
}


static void
expect_error(const unsigned char *data, size_t len, scep_code_t code,
    const char *phrase)
{
    char          out[SCEP_CHALLENGE_MAX];
    scep_error_t  err;

    assert_int_equal(parse(data, len, out, sizeof(out), &err), -1);
    assert_string_equal(scep_code_name(err.code), scep_code_name(code));
    assert_non_null(strstr(err.message, phrase));
    assert_string_equal(out, "");
}


static void
expect_text(const char *text, const char *password)
{
    char          out[SCEP_CHALLENGE_MAX];
    scep_error_t  err;

    assert_int_equal(parse((const unsigned char *) text, strlen(text), out,
                           sizeof(out), &err), 0);
    assert_string_equal(out, password);
}


static void
expect_text_error(const char *text, scep_code_t code, const char *phrase)
{
    expect_error((const unsigned char *) text, strlen(text), code, phrase);
}


static void
test_utf16le_with_bom(void **state)
{
    (void) state;
    expect_password("ok_utf16le_bom.html", "5C3B8E14A2D94F7086E1B0C23D7A9F41");
}


static void
test_utf16le_without_bom(void **state)
{
    (void) state;
    expect_password("ok_utf16le_nobom.html",
                    "E07A4D9C1B3F58A26D90C4E7B1A3F25D");
}


static void
test_utf16be_with_bom(void **state)
{
    (void) state;
    expect_password("ok_utf16be_bom.html", "0F9E2D3C4B5A69788796A5B4C3D2E1F0");
}


static void
test_utf8(void **state)
{
    (void) state;
    expect_password("ok_utf8.html", "9A8B7C6D5E4F30211203F4E5D6C7B8A9");
}


static void
test_utf8_with_bom_and_spaced_tags(void **state)
{
    (void) state;
    expect_password("ok_utf8_bom.html", "4D6A2C1E8F0B3A5D7C9E1F2A3B4C5D6E");
}


static void
test_cache_full(void **state)
{
    page_t  page;

    (void) state;

    page = page_load("cache_full.html");
    expect_error(page.data, page.len, SCEP_ERR_CHALLENGE_CACHE_FULL,
                 "password cache is full");
    free(page.data);
}


static void
test_permission(void **state)
{
    page_t  page;

    (void) state;

    page = page_load("permission.html");
    expect_error(page.data, page.len, SCEP_ERR_CHALLENGE_PERMISSION,
                 "may not enroll with SCEP");
    free(page.data);
}


static void
test_no_password(void **state)
{
    page_t  page;

    (void) state;

    page = page_load("no_password.html");
    expect_error(page.data, page.len, SCEP_ERR_CHALLENGE_NO_PASSWORD,
                 "the challenge page has no password");
    free(page.data);
}


static void
test_empty_page(void **state)
{
    (void) state;
    expect_error((const unsigned char *) "", 0,
                 SCEP_ERR_CHALLENGE_NO_PASSWORD, "has no password");
}


/* A page cut inside the password has no closing tag; cut after it, fine. */
static void
test_truncated_utf16(void **state)
{
    size_t        cut;
    char          out[SCEP_CHALLENGE_MAX];
    page_t        page, needle;
    scep_error_t  err;

    (void) state;

    page = page_load("ok_utf16le_bom.html");
    needle = page_utf16le("5C3B8E14A2D9", 0);

    cut = 0;
    while (cut + needle.len <= page.len
           && memcmp(page.data + cut, needle.data, needle.len) != 0)
    {
        cut++;
    }

    assert_true(cut + needle.len <= page.len);

    expect_error(page.data, cut + needle.len, SCEP_ERR_CHALLENGE_NO_PASSWORD,
                 "no bold value");

    /* 32 digits, a blank and "</B>": 37 code units from the start */
    assert_int_equal(parse(page.data, cut + 37 * 2, out, sizeof(out), &err),
                     0);
    assert_string_equal(out, "5C3B8E14A2D94F7086E1B0C23D7A9F41");

    /* one byte short of the '>' */
    expect_error(page.data, cut + 37 * 2 - 1, SCEP_ERR_CHALLENGE_NO_PASSWORD,
                 "no bold value");

    free(needle.data);
    free(page.data);
}


static void
test_odd_byte_count(void **state)
{
    page_t        page;
    char          out[SCEP_CHALLENGE_MAX];
    scep_error_t  err;

    (void) state;

    page = page_load("ok_utf16le_bom.html");
    page.data[page.len] = 'A';

    assert_int_equal(parse(page.data, page.len + 1, out, sizeof(out), &err),
                     0);
    assert_string_equal(out, "5C3B8E14A2D94F7086E1B0C23D7A9F41");
    free(page.data);

    page = page_load("ok_utf16le_nobom.html");
    page.data[page.len] = '\n';

    assert_int_equal(parse(page.data, page.len + 1, out, sizeof(out), &err),
                     0);
    assert_string_equal(out, "E07A4D9C1B3F58A26D90C4E7B1A3F25D");
    free(page.data);
}


static void
test_lower_case_tags(void **state)
{
    (void) state;
    expect_text("<p>" PHRASE " <b>abcDEF123</b></p>", "abcDEF123");
    expect_text("<p>" PHRASE "<B>Q1w2E3</b >", "Q1w2E3");
}


static void
test_phrase_spacing_and_case(void **state)
{
    (void) state;
    expect_text("THE ENROLLMENT  CHALLENGE\r\n\tPASSWORD&nbsp;IS: <B>77</B>",
                "77");
    expect_text("The\xc2\xa0" "enrollment challenge password is:&#160;"
                "<B>&NBSP; 0A1B &nbsp;</B>", "0A1B");
}


static void
test_tags_between_phrase_and_value(void **state)
{
    (void) state;
    expect_text(PHRASE "</FONT>\r\n<P ALIGN=\"left\"><B>F00D</B>", "F00D");
}


static void
test_text_between_phrase_and_value(void **state)
{
    (void) state;
    expect_text_error(PHRASE " unavailable <B>NOTIT</B>",
                      SCEP_ERR_CHALLENGE_NO_PASSWORD, "no bold value");
    expect_text_error(PHRASE " <BR> <B", SCEP_ERR_CHALLENGE_NO_PASSWORD,
                      "no bold value");
}


static void
test_no_closing_tag(void **state)
{
    (void) state;
    expect_text_error(PHRASE " <B> 5C3B8E14A2D94F70",
                      SCEP_ERR_CHALLENGE_NO_PASSWORD, "no bold value");
    expect_text_error(PHRASE " <B> 5C3B8E14 <I>x</I></B>",
                      SCEP_ERR_CHALLENGE_NO_PASSWORD, "no bold value");
}


static void
test_password_bounds(void **state)
{
    char  page[512], value[160];

    (void) state;

    memset(value, 'Z', 128);
    value[128] = '\0';
    snprintf(page, sizeof(page), PHRASE " <B>%s</B>", value);
    expect_text(page, value);

    memset(value, 'Z', 129);
    value[129] = '\0';
    snprintf(page, sizeof(page), PHRASE " <B>%s</B>", value);
    expect_text_error(page, SCEP_ERR_CHALLENGE_NO_PASSWORD,
                      "not 1 to 128 printable");

    expect_text_error(PHRASE " <B>  </B>", SCEP_ERR_CHALLENGE_NO_PASSWORD,
                      "not 1 to 128 printable");
    expect_text_error(PHRASE " <B>AB CD</B>", SCEP_ERR_CHALLENGE_NO_PASSWORD,
                      "not 1 to 128 printable");
    expect_text_error(PHRASE " <B>caf\xc3\xa9</B>",
                      SCEP_ERR_CHALLENGE_NO_PASSWORD,
                      "not 1 to 128 printable");
}


/* A NUL byte does not end the page early, nor pass inside a password. */
static void
test_nul_bytes(void **state)
{
    static const char  with_nul_before[] = "x\0" PHRASE " <B>AA11</B>";
    static const char  with_nul_inside[] = PHRASE " <B>AA\0" "11</B>";

    (void) state;

    {
        char          out[SCEP_CHALLENGE_MAX];
        scep_error_t  err;

        assert_int_equal(parse((const unsigned char *) with_nul_before,
                               sizeof(with_nul_before) - 1, out, sizeof(out),
                               &err), 0);
        assert_string_equal(out, "AA11");
    }

    expect_error((const unsigned char *) with_nul_inside,
                 sizeof(with_nul_inside) - 1, SCEP_ERR_CHALLENGE_NO_PASSWORD,
                 "not 1 to 128 printable");
}


/* Lone surrogates decode to U+FFFD and do not disturb the rest. */
static void
test_lone_surrogates(void **state)
{
    page_t        page;
    char          out[SCEP_CHALLENGE_MAX];
    scep_error_t  err;

    (void) state;

    page = page_utf16le("??" PHRASE " <B>BEEF</B>?", 1);

    /* a low surrogate alone, then a high one without its pair */
    page.data[2] = 0x00;
    page.data[3] = 0xDC;
    page.data[4] = 0x00;
    page.data[5] = 0xD8;

    /* a high surrogate as the very last unit */
    page.data[page.len - 2] = 0x3D;
    page.data[page.len - 1] = 0xD8;

    assert_int_equal(parse(page.data, page.len, out, sizeof(out), &err), 0);
    assert_string_equal(out, "BEEF");

    free(page.data);
}


static void
test_page_too_large(void **state)
{
    page_t          page;
    unsigned char  *big;

    (void) state;

    page = page_load("ok_utf8.html");
    big = calloc(1, SCEP_NDES_PAGE_MAX + 1);
    assert_non_null(big);
    memset(big, ' ', SCEP_NDES_PAGE_MAX + 1);
    memcpy(big, page.data, page.len);

    expect_error(big, SCEP_NDES_PAGE_MAX + 1, SCEP_ERR_HTTP_TOO_LARGE,
                 "more than the 65536 accepted");

    {
        char          out[SCEP_CHALLENGE_MAX];
        scep_error_t  err;

        assert_int_equal(parse(big, SCEP_NDES_PAGE_MAX, out, sizeof(out),
                               &err), 0);
        assert_string_equal(out, "9A8B7C6D5E4F30211203F4E5D6C7B8A9");
    }

    free(big);
    free(page.data);
}


static void
test_output_too_small(void **state)
{
    char          out[8];
    scep_error_t  err;
    const char   *text = PHRASE " <B>0123456789</B>";

    (void) state;

    assert_int_equal(parse((const unsigned char *) text, strlen(text), out,
                           sizeof(out), &err), -1);
    assert_int_equal(err.code, SCEP_ERR_INTERNAL);
    assert_string_equal(out, "");
    assert_null(strstr(err.message, "0123456789"));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_utf16le_with_bom),
        cmocka_unit_test(test_utf16le_without_bom),
        cmocka_unit_test(test_utf16be_with_bom),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_utf8_with_bom_and_spaced_tags),
        cmocka_unit_test(test_cache_full),
        cmocka_unit_test(test_permission),
        cmocka_unit_test(test_no_password),
        cmocka_unit_test(test_empty_page),
        cmocka_unit_test(test_truncated_utf16),
        cmocka_unit_test(test_odd_byte_count),
        cmocka_unit_test(test_lower_case_tags),
        cmocka_unit_test(test_phrase_spacing_and_case),
        cmocka_unit_test(test_tags_between_phrase_and_value),
        cmocka_unit_test(test_text_between_phrase_and_value),
        cmocka_unit_test(test_no_closing_tag),
        cmocka_unit_test(test_password_bounds),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_lone_surrogates),
        cmocka_unit_test(test_page_too_large),
        cmocka_unit_test(test_output_too_small),
    };

    return cmocka_run_group_tests_name("ndes", tests, NULL, NULL);
}
