/*
 * Reading CertRep: SUCCESS, FAILURE and PENDING answers built here, and
 * every reason to refuse one (another transaction, another nonce, another
 * signer, a broken signature, a certificate for another key or from
 * another CA).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/provider.h>

#include "scep/scep_certrep.h"
#include "scep/scep_certs.h"
#include "tests/unit/scep_test_ca.h"


#define URL  "http://pki.example/scep"


typedef struct {
    EVP_PKEY            *ca_key, *ra_key, *key, *other_key;
    X509                *ca, *ra_sign, *ra_enc, *issued, *stranger;
    X509                *other_ca, *from_other_ca, *for_other_key;
    X509_NAME           *subject;
    scep_ca_t           *single, *ndes;
    scep_transaction_t  *t;
    unsigned char        nonce[SCEP_NONCE_LEN];
    OSSL_LIB_CTX        *legacy;
    OSSL_PROVIDER       *legacy_providers[2];
} fixture_t;


static fixture_t  fx;


static scep_ca_t *
ca_of(X509 *first, X509 *second, X509 *third)
{
    scep_ca_t       *ca;
    scep_error_t     err;
    STACK_OF(X509)  *certs;

    certs = sk_X509_new_null();

    X509_up_ref(first);
    sk_X509_push(certs, first);

    if (second != NULL) {
        X509_up_ref(second);
        sk_X509_push(certs, second);
        X509_up_ref(third);
        sk_X509_push(certs, third);
    }

    ca = scep_ca_select(certs, URL, &err);
    if (ca != NULL) {
        ca->algs.cipher = SCEP_CIPHER_AES_256_CBC;
        ca->algs.digest = SCEP_DIGEST_SHA256;
        ca->algs.post = 1;
    }

    return ca;
}


static int
setup(void **state)
{
    scep_error_t  err;

    (void) state;

    fx.ca_key = test_ca_key(2048);
    fx.ra_key = test_ca_key(2048);
    fx.key = test_ca_key(2048);
    fx.other_key = test_ca_key(2048);

    fx.ca = test_ca_root(fx.ca_key, "O=acme,CN=SCEP CA");
    fx.other_ca = test_ca_root(fx.other_key, "O=acme,CN=SCEP CA");
    fx.ra_sign = test_ca_leaf(fx.ca, fx.ca_key, fx.ra_key, "CN=RA sign",
                              "critical,digitalSignature");
    fx.ra_enc = test_ca_leaf(fx.ca, fx.ca_key, fx.ra_key, "CN=RA encrypt",
                             "critical,keyEncipherment");
    fx.issued = test_ca_leaf(fx.ca, fx.ca_key, fx.key, "O=acme,CN=alice",
                             "critical,digitalSignature");
    fx.for_other_key = test_ca_leaf(fx.ca, fx.ca_key, fx.other_key,
                                    "O=acme,CN=alice",
                                    "critical,digitalSignature");
    fx.from_other_ca = test_ca_leaf(fx.other_ca, fx.other_key, fx.key,
                                    "O=acme,CN=alice",
                                    "critical,digitalSignature");
    fx.stranger = test_ca_root(fx.other_key, "CN=stranger");

    fx.subject = test_ca_name("O=acme,CN=alice");
    fx.single = ca_of(fx.ca, NULL, NULL);
    fx.ndes = ca_of(fx.ra_enc, fx.ca, fx.ra_sign);

    fx.t = scep_transaction_create(fx.key, fx.subject,
                                   X509_get_subject_name(fx.ca),
                                   EVP_sha256(), &err);

    memset(fx.nonce, 0x5a, sizeof(fx.nonce));

    fx.legacy = OSSL_LIB_CTX_new();
    fx.legacy_providers[0] = OSSL_PROVIDER_load(fx.legacy, "default");
    fx.legacy_providers[1] = OSSL_PROVIDER_load(fx.legacy, "legacy");

    return (fx.t && fx.single && fx.ndes && fx.legacy_providers[1]) ? 0 : -1;
}


static int
teardown(void **state)
{
    (void) state;

    scep_transaction_free(fx.t);
    scep_ca_free(fx.single);
    scep_ca_free(fx.ndes);
    X509_NAME_free(fx.subject);
    X509_free(fx.ca);
    X509_free(fx.other_ca);
    X509_free(fx.ra_sign);
    X509_free(fx.ra_enc);
    X509_free(fx.issued);
    X509_free(fx.for_other_key);
    X509_free(fx.from_other_ca);
    X509_free(fx.stranger);
    EVP_PKEY_free(fx.ca_key);
    EVP_PKEY_free(fx.ra_key);
    EVP_PKEY_free(fx.key);
    EVP_PKEY_free(fx.other_key);
    OSSL_PROVIDER_unload(fx.legacy_providers[1]);
    OSSL_PROVIDER_unload(fx.legacy_providers[0]);
    OSSL_LIB_CTX_free(fx.legacy);

    return 0;
}


/* What a CA answers; every field of it can be made wrong. */
typedef struct {
    X509               *signer;
    EVP_PKEY           *signer_key;
    const char         *transaction_id;
    const unsigned char *recipient_nonce;       /* NULL: none */
    scep_msg_type_t     type;
    scep_pki_status_t   status;
    scep_fail_info_t    fail_info;
    const char         *fail_text;
    X509               *cert;                   /* SUCCESS content */
    const EVP_CIPHER   *cipher;
} reply_t;


