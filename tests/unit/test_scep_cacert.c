/*
 * GetCACert: reading both content types, choosing which certificate does
 * which job (NDES-shaped CA + RA-signature + RA-encryption sets made here
 * with OpenSSL), and the pinned fingerprint on the CA and on RA
 * certificates.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scep/scep_cacert.h"
#include "scep/scep_certs.h"
#include "tests/unit/scep_test_ca.h"


#define URL      "http://ndes.example/certsrv/mscep/mscep.dll"
#define TYPE_CA  "application/x-x509-ca-cert"
#define TYPE_RA  "application/x-x509-ca-ra-cert"


typedef struct {
    EVP_PKEY  *ca_key, *ra_key, *other_key;
    X509      *ca;
    X509      *ra_sign;      /* digitalSignature only */
    X509      *ra_enc;       /* keyEncipherment only */
    X509      *ra_any;       /* no keyUsage extension */
    X509      *forged;       /* names the CA as issuer, signed by other */
    X509      *root, *sub;   /* a chain: root issued sub (a CA) */
    X509      *sub_ra;       /* issued by sub */
    EVP_PKEY  *root_key, *sub_key;
} pki_t;


static pki_t  pki;


static int
setup_pki(void **state)
{
    X509_NAME  *name;

    (void) state;

    pki.ca_key = test_ca_key(2048);
    pki.ra_key = test_ca_key(2048);
    pki.other_key = test_ca_key(2048);
    pki.root_key = test_ca_key(2048);
    pki.sub_key = test_ca_key(2048);

    pki.ca = test_ca_root(pki.ca_key, "O=acme,CN=Issuing CA");
    pki.ra_sign = test_ca_leaf(pki.ca, pki.ca_key, pki.ra_key,
                               "O=acme,CN=NDES RA sign",
                               "critical,digitalSignature");
    pki.ra_enc = test_ca_leaf(pki.ca, pki.ca_key, pki.other_key,
                              "O=acme,CN=NDES RA encrypt",
                              "critical,keyEncipherment");
    pki.ra_any = test_ca_leaf(pki.ca, pki.ca_key, pki.ra_key,
                              "O=acme,CN=RA any", NULL);

    /* right issuer name, wrong signature: a forged RA certificate */
    name = test_ca_name("O=acme,CN=NDES RA evil");
    pki.forged = test_ca_issue(pki.ca, pki.other_key, pki.other_key, name,
                               "critical,keyEncipherment", 0, 30);
    X509_NAME_free(name);

    pki.root = test_ca_root(pki.root_key, "O=acme,CN=Root");
    name = test_ca_name("O=acme,CN=Sub CA");
    pki.sub = test_ca_issue(pki.root, pki.root_key, pki.sub_key, name,
                            "critical,keyCertSign,cRLSign", 1, 1000);
    X509_NAME_free(name);
    pki.sub_ra = test_ca_leaf(pki.sub, pki.sub_key, pki.ra_key,
                              "O=acme,CN=Sub RA",
                              "critical,digitalSignature,keyEncipherment");

    return (pki.ca && pki.ra_sign && pki.ra_enc && pki.ra_any && pki.forged
            && pki.sub && pki.sub_ra) ? 0 : -1;
}


static int
teardown_pki(void **state)
{
    (void) state;

    X509_free(pki.ca);
    X509_free(pki.ra_sign);
    X509_free(pki.ra_enc);
    X509_free(pki.ra_any);
    X509_free(pki.forged);
    X509_free(pki.root);
    X509_free(pki.sub);
    X509_free(pki.sub_ra);
    EVP_PKEY_free(pki.ca_key);
    EVP_PKEY_free(pki.ra_key);
    EVP_PKEY_free(pki.other_key);
    EVP_PKEY_free(pki.root_key);
    EVP_PKEY_free(pki.sub_key);

    return 0;
}


/* A stack of up-ref'd certificates, in the order given, NULL-ended. */
static STACK_OF(X509) *
certs_of(X509 *first, ...)
{
    X509            *cert;
    va_list          ap;
    STACK_OF(X509)  *certs;

    certs = sk_X509_new_null();
    assert_non_null(certs);

    va_start(ap, first);

    for (cert = first; cert != NULL; cert = va_arg(ap, X509 *)) {
        assert_int_equal(X509_up_ref(cert), 1);
        assert_true(sk_X509_push(certs, cert) > 0);
    }

    va_end(ap);

    return certs;
}


