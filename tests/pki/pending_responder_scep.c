/*
 * The SCEP side of the test responder: its PKI, GetCACert, GetCACaps and
 * PKIOperation with the PENDING / SUCCESS / FAILURE policy.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "pending_responder.h"
#include "scep/scep_certpoll.h"
#include "scep/scep_certs.h"
#include "scep/scep_envelope.h"
#include "tests/unit/scep_test_ca.h"


static int
responder_write_pem(const responder_t *r, const char *file, X509 *cert)
{
    int    ok;
    char   path[4096];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", r->dir, file);

    f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }

    ok = PEM_write_X509(f, cert);

    return (fclose(f) == 0 && ok) ? 0 : -1;
}


static X509 *
responder_read_pem(const char *dir, const char *file, EVP_PKEY **key)
{
    char   path[4096];
    X509  *cert;
    FILE  *f;

    if (dir != NULL) {
        snprintf(path, sizeof(path), "%s/%s", dir, file);
    } else {
        snprintf(path, sizeof(path), "%s", file);
    }

    f = fopen(path, "r");
    if (f == NULL) {
        return NULL;
    }

    if (key != NULL) {
        *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        cert = NULL;

    } else {
        cert = PEM_read_X509(f, NULL, NULL, NULL);
    }

    fclose(f);

    return cert;
}


/* The next CA, and its key beside it, for the responder after the switch. */
static int
responder_next_init(responder_t *r)
{
    int    ok;
    char   path[4096];
    FILE  *f;

    r->next_key = test_ca_key(2048);
    r->next = test_ca_root(r->next_key,
                           "O=ngx_scep tests,CN=Pending Test CA 2");

    if (r->next == NULL || responder_write_pem(r, "next-ca.pem", r->next)
                           != 0)
    {
        return -1;
    }

    snprintf(path, sizeof(path), "%s/next-ca.key", r->dir);

    f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }

    ok = PEM_write_PrivateKey(f, r->next_key, NULL, NULL, 0, NULL, NULL);

    return (fclose(f) == 0 && ok) ? 0 : -1;
}


int
responder_pki_init(responder_t *r)
{
    if (r->ca_dir != NULL) {
        r->ca = responder_read_pem(r->ca_dir, "next-ca.pem", NULL);
        responder_read_pem(r->ca_dir, "next-ca.key", &r->ca_key);

    } else {
        r->ca_key = test_ca_key(2048);
        r->ca = test_ca_root(r->ca_key,
                             "O=ngx_scep tests,CN=Pending Test CA");
    }

    if (r->ca == NULL || r->ca_key == NULL
        || responder_write_pem(r, "ca.pem", r->ca) != 0)
    {
        return -1;
    }

    if (r->previous_ca_file != NULL) {
        r->previous = responder_read_pem(NULL, r->previous_ca_file, NULL);

        if (r->previous == NULL) {
            return -1;
        }
    }

    if (r->next_ca && responder_next_init(r) != 0) {
        return -1;
    }

    if (!r->ra) {
        return 0;
    }

    /* one RA key, two certificates, as an NDES server commonly has */
    r->ra_key = test_ca_key(2048);
    r->ra_sign = test_ca_leaf(r->ca, r->ca_key, r->ra_key,
                              "O=ngx_scep tests,CN=Pending RA Signature",
                              "critical,digitalSignature");
    r->ra_enc = test_ca_leaf(r->ca, r->ca_key, r->ra_key,
                             "O=ngx_scep tests,CN=Pending RA Encryption",
                             "critical,keyEncipherment");

    if (r->ra_sign == NULL || r->ra_enc == NULL
        || responder_write_pem(r, "ra-sign.pem", r->ra_sign) != 0
        || responder_write_pem(r, "ra-encrypt.pem", r->ra_enc) != 0)
    {
        return -1;
    }

    return 0;
}


void
responder_pki_free(responder_t *r)
{
    int  i;

    for (i = 0; i < r->ntxns; i++) {
        X509_REQ_free(r->txns[i].csr);
        X509_free(r->txns[i].issued);
    }

    X509_free(r->ca);
    X509_free(r->ra_sign);
    X509_free(r->ra_enc);
    X509_free(r->next);
    X509_free(r->previous);
    EVP_PKEY_free(r->ca_key);
    EVP_PKEY_free(r->ra_key);
    EVP_PKEY_free(r->next_key);
}