static void
reply_defaults(reply_t *r, X509 *signer, EVP_PKEY *signer_key)
{
    memset(r, 0, sizeof(reply_t));

    r->signer = signer;
    r->signer_key = signer_key;
    r->transaction_id = fx.t->id;
    r->recipient_nonce = fx.nonce;
    r->type = SCEP_MSG_CERT_REP;
    r->status = SCEP_STATUS_SUCCESS;
    r->cert = fx.issued;
    r->cipher = EVP_aes_256_cbc();
}


static unsigned char *
build_reply(const reply_t *r, size_t *len)
{
    size_t            certs_len;
    scep_msg_t        msg;
    scep_error_t      err;
    unsigned char    *der, *certs_der;
    scep_msg_keys_t   keys;
    STACK_OF(X509)   *certs;

    memset(&msg, 0, sizeof(msg));
    msg.type = r->type;
    snprintf(msg.transaction_id, sizeof(msg.transaction_id), "%s",
             r->transaction_id);
    msg.has_sender_nonce = 1;
    memset(msg.sender_nonce, 0x33, SCEP_NONCE_LEN);

    if (r->recipient_nonce != NULL) {
        msg.has_recipient_nonce = 1;
        memcpy(msg.recipient_nonce, r->recipient_nonce, SCEP_NONCE_LEN);
    }

    msg.status = r->status;
    msg.fail_info = r->fail_info;

    if (r->fail_text != NULL) {
        snprintf(msg.fail_text, sizeof(msg.fail_text), "%s", r->fail_text);
    }

    keys.signer_cert = r->signer;
    keys.signer_key = r->signer_key;
    keys.md = EVP_sha256();
    keys.recipient = fx.t->signer;
    keys.cipher = r->cipher;

    certs_der = NULL;
    certs_len = 0;

    if (r->status == SCEP_STATUS_SUCCESS && r->cert != NULL) {
        certs = sk_X509_new_null();
        sk_X509_push(certs, r->cert);
        assert_int_equal(scep_certs_to_pkcs7(certs, &certs_der, &certs_len,
                                             &err), 0);
        sk_X509_free(certs);
    }

    assert_int_equal(scep_msg_build(&msg, &keys, certs_der, certs_len, &der,
                                    len, &err), 0);
    OPENSSL_free(certs_der);

    return der;
}


static X509 *
read_reply(const reply_t *r, const scep_ca_t *ca, int fips,
    scep_error_t *err)
{
    X509           *cert;
    size_t          len;
    unsigned char  *der;

    der = build_reply(r, &len);
    cert = scep_certrep_read(der, len, ca, fx.t, fx.nonce, fips, URL, err);
    OPENSSL_free(der);

    return cert;
}


static void
assert_refused(const reply_t *r, const scep_ca_t *ca, scep_code_t code,
    const char *why)
{
    scep_error_t  err;

    assert_null(read_reply(r, ca, 0, &err));
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.message, URL));

    if (strstr(err.message, why) == NULL) {
        fail_msg("\"%s\" not in \"%s\"", why, err.message);
    }
}


