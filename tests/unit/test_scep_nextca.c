/*
 * GetNextCACert answers: the next CA is taken only on the current CA's
 * signature (or its RA's), from the certificates field or the signed
 * content, and never the current CA itself.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/cms.h>

#include "scep/scep_certs.h"
#include "scep/scep_nextca.h"
#include "tests/unit/scep_test_ca.h"


#define TYPE  "application/x-x509-next-ca-cert"
#define URL   "http://ca.test/scep"


static EVP_PKEY   *ca_key, *next_key, *other_key;
static X509       *ca_cert, *next_cert, *leaf;
static scep_ca_t  *ca;


static int
setup(void **state)
{
    scep_error_t     err;
    STACK_OF(X509)  *certs;

    (void) state;

    ca_key = test_ca_key(2048);
    next_key = test_ca_key(2048);
    other_key = test_ca_key(2048);
    ca_cert = test_ca_root(ca_key, "O=acme,CN=Current CA");
    next_cert = test_ca_root(next_key, "O=acme,CN=Next CA");
    leaf = test_ca_leaf(ca_cert, ca_key, other_key, "O=acme,CN=not a CA",
                        "critical,digitalSignature");

    certs = sk_X509_new_null();
    X509_up_ref(ca_cert);
    sk_X509_push(certs, ca_cert);
    ca = scep_ca_select(certs, URL, &err);

    return (ca != NULL && next_cert != NULL && leaf != NULL) ? 0 : -1;
}


static int
teardown(void **state)
{
    (void) state;

    scep_ca_free(ca);
    X509_free(ca_cert);
    X509_free(next_cert);
    X509_free(leaf);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(next_key);
    EVP_PKEY_free(other_key);

    return 0;
}


/* A SignedData by signer over a certs-only PKCS#7 of inside. */
static unsigned char *
answer(X509 *signer, EVP_PKEY *key, X509 *inside, int carry, size_t *len)
{
    int               n;
    BIO              *in;
    size_t            inner_len;
    scep_error_t      err;
    unsigned char    *inner, *der;
    STACK_OF(X509)   *certs;
    CMS_ContentInfo  *cms;

    certs = sk_X509_new_null();
    sk_X509_push(certs, inside);
    assert_int_equal(scep_certs_to_pkcs7(certs, &inner, &inner_len, &err),
                     0);

    in = BIO_new_mem_buf(inner, (int) inner_len);
    cms = CMS_sign(signer, key, carry ? certs : NULL, in,
                   CMS_BINARY | CMS_NOSMIMECAP | (carry ? 0 : CMS_NOCERTS));
    assert_non_null(cms);

    der = NULL;
    n = i2d_CMS_ContentInfo(cms, &der);
    assert_true(n > 0);
    *len = (size_t) n;

    CMS_ContentInfo_free(cms);
    BIO_free(in);
    OPENSSL_free(inner);
    sk_X509_free(certs);

    return der;
}


static void
test_next_ca_on_the_current_ca_word(void **state)
{
    X509           *got;
    size_t          len;
    scep_error_t    err;
    unsigned char  *der;

    (void) state;

    /* carried in the certificates field */
    der = answer(ca_cert, ca_key, next_cert, 1, &len);
    got = scep_nextca_parse(TYPE, der, len, ca, URL, &err);
    assert_non_null(got);
    assert_int_equal(X509_cmp(got, next_cert), 0);
    X509_free(got);
    OPENSSL_free(der);

    /* only in the signed content */
    der = answer(ca_cert, ca_key, next_cert, 0, &len);
    got = scep_nextca_parse(TYPE "; charset=binary", der, len, ca, URL,
                            &err);
    assert_non_null(got);
    assert_int_equal(X509_cmp(got, next_cert), 0);
    X509_free(got);
    OPENSSL_free(der);
}


static void
test_refused(void **state)
{
    size_t          len;
    scep_error_t    err;
    unsigned char  *der;

    (void) state;

    /* signed by someone else: a certificate of this CA is not the CA */
    der = answer(leaf, other_key, next_cert, 1, &len);
    assert_null(scep_nextca_parse(TYPE, der, len, ca, URL, &err));
    assert_non_null(strstr(err.message, "not signed by the current CA"));

    /* the wrong content type is not read */
    assert_null(scep_nextca_parse("application/x-x509-ca-cert", der, len,
                                  ca, URL, &err));
    assert_non_null(strstr(err.message, "content type"));
    OPENSSL_free(der);

    /* the current CA again, or a certificate that is no CA */
    der = answer(ca_cert, ca_key, ca_cert, 0, &len);
    assert_null(scep_nextca_parse(TYPE, der, len, ca, URL, &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);
    OPENSSL_free(der);

    der = answer(ca_cert, ca_key, leaf, 1, &len);
    assert_null(scep_nextca_parse(TYPE, der, len, ca, URL, &err));
    assert_int_equal(err.code, SCEP_ERR_CA_CERT);

    /* truncated, or with bytes after it */
    assert_null(scep_nextca_parse(TYPE, der, len - 1, ca, URL, &err));
    assert_null(scep_nextca_parse(TYPE, der, 0, ca, URL, &err));
    OPENSSL_free(der);

    assert_null(scep_nextca_parse(TYPE, (const unsigned char *) "garbage",
                                  7, ca, URL, &err));
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_next_ca_on_the_current_ca_word),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