static void
responder_text(responder_answer_t *a, int status, const char *text)
{
    a->status = status;
    a->content_type = "text/plain";
    a->body = (unsigned char *) OPENSSL_strdup(text);
    a->len = strlen(text);
}


static void
responder_get_ca_cert(responder_t *r, responder_answer_t *a)
{
    int              n;
    size_t           len;
    scep_error_t     err;
    STACK_OF(X509)  *certs;

    printf("op=GetCACert shape=%s\n", r->ra ? "ca-ra" : "ca");

    if (!r->ra) {
        a->body = NULL;
        n = i2d_X509(r->ca, &a->body);
        a->status = 200;
        a->content_type = "application/x-x509-ca-cert";
        a->len = (size_t) n;
        return;
    }

    certs = sk_X509_new_null();
    sk_X509_push(certs, r->ca);
    sk_X509_push(certs, r->ra_sign);
    sk_X509_push(certs, r->ra_enc);

    if (scep_certs_to_pkcs7(certs, &a->body, &len, &err) != 0) {
        responder_text(a, 500, err.message);
    } else {
        a->status = 200;
        a->content_type = "application/x-x509-ca-ra-cert";
        a->len = len;
    }

    sk_X509_free(certs);
}


static responder_txn_t *
responder_txn(responder_t *r, const char *id, int create)
{
    int  i;

    for (i = 0; i < r->ntxns; i++) {
        if (strcmp(r->txns[i].id, id) == 0) {
            return &r->txns[i];
        }
    }

    if (!create || r->ntxns == RESPONDER_TXNS) {
        return NULL;
    }

    memset(&r->txns[r->ntxns], 0, sizeof(responder_txn_t));
    snprintf(r->txns[r->ntxns].id, sizeof(r->txns[0].id), "%s", id);

    return &r->txns[r->ntxns++];
}


/*
 * The content-encryption cipher of the request, to answer in kind; from a
 * library context with the legacy provider, for single DES.  Free it
 * with EVP_CIPHER_free().
 */
static EVP_CIPHER *
responder_request_cipher(const unsigned char *env, size_t len)
{
    PKCS7                *p7;
    EVP_CIPHER           *cipher;
    const unsigned char  *p;

    static OSSL_LIB_CTX  *legacy;

    if (legacy == NULL) {
        legacy = OSSL_LIB_CTX_new();
        OSSL_PROVIDER_load(legacy, "default");
        OSSL_PROVIDER_load(legacy, "legacy");
    }

    p = env;
    p7 = d2i_PKCS7(NULL, &p, (long) len);
    cipher = NULL;

    if (p7 != NULL && PKCS7_type_is_enveloped(p7)) {
        cipher = EVP_CIPHER_fetch(legacy, OBJ_nid2sn(OBJ_obj2nid(
                     p7->d.enveloped->enc_data->algorithm->algorithm)),
                     NULL);
    }

    PKCS7_free(p7);

    return cipher != NULL ? cipher
                          : EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
}


static int
responder_challenge_ok(const responder_t *r, X509_REQ *req)
{
    int         i;
    ASN1_TYPE  *t;

    if (r->challenge == NULL) {
        return 1;
    }

    i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1);
    if (i < 0) {
        return 0;
    }

    t = X509_ATTRIBUTE_get0_type(X509_REQ_get_attr(req, i), 0);

    return t != NULL && t->type != V_ASN1_BOOLEAN
           && t->type != V_ASN1_NULL && t->type != V_ASN1_OBJECT
           && (size_t) ASN1_STRING_length(t->value.asn1_string)
              == strlen(r->challenge)
           && memcmp(ASN1_STRING_get0_data(t->value.asn1_string),
                     r->challenge, strlen(r->challenge)) == 0;
}


