/*
 * scep_cacert_parse and scep_ca_select: a GetCACert answer of either
 * content type, and the choice of CA, recipient and verifier in it.
 * Input: "Content-Type\nbody".
 */

#include "scep/scep_cacert.h"
#include "scep/scep_certs.h"
#include "fuzz/fuzz.h"


#define FUZZ_URL  "http://pki.fuzz.example/scep"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int              i;
    char            *type, *body;
    size_t           len;
    scep_ca_t       *ca;
    scep_error_t     err;
    fuzz_reader_t    r;
    unsigned char    fp[32];
    STACK_OF(X509)  *certs, *others;

    fuzz_reader_init(&r, data, size);

    type = fuzz_field(&r, '\n', NULL);
    len = (size_t) (r.end - r.p);
    body = fuzz_memdup(r.p, len);

    certs = scep_cacert_parse(type, (const unsigned char *) body, len,
                              FUZZ_URL, &err);

    free(type);
    free(body);

    if (certs == NULL) {
        return 0;
    }

    ca = scep_ca_select(certs, FUZZ_URL, &err);
    if (ca == NULL) {
        return 0;
    }

    if (ca->ca == NULL || ca->recipient == NULL || ca->verifier == NULL) {
        abort();
    }

    /* its own CA's fingerprint must be accepted, a wrong one refused */
    if (scep_cert_fingerprint(ca->ca, 32, fp) == 0) {
        if (scep_ca_check_fingerprint(ca, fp, 32, FUZZ_URL, &err) != 0) {
            abort();
        }

        fp[0] ^= 0xff;
        (void) scep_ca_check_fingerprint(ca, fp, 32, FUZZ_URL, &err);
    }

    (void) scep_ca_check_fingerprint(ca, fp, 20, FUZZ_URL, &err);
    (void) scep_ca_check_fingerprint(ca, NULL, 0, FUZZ_URL, &err);

    others = scep_ca_others(ca);

    for (i = 0; others != NULL && i < sk_X509_num(others); i++) {
        if (sk_X509_value(others, i) == ca->ca) {
            abort();
        }
    }

    sk_X509_free(others);
    scep_ca_free(ca);

    return 0;
}
