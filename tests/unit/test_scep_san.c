/*
 * Subject alternative names (scep/scep_san.c): templates filled with a
 * user's values, hostile values kept inside one name of its type, and
 * the names read back from a certificate for a renewal.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/x509v3.h>

#include "scep/scep_san.h"


#define SID  "S-1-5-21-1004336348-1177238915-682003330-1105"

static const scep_subject_values_t  jdoe = {
    "jdoe", "John.Doe@corp.example.test", "host-7", NULL, SID,
    "john.doe@corp.example.test"
};


static scep_san_tpl_t *
parse(const scep_san_conf_t *conf, size_t n)
{
    scep_error_t     err;
    scep_san_tpl_t  *tpl;

    scep_error_clear(&err);
    tpl = scep_san_parse(conf, n, &err);

    if (tpl == NULL) {
        fail_msg("refused: %s", err.message);
    }

    return tpl;
}


static void
test_render_in_order(void **state)
{
    scep_sans_t       sans;
    scep_error_t      err;
    scep_san_tpl_t   *tpl;
    scep_san_conf_t   conf[] = {
        { SCEP_SAN_UPN, "$UPN" },
        { SCEP_SAN_URI, "tag:microsoft.com,2022-09-14:sid:$SID" },
        { SCEP_SAN_RFC822, "$EMAILADDRESS" },
        { SCEP_SAN_DNS, "$HOSTID.devices.example.com" },
        { SCEP_SAN_RFC822, "vpn+$USERNAME@example.com" },
        { SCEP_SAN_URI, "urn:cost:\\$5" },
    };

    (void) state;

    tpl = parse(conf, 6);
    assert_int_equal(scep_san_tokens(tpl),
                     SCEP_TOKEN_UPN | SCEP_TOKEN_SID | SCEP_TOKEN_EMAILADDRESS
                     | SCEP_TOKEN_HOSTID | SCEP_TOKEN_USERNAME);

    assert_int_equal(scep_san_render(tpl, &jdoe, &sans, &err), 0);
    assert_int_equal(sans.n, 6);
    assert_int_equal(sans.san[0].type, SCEP_SAN_UPN);
    assert_string_equal(sans.san[0].value, "john.doe@corp.example.test");
    assert_int_equal(sans.san[1].type, SCEP_SAN_URI);
    assert_string_equal(sans.san[1].value,
                        "tag:microsoft.com,2022-09-14:sid:" SID);
    assert_string_equal(sans.san[2].value, "John.Doe@corp.example.test");
    assert_string_equal(sans.san[3].value, "host-7.devices.example.com");
    assert_string_equal(sans.san[4].value, "vpn+jdoe@example.com");
    assert_string_equal(sans.san[5].value, "urn:cost:$5");

    scep_sans_free(&sans);
    assert_int_equal(sans.n, 0);

    /* no template: no names */
    assert_int_equal(scep_san_render(NULL, &jdoe, &sans, &err), 0);
    assert_int_equal(sans.n, 0);

    scep_san_tpl_free(tpl);
}


/*
 * A value can only become (part of) one name of its template's type:
 * what would make another name, or another type, is refused whole.
 */
