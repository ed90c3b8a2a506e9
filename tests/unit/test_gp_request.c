/*
 * gp_request: form decoding, its bounds, and getconfig.esp logins.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-proto/gp_buf.h"
#include "agent-proto/gp_request.h"


/* What openconnect 9.01 posts to getconfig.esp. */
#define OPENCONNECT_BODY                                                    \
    "jnlpReady=jnlpReady&ok=Login&direct=yes&clientVer=4100&prot=https:"    \
    "&internal=no&ipv6-support=yes&clientos=Linux&os-version=linux-64"      \
    "&server=127.0.0.1&computer=vm&user=alice&passwd=pa%20ss"


static void
parse_ok(const char *body, gp_form_t *form)
{
    gp_error_t  err;

    assert_int_equal(gp_form_parse(body, strlen(body), form, &err), 0);
    assert_int_equal(err.code, GP_OK);
}


static void
parse_fails(const char *body, size_t len, gp_code_t code, const char *field)
{
    gp_form_t   form;
    gp_error_t  err;

    assert_int_equal(gp_form_parse(body, len, &form, &err), -1);
    assert_int_equal(err.code, code);
    assert_string_equal(err.field, field);
    assert_true(strlen(err.message) > 10);

    /* a failed parse leaves nothing to free */
    assert_int_equal(form.nfields, 0);
}


static void
login_fails(const char *body, gp_code_t code, const char *field,
    const char *message)
{
    gp_login_t  login;
    gp_error_t  err;

    assert_int_equal(gp_login_parse(body, strlen(body), &login, &err), -1);
    assert_int_equal(err.code, code);
    assert_string_equal(err.field, field);

    if (message != NULL) {
        assert_string_equal(err.message, message);
    }

    assert_null(login.user);
    assert_null(login.passwd);
    assert_null(login.host_id);
}


static char *
repeat(char c, size_t n)
{
    char  *s;

    s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';

    return s;
}


static void
test_form_decoding(void **state)
{
    size_t      len;
    gp_form_t   form;

    (void) state;

    parse_ok("a=x+y%20z&b=%c3%A9&c=%2B%26%3D", &form);
    assert_int_equal(form.nfields, 3);

    assert_string_equal(gp_form_get(&form, "a", &len), "x y z");
    assert_int_equal(len, 5);
    assert_string_equal(gp_form_get(&form, "b", &len), "\xc3\xa9");
    assert_int_equal(len, 2);
    assert_string_equal(gp_form_get(&form, "c", NULL), "+&=");
    assert_null(gp_form_get(&form, "d", NULL));

    gp_form_free(&form);
    assert_int_equal(form.nfields, 0);
}


static void
test_form_nul_is_kept_with_length(void **state)
{
    size_t       len;
    gp_form_t    form;
    const char  *v;

    (void) state;

    parse_ok("passwd=a%00b", &form);

    v = gp_form_get(&form, "passwd", &len);
    assert_non_null(v);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "a\0b", 4);

    gp_form_free(&form);
}


static void
test_form_bad_escapes(void **state)
{
    gp_error_t  err;
    gp_form_t   form;

    (void) state;

    parse_fails("user=%G1", 8, GP_ERR_MALFORMED, "user");
    parse_fails("ok=1&user=ab%4", 14, GP_ERR_MALFORMED, "user");
    parse_fails("user=ab%", 8, GP_ERR_MALFORMED, "user");
    parse_fails("user=%4&x=1", 11, GP_ERR_MALFORMED, "user");

    /* the length ends the body, whatever follows it in memory */
    parse_fails("user=%41", 7, GP_ERR_MALFORMED, "user");

    assert_int_equal(gp_form_parse("user=%G1", 8, &form, &err), -1);
    assert_string_equal(err.message, "the \"user\" field holds a bad percent "
                        "escape (% must be followed by two hex digits)");
    assert_int_equal(gp_code_http_status(err.code), 400);

    /* a name is never quoted: it may be a password sent without "=" */
    parse_fails("us%Zr=x", 7, GP_ERR_MALFORMED, "");
    assert_int_equal(gp_form_parse("hunter2/secret", 14, &form, &err), -1);
    assert_null(strstr(err.message, "hunter2"));
    assert_string_equal(err.field, "");
}


