/*
 * Subject templates: parsing, rendering hostile user values, and the
 * exact RFC 2253 text OpenSSL prints for what was built.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "scep/scep_subject.h"


#define TEXT_MAX  2048


typedef struct {
    const char  *tpl;
    size_t       rdns;
    unsigned     tokens;
    const char  *text;      /* RFC 2253, with the standard values below */
} good_tpl_t;

typedef struct {
    const char  *tpl;
    const char  *message;   /* exact, or a prefix when prefix is set */
    int          prefix;
} bad_tpl_t;


static const scep_subject_values_t  std_values = {
    "bob", "bob@example.com", "h1", "u1", "S-1-5-21-1-2-3-1105",
    "bob@corp.example"
};


static scep_subject_tpl_t *
parse_ok(const char *text)
{
    scep_error_t         err;
    scep_subject_tpl_t  *tpl;

    scep_error_clear(&err);
    tpl = scep_subject_parse(text, &err);

    if (tpl == NULL) {
        fail_msg("template \"%s\" refused: %s", text, err.message);
    }

    return tpl;
}


static void
render_text(const scep_subject_tpl_t *tpl,
    const scep_subject_values_t *values, char *text)
{
    X509_NAME     *name;
    scep_error_t   err;

    scep_error_clear(&err);
    name = scep_subject_render(tpl, values, &err);

    if (name == NULL) {
        fail_msg("render refused: [%s] %s", err.field, err.message);
    }

    assert_true(scep_name_to_text(name, text, TEXT_MAX) > 0);
    X509_NAME_free(name);
}


/*
 * Renders "O=acme,CN=$USERNAME" with one user value and checks the name
 * structurally: two RDNs, O first with "acme", exactly one CN whose bytes
 * are the value's, and the exact RFC 2253 text.
 */
static void
assert_cn_value(const char *value, const char *expect)
{
    int                   i, cns;
    char                  text[TEXT_MAX];
    X509_NAME            *name;
    scep_error_t          err;
    ASN1_STRING          *data;
    X509_NAME_ENTRY      *e;
    scep_subject_tpl_t   *tpl;
    scep_subject_values_t  values = { NULL, NULL, NULL, NULL, NULL, NULL };

    tpl = parse_ok("O=acme,CN=$USERNAME");
    values.username = value;

    scep_error_clear(&err);
    name = scep_subject_render(tpl, &values, &err);

    if (name == NULL) {
        fail_msg("value \"%s\" refused: %s", value, err.message);
    }

    assert_int_equal(X509_NAME_entry_count(name), 2);

    e = X509_NAME_get_entry(name, 0);
    assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)),
                     NID_organizationName);
    data = X509_NAME_ENTRY_get_data(e);
    assert_int_equal(ASN1_STRING_length(data), 4);
    assert_memory_equal(ASN1_STRING_get0_data(data), "acme", 4);

    cns = 0;

    for (i = 0; i < X509_NAME_entry_count(name); i++) {
        e = X509_NAME_get_entry(name, i);

        if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) != NID_commonName) {
            continue;
        }

        cns++;
        data = X509_NAME_ENTRY_get_data(e);
        assert_int_equal(ASN1_STRING_length(data), strlen(value));
        assert_memory_equal(ASN1_STRING_get0_data(data), value,
                            strlen(value));
    }

    assert_int_equal(cns, 1);

    /* one RDN per entry: nothing was joined into a multi-valued RDN */
    assert_int_equal(X509_NAME_ENTRY_set(X509_NAME_get_entry(name, 1)), 1);

    assert_int_equal(scep_name_to_text(name, text, sizeof(text)),
                     strlen(expect));
    assert_string_equal(text, expect);

    X509_NAME_free(name);
    scep_subject_free(tpl);
}


static void
assert_cn_refused(const scep_subject_values_t *values, const char *tpl_text,
    const char *field, const char *message)
{
    X509_NAME           *name;
    scep_error_t         err;
    scep_subject_tpl_t  *tpl;

    tpl = parse_ok(tpl_text);

    scep_error_clear(&err);
    name = scep_subject_render(tpl, values, &err);

    assert_null(name);
    assert_int_equal(err.code, SCEP_ERR_SUBJECT);
    assert_string_equal(err.field, field);
    assert_string_equal(err.message, message);

    scep_subject_free(tpl);
}