static X509 *
responder_issue(responder_t *r, X509_REQ *req)
{
    X509                      *cert;
    STACK_OF(X509_EXTENSION)  *exts;
    int                        i;

    cert = test_ca_issue(r->ca, r->ca_key, X509_REQ_get0_pubkey(req),
                         X509_REQ_get_subject_name(req),
                         "critical,digitalSignature,keyEncipherment", 0,
                         365);
    if (cert == NULL) {
        return NULL;
    }

    /* the requested subjectAltName, as most CAs honour it */
    exts = X509_REQ_get_extensions(req);
    i = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);

    if (i >= 0) {
        X509_add_ext(cert, X509v3_get_ext(exts, i), -1);
        X509_sign(cert, r->ca_key, EVP_sha256());
    }

    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

    return cert;
}


static void
responder_save_csr(responder_t *r, const unsigned char *der, size_t len)
{
    char   path[4096];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/csr-%d.der", r->dir, ++r->csr_seq);

    f = fopen(path, "wb");
    if (f != NULL) {
        fwrite(der, 1, len, f);
        fclose(f);
    }
}


/*
 * Reads the request's content: a CSR for PKCSReq (kept with its
 * transaction), IssuerAndSubject for CertPoll.  Returns the transaction,
 * or NULL with *fail set to the failInfo to answer.
 */
static responder_txn_t *
responder_read_request(responder_t *r, const scep_msg_t *req,
    const unsigned char *plain, size_t len, int *fail)
{
    X509_REQ             *csr;
    X509_NAME            *issuer, *subject;
    scep_error_t          err;
    responder_txn_t      *txn;
    const unsigned char  *p;

    *fail = SCEP_FAIL_BAD_REQUEST;

    if (req->type == SCEP_MSG_PKCS_REQ || req->type == SCEP_MSG_RENEWAL_REQ) {
        p = plain;
        csr = d2i_X509_REQ(NULL, &p, (long) len);

        if (csr == NULL || X509_REQ_verify(csr, X509_REQ_get0_pubkey(csr))
                           != 1)
        {
            X509_REQ_free(csr);
            *fail = SCEP_FAIL_BAD_MESSAGE_CHECK;
            return NULL;
        }

        responder_save_csr(r, plain, len);

        if (!responder_challenge_ok(r, csr)) {
            X509_REQ_free(csr);
            return NULL;
        }

        txn = responder_txn(r, req->transaction_id, 1);

        if (txn == NULL) {
            X509_REQ_free(csr);
            return NULL;
        }

        /* a resent PKCSReq (micromdm's scepclient polls so) keeps its CSR */
        if (txn->csr == NULL) {
            txn->csr = csr;
        } else {
            X509_REQ_free(csr);
        }

        return txn;
    }

    if (req->type != SCEP_MSG_CERT_POLL) {
        return NULL;
    }

    *fail = SCEP_FAIL_BAD_CERT_ID;

    if (scep_certpoll_decode(plain, len, &issuer, &subject, &err) != 0) {
        return NULL;
    }

    txn = responder_txn(r, req->transaction_id, 0);

    if (txn != NULL
        && (X509_NAME_cmp(issuer, X509_get_subject_name(r->ca)) != 0
            || X509_NAME_cmp(subject, X509_REQ_get_subject_name(txn->csr))
               != 0))
    {
        txn = NULL;
    }

    X509_NAME_free(issuer);
    X509_NAME_free(subject);

    return txn;
}


/* The certs-only PKCS#7 of the issued certificate, or NULL. */
static unsigned char *
responder_success_content(responder_t *r, responder_txn_t *txn, size_t *len)
{
    unsigned char   *der;
    scep_error_t     err;
    STACK_OF(X509)  *certs;

    if (txn->issued == NULL) {
        txn->issued = responder_issue(r, txn->csr);

        if (txn->issued == NULL) {
            return NULL;
        }
    }

    certs = sk_X509_new_null();
    sk_X509_push(certs, txn->issued);

    if (scep_certs_to_pkcs7(certs, &der, len, &err) != 0) {
        der = NULL;
    }

    sk_X509_free(certs);

    return der;
}


static const char *
responder_status_name(scep_pki_status_t status)
{
    switch (status) {

    case SCEP_STATUS_SUCCESS:
        return "SUCCESS";

    case SCEP_STATUS_PENDING:
        return "PENDING";

    default:
        return "FAILURE";
    }
}


static int responder_issued_by(X509 *cert, X509 *ca);


/*
 * Who signed the request: its serial, and whether this CA issued it and
 * it is in its validity (what a RenewalReq needs: RFC 8894, section
 * 3.3.1.2), or it is self-signed (a first PKCSReq).
 */
