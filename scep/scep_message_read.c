/*
 * Reading a pkiMessage: its structure, its signature, its SCEP header.
 * Everything here comes from the peer and is checked before use.
 */

#include <string.h>

#include <openssl/cms.h>

#include "scep_attr.h"
#include "scep_message.h"


/* A small decimal number in a PrintableString; -1 if it is not one. */
static long
scep_msg_number(const ASN1_STRING *s)
{
    int                   i, len;
    long                  n;
    const unsigned char  *p;

    len = ASN1_STRING_length(s);
    p = ASN1_STRING_get0_data(s);

    if (len < 1 || len > 3) {
        return -1;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        n = n * 10 + (p[i] - '0');
    }

    return n;
}


static int
scep_msg_read_type(CMS_SignerInfo *si, scep_msg_t *msg, scep_error_t *err)
{
    long                n;
    const ASN1_STRING  *v;

    n = -1;

    if (scep_attr_get(si, SCEP_ATTR_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING,
                      &v) == 1)
    {
        n = scep_msg_number(v);
    }

    switch (n) {

    case SCEP_MSG_CERT_REP:
    case SCEP_MSG_RENEWAL_REQ:
    case SCEP_MSG_PKCS_REQ:
    case SCEP_MSG_CERT_POLL:
    case SCEP_MSG_GET_CERT:
    case SCEP_MSG_GET_CRL:
        msg->type = (scep_msg_type_t) n;
        return 0;

    default:
        return scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                              "the message has no valid messageType "
                              "attribute");
    }
}


static int
scep_msg_read_transaction(CMS_SignerInfo *si, scep_msg_t *msg,
    scep_error_t *err)
{
    int                   i, len;
    const unsigned char  *p;
    const ASN1_STRING    *v;

    if (scep_attr_get(si, SCEP_ATTR_TRANSACTION_ID, V_ASN1_PRINTABLESTRING,
                      &v) != 1)
    {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                              "the message has no valid transactionID "
                              "attribute");
    }

    len = ASN1_STRING_length(v);
    p = ASN1_STRING_get0_data(v);

    if (len < 1 || len > SCEP_TRANSACTION_ID_MAX) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                              "the message's transactionID is %d "
                              "characters long, expected 1 to %d",
                              len, SCEP_TRANSACTION_ID_MAX);
    }

    for (i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e) {
            return scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                                  "the message's transactionID holds a "
                                  "non-printable character");
        }
    }

    memcpy(msg->transaction_id, p, (size_t) len);
    msg->transaction_id[len] = '\0';

    return 0;
}


static int
scep_msg_read_nonce(CMS_SignerInfo *si, scep_attr_t attr,
    unsigned char *nonce, int *present, const char *name, scep_error_t *err)
{
    int                 rc;
    const ASN1_STRING  *v;

    rc = scep_attr_get(si, attr, V_ASN1_OCTET_STRING, &v);

    if (rc == 0) {
        *present = 0;
        return 0;
    }

    if (rc < 0 || ASN1_STRING_length(v) != SCEP_NONCE_LEN) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                              "the message's %s is not a %d-byte "
                              "OCTET STRING", name, SCEP_NONCE_LEN);
    }

    memcpy(nonce, ASN1_STRING_get0_data(v), SCEP_NONCE_LEN);
    *present = 1;

    return 0;
}


static void
scep_msg_read_fail_text(CMS_SignerInfo *si, scep_msg_t *msg)
{
    int                   i, len;
    const unsigned char  *p;
    const ASN1_STRING    *v;

    if (scep_attr_get(si, SCEP_ATTR_FAIL_INFO_TEXT, V_ASN1_UTF8STRING, &v)
        != 1)
    {
        return;
    }

    len = ASN1_STRING_length(v);
    p = ASN1_STRING_get0_data(v);

    if (len > SCEP_FAIL_TEXT_MAX) {
        len = SCEP_FAIL_TEXT_MAX;
    }

    /* shown to people and logged: ASCII only */
    for (i = 0; i < len; i++) {
        msg->fail_text[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char) p[i]
                                                          : '?';
    }

    msg->fail_text[len] = '\0';
}


static int
scep_msg_read_status(CMS_SignerInfo *si, scep_msg_t *msg, scep_error_t *err)
{
    long                n;
    const ASN1_STRING  *v;

    n = -1;

    if (scep_attr_get(si, SCEP_ATTR_PKI_STATUS, V_ASN1_PRINTABLESTRING, &v)
        == 1)
    {
        n = scep_msg_number(v);
    }

    if (n != SCEP_STATUS_SUCCESS && n != SCEP_STATUS_FAILURE
        && n != SCEP_STATUS_PENDING)
    {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                              "the CertRep has no valid pkiStatus "
                              "attribute");
    }

    msg->status = (scep_pki_status_t) n;

    if (n != SCEP_STATUS_FAILURE) {
        return 0;
    }

    n = -1;

    if (scep_attr_get(si, SCEP_ATTR_FAIL_INFO, V_ASN1_PRINTABLESTRING, &v)
        == 1)
    {
        n = scep_msg_number(v);
    }

    if (n < SCEP_FAIL_BAD_ALG || n > SCEP_FAIL_BAD_CERT_ID) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                              "the FAILURE CertRep has no valid failInfo "
                              "attribute");
    }

    msg->fail_info = (scep_fail_info_t) n;

    scep_msg_read_fail_text(si, msg);

    return 0;
}