static void
assert_username_refused(const char *value, const char *message)
{
    scep_subject_values_t  values = { NULL, "e@x", "h", "u", NULL, NULL };

    values.username = value;
    assert_cn_refused(&values, "O=acme,CN=$USERNAME", "$USERNAME", message);
}


static char *
repeat(const char *unit, size_t n)
{
    char    *s;
    size_t   i, len;

    len = strlen(unit);
    s = malloc(len * n + 1);
    assert_non_null(s);

    for (i = 0; i < n; i++) {
        memcpy(s + i * len, unit, len);
    }

    s[len * n] = '\0';

    return s;
}


static char *
concat(const char *a, const char *b)
{
    char  *s;

    s = malloc(strlen(a) + strlen(b) + 1);
    assert_non_null(s);
    strcpy(s, a);
    strcat(s, b);

    return s;
}


static char *
concat3(const char *a, const char *b, const char *c)
{
    char  *ab, *s;

    ab = concat(a, b);
    s = concat(ab, c);
    free(ab);

    return s;
}


static void
test_hostile_values_stay_in_cn(void **state)
{
    (void) state;

    assert_cn_value("a,O=evil", "CN=a\\,O=evil,O=acme");
    assert_cn_value("x+CN=admin", "CN=x\\+CN=admin,O=acme");
    assert_cn_value("\\", "CN=\\\\,O=acme");
    assert_cn_value("\"", "CN=\\\",O=acme");
    assert_cn_value("#lead", "CN=\\#lead,O=acme");
    assert_cn_value(" lead", "CN=\\ lead,O=acme");
    assert_cn_value("trail ", "CN=trail\\ ,O=acme");
    assert_cn_value("<>;=", "CN=\\<\\>\\;=,O=acme");
    assert_cn_value("CN=root", "CN=CN=root,O=acme");
    assert_cn_value("$HOSTID", "CN=$HOSTID,O=acme");
}


static void
test_utf8_counts_code_points(void **state)
{
    char  *s, *expect, *cyr;

    (void) state;

    assert_cn_value("J\xc3\xbcrgen", "CN=J\\C3\\BCrgen,O=acme");

    /* 64 Cyrillic letters: 128 bytes, 64 characters, accepted */
    cyr = repeat("\xd0\x96", 64);
    s = repeat("\\D0\\96", 64);
    expect = concat3("CN=", s, ",O=acme");

    assert_int_equal(strlen(cyr), 128);
    assert_cn_value(cyr, expect);

    free(cyr);
    free(s);
    free(expect);

    cyr = repeat("\xd0\x96", 65);
    assert_username_refused(cyr, "the subject's CN would be 65 characters "
                                 "long; RFC 5280 allows at most 64");
    free(cyr);

    /* four-byte characters count once each */
    cyr = repeat("\xf0\x9f\x94\x91", 64);
    assert_int_equal(strlen(cyr), 256);
    s = repeat("\\F0\\9F\\94\\91", 64);
    expect = concat3("CN=", s, ",O=acme");
    assert_cn_value(cyr, expect);
    free(cyr);
    free(s);
    free(expect);
}


static void
test_cn_length_limit(void **state)
{
    char  *s, *expect;

    (void) state;

    s = repeat("a", 64);
    expect = concat3("CN=", s, ",O=acme");
    assert_cn_value(s, expect);
    free(s);
    free(expect);

    s = repeat("a", 65);
    assert_username_refused(s, "the subject's CN would be 65 characters "
                               "long; RFC 5280 allows at most 64");
    free(s);

    /* 10 KB: refused before anything is counted */
    s = repeat("a", 10240);
    assert_username_refused(s, "$USERNAME is longer than 1024 bytes");
    free(s);

    s = repeat("a", 1024);
    assert_username_refused(s, "the subject's CN would be 1024 characters "
                               "long; RFC 5280 allows at most 64");
    free(s);
}


