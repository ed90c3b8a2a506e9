#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>

#include "scep_certs.h"


STACK_OF(X509) *
scep_certs_from_pkcs7(const unsigned char *der, size_t len,
    scep_error_t *err)
{
    int                   n;
    PKCS7                *p7;
    STACK_OF(X509)       *certs, *found;
    const unsigned char  *p;

    if (len == 0 || len > LONG_MAX) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the certificate list is empty");
        return NULL;
    }

    p = der;
    p7 = d2i_PKCS7(NULL, &p, (long) len);

    if (p7 == NULL || p != der + len) {
        PKCS7_free(p7);
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the certificate list is not a DER PKCS#7 "
                       "structure");
        scep_error_add_openssl(err);
        return NULL;
    }

    if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL) {
        PKCS7_free(p7);
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the certificate list is a PKCS#7 of another type "
                       "than SignedData");
        return NULL;
    }

    found = p7->d.sign->cert;
    n = (found != NULL) ? sk_X509_num(found) : 0;

    if (n < 1 || n > SCEP_CERTS_MAX) {
        PKCS7_free(p7);
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the certificate list holds %d certificates, "
                       "expected 1 to %d", n, SCEP_CERTS_MAX);
        return NULL;
    }

    certs = X509_chain_up_ref(found);
    if (certs == NULL) {
        PKCS7_free(p7);
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    PKCS7_free(p7);

    return certs;
}


int
scep_certs_to_pkcs7(STACK_OF(X509) *certs, unsigned char **der, size_t *len,
    scep_error_t *err)
{
    int             i, n;
    PKCS7          *p7;
    unsigned char  *out;

    *der = NULL;
    *len = 0;

    p7 = PKCS7_new();

    if (p7 == NULL
        || !PKCS7_set_type(p7, NID_pkcs7_signed)
        || !PKCS7_content_new(p7, NID_pkcs7_data))
    {
        goto failed;
    }

    for (i = 0; i < sk_X509_num(certs); i++) {
        if (!PKCS7_add_certificate(p7, sk_X509_value(certs, i))) {
            goto failed;
        }
    }

    out = NULL;
    n = i2d_PKCS7(p7, &out);

    if (n <= 0) {
        goto failed;
    }

    PKCS7_free(p7);

    *der = out;
    *len = (size_t) n;

    return 0;

failed:

    PKCS7_free(p7);
    scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                   "cannot encode a certificate list as PKCS#7");
    scep_error_add_openssl(err);

    return -1;
}


int
scep_cert_fingerprint(X509 *cert, size_t len, unsigned char *out)
{
    unsigned int   n;
    const EVP_MD  *md;

    if (len == 20) {
        md = EVP_sha1();

    } else if (len == 32) {
        md = EVP_sha256();

    } else {
        return -1;
    }

    if (!X509_digest(cert, md, out, &n) || n != len) {
        return -1;
    }

    return 0;
}


void
scep_hex(const unsigned char *in, size_t len, char *out)
{
    size_t             i;
    static const char  digits[] = "0123456789ABCDEF";

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }

    out[2 * len] = '\0';
}


void
scep_name_text(const X509_NAME *name, char *buf, size_t len)
{
    BIO     *bio;
    int      n;
    size_t   used;

    if (len == 0) {
        return;
    }

    buf[0] = '\0';

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return;
    }

    /* RFC 2253 with bytes above 127 escaped: safe in logs and JSON */
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        n = BIO_read(bio, buf, (int) (len - 1));
        used = (n > 0) ? (size_t) n : 0;
        buf[used] = '\0';
    }

    BIO_free(bio);
}


void
scep_certs_free(STACK_OF(X509) *certs)
{
    sk_X509_pop_free(certs, X509_free);
}
