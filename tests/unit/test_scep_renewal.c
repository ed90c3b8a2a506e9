/*
 * RenewalReq (RFC 8894, section 3.3.1.2): the request is signed with the
 * certificate being renewed, carries a CSR for the new key without a
 * challenge, and its CertRep, encrypted to the old certificate, yields
 * the certificate of the new key.  A pending renewal survives
 * serialization with both keys.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/crypto.h>

#include "scep/scep_caps.h"
#include "scep/scep_certrep.h"
#include "scep/scep_csr.h"
#include "scep/scep_certs.h"
#include "scep/scep_envelope.h"
#include "scep/scep_pkiop.h"
#include "scep/scep_transaction.h"
#include "tests/unit/scep_test_ca.h"


static EVP_PKEY   *ca_key, *old_key, *new_key;
static X509       *ca_cert, *old_cert;
static scep_ca_t  *ca;


static int
setup(void **state)
{
    scep_error_t     err;
    STACK_OF(X509)  *certs;

    (void) state;

    ca_key = test_ca_key(2048);
    old_key = test_ca_key(2048);
    new_key = test_ca_key(2048);
    ca_cert = test_ca_root(ca_key, "O=acme,CN=Renewal Test CA");
    old_cert = test_ca_leaf(ca_cert, ca_key, old_key,
                            "O=acme,OU=vpn,CN=alice",
                            "critical,digitalSignature");

    certs = sk_X509_new_null();
    if (certs == NULL || ca_cert == NULL || !X509_up_ref(ca_cert)
        || !sk_X509_push(certs, ca_cert))
    {
        return -1;
    }

    ca = scep_ca_select(certs, "http://ca.test/scep", &err);
    if (ca == NULL) {
        return -1;
    }

    ca->caps = SCEP_CAP_RENEWAL | SCEP_CAP_AES | SCEP_CAP_SHA256;
    ca->algs.cipher = SCEP_CIPHER_AES_256_CBC;
    ca->algs.digest = SCEP_DIGEST_SHA256;
    ca->algs.post = 1;

    return (old_key && new_key && old_cert) ? 0 : -1;
}


static int
teardown(void **state)
{
    (void) state;

    scep_ca_free(ca);
    X509_free(ca_cert);
    X509_free(old_cert);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(old_key);
    EVP_PKEY_free(new_key);

    return 0;
}


static scep_transaction_t *
renewal(EVP_PKEY *requested)
{
    scep_error_t         err;
    scep_transaction_t  *t;

    t = scep_transaction_renewal(old_cert, old_key, requested,
                                 X509_get_subject_name(old_cert),
                                 X509_get_subject_name(ca_cert), &err);
    assert_non_null(t);

    return t;
}


static void
test_request_is_signed_by_the_old_certificate(void **state)
{
    char                 id[65];
    X509                *signer;
    size_t               der_len, csr_len, env_len, plain_len;
    X509_REQ            *csr, *back;
    scep_msg_t           msg, read;
    scep_error_t         err;
    unsigned char       *der, *csr_der, *env, *plain;
    scep_profile_t       profile;
    scep_transaction_t  *t;
    const unsigned char *p;

    (void) state;

    t = renewal(new_key);
    assert_true(t->renewal);
    assert_ptr_equal(scep_transaction_request_key(t), new_key);
    assert_int_equal(scep_transaction_id_of(new_key, id, sizeof(id)), 0);
    assert_string_equal(t->id, id);

    scep_profile_init(&profile, "renewal-test");
    csr = scep_csr_build(&profile, scep_transaction_request_key(t),
                         t->subject, NULL, NULL, &err);
    assert_non_null(csr);
    assert_int_equal(scep_csr_der(csr, &csr_der, &csr_len, &err), 0);

    assert_int_equal(scep_pkiop_build(ca, t, SCEP_MSG_RENEWAL_REQ, csr_der,
                                      csr_len, &msg, &der, &der_len, &err),
                     0);

    /* read back as a CA reads it: signer taken from the message */
    assert_int_equal(scep_msg_parse(der, der_len, NULL, &read, &signer,
                                    &env, &env_len, &err), 0);
    assert_int_equal(read.type, SCEP_MSG_RENEWAL_REQ);
    assert_int_equal(read.type, 17);
    assert_string_equal(scep_msg_type_name(read.type), "RenewalReq");
    assert_string_equal(read.transaction_id, id);
    assert_memory_equal(read.sender_nonce, msg.sender_nonce,
                        SCEP_NONCE_LEN);
    assert_int_equal(X509_cmp(signer, old_cert), 0);
    assert_int_equal(X509_verify(signer, X509_get0_pubkey(ca_cert)), 1);
    X509_free(signer);

    /* and checked against the old certificate alone */
    OPENSSL_free(env);
    assert_int_equal(scep_msg_parse(der, der_len, old_cert, &read, NULL,
                                    &env, &env_len, &err), 0);

    /* the content: the CSR of the new key, the same subject, no challenge */
    assert_int_equal(scep_envelope_open(env, env_len, ca_cert, ca_key, 0,
                                        &plain, &plain_len, &err), 0);
    assert_memory_equal(plain, csr_der, csr_len);

    p = plain;
    back = d2i_X509_REQ(NULL, &p, (long) plain_len);
    assert_non_null(back);
    assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(back), new_key), 1);
    assert_int_equal(X509_NAME_cmp(X509_REQ_get_subject_name(back),
                                   X509_get_subject_name(old_cert)), 0);
    assert_true(X509_REQ_get_attr_by_NID(back, NID_pkcs9_challengePassword,
                                         -1) < 0);

    X509_REQ_free(back);
    OPENSSL_clear_free(plain, plain_len);
    OPENSSL_free(env);
    OPENSSL_free(der);
    OPENSSL_clear_free(csr_der, csr_len);
    scep_csr_free(csr);
    scep_transaction_free(t);
}