static int
scep_msg_read_header(CMS_SignerInfo *si, scep_msg_t *msg, scep_error_t *err)
{
    memset(msg, 0, sizeof(scep_msg_t));

    if (scep_msg_read_type(si, msg, err) != 0
        || scep_msg_read_transaction(si, msg, err) != 0
        || scep_msg_read_nonce(si, SCEP_ATTR_SENDER_NONCE, msg->sender_nonce,
                               &msg->has_sender_nonce, "senderNonce", err)
        || scep_msg_read_nonce(si, SCEP_ATTR_RECIPIENT_NONCE,
                               msg->recipient_nonce,
                               &msg->has_recipient_nonce, "recipientNonce",
                               err))
    {
        return -1;
    }

    if (msg->type == SCEP_MSG_CERT_REP) {
        return scep_msg_read_status(si, msg, err);
    }

    return 0;
}


static CMS_ContentInfo *
scep_msg_decode(const unsigned char *der, size_t len, scep_error_t *err)
{
    CMS_ContentInfo      *cms;
    const unsigned char  *p;

    if (len == 0 || len > SCEP_MESSAGE_MAX_LEN) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the message is %zu bytes long, expected 1 to %d",
                       len, SCEP_MESSAGE_MAX_LEN);
        return NULL;
    }

    p = der;
    cms = d2i_CMS_ContentInfo(NULL, &p, (long) len);

    if (cms == NULL || p != der + len) {
        CMS_ContentInfo_free(cms);
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the message is not a DER CMS structure");
        scep_error_add_openssl(err);
        return NULL;
    }

    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed
        || OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data
        || sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1)
    {
        CMS_ContentInfo_free(cms);
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the message is not a SignedData of data with one "
                       "signer");
        return NULL;
    }

    return cms;
}


static int
scep_msg_verify(CMS_ContentInfo *cms, X509 *verifier, BIO *out,
    scep_error_t *err)
{
    int                    rc;
    BIO                   *detached;
    unsigned int           flags;
    STACK_OF(X509)        *certs;
    ASN1_OCTET_STRING    **content;

    certs = NULL;
    detached = NULL;
    flags = CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY;

    if (verifier != NULL) {
        certs = sk_X509_new_null();

        if (certs == NULL || !sk_X509_push(certs, verifier)) {
            sk_X509_free(certs);
            return scep_error_set(err, SCEP_ERR_NOMEM, NULL,
                                  "out of memory");
        }

        /* only the chosen certificate may have signed, not one it carries */
        flags |= CMS_NOINTERN;
    }

    /* FAILURE and PENDING replies may omit the content altogether */
    content = CMS_get0_content(cms);

    if (content == NULL || *content == NULL) {
        detached = BIO_new_mem_buf("", 0);
    }

    rc = CMS_verify(cms, certs, NULL, detached, out, flags);

    BIO_free(detached);
    sk_X509_free(certs);

    if (rc != 1) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       verifier != NULL
                       ? "the message's signature does not verify with the "
                         "CA's signing certificate"
                       : "the message's signature does not verify");
        scep_error_add_openssl(err);
        return -1;
    }

    return 0;
}


static int
scep_msg_take_signer(CMS_ContentInfo *cms, X509 **signer, scep_error_t *err)
{
    X509            *cert;
    STACK_OF(X509)  *signers;

    signers = CMS_get0_signers(cms);
    cert = (sk_X509_num(signers) == 1) ? sk_X509_value(signers, 0) : NULL;

    if (cert == NULL || !X509_up_ref(cert)) {
        sk_X509_free(signers);
        return scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                              "the message does not carry its signer's "
                              "certificate");
    }

    sk_X509_free(signers);
    *signer = cert;

    return 0;
}


int
scep_msg_parse(const unsigned char *der, size_t len, X509 *verifier,
    scep_msg_t *msg, X509 **signer, unsigned char **envelope,
    size_t *envelope_len, scep_error_t *err)
{
    int               rc;
    BIO              *out;
    char             *data;
    long              n;
    CMS_ContentInfo  *cms;

    *envelope = NULL;
    *envelope_len = 0;

    if (signer != NULL) {
        *signer = NULL;
    }

    cms = scep_msg_decode(der, len, err);
    if (cms == NULL) {
        return -1;
    }

    rc = -1;
    out = BIO_new(BIO_s_mem());

    if (out == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }

    if (scep_msg_verify(cms, verifier, out, err) != 0
        || scep_msg_read_header(sk_CMS_SignerInfo_value(
                                    CMS_get0_SignerInfos(cms), 0),
                                msg, err) != 0)
    {
        goto done;
    }

    if (signer != NULL && scep_msg_take_signer(cms, signer, err) != 0) {
        goto done;
    }

    n = BIO_get_mem_data(out, &data);

    if (n > 0) {
        *envelope = OPENSSL_memdup(data, (size_t) n);

        if (*envelope == NULL) {
            scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
            goto done;
        }

        *envelope_len = (size_t) n;
    }

    rc = 0;

done:

    if (rc != 0 && signer != NULL) {
        X509_free(*signer);
        *signer = NULL;
    }

    BIO_free(out);
    CMS_ContentInfo_free(cms);

    return rc;
}
