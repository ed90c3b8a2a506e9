/*
 * PKCSReq and CertPoll as a SCEP server reads them, with OpenSSL's CMS
 * calls rather than our parser: signature, signer certificate, every
 * signed attribute, the envelope's cipher and recipient, the content.
 * Then our own parser on the same bytes, and on broken ones.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/cms.h>
#include <openssl/pkcs7.h>

#include "scep/scep_certpoll.h"
#include "scep/scep_envelope.h"
#include "scep/scep_message.h"
#include "scep/scep_transaction.h"
#include "tests/unit/scep_test_ca.h"


typedef struct {
    EVP_PKEY            *ca_key, *key;
    X509                *ca;
    X509_NAME           *subject;
    scep_transaction_t  *t;
} fixture_t;


static fixture_t  fx;

static const unsigned char  csr_der[] = "stand-in for a DER CSR: the codec "
                                        "does not look inside";


static int
setup(void **state)
{
    scep_error_t  err;

    (void) state;

    fx.ca_key = test_ca_key(2048);
    fx.key = test_ca_key(2048);
    fx.ca = test_ca_root(fx.ca_key, "O=acme,CN=SCEP CA");
    fx.subject = test_ca_name("O=acme,CN=alice");

    fx.t = scep_transaction_create(fx.key, fx.subject,
                                   X509_get_subject_name(fx.ca),
                                   EVP_sha256(), &err);

    return fx.t != NULL ? 0 : -1;
}


static int
teardown(void **state)
{
    (void) state;

    scep_transaction_free(fx.t);
    X509_NAME_free(fx.subject);
    X509_free(fx.ca);
    EVP_PKEY_free(fx.key);
    EVP_PKEY_free(fx.ca_key);

    return 0;
}


static void
build_request(scep_msg_type_t type, const EVP_MD *md, const EVP_CIPHER *c,
    const unsigned char *content, size_t len, scep_msg_t *msg,
    unsigned char **der, size_t *der_len)
{
    scep_error_t     err;
    scep_msg_keys_t  keys;

    memset(msg, 0, sizeof(scep_msg_t));
    msg->type = type;
    strcpy(msg->transaction_id, fx.t->id);
    msg->has_sender_nonce = 1;
    assert_int_equal(scep_nonce_generate(msg->sender_nonce, &err), 0);

    keys.signer_cert = fx.t->signer;
    keys.signer_key = fx.t->key;
    keys.md = md;
    keys.recipient = fx.ca;
    keys.cipher = c;

    assert_int_equal(scep_msg_build(msg, &keys, content, len, der, der_len,
                                    &err), 0);
}


/* One signed attribute's single value, found by dotted OID. */
static ASN1_TYPE *
signed_attr(CMS_SignerInfo *si, const char *oid)
{
    int              i;
    ASN1_OBJECT     *obj;
    X509_ATTRIBUTE  *attr;

    obj = OBJ_txt2obj(oid, 1);
    i = CMS_signed_get_attr_by_OBJ(si, obj, -1);
    ASN1_OBJECT_free(obj);

    if (i < 0) {
        return NULL;
    }

    attr = CMS_signed_get_attr(si, i);
    assert_int_equal(X509_ATTRIBUTE_count(attr), 1);

    return X509_ATTRIBUTE_get0_type(attr, 0);
}


static void
assert_string_attr(CMS_SignerInfo *si, const char *oid, int type,
    const void *value, size_t len)
{
    ASN1_TYPE  *t;

    t = signed_attr(si, oid);
    assert_non_null(t);
    assert_int_equal(t->type, type);
    assert_int_equal(ASN1_STRING_length(t->value.asn1_string), len);
    assert_memory_equal(ASN1_STRING_get0_data(t->value.asn1_string), value,
                        len);
}


