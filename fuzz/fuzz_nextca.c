/*
 * scep_nextca_parse: a GetNextCACert answer as DER from the network, read
 * against the CA alone and against an NDES-style CA (RA signature
 * certificate).  The seeds are answers signed by those, announcing a next
 * CA in the certificates field or in the signed content, so that
 * mutations of their unsigned parts are read past the signature check.
 */

#include <openssl/x509v3.h>

#include "scep/scep_nextca.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_pki.h"


#define FUZZ_TYPE  "application/x-x509-next-ca-cert"


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
fuzz_one(const uint8_t *data, size_t size, const scep_ca_t *ca)
{
    X509          *next;
    scep_error_t   err;

    next = scep_nextca_parse(FUZZ_TYPE, data, size, ca, FUZZ_URL, &err);

    if (next == NULL) {
        if (err.message[0] == '\0') {
            abort();
        }

        return;
    }

    /* what is taken is a CA certificate, and not the current CA */
    if (X509_check_ca(next) <= 0 || X509_cmp(next, ca->ca) == 0) {
        abort();
    }

    X509_free(next);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size, pki.single);
    fuzz_one(data, size, pki.ndes);

    return 0;
}
