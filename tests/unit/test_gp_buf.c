/*
 * gp_buf: bounded growth, and every escaper against exact expected bytes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-proto/gp_buf.h"


#define FFFD  "\xef\xbf\xbd"


typedef void (*escaper_t)(gp_buf_t *b, const char *s, size_t len);


static void
assert_escaped(escaper_t escape, const char *in, size_t len,
    const char *expected)
{
    gp_buf_t  b;

    gp_buf_init(&b, 0);
    escape(&b, in, len);

    /* nothing added leaves the buffer without data */
    assert_false(b.failed);
    assert_string_equal(b.data != NULL ? b.data : "", expected);
    assert_int_equal(b.len, strlen(expected));

    gp_buf_free(&b);
}


static void
add_xml_attr(gp_buf_t *b, const char *s, size_t len)
{
    (void) len;
    gp_buf_add_xml_attr(b, s);
}


static void
add_json(gp_buf_t *b, const char *s, size_t len)
{
    (void) len;
    gp_buf_add_json_str(b, s);
}


static void
test_add_and_printf(void **state)
{
    gp_buf_t  b;

    (void) state;

    gp_buf_init(&b, 0);
    gp_buf_add(&b, "abc", 3);
    gp_buf_add_str(&b, NULL);
    gp_buf_add_str(&b, "");
    gp_buf_printf(&b, "%d-%s", 42, "x");

    assert_false(b.failed);
    assert_string_equal(b.data, "abc42-x");
    assert_int_equal(b.len, 7);

    gp_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}


static void
test_growth_keeps_content(void **state)
{
    size_t    i;
    gp_buf_t  b;

    (void) state;

    gp_buf_init(&b, 0);

    for (i = 0; i < 5000; i++) {
        gp_buf_printf(&b, "%c", (char) ('a' + i % 26));
    }

    assert_false(b.failed);
    assert_int_equal(b.len, 5000);
    assert_true(b.cap > 5000);

    for (i = 0; i < 5000; i++) {
        assert_int_equal(b.data[i], 'a' + i % 26);
    }

    assert_int_equal(b.data[5000], '\0');

    gp_buf_free(&b);
}


static void
test_max_is_exact(void **state)
{
    char      *data;
    size_t     len;
    gp_buf_t   b;

    (void) state;

    gp_buf_init(&b, 8);
    gp_buf_add_str(&b, "12345678");
    assert_false(b.failed);
    assert_string_equal(b.data, "12345678");
    assert_true(b.cap <= 9);

    gp_buf_add_str(&b, "9");
    assert_true(b.failed);

    /* a failed buffer ignores everything after */
    gp_buf_printf(&b, "%s", "more");
    assert_int_equal(b.len, 8);

    len = 99;
    data = gp_buf_take(&b, &len);
    assert_null(data);
    assert_int_equal(len, 0);

    gp_buf_free(&b);
    assert_null(b.data);
    assert_false(b.failed);
}


static void
test_max_printf(void **state)
{
    gp_buf_t  b;

    (void) state;

    gp_buf_init(&b, 10);
    gp_buf_printf(&b, "%s", "0123456789");
    assert_false(b.failed);

    gp_buf_free(&b);

    gp_buf_init(&b, 10);
    gp_buf_printf(&b, "%s", "0123456789A");
    assert_true(b.failed);

    gp_buf_free(&b);
}


static void
test_max_applies_to_escapes(void **state)
{
    gp_buf_t  b;

    (void) state;

    /* "&" becomes five bytes: two of them do not fit in nine */
    gp_buf_init(&b, 9);
    gp_buf_add_xml_str(&b, "&&");
    assert_true(b.failed);
    gp_buf_free(&b);

    gp_buf_init(&b, 10);
    gp_buf_add_xml_str(&b, "&&");
    assert_false(b.failed);
    assert_string_equal(b.data, "&amp;&amp;");
    gp_buf_free(&b);
}


static void
test_take(void **state)
{
    char      *data;
    size_t     len;
    gp_buf_t   b;

    (void) state;

    gp_buf_init(&b, 0);
    data = gp_buf_take(&b, &len);
    assert_non_null(data);
    assert_string_equal(data, "");
    assert_int_equal(len, 0);
    free(data);

    gp_buf_add_str(&b, "hello");
    data = gp_buf_take(&b, &len);
    assert_string_equal(data, "hello");
    assert_int_equal(len, 5);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    free(data);

    /* the buffer is usable again */
    gp_buf_add_str(&b, "x");
    assert_string_equal(b.data, "x");
    gp_buf_free(&b);
}


