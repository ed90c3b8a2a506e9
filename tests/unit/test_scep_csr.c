/*
 * The PKCS#10 request, parsed back from its DER: subject, key, the
 * extensionRequest (subjectAltName, critical keyUsage), the challenge
 * password and the signature digest.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/x509v3.h>

#include "scep/scep_csr.h"
#include "tests/unit/scep_test_ca.h"


static EVP_PKEY  *key;


static int
setup_key(void **state)
{
    (void) state;

    key = test_ca_key(2048);

    return key != NULL ? 0 : -1;
}


static int
teardown_key(void **state)
{
    (void) state;

    EVP_PKEY_free(key);

    return 0;
}


/* The names the request is built with: one, or none. */
static scep_sans_t  sans;


static void
profile_for(scep_profile_t *p, scep_san_type_t san, const char *value,
    unsigned usage, scep_digest_t digest)
{
    memset(p, 0, sizeof(scep_profile_t));

    sans.n = (san != SCEP_SAN_NONE);
    sans.san[0].type = san;
    sans.san[0].value = (char *) value;

    p->name = "corp";
    p->key_usage = usage;
    p->digest = digest;
    p->key_bits = 2048;
}


/* Builds a request and reads it back from DER, as a CA would. */
static X509_REQ *
build_and_reparse(const scep_profile_t *p, const char *subject_text,
    const char *challenge)
{
    size_t                len;
    X509_REQ             *req, *parsed;
    X509_NAME            *subject;
    scep_error_t          err;
    unsigned char        *der;
    const unsigned char  *cp;

    subject = test_ca_name(subject_text);
    assert_non_null(subject);

    req = scep_csr_build(p, key, subject, &sans, challenge, &err);
    assert_non_null(req);
    assert_int_equal(scep_csr_der(req, &der, &len, &err), 0);

    cp = der;
    parsed = d2i_X509_REQ(NULL, &cp, (long) len);
    assert_non_null(parsed);
    assert_ptr_equal(cp, der + len);

    /* the CA checks proof of possession with the key inside */
    assert_int_equal(X509_REQ_verify(parsed, key), 1);
    assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(parsed), key), 1);
    assert_int_equal(X509_NAME_cmp(X509_REQ_get_subject_name(parsed),
                                   subject), 0);

    OPENSSL_clear_free(der, len);
    scep_csr_free(req);
    X509_NAME_free(subject);

    return parsed;
}


static X509_EXTENSION *
find_ext(STACK_OF(X509_EXTENSION) *exts, int nid)
{
    int  i;

    i = X509v3_get_ext_by_NID(exts, nid, -1);

    return i >= 0 ? X509v3_get_ext(exts, i) : NULL;
}


static void
assert_san(X509_REQ *req, int type, const char *value)
{
    GENERAL_NAME              *gen;
    GENERAL_NAMES             *gens;
    X509_EXTENSION            *ext;
    ASN1_IA5STRING            *ia5;
    STACK_OF(X509_EXTENSION)  *exts;

    exts = X509_REQ_get_extensions(req);
    ext = find_ext(exts, NID_subject_alt_name);
    assert_non_null(ext);
    assert_int_equal(X509_EXTENSION_get_critical(ext), 0);

    gens = X509V3_EXT_d2i(ext);
    assert_non_null(gens);
    assert_int_equal(sk_GENERAL_NAME_num(gens), 1);

    gen = sk_GENERAL_NAME_value(gens, 0);
    ia5 = GENERAL_NAME_get0_value(gen, NULL);
    assert_int_equal(gen->type, type);
    assert_int_equal(ASN1_STRING_length(ia5), strlen(value));
    assert_memory_equal(ASN1_STRING_get0_data(ia5), value, strlen(value));

    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}