static void
test_cn_length_counts_text_and_every_token(void **state)
{
    char                   text[TEXT_MAX];
    char                  *user;
    scep_subject_tpl_t    *tpl;
    scep_subject_values_t  values = { NULL, NULL, "abcdef", NULL, NULL, NULL };

    (void) state;

    /* "vpn-" (4) + 53 + "-" (1) + 6 = 64 */
    user = repeat("u", 53);
    values.username = user;

    tpl = parse_ok("CN=vpn-$USERNAME-$HOSTID");
    render_text(tpl, &values, text);
    assert_int_equal(strlen(text), 3 + 64);
    scep_subject_free(tpl);
    free(user);

    /* one more: the longest value is blamed */
    user = repeat("u", 54);
    values.username = user;
    assert_cn_refused(&values, "CN=vpn-$USERNAME-$HOSTID", "$USERNAME",
                      "the subject's CN would be 65 characters long; "
                      "RFC 5280 allows at most 64");
    free(user);

    values.username = "bob";
    values.hostid = user = repeat("h", 70);
    assert_cn_refused(&values, "CN=vpn-$USERNAME-$HOSTID", "$HOSTID",
                      "the subject's CN would be 78 characters long; "
                      "RFC 5280 allows at most 64");
    free(user);
}


static void
test_bad_user_values(void **state)
{
    (void) state;

    assert_username_refused("a\nb", "$USERNAME contains the control "
                                    "character U+000A (at byte 2)");
    assert_username_refused("\x01", "$USERNAME contains the control "
                                    "character U+0001 (at byte 1)");
    assert_username_refused("a\x7f", "$USERNAME contains the control "
                                     "character U+007F (at byte 2)");
    assert_username_refused("a\xc2\x85", "$USERNAME contains the control "
                                         "character U+0085 (at byte 2)");

    /* ill-formed UTF-8 */
    assert_username_refused("\xff", "$USERNAME is not valid UTF-8 "
                                    "(at byte 1)");
    assert_username_refused("ab\x80", "$USERNAME is not valid UTF-8 "
                                      "(at byte 3)");
    assert_username_refused("\xc3\x28", "$USERNAME is not valid UTF-8 "
                                        "(at byte 1)");
    assert_username_refused("\xc0\xaf", "$USERNAME is not valid UTF-8 "
                                        "(at byte 1)");
    assert_username_refused("\xe0\x80\xaf", "$USERNAME is not valid UTF-8 "
                                            "(at byte 1)");
    assert_username_refused("\xf0\x80\x80\xaf", "$USERNAME is not valid "
                                                "UTF-8 (at byte 1)");
    assert_username_refused("x\xed\xa0\x80", "$USERNAME is not valid UTF-8 "
                                             "(at byte 2)");
    assert_username_refused("\xf4\x90\x80\x80", "$USERNAME is not valid "
                                                "UTF-8 (at byte 1)");
    assert_username_refused("\xf5\x80\x80\x80", "$USERNAME is not valid "
                                                "UTF-8 (at byte 1)");
    assert_username_refused("abc\xe2\x82", "$USERNAME is not valid UTF-8 "
                                           "(at byte 4)");

    /* the largest code point and the last before the surrogates pass */
    assert_cn_value("\xf4\x8f\xbf\xbf", "CN=\\F4\\8F\\BF\\BF,O=acme");
    assert_cn_value("\xed\x9f\xbf", "CN=\\ED\\9F\\BF,O=acme");
}


static void
test_missing_values(void **state)
{
    scep_subject_values_t  values = { "bob", "bob@x", NULL, "", NULL, NULL };

    (void) state;

    assert_username_refused(NULL, "$USERNAME is used by the subject but no "
                                  "username was given");
    assert_username_refused("", "$USERNAME is used by the subject but no "
                                "username was given");

    assert_cn_refused(&values, "CN=$USERNAME-$HOSTID", "$HOSTID",
                      "$HOSTID is used by the subject but the agent sent "
                      "no host-id");
    assert_cn_refused(&values, "CN=$UDID", "$UDID",
                      "$UDID is used by the subject but the agent sent no "
                      "UDID");

    values.email = NULL;
    assert_cn_refused(&values, "CN=$EMAILADDRESS", "$EMAILADDRESS",
                      "$EMAILADDRESS is used by the subject but no email "
                      "address was found for the user");

    /* no values at all are fine when the template uses no token */
    assert_cn_refused(NULL, "CN=$UDID", "$UDID",
                      "$UDID is used by the subject but the agent sent no "
                      "UDID");
}