static void
test_free_secret(void **state)
{
    gp_buf_t  b;

    (void) state;

    gp_buf_init(&b, 0);
    gp_buf_add_str(&b, "one-time-password");
    gp_buf_free_secret(&b);

    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);

    /* freeing twice, or an empty buffer, is harmless */
    gp_buf_free_secret(&b);
}


static void
test_xml_specials(void **state)
{
    (void) state;

    assert_escaped(gp_buf_add_xml, "<a href=\"x\">Tom & Jerry's</a>", 29,
                   "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s"
                   "&lt;/a&gt;");
    assert_escaped(gp_buf_add_xml, "&amp;", 5, "&amp;amp;");
    assert_escaped(gp_buf_add_xml, "plain text", 10, "plain text");
    assert_escaped(gp_buf_add_xml, "", 0, "");
}


static void
test_xml_whitespace(void **state)
{
    (void) state;

    assert_escaped(gp_buf_add_xml, "a\tb\nc\rd", 7, "a\tb\nc&#13;d");
    assert_escaped(add_xml_attr, "a\tb\nc\rd", 7, "a&#9;b&#10;c&#13;d");
    assert_escaped(add_xml_attr, "<\"'&>", 5,
                   "&lt;&quot;&apos;&amp;&gt;");
}


static void
test_xml_controls(void **state)
{
    (void) state;

    assert_escaped(gp_buf_add_xml, "a\x01" "b\x1f" "c\x7f" "d", 7,
                   "a" FFFD "b" FFFD "c" FFFD "d");

    /* C1 controls U+0080 and U+009F */
    assert_escaped(gp_buf_add_xml, "\xc2\x80\xc2\x9f", 4, FFFD FFFD);

    /* an embedded NUL, which only an explicit length can carry */
    assert_escaped(gp_buf_add_xml, "a\0b", 3, "a" FFFD "b");

    /* U+FFFE and U+FFFF are not XML characters */
    assert_escaped(gp_buf_add_xml, "\xef\xbf\xbe\xef\xbf\xbf", 6,
                   FFFD FFFD);
}


static void
test_xml_invalid_utf8(void **state)
{
    (void) state;

    /* a lone continuation byte */
    assert_escaped(gp_buf_add_xml, "x\x80y", 3, "x" FFFD "y");

    /* an overlong '/' */
    assert_escaped(gp_buf_add_xml, "\xc0\xaf", 2, FFFD FFFD);

    /* a UTF-16 surrogate, U+D800 */
    assert_escaped(gp_buf_add_xml, "\xed\xa0\x80", 3, FFFD FFFD FFFD);

    /* a truncated sequence is one replacement, what follows survives */
    assert_escaped(gp_buf_add_xml, "\xe2\x82", 2, FFFD);
    assert_escaped(gp_buf_add_xml, "\xe2\x82<", 3, FFFD "&lt;");

    /* above U+10FFFF, and a byte that never starts a character */
    assert_escaped(gp_buf_add_xml, "\xf4\x90\x80\x80", 4,
                   FFFD FFFD FFFD FFFD);
    assert_escaped(gp_buf_add_xml, "\xf5", 1, FFFD);
    assert_escaped(gp_buf_add_xml, "\xff", 1, FFFD);

    /* well-formed characters of every length are kept */
    assert_escaped(gp_buf_add_xml, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                   FFFD, 12,
                   "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" FFFD);
}


static void
test_xml_str_null(void **state)
{
    gp_buf_t  b;

    (void) state;

    gp_buf_init(&b, 0);
    gp_buf_add_xml_str(&b, NULL);
    gp_buf_add_xml_attr(&b, NULL);
    gp_buf_add_xml(&b, NULL, 5);
    gp_buf_add_json_str(&b, NULL);
    gp_buf_add_log(&b, NULL, 5, 10);

    assert_false(b.failed);
    assert_int_equal(b.len, 0);

    gp_buf_free(&b);
}


static void
test_utf8_next(void **state)
{
    uint32_t  c;

    (void) state;

    assert_int_equal(gp_utf8_next("A", 1, &c), 1);
    assert_int_equal(c, 0x41);

    assert_int_equal(gp_utf8_next("\xc3\xa9", 2, &c), 2);
    assert_int_equal(c, 0xe9);

    assert_int_equal(gp_utf8_next("\xe2\x82\xac", 3, &c), 3);
    assert_int_equal(c, 0x20ac);

    assert_int_equal(gp_utf8_next("\xf4\x8f\xbf\xbf", 4, &c), 4);
    assert_int_equal(c, 0x10ffff);

    /* the length limits the decoder, not a NUL */
    assert_int_equal(gp_utf8_next("\xe2\x82\xac", 2, &c), 2);
    assert_int_equal(c, GP_UTF8_INVALID);

    assert_int_equal(gp_utf8_next("\xe0\x80\x80", 3, &c), 1);
    assert_int_equal(c, GP_UTF8_INVALID);

    assert_int_equal(gp_utf8_next("\xf0\x9f\x98" "A", 4, &c), 3);
    assert_int_equal(c, GP_UTF8_INVALID);

    assert_int_equal(gp_utf8_next("", 0, &c), 0);
    assert_int_equal(c, GP_UTF8_INVALID);
}