static void
assert_key_usage(X509_REQ *req, int digital_signature, int key_encipherment)
{
    int                        i;
    X509_EXTENSION            *ext;
    ASN1_BIT_STRING           *ku;
    STACK_OF(X509_EXTENSION)  *exts;

    exts = X509_REQ_get_extensions(req);
    ext = find_ext(exts, NID_key_usage);
    assert_non_null(ext);
    assert_int_equal(X509_EXTENSION_get_critical(ext), 1);

    ku = X509V3_EXT_d2i(ext);
    assert_non_null(ku);

    assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 0), digital_signature);
    assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 2), key_encipherment);

    /* nothing else is asked for */
    for (i = 0; i < 9; i++) {
        if (i != 0 && i != 2) {
            assert_int_equal(ASN1_BIT_STRING_get_bit(ku, i), 0);
        }
    }

    ASN1_BIT_STRING_free(ku);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}


static void
assert_challenge(X509_REQ *req, const char *expected, int asn1_type)
{
    int              i;
    ASN1_TYPE       *t;
    X509_ATTRIBUTE  *attr;

    i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1);

    if (expected == NULL) {
        assert_int_equal(i, -1);
        return;
    }

    assert_true(i >= 0);
    assert_int_equal(X509_REQ_get_attr_by_NID(req,
                                              NID_pkcs9_challengePassword,
                                              i), -1);

    attr = X509_REQ_get_attr(req, i);
    assert_int_equal(X509_ATTRIBUTE_count(attr), 1);

    t = X509_ATTRIBUTE_get0_type(attr, 0);
    assert_int_equal(t->type, asn1_type);
    assert_int_equal(ASN1_STRING_length(t->value.asn1_string),
                     strlen(expected));
    assert_memory_equal(ASN1_STRING_get0_data(t->value.asn1_string),
                        expected, strlen(expected));
}


static void
test_everything_requested(void **state)
{
    X509_REQ        *req;
    scep_profile_t   p;

    (void) state;

    profile_for(&p, SCEP_SAN_DNS, "vpn-client.example.org",
                SCEP_KU_DIGITAL_SIGNATURE | SCEP_KU_KEY_ENCIPHERMENT,
                SCEP_DIGEST_SHA384);

    req = build_and_reparse(&p, "O=acme,OU=vpn,CN=alice", "0F3A9C21DE");

    assert_int_equal(X509_REQ_get_signature_nid(req),
                     NID_sha384WithRSAEncryption);
    assert_san(req, GEN_DNS, "vpn-client.example.org");
    assert_key_usage(req, 1, 1);
    assert_challenge(req, "0F3A9C21DE", V_ASN1_PRINTABLESTRING);
    assert_int_equal(X509_REQ_get_version(req), X509_REQ_VERSION_1);

    X509_REQ_free(req);
}


static void
test_rfc822_sha256_signature_only(void **state)
{
    X509_REQ        *req;
    scep_profile_t   p;

    (void) state;

    profile_for(&p, SCEP_SAN_RFC822, "alice@example.org",
                SCEP_KU_DIGITAL_SIGNATURE, SCEP_DIGEST_SHA256);

    req = build_and_reparse(&p, "CN=alice", NULL);

    assert_int_equal(X509_REQ_get_signature_nid(req),
                     NID_sha256WithRSAEncryption);
    assert_san(req, GEN_EMAIL, "alice@example.org");
    assert_key_usage(req, 1, 0);
    assert_challenge(req, NULL, 0);

    X509_REQ_free(req);
}


static void
test_uri_sha1_encipherment_only(void **state)
{
    X509_REQ        *req;
    scep_profile_t   p;

    (void) state;

    profile_for(&p, SCEP_SAN_URI, "urn:uuid:3f1c7d1e-0001",
                SCEP_KU_KEY_ENCIPHERMENT, SCEP_DIGEST_SHA1);

    /* a challenge that is not a PrintableString goes as UTF8String */
    req = build_and_reparse(&p, "CN=bob", "pässwörd@1");

    assert_int_equal(X509_REQ_get_signature_nid(req),
                     NID_sha1WithRSAEncryption);
    assert_san(req, GEN_URI, "urn:uuid:3f1c7d1e-0001");
    assert_key_usage(req, 0, 1);
    assert_challenge(req, "pässwörd@1", V_ASN1_UTF8STRING);

    X509_REQ_free(req);
}