/*
 * Active Directory's values: the objectSid as text and the principal
 * name, in the CN only, placed as a whole as the others are.
 */
static void
test_sid_and_upn(void **state)
{
    char                   text[TEXT_MAX];
    scep_subject_tpl_t    *tpl;
    scep_subject_values_t  values = { "jdoe", NULL, NULL, NULL,
                                      "S-1-5-21-1004336348-1177238915-"
                                      "682003330-1105",
                                      "john.doe@corp.example.test" };

    (void) state;

    tpl = parse_ok("O=Corp,CN=$UPN");
    assert_int_equal(scep_subject_tokens(tpl), SCEP_TOKEN_UPN);
    render_text(tpl, &values, text);
    assert_string_equal(text, "CN=john.doe@corp.example.test,O=Corp");
    scep_subject_free(tpl);

    tpl = parse_ok("CN=$USERNAME ($SID)");
    assert_int_equal(scep_subject_tokens(tpl),
                     SCEP_TOKEN_USERNAME | SCEP_TOKEN_SID);
    render_text(tpl, &values, text);
    assert_string_equal(text, "CN=jdoe (S-1-5-21-1004336348-1177238915-"
                        "682003330-1105)");
    scep_subject_free(tpl);

    /* a hostile principal name stays one CN value */
    values.upn = "x,O=evil+CN=admin@corp";
    tpl = parse_ok("O=Corp,CN=$UPN");
    render_text(tpl, &values, text);
    assert_string_equal(text, "CN=x\\,O=evil\\+CN=admin@corp,O=Corp");
    scep_subject_free(tpl);

    values.upn = "bad\x01upn";
    assert_cn_refused(&values, "CN=$UPN", "$UPN",
                      "$UPN contains the control character U+0001 (at "
                      "byte 4)");

    /* an account without them: refused, never an empty CN */
    values.sid = NULL;
    values.upn = NULL;
    assert_cn_refused(&values, "CN=$SID", "$SID",
                      "$SID is used by the subject but the user has no "
                      "objectSid (only Active Directory accounts have one)");
    assert_cn_refused(&values, "CN=$UPN", "$UPN",
                      "$UPN is used by the subject but the user has no "
                      "userPrincipalName");

    /* tokens belong to the CN */
    tpl = scep_subject_parse("OU=$SID,CN=x", NULL);
    assert_null(tpl);
}


static void
test_unused_values_are_not_checked(void **state)
{
    char                   text[TEXT_MAX];
    scep_subject_tpl_t    *tpl;
    scep_subject_values_t  values = { "bob", "bad\n", NULL, "\xff", NULL,
                                      NULL };

    (void) state;

    tpl = parse_ok("O=acme,CN=$USERNAME");
    render_text(tpl, &values, text);
    assert_string_equal(text, "CN=bob,O=acme");
    scep_subject_free(tpl);

    tpl = parse_ok("O=acme,CN=static");
    render_text(tpl, NULL, text);
    assert_string_equal(text, "CN=static,O=acme");
    scep_subject_free(tpl);
}