static void
test_success(void **state)
{
    X509          *cert;
    reply_t        r;
    scep_error_t   err;

    (void) state;

    reply_defaults(&r, fx.ca, fx.ca_key);

    cert = read_reply(&r, fx.single, 0, &err);
    assert_non_null(cert);
    assert_int_equal(X509_cmp(cert, fx.issued), 0);
    X509_free(cert);

    /* DES3 content encryption too */
    r.cipher = EVP_des_ede3_cbc();
    cert = read_reply(&r, fx.single, 1, &err);
    assert_non_null(cert);
    X509_free(cert);
}


static void
test_success_from_ndes_ra(void **state)
{
    X509          *cert;
    reply_t        r;
    scep_error_t   err;

    (void) state;

    reply_defaults(&r, fx.ra_sign, fx.ra_key);

    cert = read_reply(&r, fx.ndes, 0, &err);
    assert_non_null(cert);
    assert_int_equal(X509_cmp(cert, fx.issued), 0);
    X509_free(cert);

    /* the CA's own signature is not the RA's: refused */
    reply_defaults(&r, fx.ca, fx.ca_key);
    assert_refused(&r, fx.ndes, SCEP_ERR_PROTOCOL,
                   "does not verify with the CA's signing certificate");
}


static void
test_single_des_needs_legacy_and_no_fips(void **state)
{
    X509          *cert;
    reply_t        r;
    EVP_CIPHER    *des;
    scep_error_t   err;

    (void) state;

    /* older PKCS#7 libraries (micromdm's among them) answer in DES-CBC */
    des = EVP_CIPHER_fetch(fx.legacy, "DES-CBC", NULL);
    assert_non_null(des);

    reply_defaults(&r, fx.ca, fx.ca_key);
    r.cipher = des;

    cert = read_reply(&r, fx.single, 0, &err);
    assert_non_null(cert);
    assert_int_equal(X509_cmp(cert, fx.issued), 0);
    X509_free(cert);

    assert_null(read_reply(&r, fx.single, 1, &err));
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "(encrypted with des-cbc) cannot be "
                                        "decrypted"));
    assert_non_null(strstr(err.message, "FIPS mode"));

    EVP_CIPHER_free(des);
}


static void
test_failure_sentences(void **state)
{
    reply_t        r;
    scep_error_t   err;

    (void) state;

    reply_defaults(&r, fx.ca, fx.ca_key);
    r.status = SCEP_STATUS_FAILURE;
    r.fail_info = SCEP_FAIL_BAD_REQUEST;

    assert_null(read_reply(&r, fx.single, 0, &err));
    assert_int_equal(err.code, SCEP_ERR_FAILURE);
    assert_string_equal(err.field, "badRequest");
    assert_string_equal(err.message,
                        "the CA at " URL " refused the request: badRequest "
                        "(e.g. a wrong or used challenge password, or a "
                        "subject not allowed)");

    r.fail_info = SCEP_FAIL_BAD_TIME;
    r.fail_text = "clock skew of 3 hours\n";

    assert_null(read_reply(&r, fx.single, 0, &err));
    assert_string_equal(err.field, "badTime");
    assert_string_equal(err.message,
                        "the CA at " URL " refused the request: badTime "
                        "(the request's signing time is too far from the "
                        "CA's clock); it says: clock skew of 3 hours?");

    r.fail_info = SCEP_FAIL_BAD_ALG;
    r.fail_text = NULL;
    assert_null(read_reply(&r, fx.single, 0, &err));
    assert_string_equal(err.field, "badAlg");

    r.fail_info = SCEP_FAIL_BAD_MESSAGE_CHECK;
    assert_null(read_reply(&r, fx.single, 0, &err));
    assert_string_equal(err.field, "badMessageCheck");

    r.fail_info = SCEP_FAIL_BAD_CERT_ID;
    assert_null(read_reply(&r, fx.single, 0, &err));
    assert_string_equal(err.field, "badCertId");

    /* a number outside the five is not a failInfo */
    r.fail_info = (scep_fail_info_t) 7;
    assert_refused(&r, fx.single, SCEP_ERR_PROTOCOL, "failInfo");
}