static void
test_form_empty_pairs(void **state)
{
    gp_form_t  form;

    (void) state;

    parse_ok("&&a=1&&b=2&", &form);
    assert_int_equal(form.nfields, 2);
    assert_string_equal(form.fields[0].name, "a");
    assert_string_equal(form.fields[1].name, "b");
    gp_form_free(&form);

    parse_ok("flag&a=", &form);
    assert_int_equal(form.nfields, 2);
    assert_string_equal(gp_form_get(&form, "flag", NULL), "");
    assert_string_equal(gp_form_get(&form, "a", NULL), "");
    gp_form_free(&form);

    parse_ok("&", &form);
    assert_int_equal(form.nfields, 0);
    gp_form_free(&form);

    assert_int_equal(gp_form_parse(NULL, 0, &form, NULL), 0);
    assert_int_equal(form.nfields, 0);

    parse_fails("=x", 2, GP_ERR_MALFORMED, "");
}


static void
test_form_duplicates_first_wins(void **state)
{
    gp_form_t  form;

    (void) state;

    parse_ok("user=alice&user=mallory&u%73er=eve", &form);
    assert_int_equal(form.nfields, 1);
    assert_string_equal(gp_form_get(&form, "user", NULL), "alice");
    gp_form_free(&form);

    /* a duplicate must still be well-formed */
    parse_fails("user=alice&user=%ZZ", 19, GP_ERR_MALFORMED, "user");
}


static void
test_form_field_count(void **state)
{
    int         i;
    gp_buf_t    b;
    gp_form_t   form;
    gp_error_t  err;

    (void) state;

    gp_buf_init(&b, 0);

    for (i = 0; i < GP_FORM_FIELDS_MAX; i++) {
        gp_buf_printf(&b, "%sf%d=%d", i ? "&" : "", i, i);
    }

    parse_ok(b.data, &form);
    assert_int_equal(form.nfields, 64);
    assert_string_equal(gp_form_get(&form, "f63", NULL), "63");
    gp_form_free(&form);

    gp_buf_add_str(&b, "&f64=64");

    assert_int_equal(gp_form_parse(b.data, b.len, &form, &err), -1);
    assert_int_equal(err.code, GP_ERR_MALFORMED);
    assert_string_equal(err.message,
                        "the request has more than 64 form fields");
    assert_int_equal(form.nfields, 0);

    gp_buf_free(&b);
}


static void
test_form_body_size(void **state)
{
    char        *body;
    gp_form_t    form;
    gp_error_t   err;

    (void) state;

    body = repeat('x', GP_BODY_MAX + 1);
    memcpy(body, "a=", 2);

    assert_int_equal(gp_form_parse(body, GP_BODY_MAX, &form, &err), 0);
    assert_int_equal(form.nfields, 1);
    assert_int_equal(form.fields[0].value_len, GP_BODY_MAX - 2);
    gp_form_free(&form);

    assert_int_equal(gp_form_parse(body, GP_BODY_MAX + 1, &form, &err), -1);
    assert_int_equal(err.code, GP_ERR_TOO_LARGE);
    assert_string_equal(err.message,
                        "the request body is larger than 65536 bytes");
    assert_int_equal(gp_code_http_status(err.code), 413);

    free(body);
}


static void
test_form_field_names(void **state)
{
    char       *name, *encoded, *body;
    size_t      i;
    gp_form_t   form;

    (void) state;

    name = repeat('n', GP_FIELD_NAME_MAX);
    body = malloc(3 * GP_FIELD_NAME_MAX + 8);
    assert_non_null(body);

    sprintf(body, "%s=1", name);
    parse_ok(body, &form);
    assert_string_equal(gp_form_get(&form, name, NULL), "1");
    gp_form_free(&form);

    sprintf(body, "%sn=1", name);
    parse_fails(body, strlen(body), GP_ERR_MALFORMED, "");

    /* sixty-four "%41": long when encoded, but 64 bytes once decoded */
    encoded = repeat('A', 3 * GP_FIELD_NAME_MAX);

    for (i = 0; i < GP_FIELD_NAME_MAX; i++) {
        memcpy(encoded + 3 * i, "%41", 3);
    }

    sprintf(body, "%s=1", encoded);
    parse_ok(body, &form);
    assert_int_equal(strlen(form.fields[0].name), GP_FIELD_NAME_MAX);
    assert_int_equal(form.fields[0].name[0], 'A');
    gp_form_free(&form);

    sprintf(body, "%s%%41=1", encoded);
    parse_fails(body, strlen(body), GP_ERR_MALFORMED, "");

    /* the allowed characters, decoded or not */
    parse_ok("Az09_.-=1&host%2Did=2", &form);
    assert_string_equal(gp_form_get(&form, "Az09_.-", NULL), "1");
    assert_string_equal(gp_form_get(&form, "host-id", NULL), "2");
    gp_form_free(&form);

    parse_fails("a+b=1", 5, GP_ERR_MALFORMED, "");
    parse_fails("a%00b=1", 7, GP_ERR_MALFORMED, "");
    parse_fails("a/b=1", 5, GP_ERR_MALFORMED, "");
    parse_fails("\xc3\xa9=1", 4, GP_ERR_MALFORMED, "");

    free(name);
    free(encoded);
    free(body);
}