static void
test_check_value(void **state)
{
    char          *big;
    scep_error_t   err;

    (void) state;

    scep_error_clear(&err);
    assert_int_equal(scep_subject_check_value("J\xc3\xbcrgen", 7, &err), 0);
    assert_int_equal(scep_subject_check_value("", 0, &err), 0);
    assert_int_equal(scep_subject_check_value(NULL, 0, &err), 0);

    assert_int_equal(scep_subject_check_value("a\0b", 3, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_INPUT);
    assert_string_equal(err.field, "value");
    assert_string_equal(err.message,
                        "the value contains a NUL byte (at byte 2)");

    assert_int_equal(scep_subject_check_value("ab\0", 3, &err), -1);
    assert_string_equal(err.message,
                        "the value contains a NUL byte (at byte 3)");

    assert_int_equal(scep_subject_check_value("a\tb", 3, &err), -1);
    assert_string_equal(err.message, "the value contains the control "
                                     "character U+0009 (at byte 2)");

    assert_int_equal(scep_subject_check_value("\xed\xbf\xbf", 3, &err), -1);
    assert_string_equal(err.message,
                        "the value is not valid UTF-8 (at byte 1)");

    /* a valid sequence cut by len is ill-formed */
    assert_int_equal(scep_subject_check_value("\xc3\xbc", 1, &err), -1);
    assert_string_equal(err.message,
                        "the value is not valid UTF-8 (at byte 1)");

    big = repeat("a", SCEP_VALUE_MAX_LEN + 1);
    assert_int_equal(scep_subject_check_value(big, SCEP_VALUE_MAX_LEN, &err),
                     0);
    assert_int_equal(scep_subject_check_value(big, SCEP_VALUE_MAX_LEN + 1,
                                              &err),
                     -1);
    assert_string_equal(err.message,
                        "the value is longer than 1024 bytes");
    free(big);
}


static const good_tpl_t  good_tpls[] = {
    { "O=acme,CN=$USERNAME", 2, SCEP_TOKEN_USERNAME, "CN=bob,O=acme" },
    { "o=acme,cn=$USERNAME", 2, SCEP_TOKEN_USERNAME, "CN=bob,O=acme" },
    { "organizationName=acme,commonName=$USERNAME", 2, SCEP_TOKEN_USERNAME,
      "CN=bob,O=acme" },
    { " O = acme , OU = Remote Access , CN = $USERNAME ", 3,
      SCEP_TOKEN_USERNAME, "CN=bob,OU=Remote Access,O=acme" },
    { "C=US,ST=CA,L=Santa Clara,O=acme,OU=vpn,CN=$EMAILADDRESS", 6,
      SCEP_TOKEN_EMAILADDRESS,
      "CN=bob@example.com,OU=vpn,O=acme,L=Santa Clara,ST=CA,C=US" },
    { "CN=$HOSTID", 1, SCEP_TOKEN_HOSTID, "CN=h1" },
    { "E=admin@example.com,CN=$UDID", 2, SCEP_TOKEN_UDID,
      "CN=u1,emailAddress=admin@example.com" },
    { "DC=com,DC=example,OU=Remote Access,"
      "CN=vpn-$USERNAME@$HOSTID/$UDID ($EMAILADDRESS)", 4,
      SCEP_TOKEN_USERNAME | SCEP_TOKEN_HOSTID | SCEP_TOKEN_UDID
      | SCEP_TOKEN_EMAILADDRESS,
      "CN=vpn-bob@h1/u1 (bob@example.com),OU=Remote Access,DC=example,"
      "DC=com" },
    { "CN=$USERNAME$USERNAME", 1, SCEP_TOKEN_USERNAME, "CN=bobbob" },
    { "O=a\\,b\\+c\\=d\\\\e,CN=x", 2, 0, "CN=x,O=a\\,b\\+c=d\\\\e" },
    { "O=\\\"q\\\" \\<x\\> \\; \\#1,CN=x", 2, 0,
      "CN=x,O=\\\"q\\\" \\<x\\> \\; #1" },
    { "O=acme\\ ,CN=$USERNAME", 2, SCEP_TOKEN_USERNAME,
      "CN=bob,O=acme\\ " },
    { "O=\\  acme,CN=$USERNAME", 2, SCEP_TOKEN_USERNAME,
      "CN=bob,O=\\  acme" },
    { "CN=\\$USERNAME", 1, 0, "CN=$USERNAME" },
    { "CN=cost$ \\$HOME $USERNAME", 1, SCEP_TOKEN_USERNAME,
      "CN=cost$ $HOME bob" },
    { "CN=vpn $USERNAME ", 1, SCEP_TOKEN_USERNAME, "CN=vpn bob" },
    { "O=M\xc3\xbcller GmbH,CN=$USERNAME", 2, SCEP_TOKEN_USERNAME,
      "CN=bob,O=M\\C3\\BCller GmbH" },
    { "serialNumber=1234,UID=u,title=t,street=s,postalCode=1,GN=g,SN=s,"
      "initials=i,pseudonym=p,dnQualifier=q,DC=d,L=l,ST=st,E=a@b.c,"
      "CN=$USERNAME", 15, SCEP_TOKEN_USERNAME,
      "CN=bob,emailAddress=a@b.c,ST=st,L=l,DC=d,dnQualifier=q,pseudonym=p,"
      "initials=i,SN=s,GN=g,postalCode=1,street=s,title=t,UID=u,"
      "serialNumber=1234" },
    { "givenName=g,surname=s,userId=u,streetAddress=s,countryName=DE,"
      "CN=x", 6, 0, "CN=x,C=DE,street=s,UID=u,SN=s,GN=g" },
};


static void
test_good_templates(void **state)
{
    size_t               i;
    char                 text[TEXT_MAX];
    scep_subject_tpl_t  *tpl;

    (void) state;

    for (i = 0; i < sizeof(good_tpls) / sizeof(good_tpls[0]); i++) {
        tpl = parse_ok(good_tpls[i].tpl);

        assert_int_equal(scep_subject_rdn_count(tpl), good_tpls[i].rdns);
        assert_int_equal(scep_subject_tokens(tpl), good_tpls[i].tokens);

        render_text(tpl, &std_values, text);
        assert_string_equal(text, good_tpls[i].text);

        scep_subject_free(tpl);
    }
}


static const bad_tpl_t  bad_tpls[] = {
    { "", "subject is empty: write attr=value pairs such as "
          "O=acme,CN=$USERNAME", 0 },
    { "   ", "subject is empty: write attr=value pairs such as "
             "O=acme,CN=$USERNAME", 0 },
    { "O=acme\n,CN=x", "subject contains the control character U+000A "
                       "(at byte 7)", 0 },
    { "O=\xff,CN=x", "subject is not valid UTF-8 (at byte 3)", 0 },
    { "XX=a,CN=x", "unknown attribute \"XX\" in subject: use C, ST, L, O, "
                   "OU, CN, DC, emailAddress, serialNumber, UID, title, "
                   "street, postalCode, GN, SN, initials, pseudonym or "
                   "dnQualifier", 0 },
    { "Org Unit=a,CN=x", "unknown attribute \"Org Unit\" in subject", 1 },
    { "O=acme", "subject must contain exactly one CN, not 0", 0 },
    { "CN=a,O=acme,cn=b", "subject must contain exactly one CN, not 2", 0 },
    { "O=a+OU=b,CN=x", "multi-valued RDNs are not supported: \"+\" in the "
                       "value of O in subject; write \"\\+\" for a literal "
                       "plus sign", 0 },
    { "CN=$USERNAME+UID=x", "multi-valued RDNs are not supported: \"+\" in "
                            "the value of CN in subject", 1 },
    { "OU=$USERNAME,CN=x", "tokens are allowed only in CN, but the value "
                           "of OU in subject holds \"$USERNAME\"", 0 },
    { "O=acme-$foo,CN=x", "tokens are allowed only in CN, but the value of "
                          "O in subject holds \"$foo\"", 0 },
    { "CN=$username", "unknown token \"$username\" in subject: use "
                      "$USERNAME, $EMAILADDRESS, $SID, $UPN, $HOSTID or "
                      "$UDID (in "
                      "upper case), or \"\\$\" for a literal dollar sign",
      0 },
    { "CN=$USERNAMES", "unknown token \"$USERNAMES\" in subject", 1 },
    { "CN=$USER", "unknown token \"$USER\" in subject", 1 },
    { "CN=$MAIL_ADDRESS", "unknown token \"$MAIL_ADDRESS\" in subject", 1 },
    { "O=,CN=x", "empty value for O in subject", 0 },
    { "O=   ,CN=x", "empty value for O in subject", 0 },
    { "O=acme,CN=  ", "empty value for CN in subject", 0 },
    { "O=acme,,CN=x", "empty attribute in subject at byte 8 (a stray "
                      "comma?)", 0 },
    { "O=acme,CN=x,", "empty attribute in subject at byte 13 (a stray "
                      "comma?)", 0 },
    { ",CN=x", "empty attribute in subject at byte 1 (a stray comma?)", 0 },
    { "acme,CN=x", "\"acme\" in subject is not an attr=value pair", 0 },
    { "=acme,CN=x", "missing attribute name before \"=\" in subject at "
                    "byte 1", 0 },
    { "O=a=b,CN=x", "unescaped \"=\" in the value of O in subject (a "
                    "missing comma?); write \"\\=\" for a literal equals "
                    "sign", 0 },
    { "O=acme CN=x", "unescaped \"=\" in the value of O in subject", 1 },
    { "O=acme;CN=x", "unescaped \"=\" in the value of O in subject", 1 },
    { "O=a\\q,CN=x", "unsupported escape at byte 4 of subject: a "
                     "backslash may only precede one of ,+=\\\";<># $", 0 },
    { "O=a\\41,CN=x", "unsupported escape at byte 4 of subject", 1 },
    { "CN=x\\", "subject ends with a lone \"\\\"", 0 },
    { "C=USA,CN=x", "C in subject must be a two-letter country code in "
                    "capitals, such as US", 0 },
    { "C=us,CN=x", "C in subject must be a two-letter country code", 1 },
    { "C=U1,CN=x", "C in subject must be a two-letter country code", 1 },
    { "CN=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "the CN of subject is at least 65 characters long even with "
      "one-character token values; RFC 5280 allows at most 64", 0 },
    { "CN=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "$UDID$UDID$UDID$UDID$UDID",
      "the CN of subject is at least 65 characters long", 1 },
    { "O=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,"
      "CN=x", "the value of O in subject does not fit its X.520 type (too "
              "long, or characters the type cannot hold)", 1 },
    { "serialNumber=a@b,CN=x", "the value of serialNumber in subject does "
                               "not fit its X.520 type", 1 },
    { "E=j\xc3\xbcrgen@example.com,CN=x", "the value of emailAddress in "
                                          "subject does not fit its X.520 "
                                          "type", 1 },
    { "DC=a\xc3\xbc,CN=x", "the value of DC in subject does not fit", 1 },
};


static void
test_bad_templates(void **state)
{
    size_t               i;
    scep_error_t         err;
    scep_subject_tpl_t  *tpl;

    (void) state;

    for (i = 0; i < sizeof(bad_tpls) / sizeof(bad_tpls[0]); i++) {
        scep_error_clear(&err);
        tpl = scep_subject_parse(bad_tpls[i].tpl, &err);

        if (tpl != NULL) {
            scep_subject_free(tpl);
            fail_msg("template \"%s\" accepted", bad_tpls[i].tpl);
        }

        assert_int_equal(err.code, SCEP_ERR_CONFIG);
        assert_string_equal(err.field, "subject");

        if (bad_tpls[i].prefix) {
            if (strncmp(err.message, bad_tpls[i].message,
                        strlen(bad_tpls[i].message))
                != 0)
            {
                fail_msg("template \"%s\": got \"%s\"", bad_tpls[i].tpl,
                         err.message);
            }

        } else {
            assert_string_equal(err.message, bad_tpls[i].message);
        }
    }
}


static void
test_template_bounds(void **state)
{
    char                *unit, *text;
    scep_error_t         err;
    scep_subject_tpl_t  *tpl;

    (void) state;

    assert_null(scep_subject_parse(NULL, &err));
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.field, "subject");

    /* 31 O's and a CN: 32 attributes, the most accepted */
    unit = repeat("O=a,", 31);
    text = concat(unit, "CN=x");
    tpl = parse_ok(text);
    assert_int_equal(scep_subject_rdn_count(tpl), 32);
    scep_subject_free(tpl);
    free(unit);
    free(text);

    unit = repeat("O=a,", 32);
    text = concat(unit, "CN=x");
    assert_null(scep_subject_parse(text, &err));
    assert_string_equal(err.message, "subject has more than 32 attributes");
    free(unit);
    free(text);

    /* "CN=x" and 1020 spaces: 1024 bytes, the longest accepted */
    text = repeat(" ", SCEP_SUBJECT_MAX_LEN + 1);
    memcpy(text, "CN=x", 4);
    text[SCEP_SUBJECT_MAX_LEN] = '\0';
    tpl = parse_ok(text);
    scep_subject_free(tpl);

    text[SCEP_SUBJECT_MAX_LEN] = ' ';
    assert_null(scep_subject_parse(text, &err));
    assert_string_equal(err.message, "subject is longer than 1024 bytes");
    free(text);

    /* more CN parts than a 64-character CN could ever hold */
    unit = repeat("$UDID", 65);
    text = concat("CN=", unit);
    assert_null(scep_subject_parse(text, &err));
    assert_string_equal(err.message, "the CN of subject has more than 64 "
                                     "parts, so it would be longer than "
                                     "RFC 5280's 64 characters");
    free(unit);
    free(text);

    /* 64 one-character parts are fine */
    unit = repeat("$UDID", 64);
    text = concat("CN=", unit);
    tpl = parse_ok(text);
    assert_int_equal(scep_subject_tokens(tpl), SCEP_TOKEN_UDID);
    scep_subject_free(tpl);
    free(unit);
    free(text);
}