/* The certs-only PKCS#7 an NDES server answers GetCACert with. */
static STACK_OF(X509) *
parse_ra_answer(STACK_OF(X509) *certs)
{
    size_t           len;
    scep_error_t     err;
    unsigned char   *der;
    STACK_OF(X509)  *parsed;

    assert_int_equal(scep_certs_to_pkcs7(certs, &der, &len, &err), 0);
    scep_certs_free(certs);

    parsed = scep_cacert_parse(TYPE_RA, der, len, URL, &err);
    OPENSSL_free(der);

    assert_non_null(parsed);

    return parsed;
}


static void
test_single_der_certificate(void **state)
{
    int              len;
    scep_ca_t       *ca;
    scep_error_t     err;
    unsigned char   *der;
    STACK_OF(X509)  *certs;

    (void) state;

    der = NULL;
    len = i2d_X509(pki.ca, &der);
    assert_true(len > 0);

    /* parameters after the type are allowed */
    certs = scep_cacert_parse(TYPE_CA "; charset=binary", der, (size_t) len,
                              URL, &err);
    OPENSSL_free(der);

    assert_non_null(certs);
    assert_int_equal(sk_X509_num(certs), 1);

    ca = scep_ca_select(certs, URL, &err);
    assert_non_null(ca);

    assert_int_equal(X509_cmp(ca->ca, pki.ca), 0);
    assert_ptr_equal(ca->recipient, ca->ca);
    assert_ptr_equal(ca->verifier, ca->ca);

    scep_ca_free(ca);
}


static void
test_ndes_shaped_answer(void **state)
{
    scep_ca_t       *ca;
    scep_error_t     err;
    STACK_OF(X509)  *certs, *others;

    (void) state;

    /* NDES order varies: the CA is neither first nor last here */
    certs = parse_ra_answer(certs_of(pki.ra_sign, pki.ca, pki.ra_enc, NULL));
    assert_int_equal(sk_X509_num(certs), 3);

    ca = scep_ca_select(certs, URL, &err);
    assert_non_null(ca);

    assert_int_equal(X509_cmp(ca->ca, pki.ca), 0);
    assert_int_equal(X509_cmp(ca->recipient, pki.ra_enc), 0);
    assert_int_equal(X509_cmp(ca->verifier, pki.ra_sign), 0);

    others = scep_ca_others(ca);
    assert_int_equal(sk_X509_num(others), 2);
    assert_int_equal(X509_cmp(sk_X509_value(others, 0), pki.ra_sign), 0);
    assert_int_equal(X509_cmp(sk_X509_value(others, 1), pki.ra_enc), 0);
    sk_X509_free(others);

    scep_ca_free(ca);
}


static void
test_ra_without_key_usage_does_both(void **state)
{
    scep_ca_t     *ca;
    scep_error_t   err;

    (void) state;

    ca = scep_ca_select(certs_of(pki.ca, pki.ra_any, NULL), URL, &err);
    assert_non_null(ca);

    assert_int_equal(X509_cmp(ca->recipient, pki.ra_any), 0);
    assert_int_equal(X509_cmp(ca->verifier, pki.ra_any), 0);

    scep_ca_free(ca);
}


static void
test_explicit_usage_wins_over_none(void **state)
{
    scep_ca_t     *ca;
    scep_error_t   err;

    (void) state;

    ca = scep_ca_select(certs_of(pki.ra_any, pki.ca, pki.ra_enc,
                                 pki.ra_sign, NULL), URL, &err);
    assert_non_null(ca);

    assert_int_equal(X509_cmp(ca->recipient, pki.ra_enc), 0);
    assert_int_equal(X509_cmp(ca->verifier, pki.ra_sign), 0);

    scep_ca_free(ca);
}


static void
test_signature_ra_only_encrypts_to_ca(void **state)
{
    scep_ca_t     *ca;
    scep_error_t   err;

    (void) state;

    ca = scep_ca_select(certs_of(pki.ca, pki.ra_sign, NULL), URL, &err);
    assert_non_null(ca);

    assert_int_equal(X509_cmp(ca->recipient, pki.ca), 0);
    assert_int_equal(X509_cmp(ca->verifier, pki.ra_sign), 0);

    scep_ca_free(ca);
}