static void
test_hostile_values(void **state)
{
    scep_sans_t            sans;
    scep_error_t           err;
    scep_san_tpl_t        *tpl;
    scep_subject_values_t  v;
    scep_san_conf_t        conf[] = {
        { SCEP_SAN_RFC822, "$USERNAME@example.com" },
        { SCEP_SAN_UPN, "$UPN" },
    };

    (void) state;

    tpl = parse(conf, 2);
    v = jdoe;

    /* a name that would smuggle a second one in text */
    v.username = "a@example.com,DNS:evil.example,email:b";
    assert_int_equal(scep_san_render(tpl, &v, &sans, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_SUBJECT);
    assert_string_equal(err.field, "subject_alt_name");
    assert_non_null(strstr(err.message, "subject_alt_name rfc822 must be an "
                           "email address"));
    assert_int_equal(sans.n, 0);

    v.username = "a b";
    assert_int_equal(scep_san_render(tpl, &v, &sans, &err), -1);

    /* a UPN holds any text: it stays one UTF8String */
    v.username = "jdoe";
    v.upn = "x,DNS:evil+CN=a\"b<c>@corp.example.test";
    assert_int_equal(scep_san_render(tpl, &v, &sans, &err), 0);
    assert_int_equal(sans.n, 2);
    assert_string_equal(sans.san[1].value, v.upn);
    scep_sans_free(&sans);

    /* control characters and broken UTF-8 never reach a name */
    v.upn = "j\ndoe@corp.example.test";
    assert_int_equal(scep_san_render(tpl, &v, &sans, &err), -1);
    assert_string_equal(err.field, "$UPN");
    v.upn = "j\xff@corp.example.test";
    assert_int_equal(scep_san_render(tpl, &v, &sans, &err), -1);
    assert_string_equal(err.field, "$UPN");

    /* no value: said, never an empty name */
    v.upn = NULL;
    assert_int_equal(scep_san_render(tpl, &v, &sans, &err), -1);
    assert_string_equal(err.field, "$UPN");
    assert_string_equal(err.message, "$UPN is used by subject_alt_name but "
                        "the user has no userPrincipalName");
    v.upn = "";
    assert_int_equal(scep_san_render(tpl, &v, &sans, &err), -1);

    scep_san_tpl_free(tpl);
}


static void
test_missing_agent_values(void **state)
{
    scep_sans_t       sans;
    scep_error_t      err;
    scep_san_tpl_t   *tpl;
    scep_san_conf_t   conf[] = { { SCEP_SAN_URI, "urn:udid:$UDID" } };

    (void) state;

    tpl = parse(conf, 1);
    assert_int_equal(scep_san_render(tpl, &jdoe, &sans, &err), -1);
    assert_string_equal(err.field, "$UDID");
    assert_string_equal(err.message, "$UDID is used by subject_alt_name but "
                        "the agent sent no UDID");
    scep_san_tpl_free(tpl);
}


static void
test_length_bound(void **state)
{
    char                  *big;
    scep_sans_t            sans;
    scep_error_t           err;
    scep_san_tpl_t        *tpl;
    scep_subject_values_t  v;
    scep_san_conf_t        conf[] = { { SCEP_SAN_URI, "urn:x:$USERNAME" } };

    (void) state;

    tpl = parse(conf, 1);
    big = malloc(SCEP_SAN_MAX_LEN);
    assert_non_null(big);
    memset(big, 'a', SCEP_SAN_MAX_LEN - 1);
    big[SCEP_SAN_MAX_LEN - 1] = '\0';

    v = jdoe;
    v.username = big;
    assert_int_equal(scep_san_render(tpl, &v, &sans, &err), -1);
    assert_string_equal(err.message, "subject_alt_name uri would be 1029 "
                        "bytes long, more than 1024");

    big[SCEP_SAN_MAX_LEN - 6] = '\0';
    assert_int_equal(scep_san_render(tpl, &v, &sans, &err), 0);
    assert_int_equal(strlen(sans.san[0].value), SCEP_SAN_MAX_LEN);
    scep_sans_free(&sans);

    free(big);
    scep_san_tpl_free(tpl);
}


/* The names of a certificate, as a renewal asks for them again. */
static void
test_names_from_a_certificate(void **state)
{
    X509            *cert;
    scep_sans_t      sans, back;
    scep_error_t     err;
    GENERAL_NAMES   *gens;

    (void) state;

    memset(&sans, 0, sizeof(sans));
    assert_int_equal(scep_sans_add(&sans, SCEP_SAN_UPN,
                                   "j\xc3\xbcrgen@corp.example.test", 25,
                                   &err), 0);
    assert_int_equal(scep_sans_add(&sans, SCEP_SAN_URI,
                                   "tag:microsoft.com,2022-09-14:sid:" SID,
                                   strlen("tag:microsoft.com,2022-09-14:sid:"
                                          SID), &err), 0);
    assert_int_equal(scep_sans_add(&sans, SCEP_SAN_DNS, "vpn.example.com",
                                   15, &err), 0);
    assert_int_equal(scep_sans_add(&sans, SCEP_SAN_RFC822,
                                   "jdoe@corp.example.test", 22, &err), 0);

    /* what scep_sans_add refuses, whoever sends it */
    assert_int_equal(scep_sans_add(&sans, SCEP_SAN_DNS, "a b", 3, &err), -1);
    assert_int_equal(scep_sans_add(&sans, SCEP_SAN_DNS, "a\0b", 3, &err),
                     -1);
    assert_int_equal(sans.n, 4);

    gens = scep_sans_encode(&sans, &err);
    assert_non_null(gens);

    cert = X509_new();
    assert_non_null(cert);
    assert_int_equal(X509_add1_ext_i2d(cert, NID_subject_alt_name, gens, 0,
                                       X509V3_ADD_DEFAULT), 1);
    GENERAL_NAMES_free(gens);

    assert_int_equal(scep_sans_from_cert(cert, &back, &err), 0);
    assert_int_equal(back.n, 4);
    assert_int_equal(back.san[0].type, SCEP_SAN_UPN);
    assert_string_equal(back.san[0].value, "j\xc3\xbcrgen@corp.example.test");
    assert_int_equal(back.san[1].type, SCEP_SAN_URI);
    assert_string_equal(back.san[1].value, sans.san[1].value);
    assert_int_equal(back.san[2].type, SCEP_SAN_DNS);
    assert_int_equal(back.san[3].type, SCEP_SAN_RFC822);

    scep_sans_free(&back);
    X509_free(cert);

    /* a certificate without the extension: no names */
    cert = X509_new();
    assert_int_equal(scep_sans_from_cert(cert, &back, &err), 0);
    assert_int_equal(back.n, 0);
    X509_free(cert);

    scep_sans_free(&sans);
}


static void
test_at_most_eight(void **state)
{
    size_t        i;
    scep_sans_t   sans;
    scep_error_t  err;

    (void) state;

    memset(&sans, 0, sizeof(sans));

    for (i = 0; i < SCEP_SANS_MAX; i++) {
        assert_int_equal(scep_sans_add(&sans, SCEP_SAN_DNS, "a.example", 9,
                                       &err), 0);
    }

    assert_int_equal(scep_sans_add(&sans, SCEP_SAN_DNS, "a.example", 9,
                                   &err), -1);
    assert_string_equal(err.message, "more than 8 subject alternative "
                        "names");
    scep_sans_free(&sans);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_render_in_order),
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test(test_missing_agent_values),
        cmocka_unit_test(test_length_bound),
        cmocka_unit_test(test_names_from_a_certificate),
        cmocka_unit_test(test_at_most_eight),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