static void
test_find_token(void **state)
{
    (void) state;

    assert_int_equal(scep_subject_find_token("$USERNAME"),
                     SCEP_TOKEN_USERNAME);
    assert_int_equal(scep_subject_find_token("a $UDID b"), SCEP_TOKEN_UDID);
    assert_int_equal(scep_subject_find_token("x.$HOSTID.example.com"),
                     SCEP_TOKEN_HOSTID);
    assert_int_equal(scep_subject_find_token("$$EMAILADDRESS@x"),
                     SCEP_TOKEN_EMAILADDRESS);
    assert_int_equal(scep_subject_find_token("$USER $UDID"),
                     SCEP_TOKEN_UDID);
    assert_int_equal(scep_subject_find_token("tag:x,2022:sid:$SID"),
                     SCEP_TOKEN_SID);
    assert_int_equal(scep_subject_find_token("$UPN"), SCEP_TOKEN_UPN);
    assert_int_equal(scep_subject_find_token("$SIDS $UPNx"), 0);
    assert_int_equal(scep_subject_find_token("$USERNAMES"), 0);
    assert_int_equal(scep_subject_find_token("$username"), 0);
    assert_int_equal(scep_subject_find_token("no tokens"), 0);
    assert_int_equal(scep_subject_find_token("$"), 0);
    assert_int_equal(scep_subject_find_token(""), 0);
}