static void
test_login_openconnect(void **state)
{
    gp_login_t   login;
    gp_error_t   err;
    const char  *reason;

    (void) state;

    assert_int_equal(gp_login_parse(OPENCONNECT_BODY,
                                    strlen(OPENCONNECT_BODY), &login, &err),
                     0);

    assert_string_equal(login.user, "alice");
    assert_int_equal(login.user_len, 5);
    assert_string_equal(login.passwd, "pa ss");
    assert_int_equal(login.passwd_len, 5);
    assert_string_equal(login.clientos, "Linux");
    assert_string_equal(login.os_version, "linux-64");
    assert_string_equal(login.computer, "vm");
    assert_string_equal(login.client_ver, "4100");
    assert_null(login.host_id);
    assert_null(login.udid);

    assert_true(gp_login_is_plausible(&login, &reason));
    assert_null(reason);

    gp_login_free(&login);
    assert_null(login.user);
    assert_null(login.passwd);
    assert_int_equal(login.passwd_len, 0);

    /* freeing twice is harmless */
    gp_login_free(&login);
}


static void
test_login_missing_fields(void **state)
{
    (void) state;

    login_fails("passwd=x&clientos=Linux", GP_ERR_MISSING_FIELD, "user",
                "the request has no \"user\" field");
    login_fails("user=alice", GP_ERR_MISSING_FIELD, "passwd",
                "the request has no \"passwd\" field");
    login_fails("", GP_ERR_MISSING_FIELD, "user", NULL);
    login_fails("user=%zz&passwd=x", GP_ERR_MALFORMED, "user", NULL);
}


static void
test_login_device_ids(void **state)
{
    gp_login_t   login;
    gp_error_t   err;
    const char  *body;

    (void) state;

    body = "user=bob&passwd=pw"
           "&host-id=%7B8F0C2A1E-5B7D-4C3A-9E21-0A1B2C3D4E5F%7D"
           "&udid=00:11:22:aa:BB:cc_x.y-z";

    assert_int_equal(gp_login_parse(body, strlen(body), &login, &err), 0);
    assert_string_equal(login.host_id,
                        "{8F0C2A1E-5B7D-4C3A-9E21-0A1B2C3D4E5F}");
    assert_string_equal(login.udid, "00:11:22:aa:BB:cc_x.y-z");
    gp_login_free(&login);

    login_fails("user=u&passwd=p&host-id=..%2Fx", GP_ERR_FIELD_INVALID,
                "host-id", "the \"host-id\" field may hold only letters, "
                "digits and . _ : { } -");
    login_fails("user=u&passwd=p&host-id=a+b", GP_ERR_FIELD_INVALID,
                "host-id", NULL);
    login_fails("user=u&passwd=p&host-id=%3Cx%3E", GP_ERR_FIELD_INVALID,
                "host-id", NULL);
    login_fails("user=u&passwd=p&udid=a%00b", GP_ERR_FIELD_INVALID,
                "udid", NULL);
    login_fails("user=u&passwd=p&udid=x%0A", GP_ERR_FIELD_INVALID,
                "udid", NULL);
}


/* An empty device id is no device id; the first one sent still counts. */
static void
test_login_empty_device_ids(void **state)
{
    gp_login_t  login;
    gp_error_t  err;

    (void) state;

    assert_int_equal(gp_login_parse("user=u&passwd=p&host-id=&udid=",
                                    30, &login, &err), 0);
    assert_null(login.host_id);
    assert_null(login.udid);
    assert_string_equal(login.user, "u");
    gp_login_free(&login);

    assert_int_equal(gp_login_parse("user=u&passwd=p&host-id=&host-id=h1",
                                    35, &login, &err), 0);
    assert_null(login.host_id);
    gp_login_free(&login);

    assert_int_equal(gp_login_parse("user=u&passwd=p&host-id=h1&udid=",
                                    32, &login, &err), 0);
    assert_string_equal(login.host_id, "h1");
    assert_null(login.udid);
    gp_login_free(&login);
}


