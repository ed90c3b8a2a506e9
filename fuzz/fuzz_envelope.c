/*
 * scep_envelope_open: a pkcsPKIEnvelope addressed to the fixed
 * transaction's signer certificate, with and without the legacy ciphers.
 */

#include "scep/scep_envelope.h"
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


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             legacy;
    size_t          len;
    scep_error_t    err;
    unsigned char  *plain;

    for (legacy = 0; legacy < 2; legacy++) {
        if (scep_envelope_open(data, size, pki.t->signer, pki.t->key, legacy,
                               &plain, &len, &err)
            == 0)
        {
            if (plain == NULL || len == 0) {
                abort();
            }

            OPENSSL_clear_free(plain, len);
        }
    }

    return 0;
}