static void
test_name_to_text_bounds(void **state)
{
    char                 text[TEXT_MAX];
    X509_NAME           *name;
    scep_error_t         err;
    scep_subject_tpl_t  *tpl;

    (void) state;

    tpl = parse_ok("O=acme,CN=$USERNAME");
    name = scep_subject_render(tpl, &std_values, &err);
    assert_non_null(name);

    /* "CN=bob,O=acme" is 13 bytes: it needs 14 with the NUL */
    assert_int_equal(scep_name_to_text(name, text, 14), 13);
    assert_string_equal(text, "CN=bob,O=acme");
    assert_int_equal(scep_name_to_text(name, text, 13), -1);
    assert_string_equal(text, "");
    assert_int_equal(scep_name_to_text(name, text, 0), -1);
    assert_int_equal(scep_name_to_text(NULL, text, sizeof(text)), -1);

    X509_NAME_free(name);
    scep_subject_free(tpl);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_hostile_values_stay_in_cn),
        cmocka_unit_test(test_utf8_counts_code_points),
        cmocka_unit_test(test_cn_length_limit),
        cmocka_unit_test(test_cn_length_counts_text_and_every_token),
        cmocka_unit_test(test_bad_user_values),
        cmocka_unit_test(test_missing_values),
        cmocka_unit_test(test_sid_and_upn),
        cmocka_unit_test(test_unused_values_are_not_checked),
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_good_templates),
        cmocka_unit_test(test_bad_templates),
        cmocka_unit_test(test_template_bounds),
        cmocka_unit_test(test_find_token),
        cmocka_unit_test(test_name_to_text_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