static void
test_login_device_id_length(void **state)
{
    char        *id, body[300];
    gp_login_t   login;
    gp_error_t   err;

    (void) state;

    id = repeat('a', GP_HOST_ID_MAX);
    snprintf(body, sizeof(body), "user=u&passwd=p&host-id=%s", id);
    assert_int_equal(gp_login_parse(body, strlen(body), &login, &err), 0);
    assert_int_equal(strlen(login.host_id), 128);
    gp_login_free(&login);
    free(id);

    id = repeat('a', GP_HOST_ID_MAX + 1);
    snprintf(body, sizeof(body), "user=u&passwd=p&host-id=%s", id);
    login_fails(body, GP_ERR_FIELD_TOO_LONG, "host-id",
                "the \"host-id\" field is longer than 128 characters");
    snprintf(body, sizeof(body), "user=u&passwd=p&udid=%s", id);
    login_fails(body, GP_ERR_FIELD_TOO_LONG, "udid", NULL);
    free(id);
}


static void
test_login_odd_names_are_parsed(void **state)
{
    char        *user, *body;
    gp_login_t   login;
    gp_error_t   err;
    const char  *reason;

    (void) state;

    /* 5 KB of login name: parsed, then refused as bad credentials */
    user = repeat('u', 5 * 1024);
    body = malloc(strlen(user) + 32);
    assert_non_null(body);
    sprintf(body, "user=%s&passwd=secret", user);

    assert_int_equal(gp_login_parse(body, strlen(body), &login, &err), 0);
    assert_int_equal(login.user_len, 5120);
    assert_memory_equal(login.user, user, 5120);
    assert_false(gp_login_is_plausible(&login, &reason));
    assert_string_equal(reason, "the login name is longer than 256 bytes");
    gp_login_free(&login);

    /* an embedded NUL shows in the length */
    assert_int_equal(gp_login_parse("user=ad%00min&passwd=x", 22, &login,
                                    &err), 0);
    assert_int_equal(login.user_len, 6);
    assert_memory_equal(login.user, "ad\0min", 7);
    assert_false(gp_login_is_plausible(&login, &reason));
    assert_string_equal(reason, "the login name is not UTF-8 text without "
                        "control characters");
    gp_login_free(&login);

    assert_int_equal(gp_login_parse("user=&passwd=x", 14, &login, &err), 0);
    assert_non_null(login.user);
    assert_int_equal(login.user_len, 0);
    assert_false(gp_login_is_plausible(&login, &reason));
    assert_string_equal(reason, "the login name is empty");
    gp_login_free(&login);

    assert_int_equal(gp_login_parse("user=a&passwd=", 14, &login, &err), 0);
    assert_false(gp_login_is_plausible(&login, &reason));
    assert_string_equal(reason, "the password is empty");
    gp_login_free(&login);

    assert_int_equal(gp_login_parse("user=a&passwd=p%00q", 19, &login,
                                    &err), 0);
    assert_int_equal(login.passwd_len, 3);
    assert_false(gp_login_is_plausible(&login, &reason));
    assert_string_equal(reason, "the password holds a NUL byte");
    gp_login_free(&login);

    /* the content of user and passwd is not judged by the parser */
    free(body);
    free(user);

    user = repeat('p', GP_PASSWD_MAX + 1);
    body = malloc(strlen(user) + 32);
    assert_non_null(body);
    sprintf(body, "user=a%%0A&passwd=%s", user);

    assert_int_equal(gp_login_parse(body, strlen(body), &login, &err), 0);
    assert_string_equal(login.user, "a\n");
    assert_int_equal(login.passwd_len, 1025);
    assert_false(gp_login_is_plausible(&login, &reason));
    assert_string_equal(reason, "the login name is not UTF-8 text without "
                        "control characters");
    gp_login_free(&login);

    sprintf(body, "user=a&passwd=%s", user);
    assert_int_equal(gp_login_parse(body, strlen(body), &login, &err), 0);
    assert_false(gp_login_is_plausible(&login, &reason));
    assert_string_equal(reason, "the password is longer than 1024 bytes");
    gp_login_free(&login);

    free(body);
    free(user);
}


