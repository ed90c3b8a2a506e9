/*
 * scep_certs_from_pkcs7: the certs-only PKCS#7 inside a SUCCESS CertRep's
 * envelope (what scep_certrep_read finds once it has decrypted), and in a
 * GetCACert answer with RA certificates.
 */

#include "scep/scep_certs.h"
#include "fuzz/fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int              i, n;
    char             text[SCEP_NAME_TEXT_LEN];
    unsigned char    fp[32];
    scep_error_t     err;
    STACK_OF(X509)  *certs;

    certs = scep_certs_from_pkcs7(data, size, &err);
    if (certs == NULL) {
        return 0;
    }

    n = sk_X509_num(certs);

    if (n < 1 || n > SCEP_CERTS_MAX) {
        abort();
    }

    for (i = 0; i < n; i++) {
        (void) scep_cert_fingerprint(sk_X509_value(certs, i), 20, fp);
        scep_name_text(X509_get_subject_name(sk_X509_value(certs, i)), text,
                       sizeof(text));

        if (strlen(text) >= sizeof(text)) {
            abort();
        }

        scep_name_text(X509_get_subject_name(sk_X509_value(certs, i)), text,
                       8);
    }

    scep_certs_free(certs);

    return 0;
}