/* Reads a request as a server would; returns the decrypted content. */
static unsigned char *
server_reads(const unsigned char *der, size_t len, const scep_msg_t *msg,
    int md_nid, int cipher_nid, size_t *content_len)
{
    BIO                   *out, *plain;
    PKCS7                 *p7;
    X509                  *signer;
    X509_ALGOR            *digest_alg;
    CMS_SignerInfo        *si;
    CMS_ContentInfo       *cms, *env;
    unsigned char         *env_der, *content;
    STACK_OF(X509)        *signers;
    const unsigned char   *p;
    long                   n;
    char                   tid[SCEP_TRANSACTION_ID_MAX + 1];
    char                  *data;

    p = der;
    cms = d2i_CMS_ContentInfo(NULL, &p, (long) len);
    assert_non_null(cms);
    assert_int_equal(OBJ_obj2nid(CMS_get0_type(cms)), NID_pkcs7_signed);
    assert_int_equal(OBJ_obj2nid(CMS_get0_eContentType(cms)),
                     NID_pkcs7_data);

    /* a client without a certificate signs with a self-signed one */
    out = BIO_new(BIO_s_mem());
    assert_int_equal(CMS_verify(cms, NULL, NULL, NULL, out,
                                CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY), 1);

    signers = CMS_get0_signers(cms);
    assert_int_equal(sk_X509_num(signers), 1);
    signer = sk_X509_value(signers, 0);
    assert_int_equal(X509_cmp(signer, fx.t->signer), 0);
    assert_int_equal(X509_verify(signer, fx.key), 1);
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(signer),
                                   fx.subject), 0);
    assert_int_equal(X509_check_issued(signer, signer), X509_V_OK);
    sk_X509_free(signers);

    si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &digest_alg, NULL);
    assert_int_equal(OBJ_obj2nid(digest_alg->algorithm), md_nid);

    snprintf(tid, sizeof(tid), "%d", msg->type);
    assert_string_attr(si, "2.16.840.1.113733.1.9.2", V_ASN1_PRINTABLESTRING,
                       tid, strlen(tid));
    assert_string_attr(si, "2.16.840.1.113733.1.9.7", V_ASN1_PRINTABLESTRING,
                       fx.t->id, strlen(fx.t->id));
    assert_string_attr(si, "2.16.840.1.113733.1.9.5", V_ASN1_OCTET_STRING,
                       msg->sender_nonce, SCEP_NONCE_LEN);

    /* requests carry no reply attributes */
    assert_null(signed_attr(si, "2.16.840.1.113733.1.9.3"));
    assert_null(signed_attr(si, "2.16.840.1.113733.1.9.6"));

    assert_non_null(signed_attr(si, "1.2.840.113549.1.9.5"));
    assert_non_null(signed_attr(si, "1.2.840.113549.1.9.3"));
    assert_non_null(signed_attr(si, "1.2.840.113549.1.9.4"));

    n = BIO_get_mem_data(out, &data);
    assert_true(n > 0);
    env_der = OPENSSL_memdup(data, (size_t) n);

    /* the envelope: its cipher, then decrypted with the CA's key */
    p = env_der;
    p7 = d2i_PKCS7(NULL, &p, n);
    assert_non_null(p7);
    assert_true(PKCS7_type_is_enveloped(p7));
    assert_int_equal(OBJ_obj2nid(p7->d.enveloped->enc_data->algorithm
                                 ->algorithm), cipher_nid);
    assert_int_equal(sk_PKCS7_RECIP_INFO_num(p7->d.enveloped->recipientinfo),
                     1);
    PKCS7_free(p7);

    p = env_der;
    env = d2i_CMS_ContentInfo(NULL, &p, n);
    plain = BIO_new(BIO_s_mem());
    assert_int_equal(CMS_decrypt(env, fx.ca_key, fx.ca, NULL, plain,
                                 CMS_BINARY), 1);

    n = BIO_get_mem_data(plain, &data);
    content = OPENSSL_memdup(data, (size_t) n);
    *content_len = (size_t) n;

    BIO_free(plain);
    CMS_ContentInfo_free(env);
    OPENSSL_free(env_der);
    BIO_free(out);
    CMS_ContentInfo_free(cms);

    return content;
}


static void
test_pkcsreq_as_a_server_reads_it(void **state)
{
    size_t          len, content_len;
    scep_msg_t      msg;
    unsigned char  *der, *content;

    (void) state;

    build_request(SCEP_MSG_PKCS_REQ, EVP_sha256(), EVP_aes_256_cbc(),
                  csr_der, sizeof(csr_der), &msg, &der, &len);

    content = server_reads(der, len, &msg, NID_sha256, NID_aes_256_cbc,
                           &content_len);

    assert_int_equal(content_len, sizeof(csr_der));
    assert_memory_equal(content, csr_der, sizeof(csr_der));

    OPENSSL_free(content);
    OPENSSL_free(der);
}


static void
test_pkcsreq_des3_sha1(void **state)
{
    size_t          len, content_len;
    scep_msg_t      msg;
    unsigned char  *der, *content;

    (void) state;

    build_request(SCEP_MSG_PKCS_REQ, EVP_sha1(), EVP_des_ede3_cbc(),
                  csr_der, sizeof(csr_der), &msg, &der, &len);

    content = server_reads(der, len, &msg, NID_sha1, NID_des_ede3_cbc,
                           &content_len);
    assert_memory_equal(content, csr_der, sizeof(csr_der));

    OPENSSL_free(content);
    OPENSSL_free(der);
}