static void
test_utf8_is_clean_text(void **state)
{
    (void) state;

    assert_true(gp_utf8_is_clean_text("", 0));
    assert_true(gp_utf8_is_clean_text("J\xc3\xa9r\xc3\xb4me O'Neil", 15));

    assert_false(gp_utf8_is_clean_text("a\tb", 3));
    assert_false(gp_utf8_is_clean_text("a\nb", 3));
    assert_false(gp_utf8_is_clean_text("a\0b", 3));
    assert_false(gp_utf8_is_clean_text("a\x7f", 2));
    assert_false(gp_utf8_is_clean_text("\xc2\x85", 2));
    assert_false(gp_utf8_is_clean_text("\xc0\x80", 2));
    assert_false(gp_utf8_is_clean_text("\xef\xbf\xbf", 3));
    assert_false(gp_utf8_is_clean_text("\xc3", 1));
}


static void
test_json(void **state)
{
    (void) state;

    assert_escaped(add_json, "a\"b\\c/d", 0, "a\\\"b\\\\c/d");
    assert_escaped(add_json, "\n\r\t\x01\x1f\x7f", 0,
                   "\\n\\r\\t\\u0001\\u001f\\u007f");
    assert_escaped(add_json, "\xc2\x9f|\xe2\x80\xa8|\xe2\x80\xa9", 0,
                   "\\u009f|\\u2028|\\u2029");
    assert_escaped(add_json, "x\xffy\xe2\x82", 0, "x\\ufffdy\\ufffd");
    assert_escaped(add_json, "\xc3\xa9\xf0\x9f\x98\x80", 0,
                   "\xc3\xa9\xf0\x9f\x98\x80");
}


static void
test_log(void **state)
{
    gp_buf_t  b;

    (void) state;

    gp_buf_init(&b, 0);
    gp_buf_add_log(&b, "ab\"c\\d\n\xff\xc3\xa9 ~", 12, 100);
    assert_string_equal(b.data, "ab\\\"c\\\\d\\x0a\\xff\\xc3\\xa9 ~");
    gp_buf_free(&b);

    gp_buf_init(&b, 0);
    gp_buf_add_log(&b, "a\0b", 3, 100);
    assert_string_equal(b.data, "a\\x00b");
    gp_buf_free(&b);

    /* cut at max bytes of input, not of output */
    gp_buf_init(&b, 0);
    gp_buf_add_log(&b, "\x01\x02\x03\x04", 4, 2);
    assert_string_equal(b.data, "\\x01\\x02...");
    gp_buf_free(&b);

    gp_buf_init(&b, 0);
    gp_buf_add_log(&b, "abc", 3, 3);
    assert_string_equal(b.data, "abc");
    gp_buf_free(&b);

    gp_buf_init(&b, 0);
    gp_buf_add_log(&b, "abcd", 4, 3);
    assert_string_equal(b.data, "abc...");
    gp_buf_free(&b);
}


static void
test_text_printable(void **state)
{
    char  text[] = "line\nbreak\r\ttab\x1b[31m\x7f caf\xc3\xa9";

    (void) state;

    gp_text_printable(text);

    /* control characters go, UTF-8 stays */
    assert_string_equal(text, "line?break??tab?[31m? caf\xc3\xa9");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_add_and_printf),
        cmocka_unit_test(test_growth_keeps_content),
        cmocka_unit_test(test_max_is_exact),
        cmocka_unit_test(test_max_printf),
        cmocka_unit_test(test_max_applies_to_escapes),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_free_secret),
        cmocka_unit_test(test_xml_specials),
        cmocka_unit_test(test_xml_whitespace),
        cmocka_unit_test(test_xml_controls),
        cmocka_unit_test(test_xml_invalid_utf8),
        cmocka_unit_test(test_xml_str_null),
        cmocka_unit_test(test_utf8_next),
        cmocka_unit_test(test_utf8_is_clean_text),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_text_printable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