/*
 * Several names, as a profile for Active Directory asks them: the UPN as
 * Windows logon reads it (otherName 1.3.6.1.4.1.311.20.2.3, [0] EXPLICIT
 * UTF8String), the SID as the URI of AD's strong mapping, a mailbox.
 */
static void
test_several_names_with_a_upn(void **state)
{
    int                        i;
    X509_REQ                  *req;
    GENERAL_NAME              *gen;
    GENERAL_NAMES             *gens;
    ASN1_OBJECT               *oid;
    STACK_OF(X509_EXTENSION)  *exts;
    ASN1_STRING      *s;
    scep_profile_t    p;
    unsigned char    *der;
    static const char *upn = "j\xc3\xbcrgen.doe@corp.example.test";
    static const char *uri = "tag:microsoft.com,2022-09-14:sid:"
                             "S-1-5-21-1004336348-1177238915-682003330-1105";
    /* the otherName as DER: [0] { OID, [0] { UTF8String } } */
    static const unsigned char  upn_der[] = {
        0xa0, 0x2d, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37,
        0x14, 0x02, 0x03, 0xa0, 0x1f, 0x0c, 0x1d
    };

    (void) state;

    profile_for(&p, SCEP_SAN_NONE, NULL, SCEP_KU_DIGITAL_SIGNATURE,
                SCEP_DIGEST_SHA256);
    sans.n = 3;
    sans.san[0].type = SCEP_SAN_UPN;
    sans.san[0].value = (char *) upn;
    sans.san[1].type = SCEP_SAN_URI;
    sans.san[1].value = (char *) uri;
    sans.san[2].type = SCEP_SAN_RFC822;
    sans.san[2].value = "jdoe@corp.example.test";

    req = build_and_reparse(&p, "CN=jdoe", NULL);

    exts = X509_REQ_get_extensions(req);
    gens = X509V3_EXT_d2i(find_ext(exts, NID_subject_alt_name));
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

    assert_non_null(gens);
    assert_int_equal(sk_GENERAL_NAME_num(gens), 3);

    gen = sk_GENERAL_NAME_value(gens, 0);
    assert_int_equal(gen->type, GEN_OTHERNAME);
    oid = OBJ_txt2obj("1.3.6.1.4.1.311.20.2.3", 1);
    assert_int_equal(OBJ_cmp(gen->d.otherName->type_id, oid), 0);
    ASN1_OBJECT_free(oid);
    assert_int_equal(gen->d.otherName->value->type, V_ASN1_UTF8STRING);
    s = gen->d.otherName->value->value.utf8string;
    assert_int_equal(ASN1_STRING_length(s), strlen(upn));
    assert_memory_equal(ASN1_STRING_get0_data(s), upn, strlen(upn));

    der = NULL;
    i = i2d_GENERAL_NAME(gen, &der);
    assert_int_equal(i, (int) (sizeof(upn_der) + strlen(upn)));
    assert_memory_equal(der, upn_der, sizeof(upn_der));
    OPENSSL_free(der);

    gen = sk_GENERAL_NAME_value(gens, 1);
    assert_int_equal(gen->type, GEN_URI);
    s = gen->d.uniformResourceIdentifier;
    assert_memory_equal(ASN1_STRING_get0_data(s), uri, strlen(uri));

    gen = sk_GENERAL_NAME_value(gens, 2);
    assert_int_equal(gen->type, GEN_EMAIL);

    GENERAL_NAMES_free(gens);
    X509_REQ_free(req);
    sans.n = 0;
}


static void
test_no_extensions_when_none_asked(void **state)
{
    X509_REQ                  *req;
    scep_profile_t             p;
    STACK_OF(X509_EXTENSION)  *exts;

    (void) state;

    profile_for(&p, SCEP_SAN_NONE, NULL, 0, SCEP_DIGEST_SHA256);

    req = build_and_reparse(&p, "CN=carol", NULL);

    exts = X509_REQ_get_extensions(req);
    assert_int_equal(sk_X509_EXTENSION_num(exts), 0);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

    X509_REQ_free(req);
}