static void
test_certpoll_carries_issuer_and_subject(void **state)
{
    size_t          len, content_len, ias_len;
    X509_NAME      *issuer, *subject;
    scep_msg_t      msg;
    scep_error_t    err;
    unsigned char  *der, *content, *ias;

    (void) state;

    assert_int_equal(scep_certpoll_encode(fx.t->issuer, fx.t->subject, &ias,
                                          &ias_len, &err), 0);

    build_request(SCEP_MSG_CERT_POLL, EVP_sha256(), EVP_aes_256_cbc(), ias,
                  ias_len, &msg, &der, &len);

    content = server_reads(der, len, &msg, NID_sha256, NID_aes_256_cbc,
                           &content_len);

    assert_int_equal(scep_certpoll_decode(content, content_len, &issuer,
                                          &subject, &err), 0);
    assert_int_equal(X509_NAME_cmp(issuer, X509_get_subject_name(fx.ca)),
                     0);
    assert_int_equal(X509_NAME_cmp(subject, fx.subject), 0);

    X509_NAME_free(issuer);
    X509_NAME_free(subject);
    OPENSSL_free(content);
    OPENSSL_free(der);
    OPENSSL_free(ias);

    assert_int_equal(scep_certpoll_decode((unsigned char *) "\x30\x00", 2,
                                          &issuer, &subject, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
}


static void
test_our_parser_reads_the_request(void **state)
{
    X509           *signer;
    size_t          len, env_len, plain_len;
    scep_msg_t      msg, got;
    scep_error_t    err;
    unsigned char  *der, *env, *plain;

    (void) state;

    build_request(SCEP_MSG_PKCS_REQ, EVP_sha256(), EVP_aes_256_cbc(),
                  csr_der, sizeof(csr_der), &msg, &der, &len);

    assert_int_equal(scep_msg_parse(der, len, NULL, &got, &signer, &env,
                                    &env_len, &err), 0);

    assert_int_equal(got.type, SCEP_MSG_PKCS_REQ);
    assert_string_equal(got.transaction_id, fx.t->id);
    assert_int_equal(got.has_sender_nonce, 1);
    assert_memory_equal(got.sender_nonce, msg.sender_nonce, SCEP_NONCE_LEN);
    assert_int_equal(got.has_recipient_nonce, 0);
    assert_int_equal(X509_cmp(signer, fx.t->signer), 0);

    assert_int_equal(scep_envelope_open(env, env_len, fx.ca, fx.ca_key, 0,
                                        &plain, &plain_len, &err), 0);
    assert_int_equal(plain_len, sizeof(csr_der));
    assert_memory_equal(plain, csr_der, sizeof(csr_der));

    /* the envelope is for the CA: our own key cannot open it */
    OPENSSL_clear_free(plain, plain_len);
    assert_int_equal(scep_envelope_open(env, env_len, fx.t->signer, fx.key,
                                        0, &plain, &plain_len, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);

    /* with a verifier, only that certificate's signature counts */
    OPENSSL_free(env);
    assert_int_equal(scep_msg_parse(der, len, fx.ca, &got, NULL, &env,
                                    &env_len, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "does not verify"));

    X509_free(signer);
    OPENSSL_free(der);
}


static void
test_parser_refuses_damage(void **state)
{
    X509           *signer;
    size_t          len, env_len, i;
    scep_msg_t      msg, got;
    scep_error_t    err;
    unsigned char  *der, *env;

    (void) state;

    build_request(SCEP_MSG_PKCS_REQ, EVP_sha256(), EVP_aes_256_cbc(),
                  csr_der, sizeof(csr_der), &msg, &der, &len);

    assert_int_equal(scep_msg_parse(der, len - 1, NULL, &got, &signer, &env,
                                    &env_len, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
    assert_null(signer);
    assert_null(env);

    assert_int_equal(scep_msg_parse(der, 0, NULL, &got, &signer, &env,
                                    &env_len, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);

    assert_int_equal(scep_msg_parse(der, SCEP_MESSAGE_MAX_LEN + 1, NULL,
                                    &got, &signer, &env, &env_len, &err), -1);
    assert_non_null(strstr(err.message, "bytes long"));

    /* a changed byte of the signed content breaks the signature */
    i = len / 2;
    der[i] ^= 0x01;
    assert_int_equal(scep_msg_parse(der, len, NULL, &got, &signer, &env,
                                    &env_len, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);

    OPENSSL_free(der);
}


/* A request signed with raw OpenSSL calls and chosen attributes. */
static unsigned char *
raw_request(int type_asn1, const char *type_value, int with_tid,
    size_t nonce_len, size_t *len)
{
    int               n;
    BIO              *data;
    ASN1_OBJECT      *obj;
    CMS_SignerInfo   *si;
    unsigned char    *der, nonce[32];
    CMS_ContentInfo  *cms;

    cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
    si = CMS_add1_signer(cms, fx.t->signer, fx.key, EVP_sha256(),
                         CMS_BINARY | CMS_NOSMIMECAP);
    assert_non_null(si);

    obj = OBJ_txt2obj("2.16.840.1.113733.1.9.2", 1);
    assert_int_equal(CMS_signed_add1_attr_by_OBJ(si, obj, type_asn1,
                                                 type_value,
                                                 (int) strlen(type_value)),
                     1);
    ASN1_OBJECT_free(obj);

    if (with_tid) {
        obj = OBJ_txt2obj("2.16.840.1.113733.1.9.7", 1);
        CMS_signed_add1_attr_by_OBJ(si, obj, V_ASN1_PRINTABLESTRING, "T1",
                                    2);
        ASN1_OBJECT_free(obj);
    }

    memset(nonce, 7, sizeof(nonce));
    obj = OBJ_txt2obj("2.16.840.1.113733.1.9.5", 1);
    CMS_signed_add1_attr_by_OBJ(si, obj, V_ASN1_OCTET_STRING, nonce,
                                (int) nonce_len);
    ASN1_OBJECT_free(obj);

    data = BIO_new_mem_buf("x", 1);
    assert_int_equal(CMS_final(cms, data, NULL, CMS_BINARY), 1);

    der = NULL;
    n = i2d_CMS_ContentInfo(cms, &der);
    assert_true(n > 0);
    *len = (size_t) n;

    BIO_free(data);
    CMS_ContentInfo_free(cms);

    return der;
}


static void
assert_header_refused(unsigned char *der, size_t len, const char *why)
{
    size_t          env_len;
    scep_msg_t      got;
    scep_error_t    err;
    unsigned char  *env;

    assert_int_equal(scep_msg_parse(der, len, NULL, &got, NULL, &env,
                                    &env_len, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, why));

    OPENSSL_free(der);
}


static void
test_parser_checks_attributes(void **state)
{
    size_t          len, env_len;
    scep_msg_t      got;
    scep_error_t    err;
    unsigned char  *der, *env;

    (void) state;

    /* well formed: accepted, the content passed on */
    der = raw_request(V_ASN1_PRINTABLESTRING, "19", 1, 16, &len);
    assert_int_equal(scep_msg_parse(der, len, NULL, &got, NULL, &env,
                                    &env_len, &err), 0);
    assert_int_equal(got.type, SCEP_MSG_PKCS_REQ);
    assert_string_equal(got.transaction_id, "T1");
    assert_int_equal(env_len, 1);
    OPENSSL_free(env);
    OPENSSL_free(der);

    assert_header_refused(raw_request(V_ASN1_UTF8STRING, "19", 1, 16, &len),
                          len, "messageType");
    assert_header_refused(raw_request(V_ASN1_PRINTABLESTRING, "18", 1, 16,
                                      &len), len, "messageType");
    assert_header_refused(raw_request(V_ASN1_PRINTABLESTRING, "+19", 1, 16,
                                      &len), len, "messageType");
    assert_header_refused(raw_request(V_ASN1_PRINTABLESTRING, "19", 0, 16,
                                      &len), len, "transactionID");
    assert_header_refused(raw_request(V_ASN1_PRINTABLESTRING, "19", 1, 8,
                                      &len), len, "senderNonce");
}


static void
test_names(void **state)
{
    (void) state;

    assert_string_equal(scep_msg_type_name(SCEP_MSG_PKCS_REQ), "PKCSReq");
    assert_string_equal(scep_msg_type_name(SCEP_MSG_CERT_POLL), "CertPoll");
    assert_string_equal(scep_msg_type_name(SCEP_MSG_CERT_REP), "CertRep");
    assert_string_equal(scep_msg_type_name((scep_msg_type_t) 99), "unknown");
    assert_string_equal(scep_fail_info_name(SCEP_FAIL_BAD_ALG), "badAlg");
    assert_string_equal(scep_fail_info_name(SCEP_FAIL_BAD_CERT_ID),
                        "badCertId");
    assert_string_equal(scep_fail_info_name((scep_fail_info_t) 5),
                        "unknown");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_pkcsreq_as_a_server_reads_it),
        cmocka_unit_test(test_pkcsreq_des3_sha1),
        cmocka_unit_test(test_certpoll_carries_issuer_and_subject),
        cmocka_unit_test(test_our_parser_reads_the_request),
        cmocka_unit_test(test_parser_refuses_damage),
        cmocka_unit_test(test_parser_checks_attributes),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
