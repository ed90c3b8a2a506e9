#include <stdlib.h>
#include <string.h>

#include <openssl/pkcs12.h>
#include <openssl/rand.h>

#include "scep_pkcs12.h"


int
scep_passphrase_generate(char *buf, size_t len, scep_error_t *err)
{
    size_t              i, n, used;
    unsigned char       rnd[64];
    static const char   alphabet[] = SCEP_PASSPHRASE_ALPHABET;

    n = sizeof(alphabet) - 1;
    i = 0;

    if (len == 0) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                              "no room for a passphrase");
    }

    while (i + 1 < len) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            OPENSSL_cleanse(buf, len);
            OPENSSL_cleanse(rnd, sizeof(rnd));
            scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                           "the random generator failed to make a "
                           "passphrase");
            scep_error_add_openssl(err);
            return -1;
        }

        /* bytes beyond the last whole multiple would favour some letters */
        for (used = 0; used < sizeof(rnd) && i + 1 < len; used++) {
            if (rnd[used] < 256 - 256 % n) {
                buf[i++] = alphabet[rnd[used] % n];
            }
        }
    }

    buf[i] = '\0';
    OPENSSL_cleanse(rnd, sizeof(rnd));

    return 0;
}


static int
scep_pkcs12_encode(PKCS12 *p12, scep_pkcs12_t *out)
{
    int             n;
    size_t          b64_len;
    unsigned char  *der;

    der = NULL;
    n = i2d_PKCS12(p12, &der);

    if (n <= 0) {
        return -1;
    }

    b64_len = 4 * (((size_t) n + 2) / 3) + 1;

    out->base64 = malloc(b64_len);
    if (out->base64 == NULL) {
        OPENSSL_free(der);
        return -1;
    }

    EVP_EncodeBlock((unsigned char *) out->base64, der, n);

    out->der = der;
    out->der_len = (size_t) n;

    return 0;
}


int
scep_pkcs12_create(X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain,
    const char *friendly_name, scep_pkcs12_t *out, scep_error_t *err)
{
    PKCS12  *p12;

    memset(out, 0, sizeof(scep_pkcs12_t));

    if (scep_passphrase_generate(out->passphrase, sizeof(out->passphrase),
                                 err) != 0)
    {
        return -1;
    }

    /* no MAC here (-1): it is added below with SHA-256 */
    p12 = PKCS12_create_ex(out->passphrase, friendly_name, key, cert, chain,
                           NID_aes_256_cbc, NID_aes_256_cbc,
                           SCEP_PKCS12_ITERATIONS, -1, 0, NULL, NULL);

    if (p12 == NULL
        || !PKCS12_set_mac(p12, out->passphrase, -1, NULL, 0,
                           SCEP_PKCS12_ITERATIONS, EVP_sha256())
        || scep_pkcs12_encode(p12, out) != 0)
    {
        PKCS12_free(p12);
        scep_pkcs12_release(out);
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot package the certificate and key as "
                       "PKCS#12");
        scep_error_add_openssl(err);
        return -1;
    }

    PKCS12_free(p12);

    return 0;
}


void
scep_pkcs12_release(scep_pkcs12_t *p12)
{
    OPENSSL_cleanse(p12->passphrase, sizeof(p12->passphrase));
    OPENSSL_free(p12->der);
    free(p12->base64);

    p12->der = NULL;
    p12->der_len = 0;
    p12->base64 = NULL;
}