static void
test_pending(void **state)
{
    reply_t        r;
    scep_error_t   err;

    (void) state;

    reply_defaults(&r, fx.ca, fx.ca_key);
    r.status = SCEP_STATUS_PENDING;

    assert_null(read_reply(&r, fx.single, 0, &err));
    assert_int_equal(err.code, SCEP_ERR_PENDING);
    assert_string_equal(err.message, "the CA at " URL " holds the request "
                                     "for approval (PENDING)");
}


static void
test_wrong_transaction_or_nonce(void **state)
{
    reply_t        r;
    unsigned char  other[SCEP_NONCE_LEN];

    (void) state;

    reply_defaults(&r, fx.ca, fx.ca_key);
    r.transaction_id = "0000";
    assert_refused(&r, fx.single, SCEP_ERR_PROTOCOL, "another transaction");

    memset(other, 0x5b, sizeof(other));
    reply_defaults(&r, fx.ca, fx.ca_key);
    r.recipient_nonce = other;
    assert_refused(&r, fx.single, SCEP_ERR_PROTOCOL,
                   "does not echo our senderNonce");

    reply_defaults(&r, fx.ca, fx.ca_key);
    r.recipient_nonce = NULL;
    assert_refused(&r, fx.single, SCEP_ERR_PROTOCOL,
                   "does not echo our senderNonce");

    /* even a FAILURE must be ours before it is believed */
    reply_defaults(&r, fx.ca, fx.ca_key);
    r.recipient_nonce = other;
    r.status = SCEP_STATUS_FAILURE;
    assert_refused(&r, fx.single, SCEP_ERR_PROTOCOL,
                   "does not echo our senderNonce");
}


static void
test_wrong_signer_or_signature(void **state)
{
    size_t          len;
    reply_t         r;
    scep_error_t    err;
    unsigned char  *der;

    (void) state;

    /* signed by a certificate the message carries, not by the CA */
    reply_defaults(&r, fx.stranger, fx.other_key);
    assert_refused(&r, fx.single, SCEP_ERR_PROTOCOL, "does not verify");

    /* the CA's certificate, a byte of the signature changed */
    reply_defaults(&r, fx.ca, fx.ca_key);
    der = build_reply(&r, &len);
    der[len - 10] ^= 0x40;

    assert_null(scep_certrep_read(der, len, fx.single, fx.t, fx.nonce, 0,
                                  URL, &err));
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "does not verify"));

    OPENSSL_free(der);
}


static void
test_wrong_certificate_inside(void **state)
{
    reply_t  r;

    (void) state;

    reply_defaults(&r, fx.ca, fx.ca_key);
    r.cert = fx.for_other_key;
    assert_refused(&r, fx.single, SCEP_ERR_PROTOCOL,
                   "none of the 1 certificates in the CertRep from " URL
                   " is for the requested key");

    reply_defaults(&r, fx.ca, fx.ca_key);
    r.cert = fx.from_other_ca;
    assert_refused(&r, fx.single, SCEP_ERR_PROTOCOL,
                   "does not carry the signature of its CA");

    reply_defaults(&r, fx.ca, fx.ca_key);
    r.cert = NULL;
    assert_refused(&r, fx.single, SCEP_ERR_PROTOCOL, "carries no "
                   "certificate");
}


static void
test_not_a_certrep(void **state)
{
    size_t          len;
    reply_t         r;
    scep_error_t    err;

    (void) state;

    reply_defaults(&r, fx.ca, fx.ca_key);
    r.type = SCEP_MSG_PKCS_REQ;
    assert_refused(&r, fx.single, SCEP_ERR_PROTOCOL,
                   "is a PKCSReq, not a CertRep");

    len = 5;
    assert_null(scep_certrep_read((unsigned char *) "\x30\x03\x02\x01\x00",
                                  len, fx.single, fx.t, fx.nonce, 0, URL,
                                  &err));
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "not a valid pkiMessage"));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_success_from_ndes_ra),
        cmocka_unit_test(test_single_des_needs_legacy_and_no_fips),
        cmocka_unit_test(test_failure_sentences),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_wrong_transaction_or_nonce),
        cmocka_unit_test(test_wrong_signer_or_signature),
        cmocka_unit_test(test_wrong_certificate_inside),
        cmocka_unit_test(test_not_a_certrep),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
