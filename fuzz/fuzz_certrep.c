/*
 * scep_certrep_read: the CA's answer to our PKCSReq or CertPoll, as DER
 * from the network, read for the fixed transaction of fuzz_pki.h once
 * against the CA alone and once against an NDES-style CA with RA
 * certificates.  The seeds are CertReps signed by those, so that
 * mutations of their unsigned parts (certificates, unsigned attributes,
 * the signature itself) are read past the signature check.
 */

#include "scep/scep_certrep.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_pki.h"


static fuzz_pki_t  pki;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    fuzz_pki_load(&pki);

    return 0;
}


static void
fuzz_read(const uint8_t *data, size_t size, const scep_ca_t *ca, int fips)
{
    X509          *cert;
    scep_error_t   err;

    cert = scep_certrep_read(data, size, ca, pki.t, pki.nonce, fips,
                             FUZZ_URL, &err);

    if (cert != NULL) {
        /* only a certificate for our key, issued by our CA */
        if (EVP_PKEY_eq(X509_get0_pubkey(cert), pki.t->key) != 1
            || X509_verify(cert, X509_get0_pubkey(ca->ca)) != 1)
        {
            abort();
        }

        X509_free(cert);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read(data, size, pki.single, 0);
    fuzz_read(data, size, pki.ndes, 1);

    return 0;
}
