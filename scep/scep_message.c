#include <stdio.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/rand.h>

#include "scep_attr.h"
#include "scep_envelope.h"
#include "scep_message.h"


typedef struct {
    scep_msg_type_t   type;
    const char       *name;
} scep_msg_type_name_t;


static const scep_msg_type_name_t  scep_msg_type_names[] = {
    { SCEP_MSG_CERT_REP,    "CertRep" },
    { SCEP_MSG_RENEWAL_REQ, "RenewalReq" },
    { SCEP_MSG_PKCS_REQ,    "PKCSReq" },
    { SCEP_MSG_CERT_POLL,   "CertPoll" },
    { SCEP_MSG_GET_CERT,    "GetCert" },
    { SCEP_MSG_GET_CRL,     "GetCRL" },
};

#define SCEP_MSG_TYPE_NAMES                                                  \
    (sizeof(scep_msg_type_names) / sizeof(scep_msg_type_names[0]))

static const char  *scep_fail_info_names[] = {
    "badAlg",
    "badMessageCheck",
    "badRequest",
    "badTime",
    "badCertId",
};

static const char  *scep_fail_info_reasons[] = {
    "it does not accept the algorithms of the request",
    "the request's signature did not verify at the CA",
    "e.g. a wrong or used challenge password, or a subject not allowed",
    "the request's signing time is too far from the CA's clock",
    "the CA does not know the certificate or transaction asked for",
};


static int
scep_msg_add_number(CMS_SignerInfo *si, scep_attr_t attr, int value)
{
    char  text[8];
    int   n;

    n = snprintf(text, sizeof(text), "%d", value);

    return scep_attr_add(si, attr, V_ASN1_PRINTABLESTRING, text, (size_t) n);
}


static int
scep_msg_add_header(CMS_SignerInfo *si, const scep_msg_t *msg)
{
    size_t  len;

    len = strlen(msg->transaction_id);

    if (len == 0 || len > SCEP_TRANSACTION_ID_MAX
        || scep_attr_add(si, SCEP_ATTR_TRANSACTION_ID,
                         V_ASN1_PRINTABLESTRING, msg->transaction_id, len)
        || scep_msg_add_number(si, SCEP_ATTR_MESSAGE_TYPE, msg->type))
    {
        return -1;
    }

    if (msg->has_sender_nonce
        && scep_attr_add(si, SCEP_ATTR_SENDER_NONCE, V_ASN1_OCTET_STRING,
                         msg->sender_nonce, SCEP_NONCE_LEN))
    {
        return -1;
    }

    if (msg->has_recipient_nonce
        && scep_attr_add(si, SCEP_ATTR_RECIPIENT_NONCE, V_ASN1_OCTET_STRING,
                         msg->recipient_nonce, SCEP_NONCE_LEN))
    {
        return -1;
    }

    if (msg->type != SCEP_MSG_CERT_REP) {
        return 0;
    }

    if (scep_msg_add_number(si, SCEP_ATTR_PKI_STATUS, msg->status)) {
        return -1;
    }

    if (msg->status == SCEP_STATUS_FAILURE
        && scep_msg_add_number(si, SCEP_ATTR_FAIL_INFO, msg->fail_info))
    {
        return -1;
    }

    if (msg->fail_text[0] != '\0'
        && scep_attr_add(si, SCEP_ATTR_FAIL_INFO_TEXT, V_ASN1_UTF8STRING,
                         msg->fail_text, strlen(msg->fail_text)))
    {
        return -1;
    }

    return 0;
}


int
scep_msg_build(const scep_msg_t *msg, const scep_msg_keys_t *keys,
    const unsigned char *content, size_t content_len, unsigned char **der,
    size_t *der_len, scep_error_t *err)
{
    int               n, rc;
    BIO              *data;
    size_t            env_len;
    unsigned char    *env, *out;
    CMS_SignerInfo   *si;
    CMS_ContentInfo  *cms;

    *der = NULL;
    *der_len = 0;

    env = NULL;
    env_len = 0;

    if (content != NULL
        && scep_envelope_seal(content, content_len, keys->recipient,
                              keys->cipher, &env, &env_len, err) != 0)
    {
        return -1;
    }

    rc = -1;
    data = BIO_new_mem_buf(env != NULL ? env : (unsigned char *) "",
                           (int) env_len);
    cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);

    if (data == NULL || cms == NULL) {
        goto done;
    }

    si = CMS_add1_signer(cms, keys->signer_cert, keys->signer_key, keys->md,
                         CMS_BINARY | CMS_NOSMIMECAP);

    /* contentType, messageDigest and signingTime come with CMS_final */
    if (si == NULL
        || scep_msg_add_header(si, msg) != 0
        || !CMS_final(cms, data, NULL, CMS_BINARY))
    {
        goto done;
    }

    out = NULL;
    n = i2d_CMS_ContentInfo(cms, &out);

    if (n > 0) {
        *der = out;
        *der_len = (size_t) n;
        rc = 0;
    }

done:

    if (rc != 0) {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot sign the %s message",
                       scep_msg_type_name(msg->type));
        scep_error_add_openssl(err);
    }

    CMS_ContentInfo_free(cms);
    BIO_free(data);
    OPENSSL_free(env);

    return rc;
}


int
scep_nonce_generate(unsigned char *nonce, scep_error_t *err)
{
    if (RAND_bytes(nonce, SCEP_NONCE_LEN) != 1) {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "the random generator failed to make a nonce");
        scep_error_add_openssl(err);
        return -1;
    }

    return 0;
}


const char *
scep_msg_type_name(scep_msg_type_t type)
{
    size_t  i;

    for (i = 0; i < SCEP_MSG_TYPE_NAMES; i++) {
        if (scep_msg_type_names[i].type == type) {
            return scep_msg_type_names[i].name;
        }
    }

    return "unknown";
}


const char *
scep_fail_info_name(scep_fail_info_t info)
{
    if ((unsigned) info > SCEP_FAIL_BAD_CERT_ID) {
        return "unknown";
    }

    return scep_fail_info_names[info];
}


const char *
scep_fail_info_reason(scep_fail_info_t info)
{
    if ((unsigned) info > SCEP_FAIL_BAD_CERT_ID) {
        return "no reason given";
    }

    return scep_fail_info_reasons[info];
}