static void
test_encryption_ra_only_also_verifies(void **state)
{
    scep_ca_t     *ca;
    scep_error_t   err;

    (void) state;

    ca = scep_ca_select(certs_of(pki.ca, pki.ra_enc, NULL), URL, &err);
    assert_non_null(ca);

    assert_int_equal(X509_cmp(ca->recipient, pki.ra_enc), 0);
    assert_int_equal(X509_cmp(ca->verifier, pki.ra_enc), 0);

    scep_ca_free(ca);
}


static void
test_chain_picks_the_issuing_ca(void **state)
{
    scep_ca_t     *ca;
    scep_error_t   err;

    (void) state;

    ca = scep_ca_select(certs_of(pki.root, pki.sub, pki.sub_ra, NULL), URL,
                        &err);
    assert_non_null(ca);

    assert_int_equal(X509_cmp(ca->ca, pki.sub), 0);
    assert_int_equal(X509_cmp(ca->recipient, pki.sub_ra), 0);
    assert_int_equal(X509_cmp(ca->verifier, pki.sub_ra), 0);
    scep_ca_free(ca);

    /* without RA certificates, the CA at the end of the chain */
    ca = scep_ca_select(certs_of(pki.sub, pki.root, NULL), URL, &err);
    assert_non_null(ca);
    assert_int_equal(X509_cmp(ca->ca, pki.sub), 0);
    assert_int_equal(X509_cmp(ca->recipient, pki.sub), 0);
    scep_ca_free(ca);
}


