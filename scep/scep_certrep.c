#include <string.h>

#include <openssl/crypto.h>

#include "scep_certrep.h"
#include "scep_certs.h"
#include "scep_envelope.h"


/* The certificate for our key out of the decrypted certs-only PKCS#7. */
static X509 *
scep_certrep_pick(const unsigned char *der, size_t len, const scep_ca_t *ca,
    EVP_PKEY *key, const char *url, scep_error_t *err)
{
    int              i;
    X509            *cert, *found;
    scep_error_t     inner;
    STACK_OF(X509)  *certs;

    certs = scep_certs_from_pkcs7(der, len, &inner);

    if (certs == NULL) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the CertRep from %s does not hold a valid "
                       "certificate list: %.160s", url, inner.message);
        return NULL;
    }

    found = NULL;

    for (i = 0; i < sk_X509_num(certs); i++) {
        cert = sk_X509_value(certs, i);

        if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1) {
            found = cert;
            break;
        }
    }

    if (found == NULL) {
        scep_certs_free(certs);
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "none of the %d certificates in the CertRep from %s "
                       "is for the requested key", i, url);
        return NULL;
    }

    if (X509_verify(found, X509_get0_pubkey(ca->ca)) != 1) {
        scep_certs_free(certs);
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the certificate in the CertRep from %s does not "
                       "carry the signature of its CA", url);
        return NULL;
    }

    X509_up_ref(found);
    scep_certs_free(certs);

    return found;
}


static X509 *
scep_certrep_success(const unsigned char *env, size_t env_len,
    const scep_ca_t *ca, const scep_transaction_t *t, int fips,
    const char *url, scep_error_t *err)
{
    X509           *cert;
    size_t          plain_len;
    scep_error_t    inner;
    unsigned char  *plain;

    if (env == NULL) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the SUCCESS CertRep from %s carries no "
                       "certificate", url);
        return NULL;
    }

    if (scep_envelope_open(env, env_len, t->signer, t->key, !fips, &plain,
                           &plain_len, &inner) != 0)
    {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the CertRep from %s: %.200s", url, inner.message);
        return NULL;
    }

    cert = scep_certrep_pick(plain, plain_len, ca,
                             scep_transaction_request_key(t), url, err);

    OPENSSL_clear_free(plain, plain_len);

    return cert;
}


X509 *
scep_certrep_read(const unsigned char *der, size_t len, const scep_ca_t *ca,
    const scep_transaction_t *t, const unsigned char *sender_nonce,
    int fips, const char *url, scep_error_t *err)
{
    X509           *cert;
    size_t          env_len;
    scep_msg_t      msg;
    scep_error_t    inner;
    unsigned char  *env;

    if (scep_msg_parse(der, len, ca->verifier, &msg, NULL, &env, &env_len,
                       &inner) != 0)
    {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the answer from %s is not a valid pkiMessage: "
                       "%.200s", url, inner.message);
        return NULL;
    }

    cert = NULL;

    if (msg.type != SCEP_MSG_CERT_REP) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the answer from %s is a %s, not a CertRep", url,
                       scep_msg_type_name(msg.type));

    } else if (strcmp(msg.transaction_id, t->id) != 0) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the CertRep from %s is for another transaction "
                       "than ours", url);

    } else if (!msg.has_recipient_nonce
               || CRYPTO_memcmp(msg.recipient_nonce, sender_nonce,
                                SCEP_NONCE_LEN) != 0)
    {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the CertRep from %s does not echo our senderNonce: "
                       "it answers another request, or is replayed", url);

    } else if (msg.status == SCEP_STATUS_PENDING) {
        scep_error_set(err, SCEP_ERR_PENDING, NULL,
                       "the CA at %s holds the request for approval "
                       "(PENDING)", url);

    } else if (msg.status == SCEP_STATUS_FAILURE) {
        scep_error_set(err, SCEP_ERR_FAILURE,
                       scep_fail_info_name(msg.fail_info),
                       "the CA at %s refused the request: %s (%s)%s%s", url,
                       scep_fail_info_name(msg.fail_info),
                       scep_fail_info_reason(msg.fail_info),
                       msg.fail_text[0] ? "; it says: " : "",
                       msg.fail_text);

    } else {
        cert = scep_certrep_success(env, env_len, ca, t, fips, url, err);
    }

    OPENSSL_free(env);

    return cert;
}
