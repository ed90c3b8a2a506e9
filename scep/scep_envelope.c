#include <stdio.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>

#include "scep_envelope.h"
#include "scep_message.h"


/* Made once, kept for the life of the process, like a provider load. */
static OSSL_LIB_CTX  *scep_legacy_ctx;
static CRYPTO_ONCE    scep_legacy_once = CRYPTO_ONCE_STATIC_INIT;


static void
scep_legacy_init(void)
{
    OSSL_LIB_CTX  *ctx;

    ctx = OSSL_LIB_CTX_new();
    if (ctx == NULL) {
        return;
    }

    if (OSSL_PROVIDER_load(ctx, "default") == NULL
        || OSSL_PROVIDER_load(ctx, "legacy") == NULL)
    {
        OSSL_LIB_CTX_free(ctx);
        return;
    }

    scep_legacy_ctx = ctx;
}


int
scep_envelope_seal(const unsigned char *content, size_t len,
    X509 *recipient, const EVP_CIPHER *cipher, unsigned char **der,
    size_t *der_len, scep_error_t *err)
{
    int               n;
    BIO              *in;
    unsigned char    *out;
    STACK_OF(X509)   *recipients;
    CMS_ContentInfo  *env;

    *der = NULL;
    *der_len = 0;

    if (len > SCEP_MESSAGE_MAX_LEN) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                              "the content to encrypt is too large");
    }

    env = NULL;
    out = NULL;
    n = 0;

    in = BIO_new_mem_buf(content, (int) len);
    recipients = sk_X509_new_null();

    if (in != NULL && recipients != NULL
        && sk_X509_push(recipients, recipient))
    {
        env = CMS_encrypt(recipients, in, cipher, CMS_BINARY);
    }

    if (env != NULL) {
        n = i2d_CMS_ContentInfo(env, &out);
    }

    CMS_ContentInfo_free(env);
    sk_X509_free(recipients);
    BIO_free(in);

    if (n <= 0) {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot encrypt the message to the CA with %s",
                       EVP_CIPHER_get0_name(cipher));
        scep_error_add_openssl(err);
        return -1;
    }

    *der = out;
    *der_len = (size_t) n;

    return 0;
}


static CMS_ContentInfo *
scep_envelope_decode(const unsigned char *der, size_t len, int allow_legacy,
    scep_error_t *err)
{
    CMS_ContentInfo      *cms;
    const unsigned char  *p;

    if (len == 0 || len > SCEP_MESSAGE_MAX_LEN) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the pkcsPKIEnvelope is %zu bytes long, expected 1 "
                       "to %d", len, SCEP_MESSAGE_MAX_LEN);
        return NULL;
    }

    cms = NULL;

    if (allow_legacy
        && CRYPTO_THREAD_run_once(&scep_legacy_once, scep_legacy_init)
        && scep_legacy_ctx != NULL)
    {
        /* d2i into an object made in the context keeps that context */
        cms = CMS_ContentInfo_new_ex(scep_legacy_ctx, NULL);
        if (cms == NULL) {
            scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
            return NULL;
        }
    }

    p = der;

    if (d2i_CMS_ContentInfo(&cms, &p, (long) len) == NULL
        || p != der + len
        || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped)
    {
        CMS_ContentInfo_free(cms);
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the pkcsPKIEnvelope is not a DER EnvelopedData");
        scep_error_add_openssl(err);
        return NULL;
    }

    return cms;
}


/* The content cipher's name, for a message when decryption fails. */
static void
scep_envelope_cipher_name(const unsigned char *der, size_t len, char *buf,
    size_t size)
{
    PKCS7                *p7;
    const unsigned char  *p;

    snprintf(buf, size, "an unknown cipher");

    /* the PKCS#7 structures are public, the CMS ones are not */
    p = der;
    p7 = d2i_PKCS7(NULL, &p, (long) len);

    if (p7 != NULL && PKCS7_type_is_enveloped(p7)
        && p7->d.enveloped->enc_data != NULL)
    {
        OBJ_obj2txt(buf, (int) size,
                    p7->d.enveloped->enc_data->algorithm->algorithm, 0);
    }

    PKCS7_free(p7);
}


int
scep_envelope_open(const unsigned char *der, size_t len, X509 *cert,
    EVP_PKEY *key, int allow_legacy, unsigned char **out, size_t *out_len,
    scep_error_t *err)
{
    int               rc;
    BIO              *plain;
    char             *data, cipher[64];
    long              n;
    CMS_ContentInfo  *cms;

    *out = NULL;
    *out_len = 0;

    cms = scep_envelope_decode(der, len, allow_legacy, err);
    if (cms == NULL) {
        return -1;
    }

    rc = -1;

    /* secure memory: the plain text may be a challenge password */
    plain = BIO_new(BIO_s_secmem());

    if (plain == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }

    if (!CMS_decrypt(cms, key, cert, NULL, plain, CMS_BINARY)) {
        scep_envelope_cipher_name(der, len, cipher, sizeof(cipher));
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the pkcsPKIEnvelope (encrypted with %s) cannot be "
                       "decrypted with our key: it is not addressed to us, "
                       "or that cipher is not allowed%s", cipher,
                       allow_legacy ? "" : " (single DES is refused in "
                                           "FIPS mode)");
        scep_error_add_openssl(err);
        goto done;
    }

    n = BIO_get_mem_data(plain, &data);

    if (n <= 0 || n > SCEP_MESSAGE_MAX_LEN) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the pkcsPKIEnvelope holds %ld bytes, expected 1 "
                       "to %d", n, SCEP_MESSAGE_MAX_LEN);
        goto done;
    }

    *out = OPENSSL_memdup(data, (size_t) n);

    if (*out == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }

    *out_len = (size_t) n;
    rc = 0;

done:

    BIO_free(plain);
    CMS_ContentInfo_free(cms);

    return rc;
}