static int
responder_signer(responder_t *r, X509 *signer, char *serial, size_t size,
    int *self)
{
    char    *hex;
    BIGNUM  *bn;

    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(signer), NULL);
    hex = (bn != NULL) ? BN_bn2hex(bn) : NULL;
    snprintf(serial, size, "%s", hex != NULL ? hex : "?");
    OPENSSL_free(hex);
    BN_free(bn);

    *self = (X509_NAME_cmp(X509_get_subject_name(signer),
                           X509_get_issuer_name(signer)) == 0
             && X509_verify(signer, X509_get0_pubkey(signer)) == 1);

    return (responder_issued_by(signer, r->ca)
            || (r->previous != NULL
                && responder_issued_by(signer, r->previous)))
           && X509_cmp_current_time(X509_get0_notBefore(signer)) < 0
           && X509_cmp_current_time(X509_get0_notAfter(signer)) > 0;
}


static int
responder_issued_by(X509 *cert, X509 *ca)
{
    return X509_NAME_cmp(X509_get_issuer_name(cert),
                         X509_get_subject_name(ca)) == 0
           && X509_verify(cert, X509_get0_pubkey(ca)) == 1;
}


static void
responder_pki_operation(responder_t *r, const char *method,
    const unsigned char *der, size_t len, responder_answer_t *a)
{
    int                fail, by_ca, self;
    char               serial[80];
    X509              *requester;
    size_t             env_len, plain_len, content_len;
    scep_msg_t         req, rep;
    scep_error_t       err;
    unsigned char     *env, *plain, *content;
    EVP_CIPHER        *cipher;
    scep_msg_keys_t    keys;
    responder_txn_t   *txn;

    if (scep_msg_parse(der, len, NULL, &req, &requester, &env, &env_len,
                       &err) != 0)
    {
        printf("op=PKIOperation method=%s error=\"%s\"\n", method,
               err.message);
        responder_text(a, 400, err.message);
        return;
    }

    plain = NULL;
    plain_len = 0;
    content = NULL;
    content_len = 0;
    txn = NULL;
    fail = SCEP_FAIL_BAD_MESSAGE_CHECK;

    by_ca = responder_signer(r, requester, serial, sizeof(serial), &self);

    /* single DES allowed: micromdm's scepclient encrypts with it */
    if (env == NULL) {
        printf("op=PKIOperation note=\"no pkcsPKIEnvelope\"\n");

    } else if (req.type == SCEP_MSG_RENEWAL_REQ && !by_ca) {
        /* a renewal proves itself with a certificate of this CA */
        printf("op=PKIOperation note=\"RenewalReq not signed by a valid "
               "certificate of this CA\"\n");

    } else if (scep_envelope_open(env, env_len, r->ra ? r->ra_enc : r->ca,
                                  r->ra ? r->ra_key : r->ca_key, 1, &plain,
                                  &plain_len, &err) != 0)
    {
        printf("op=PKIOperation note=\"%s\"\n", err.message);

    } else {
        txn = responder_read_request(r, &req, plain, plain_len, &fail);
    }

    memset(&rep, 0, sizeof(rep));
    rep.type = SCEP_MSG_CERT_REP;
    memcpy(rep.transaction_id, req.transaction_id,
           sizeof(rep.transaction_id));
    rep.has_sender_nonce = 1;
    RAND_bytes(rep.sender_nonce, SCEP_NONCE_LEN);
    rep.has_recipient_nonce = req.has_sender_nonce;
    memcpy(rep.recipient_nonce, req.sender_nonce, SCEP_NONCE_LEN);

    if (r->fail_info >= 0) {
        rep.status = SCEP_STATUS_FAILURE;
        rep.fail_info = (scep_fail_info_t) r->fail_info;

        if (r->fail_text != NULL) {
            snprintf(rep.fail_text, sizeof(rep.fail_text), "%s",
                     r->fail_text);
        }

    } else if (txn == NULL) {
        rep.status = SCEP_STATUS_FAILURE;
        rep.fail_info = (scep_fail_info_t) fail;

    } else if (++txn->answers <= r->pending) {
        rep.status = SCEP_STATUS_PENDING;

    } else {
        content = responder_success_content(r, txn, &content_len);
        rep.status = content != NULL ? SCEP_STATUS_SUCCESS
                                     : SCEP_STATUS_FAILURE;
        rep.fail_info = SCEP_FAIL_BAD_REQUEST;
    }

    printf("op=PKIOperation method=%s type=%s msgtype=%d tid=%s "
           "signer_serial=%s signer=%s answer=%s", method,
           scep_msg_type_name(req.type), (int) req.type, req.transaction_id,
           serial, by_ca ? "issued-by-ca" : self ? "self-signed" : "other",
           responder_status_name(rep.status));

    if (rep.status == SCEP_STATUS_FAILURE) {
        printf(" failInfo=%s", scep_fail_info_name(rep.fail_info));
    }

    printf("\n");

    keys.signer_cert = r->ra ? r->ra_sign : r->ca;
    keys.signer_key = r->ra ? r->ra_key : r->ca_key;
    keys.md = EVP_sha256();
    keys.recipient = requester;
    cipher = env != NULL ? responder_request_cipher(env, env_len)
                         : EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    keys.cipher = cipher;

    if (scep_msg_build(&rep, &keys, content, content_len, &a->body, &a->len,
                       &err) != 0)
    {
        responder_text(a, 500, err.message);

    } else {
        a->status = 200;
        a->content_type = "application/x-pki-message";
    }

    EVP_CIPHER_free(cipher);
    OPENSSL_free(content);
    OPENSSL_clear_free(plain, plain_len);
    OPENSSL_free(env);
    X509_free(requester);
}