static void
assert_refused(const scep_profile_t *p, const char *challenge,
    scep_code_t code, const char *field)
{
    X509_NAME     *subject;
    scep_error_t   err;

    subject = test_ca_name("CN=mallory");

    assert_null(scep_csr_build(p, key, subject, &sans, challenge, &err));
    assert_int_equal(err.code, code);
    assert_string_equal(err.field, field);

    X509_NAME_free(subject);
}


static void
test_refusals(void **state)
{
    char            longest[SCEP_CHALLENGE_MAX_LEN + 2];
    scep_profile_t  p;

    (void) state;

    profile_for(&p, SCEP_SAN_NONE, NULL, SCEP_KU_DIGITAL_SIGNATURE,
                SCEP_DIGEST_SHA1);
    p.fips = 1;
    assert_refused(&p, NULL, SCEP_ERR_CONFIG, "digest");

    profile_for(&p, SCEP_SAN_NONE, NULL, SCEP_KU_DIGITAL_SIGNATURE,
                SCEP_DIGEST_SHA256);
    assert_refused(&p, "line\nbreak", SCEP_ERR_INPUT, "challenge");
    assert_refused(&p, "", SCEP_ERR_INPUT, "challenge");
    assert_refused(&p, "\xff\xfe", SCEP_ERR_INPUT, "challenge");

    memset(longest, 'x', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    assert_refused(&p, longest, SCEP_ERR_INPUT, "challenge");

    /* exactly the longest allowed is fine */
    longest[SCEP_CHALLENGE_MAX_LEN] = '\0';
    X509_REQ_free(build_and_reparse(&p, "CN=x", longest));

    /* names that are not of their type, however the list was filled */
    profile_for(&p, SCEP_SAN_DNS, "two words", SCEP_KU_DIGITAL_SIGNATURE,
                SCEP_DIGEST_SHA256);
    assert_refused(&p, NULL, SCEP_ERR_INPUT, "subject_alt_name");

    profile_for(&p, SCEP_SAN_DNS, NULL, SCEP_KU_DIGITAL_SIGNATURE,
                SCEP_DIGEST_SHA256);
    assert_refused(&p, NULL, SCEP_ERR_INPUT, "subject_alt_name");

    profile_for(&p, SCEP_SAN_RFC822, "a@b.example,DNS:evil.example",
                SCEP_KU_DIGITAL_SIGNATURE, SCEP_DIGEST_SHA256);
    assert_refused(&p, NULL, SCEP_ERR_INPUT, "subject_alt_name");
}


static void
test_wipe_clears_the_challenge(void **state)
{
    int              i;
    X509_REQ        *req;
    ASN1_TYPE       *t;
    X509_NAME       *subject;
    scep_error_t     err;
    scep_profile_t   p;
    ASN1_STRING     *value;
    unsigned char    zeros[9];

    (void) state;

    profile_for(&p, SCEP_SAN_NONE, NULL, 0, SCEP_DIGEST_SHA256);
    subject = test_ca_name("CN=dave");

    req = scep_csr_build(&p, key, subject, NULL, "S3cretOTP", &err);
    assert_non_null(req);

    i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1);
    t = X509_ATTRIBUTE_get0_type(X509_REQ_get_attr(req, i), 0);
    value = t->value.asn1_string;
    assert_int_equal(ASN1_STRING_length(value), 9);
    assert_memory_equal(ASN1_STRING_get0_data(value), "S3cretOTP", 9);

    scep_csr_wipe(req);

    memset(zeros, 0, sizeof(zeros));
    assert_memory_equal(ASN1_STRING_get0_data(value), zeros, 9);

    scep_csr_free(req);
    X509_NAME_free(subject);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_everything_requested),
        cmocka_unit_test(test_rfc822_sha256_signature_only),
        cmocka_unit_test(test_uri_sha1_encipherment_only),
        cmocka_unit_test(test_several_names_with_a_upn),
        cmocka_unit_test(test_no_extensions_when_none_asked),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_wipe_clears_the_challenge),
    };

    return cmocka_run_group_tests(tests, setup_key, teardown_key);
}
