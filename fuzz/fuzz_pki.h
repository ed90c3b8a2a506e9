/*
 * The fixed PKI of the SCEP message targets (fixture.h, made by
 * tools/gen_fixture.c): a CA, RA certificates as NDES has them, and a
 * pending transaction whose CertRep the targets read.  Loaded once, in
 * LLVMFuzzerInitialize.
 */

#ifndef FUZZ_PKI_H
#define FUZZ_PKI_H

#include <stdio.h>
#include <stdlib.h>

#include <openssl/pem.h>

#include "scep/scep_cacert.h"
#include "scep/scep_transaction.h"
#include "fuzz/fixture.h"


#define FUZZ_URL  "http://pki.fuzz.example/scep"


typedef struct {
    EVP_PKEY            *ca_key;
    EVP_PKEY            *ra_key;
    EVP_PKEY            *other_key;
    X509                *ca;
    X509                *ra_sign;
    X509                *ra_enc;
    X509                *issued;
    X509                *stranger;
    scep_ca_t           *single;       /* the CA alone */
    scep_ca_t           *ndes;         /* the CA and two RA certificates */
    scep_transaction_t  *t;
    const unsigned char *nonce;        /* the senderNonce we sent */
} fuzz_pki_t;


static inline void
fuzz_pki_fail(const char *what)
{
    fprintf(stderr, "fuzz fixture: cannot load %s\n", what);
    abort();
}


static inline EVP_PKEY *
fuzz_pki_key(const char *pem)
{
    BIO       *bio;
    EVP_PKEY  *key;

    bio = BIO_new_mem_buf(pem, -1);
    key = (bio != NULL) ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
                        : NULL;
    BIO_free(bio);

    if (key == NULL) {
        fuzz_pki_fail("a key");
    }

    return key;
}


static inline X509 *
fuzz_pki_cert(const char *pem)
{
    X509  *cert;
    BIO   *bio;

    bio = BIO_new_mem_buf(pem, -1);
    cert = (bio != NULL) ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);

    if (cert == NULL) {
        fuzz_pki_fail("a certificate");
    }

    return cert;
}


static inline scep_ca_t *
fuzz_pki_ca(X509 *a, X509 *b, X509 *c)
{
    X509            *all[3];
    size_t           i;
    scep_ca_t       *ca;
    scep_error_t     err;
    STACK_OF(X509)  *certs;

    all[0] = a;
    all[1] = b;
    all[2] = c;

    certs = sk_X509_new_null();
    if (certs == NULL) {
        fuzz_pki_fail("memory");
    }

    for (i = 0; i < 3 && all[i] != NULL; i++) {
        if (!X509_up_ref(all[i]) || !sk_X509_push(certs, all[i])) {
            fuzz_pki_fail("memory");
        }
    }

    ca = scep_ca_select(certs, FUZZ_URL, &err);
    if (ca == NULL) {
        fuzz_pki_fail(err.message);
    }

    ca->algs.cipher = SCEP_CIPHER_AES_256_CBC;
    ca->algs.digest = SCEP_DIGEST_SHA256;
    ca->algs.post = 1;

    return ca;
}


static inline void
fuzz_pki_load(fuzz_pki_t *pki)
{
    scep_error_t  err;

    pki->ca_key = fuzz_pki_key(fx_ca_key_pem);
    pki->ra_key = fuzz_pki_key(fx_ra_key_pem);
    pki->other_key = fuzz_pki_key(fx_other_key_pem);
    pki->ca = fuzz_pki_cert(fx_ca_pem);
    pki->ra_sign = fuzz_pki_cert(fx_ra_sign_pem);
    pki->ra_enc = fuzz_pki_cert(fx_ra_enc_pem);
    pki->issued = fuzz_pki_cert(fx_issued_pem);
    pki->stranger = fuzz_pki_cert(fx_stranger_pem);

    pki->single = fuzz_pki_ca(pki->ca, NULL, NULL);
    pki->ndes = fuzz_pki_ca(pki->ra_enc, pki->ca, pki->ra_sign);

    pki->t = scep_transaction_deserialize(fx_transaction_der,
                                          sizeof(fx_transaction_der), &err);
    if (pki->t == NULL) {
        fuzz_pki_fail(err.message);
    }

    pki->nonce = fx_nonce;
}


#endif /* FUZZ_PKI_H */