static void
test_login_other_fields(void **state)
{
    char        *value, *body;
    gp_login_t   login;
    gp_error_t   err;

    (void) state;

    value = repeat('v', GP_FIELD_MAX + 1);
    body = malloc(strlen(value) + 64);
    assert_non_null(body);

    sprintf(body, "user=u&passwd=p&computer=%s", value + 1);
    assert_int_equal(gp_login_parse(body, strlen(body), &login, &err), 0);
    assert_int_equal(strlen(login.computer), 1024);
    gp_login_free(&login);

    sprintf(body, "user=u&passwd=p&computer=%s", value);
    login_fails(body, GP_ERR_FIELD_TOO_LONG, "computer",
                "the \"computer\" field is longer than 1024 bytes");

    /* fields the portal does not use are bounded all the same */
    sprintf(body, "user=u&passwd=p&inputStr=%s", value);
    login_fails(body, GP_ERR_FIELD_TOO_LONG, "inputStr", NULL);

    login_fails("user=u&passwd=p&computer=a%0Ab", GP_ERR_FIELD_INVALID,
                "computer", "the \"computer\" field is not UTF-8 text "
                "without control characters");
    login_fails("user=u&passwd=p&os-version=%FF", GP_ERR_FIELD_INVALID,
                "os-version", NULL);
    login_fails("user=u&passwd=p&x=%C0%AF", GP_ERR_FIELD_INVALID, "x",
                NULL);
    login_fails("user=u&passwd=p&clientVer=4100%09", GP_ERR_FIELD_INVALID,
                "clientVer", NULL);

    /* non-ASCII text is fine */
    body[0] = '\0';
    strcat(body, "user=u&passwd=p&computer=J%C3%A9r%C3%B4me");
    assert_int_equal(gp_login_parse(body, strlen(body), &login, &err), 0);
    assert_string_equal(login.computer, "J\xc3\xa9r\xc3\xb4me");
    gp_login_free(&login);

    free(body);
    free(value);
}


static void
test_check_device_id(void **state)
{
    gp_error_t  err;

    (void) state;

    assert_int_equal(gp_check_device_id("udid", "Az09._:{}-", 10, 128,
                                        &err), 0);
    assert_int_equal(gp_check_device_id("udid", "abcd", 4, 3, &err), -1);
    assert_int_equal(err.code, GP_ERR_FIELD_TOO_LONG);
    assert_int_equal(gp_check_device_id("udid", "a;b", 3, 3, NULL), -1);
    assert_int_equal(gp_check_device_id("udid", "a\0b", 3, 3, NULL), -1);
}


static void
test_code_mapping(void **state)
{
    (void) state;

    assert_int_equal(gp_code_http_status(GP_OK), 200);
    assert_int_equal(gp_code_http_status(GP_ERR_MALFORMED), 400);
    assert_int_equal(gp_code_http_status(GP_ERR_MISSING_FIELD), 400);
    assert_int_equal(gp_code_http_status(GP_ERR_FIELD_TOO_LONG), 400);
    assert_int_equal(gp_code_http_status(GP_ERR_FIELD_INVALID), 400);
    assert_int_equal(gp_code_http_status(GP_ERR_TOO_LARGE), 413);
    assert_int_equal(gp_code_http_status(GP_ERR_NOMEM), 500);

    assert_string_equal(gp_code_name(GP_OK), "ok");
    assert_string_equal(gp_code_name(GP_ERR_MISSING_FIELD), "missing_field");
    assert_string_equal(gp_code_name(GP_ERR_TOO_LARGE), "too_large");
    assert_string_equal(gp_code_name((gp_code_t) 99), "unknown");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_form_decoding),
        cmocka_unit_test(test_form_nul_is_kept_with_length),
        cmocka_unit_test(test_form_bad_escapes),
        cmocka_unit_test(test_form_empty_pairs),
        cmocka_unit_test(test_form_duplicates_first_wins),
        cmocka_unit_test(test_form_field_count),
        cmocka_unit_test(test_form_body_size),
        cmocka_unit_test(test_form_field_names),
        cmocka_unit_test(test_login_openconnect),
        cmocka_unit_test(test_login_missing_fields),
        cmocka_unit_test(test_login_device_ids),
        cmocka_unit_test(test_login_empty_device_ids),
        cmocka_unit_test(test_login_device_id_length),
        cmocka_unit_test(test_login_odd_names_are_parsed),
        cmocka_unit_test(test_login_other_fields),
        cmocka_unit_test(test_check_device_id),
        cmocka_unit_test(test_code_mapping),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