static void
test_forged_ra_is_refused(void **state)
{
    scep_error_t  err;

    (void) state;

    assert_null(scep_ca_select(certs_of(pki.ca, pki.ra_sign, pki.forged,
                                        NULL), URL, &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);
    assert_string_equal(err.message,
                        "the RA encryption certificate \"CN=NDES RA evil,"
                        "O=acme\" from " URL " does not carry the signature "
                        "of its CA");
}


static void
test_no_ca_certificate(void **state)
{
    scep_error_t  err;

    (void) state;

    assert_null(scep_ca_select(certs_of(pki.ra_sign, pki.ra_enc, NULL), URL,
                               &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);
    assert_string_equal(err.message,
                        "none of the 2 certificates from " URL " is a CA "
                        "certificate (basicConstraints CA:TRUE)");

    assert_null(scep_ca_select(certs_of(pki.ra_sign, NULL), URL, &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);
}


static void
test_bad_answers(void **state)
{
    int              len;
    scep_error_t     err;
    unsigned char   *der, *padded;
    STACK_OF(X509)  *certs;

    (void) state;

    assert_null(scep_cacert_parse("text/html", (unsigned char *) "<html>",
                                  6, URL, &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);
    assert_string_equal(err.message,
                        "the GetCACert answer from " URL " has content type "
                        "\"text/html\", expected " TYPE_CA " or " TYPE_RA
                        " (is the URL a SCEP service?)");

    assert_null(scep_cacert_parse(TYPE_CA, (unsigned char *) "junk", 4, URL,
                                  &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);
    assert_non_null(strstr(err.message, "is not one DER certificate"));

    assert_null(scep_cacert_parse(TYPE_RA, (unsigned char *) "junk", 4, URL,
                                  &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);
    assert_non_null(strstr(err.message, "not a DER PKCS#7"));

    assert_null(scep_cacert_parse(TYPE_CA, (unsigned char *) "", 0, URL,
                                  &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);

    /* one certificate with trailing bytes is not one certificate */
    der = NULL;
    len = i2d_X509(pki.ca, &der);
    padded = OPENSSL_malloc((size_t) len + 1);
    memcpy(padded, der, (size_t) len);
    padded[len] = 0;

    certs = scep_cacert_parse(TYPE_CA, padded, (size_t) len + 1, URL, &err);
    assert_null(certs);
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);

    OPENSSL_free(padded);
    OPENSSL_free(der);
}


static void
test_too_many_certificates(void **state)
{
    int              i;
    size_t           len;
    scep_error_t     err;
    unsigned char   *der;
    STACK_OF(X509)  *certs;

    (void) state;

    certs = certs_of(pki.ca, NULL);

    for (i = 0; i < SCEP_CERTS_MAX; i++) {
        X509_up_ref(pki.ra_any);
        sk_X509_push(certs, pki.ra_any);
    }

    assert_int_equal(scep_certs_to_pkcs7(certs, &der, &len, &err), 0);
    scep_certs_free(certs);

    assert_null(scep_cacert_parse(TYPE_RA, der, len, URL, &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);
    assert_non_null(strstr(err.message, "holds 17 certificates"));

    OPENSSL_free(der);
}


static void
assert_pin(scep_ca_t *ca, X509 *cert, size_t len, int expected)
{
    unsigned char  fp[32];
    scep_error_t   err;

    assert_int_equal(scep_cert_fingerprint(cert, len, fp), 0);
    assert_int_equal(scep_ca_check_fingerprint(ca, fp, len, URL, &err),
                     expected);
}


static void
test_fingerprint_on_ca_and_ra(void **state)
{
    scep_ca_t     *ca;
    scep_error_t   err;

    (void) state;

    ca = scep_ca_select(certs_of(pki.ca, pki.ra_sign, pki.ra_enc, NULL), URL,
                        &err);
    assert_non_null(ca);

    assert_pin(ca, pki.ca, 32, 0);
    assert_pin(ca, pki.ca, 20, 0);
    assert_pin(ca, pki.ra_enc, 32, 0);
    assert_pin(ca, pki.ra_sign, 20, 0);

    /* no pin, no check */
    assert_int_equal(scep_ca_check_fingerprint(ca, NULL, 0, URL, &err), 0);

    /* a certificate that is not among those in use */
    assert_pin(ca, pki.root, 32, -1);

    scep_ca_free(ca);
}


static void
test_fingerprint_mismatch_sentence(void **state)
{
    char            want[SCEP_FINGERPRINT_HEX], got[SCEP_FINGERPRINT_HEX];
    char            expected[SCEP_ERROR_MESSAGE_LEN];
    scep_ca_t      *ca;
    scep_error_t    err;
    unsigned char   fp[32];

    (void) state;

    ca = scep_ca_select(certs_of(pki.ca, NULL), URL, &err);
    assert_non_null(ca);

    memset(fp, 0xab, sizeof(fp));
    assert_int_equal(scep_ca_check_fingerprint(ca, fp, 32, URL, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_CA_FINGERPRINT);
    assert_string_equal(err.field, "ca_fingerprint");

    scep_hex(fp, 32, want);
    assert_int_equal(scep_cert_fingerprint(pki.ca, 32, fp), 0);
    scep_hex(fp, 32, got);

    snprintf(expected, sizeof(expected),
             "the CA certificate from " URL " has SHA-256 fingerprint %s, "
             "the profile expects %s", got, want);
    assert_string_equal(err.message, expected);

    memset(fp, 0xab, sizeof(fp));
    assert_int_equal(scep_ca_check_fingerprint(ca, fp, 20, URL, &err), -1);
    assert_non_null(strstr(err.message, "SHA-1 fingerprint"));

    assert_int_equal(scep_ca_check_fingerprint(ca, fp, 16, URL, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);

    scep_ca_free(ca);
}


/*
 * A CA certificate whose key algorithm OpenSSL does not know (a sample
 * found by fuzzing): refused with a sentence, never dereferenced.
 */
static void
test_unknown_key_algorithm(void **state)
{
    FILE            *f;
    size_t           len;
    scep_error_t     err;
    unsigned char    der[4096];
    STACK_OF(X509)  *certs;

    (void) state;

    f = fopen("tests/unit/data/scep/cacert-unknown-key.der", "rb");
    assert_non_null(f);
    len = fread(der, 1, sizeof(der), f);
    fclose(f);
    assert_true(len > 0 && len < sizeof(der));

    certs = scep_cacert_parse(TYPE_CA, der, len, URL, &err);
    assert_non_null(certs);

    assert_null(scep_ca_select(certs, URL, &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);
    assert_string_equal(err.message, "the encryption certificate from "
                        URL " does not hold an RSA key");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_single_der_certificate),
        cmocka_unit_test(test_ndes_shaped_answer),
        cmocka_unit_test(test_ra_without_key_usage_does_both),
        cmocka_unit_test(test_explicit_usage_wins_over_none),
        cmocka_unit_test(test_signature_ra_only_encrypts_to_ca),
        cmocka_unit_test(test_encryption_ra_only_also_verifies),
        cmocka_unit_test(test_chain_picks_the_issuing_ca),
        cmocka_unit_test(test_forged_ra_is_refused),
        cmocka_unit_test(test_no_ca_certificate),
        cmocka_unit_test(test_bad_answers),
        cmocka_unit_test(test_too_many_certificates),
        cmocka_unit_test(test_fingerprint_on_ca_and_ra),
        cmocka_unit_test(test_fingerprint_mismatch_sentence),
        cmocka_unit_test(test_unknown_key_algorithm),
    };

    return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
