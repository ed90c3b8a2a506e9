#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include "agent_pkcs12.h"


/* A CA chain of a few certificates; more is not a chain we expect. */
#define AGENT_CHAIN_MAX  16


static int agent_pkcs12_decode(const char *b64, unsigned char **der,
    size_t *len, scep_error_t *err);
static int agent_pkcs12_parse(const unsigned char *der, size_t len,
    const char *passphrase, agent_credentials_t *out, scep_error_t *err);
static int agent_pkcs12_chain(const char *pem, agent_credentials_t *out,
    scep_error_t *err);


int
agent_pkcs12_open(const agent_certificate_t *c, agent_credentials_t *out,
    scep_error_t *err)
{
    int             rc;
    size_t          len;
    unsigned char  *der;

    memset(out, 0, sizeof(*out));

    der = NULL;
    len = 0;

    if (agent_pkcs12_decode(c->pkcs12, &der, &len, err) != 0) {
        return -1;
    }

    rc = agent_pkcs12_parse(der, len, c->passphrase, out, err);

    OPENSSL_clear_free(der, len);

    if (rc == 0 && c->ca_chain != NULL) {
        rc = agent_pkcs12_chain(c->ca_chain, out, err);
    }

    if (rc == 0 && out->chain == NULL) {
        out->chain = sk_X509_new_null();

        if (out->chain == NULL) {
            rc = scep_error_set(err, SCEP_ERR_NOMEM, "",
                                "out of memory keeping the CA certificates");
        }
    }

    if (rc != 0) {
        agent_credentials_free(out);
    }

    return rc;
}


/* RFC 4648 base64; line breaks and blanks between the groups are fine. */
static int
agent_pkcs12_decode(const char *b64, unsigned char **der, size_t *len,
    scep_error_t *err)
{
    int               n, total;
    size_t            in;
    unsigned char    *out;
    EVP_ENCODE_CTX   *ctx;

    in = strlen(b64);

    if (in == 0 || in > INT32_MAX / 2) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "pkcs12",
                              "<pkcs12> is empty or too large");
    }

    out = OPENSSL_malloc(in / 4 * 3 + 3);
    ctx = EVP_ENCODE_CTX_new();

    if (out == NULL || ctx == NULL) {
        OPENSSL_free(out);
        EVP_ENCODE_CTX_free(ctx);
        return scep_error_set(err, SCEP_ERR_NOMEM, "pkcs12",
                              "out of memory decoding the PKCS#12");
    }

    EVP_DecodeInit(ctx);

    total = 0;

    if (EVP_DecodeUpdate(ctx, out, &n, (const unsigned char *) b64,
                         (int) in) < 0)
    {
        goto invalid;
    }

    total = n;

    if (EVP_DecodeFinal(ctx, out + total, &n) != 1) {
        goto invalid;
    }

    total += n;

    EVP_ENCODE_CTX_free(ctx);

    if (total == 0) {
        OPENSSL_free(out);
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "pkcs12",
                              "<pkcs12> decodes to nothing");
    }

    *der = out;
    *len = (size_t) total;

    return 0;

invalid:

    EVP_ENCODE_CTX_free(ctx);
    OPENSSL_clear_free(out, in / 4 * 3 + 3);

    return scep_error_set(err, SCEP_ERR_PROTOCOL, "pkcs12",
                          "<pkcs12> is not valid base64");
}


static int
agent_pkcs12_parse(const unsigned char *der, size_t len,
    const char *passphrase, agent_credentials_t *out, scep_error_t *err)
{
    PKCS12               *p12;
    const unsigned char  *p;

    p = der;
    p12 = d2i_PKCS12(NULL, &p, (long) len);

    if (p12 == NULL || p != der + len) {
        PKCS12_free(p12);
        scep_error_set(err, SCEP_ERR_PROTOCOL, "pkcs12",
                       "<pkcs12> does not hold a PKCS#12 file");
        scep_error_add_openssl(err);
        return -1;
    }

    if (PKCS12_mac_present(p12)
        && PKCS12_verify_mac(p12, passphrase, -1) != 1)
    {
        PKCS12_free(p12);
        ERR_clear_error();
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "passphrase",
                              "the PKCS#12 does not open with the "
                              "passphrase the portal sent");
    }

    if (PKCS12_parse(p12, passphrase, &out->key, &out->cert, &out->chain)
        != 1)
    {
        PKCS12_free(p12);
        scep_error_set(err, SCEP_ERR_PROTOCOL, "pkcs12",
                       "the PKCS#12 cannot be opened");
        scep_error_add_openssl(err);
        return -1;
    }

    PKCS12_free(p12);

    if (out->key == NULL || out->cert == NULL) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "pkcs12",
                              "the PKCS#12 lacks %s",
                              out->key == NULL ? "the private key"
                                               : "the certificate");
    }

    if (X509_check_private_key(out->cert, out->key) != 1) {
        ERR_clear_error();
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "pkcs12",
                              "the key and the certificate of the PKCS#12 "
                              "do not belong together");
    }

    return 0;
}


/* <ca-chain>: PEM certificates, and nothing else. */
static int
agent_pkcs12_chain(const char *pem, agent_credentials_t *out,
    scep_error_t *err)
{
    BIO             *bio;
    X509            *x;
    unsigned long    e;
    STACK_OF(X509)  *chain;

    bio = BIO_new_mem_buf(pem, -1);
    chain = sk_X509_new_null();

    if (bio == NULL || chain == NULL) {
        BIO_free(bio);
        sk_X509_free(chain);
        return scep_error_set(err, SCEP_ERR_NOMEM, "ca-chain",
                              "out of memory reading <ca-chain>");
    }

    ERR_clear_error();

    for ( ;; ) {
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x == NULL) {
            break;
        }

        if (sk_X509_num(chain) == AGENT_CHAIN_MAX) {
            X509_free(x);
            BIO_free(bio);
            sk_X509_pop_free(chain, X509_free);
            return scep_error_set(err, SCEP_ERR_PROTOCOL, "ca-chain",
                                  "<ca-chain> holds more than %d "
                                  "certificates", AGENT_CHAIN_MAX);
        }

        if (!sk_X509_push(chain, x)) {
            X509_free(x);
            BIO_free(bio);
            sk_X509_pop_free(chain, X509_free);
            return scep_error_set(err, SCEP_ERR_NOMEM, "ca-chain",
                                  "out of memory reading <ca-chain>");
        }
    }

    BIO_free(bio);

    /* the loop ends on "no start line" at the end of the text, only */
    e = ERR_peek_last_error();

    if (sk_X509_num(chain) == 0
        || (e != 0 && ERR_GET_REASON(e) != PEM_R_NO_START_LINE))
    {
        sk_X509_pop_free(chain, X509_free);
        ERR_clear_error();
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "ca-chain",
                              "<ca-chain> is not a list of PEM "
                              "certificates");
    }

    ERR_clear_error();

    sk_X509_pop_free(out->chain, X509_free);
    out->chain = chain;

    return 0;
}