/* The CA answers to the old certificate with one for the new key. */
static void
test_certrep_yields_the_new_certificate(void **state)
{
    X509                *issued, *got;
    size_t               der_len, content_len, req_len;
    scep_msg_t           req, rep;
    scep_error_t         err;
    unsigned char       *der, *content, *req_der;
    STACK_OF(X509)      *certs;
    scep_msg_keys_t      keys;
    scep_transaction_t  *t;

    (void) state;

    t = renewal(new_key);

    assert_int_equal(scep_pkiop_build(ca, t, SCEP_MSG_RENEWAL_REQ,
                                      (const unsigned char *) "x", 1, &req,
                                      &req_der, &req_len, &err), 0);
    OPENSSL_free(req_der);

    issued = test_ca_leaf(ca_cert, ca_key, new_key, "O=acme,OU=vpn,CN=alice",
                          "critical,digitalSignature");
    certs = sk_X509_new_null();
    sk_X509_push(certs, issued);
    assert_int_equal(scep_certs_to_pkcs7(certs, &content, &content_len,
                                         &err), 0);
    sk_X509_free(certs);

    memset(&rep, 0, sizeof(rep));
    rep.type = SCEP_MSG_CERT_REP;
    rep.status = SCEP_STATUS_SUCCESS;
    memcpy(rep.transaction_id, t->id, sizeof(t->id));
    rep.has_sender_nonce = 1;
    rep.has_recipient_nonce = 1;
    memcpy(rep.recipient_nonce, req.sender_nonce, SCEP_NONCE_LEN);

    keys.signer_cert = ca_cert;
    keys.signer_key = ca_key;
    keys.md = EVP_sha256();
    keys.recipient = old_cert;
    keys.cipher = EVP_aes_256_cbc();

    assert_int_equal(scep_msg_build(&rep, &keys, content, content_len, &der,
                                    &der_len, &err), 0);

    got = scep_certrep_read(der, der_len, ca, t, req.sender_nonce, 0,
                            "http://ca.test/scep", &err);
    assert_non_null(got);
    assert_int_equal(X509_cmp(got, issued), 0);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(got), new_key), 1);

    X509_free(got);
    X509_free(issued);
    OPENSSL_free(der);
    OPENSSL_free(content);
    scep_transaction_free(t);
}


static void
test_same_key_renewal(void **state)
{
    char                 id[65];
    scep_transaction_t  *t;

    (void) state;

    t = renewal(NULL);
    assert_true(t->renewal);
    assert_null(t->request_key);
    assert_ptr_equal(scep_transaction_request_key(t), old_key);
    assert_int_equal(scep_transaction_id_of(old_key, id, sizeof(id)), 0);
    assert_string_equal(t->id, id);
    scep_transaction_free(t);

    /* the old key given as the new one is the same thing */
    t = renewal(old_key);
    assert_null(t->request_key);
    scep_transaction_free(t);
}


static void
test_key_must_match_the_certificate(void **state)
{
    scep_error_t         err;
    scep_transaction_t  *t;

    (void) state;

    t = scep_transaction_renewal(old_cert, new_key, NULL,
                                 X509_get_subject_name(old_cert),
                                 X509_get_subject_name(ca_cert), &err);
    assert_null(t);
    assert_int_equal(err.code, SCEP_ERR_INPUT);
    assert_non_null(strstr(err.message, "does not belong"));
}


static void
test_pending_renewal_round_trip(void **state)
{
    size_t               len, i;
    scep_error_t         err;
    unsigned char       *buf;
    scep_transaction_t  *t, *back;

    (void) state;

    t = renewal(new_key);
    assert_int_equal(scep_transaction_serialize(t, &buf, &len, &err), 0);

    back = scep_transaction_deserialize(buf, len, &err);
    assert_non_null(back);
    assert_true(back->renewal);
    assert_string_equal(back->id, t->id);
    assert_int_equal(EVP_PKEY_eq(back->key, old_key), 1);
    assert_non_null(back->request_key);
    assert_int_equal(EVP_PKEY_eq(back->request_key, new_key), 1);
    assert_int_equal(X509_cmp(back->signer, old_cert), 0);
    assert_int_equal(X509_NAME_cmp(back->subject, t->subject), 0);
    assert_int_equal(X509_NAME_cmp(back->issuer, t->issuer), 0);
    scep_transaction_free(back);

    /* every truncation is refused, never half read */
    for (i = 0; i < len; i += 97) {
        assert_null(scep_transaction_deserialize(buf, i, &err));
    }

    OPENSSL_clear_free(buf, len);
    scep_transaction_free(t);

    /* the same key: version 2 without a requestKey */
    t = renewal(NULL);
    assert_int_equal(scep_transaction_serialize(t, &buf, &len, &err), 0);
    back = scep_transaction_deserialize(buf, len, &err);
    assert_non_null(back);
    assert_true(back->renewal);
    assert_null(back->request_key);
    assert_string_equal(back->id, t->id);
    scep_transaction_free(back);
    OPENSSL_clear_free(buf, len);
    scep_transaction_free(t);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_request_is_signed_by_the_old_certificate),
        cmocka_unit_test(test_certrep_yields_the_new_certificate),
        cmocka_unit_test(test_same_key_renewal),
        cmocka_unit_test(test_key_must_match_the_certificate),
        cmocka_unit_test(test_pending_renewal_round_trip),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