/*
 * The next CA in a SignedData signed by the current one (or its RA
 * signature certificate): in the certificates field, and as a certs-only
 * PKCS#7 in the signed content.
 */
static void
responder_get_next_ca_cert(responder_t *r, responder_answer_t *a)
{
    int               n;
    BIO              *in;
    size_t            len;
    scep_error_t      err;
    unsigned char    *inner;
    CMS_ContentInfo  *cms;
    STACK_OF(X509)   *certs;

    printf("op=GetNextCACert next=%s\n", r->next != NULL ? "yes" : "no");

    if (r->next == NULL) {
        responder_text(a, 404, "no next CA certificate");
        return;
    }

    certs = sk_X509_new_null();
    sk_X509_push(certs, r->next);

    if (scep_certs_to_pkcs7(certs, &inner, &len, &err) != 0) {
        sk_X509_free(certs);
        responder_text(a, 500, err.message);
        return;
    }

    in = BIO_new_mem_buf(inner, (int) len);
    cms = CMS_sign(r->ra ? r->ra_sign : r->ca, r->ra ? r->ra_key : r->ca_key,
                   certs, in, CMS_BINARY | CMS_NOSMIMECAP);

    a->body = NULL;
    n = (cms != NULL) ? i2d_CMS_ContentInfo(cms, &a->body) : -1;

    if (n <= 0) {
        responder_text(a, 500, "cannot sign the next CA certificate");

    } else {
        a->status = 200;
        a->content_type = "application/x-x509-next-ca-cert";
        a->len = (size_t) n;
    }

    CMS_ContentInfo_free(cms);
    BIO_free(in);
    OPENSSL_free(inner);
    sk_X509_free(certs);
}


void
responder_handle(responder_t *r, const char *method, const char *operation,
    const unsigned char *message, size_t len, responder_answer_t *a)
{
    memset(a, 0, sizeof(responder_answer_t));

    if (operation == NULL) {
        printf("op=none\n");
        responder_text(a, 400, "no operation");

    } else if (strcmp(operation, "GetCACaps") == 0) {
        printf("op=GetCACaps\n");
        responder_text(a, 200, r->caps);

    } else if (strcmp(operation, "GetCACert") == 0) {
        responder_get_ca_cert(r, a);

    } else if (strcmp(operation, "GetNextCACert") == 0) {
        responder_get_next_ca_cert(r, a);

    } else if (strcmp(operation, "PKIOperation") == 0) {
        responder_pki_operation(r, method, message, len, a);

    } else {
        printf("op=%.32s unsupported\n", operation);
        responder_text(a, 400, "unsupported operation");
    }

    fflush(stdout);
}
