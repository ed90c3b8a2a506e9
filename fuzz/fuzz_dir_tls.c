/*
 * dir_tls_explain_cert and dir_tls_cert_names: the certificate a TLS
 * server sent, read to tell an admin why it was refused.  Checked
 * besides the sanitizers: the sentences are bounded and printable ASCII
 * whatever the certificate holds.
 *
 * Input: "host byte, DER" (the host, from the configuration, is one of
 * three).
 */

#include "ldap/dir_tls.h"
#include "fuzz/fuzz.h"


static void
fuzz_check_printable(const char *s, size_t size)
{
    size_t  i;

    for (i = 0; s[i] != '\0'; i++) {
        if (i >= size || (unsigned char) s[i] < 0x20
            || (unsigned char) s[i] > 0x7e)
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char               msg[400], names[256];
    size_t             len;
    unsigned           which;
    unsigned char     *der;
    fuzz_reader_t      r;
    static const char *hosts[] = { "127.0.0.1", "localhost",
                                   "dc1.corp.example.test" };

    fuzz_reader_init(&r, data, size);

    which = fuzz_byte(&r) % 3;
    len = (size_t) (r.end - r.p);
    der = (unsigned char *) fuzz_memdup(r.p, len);

    msg[0] = '\0';
    /* a CA file that cannot be read: the issuer is told, at speed */
    (void) dir_tls_explain_cert(der, len, hosts[which], "/dev/null", msg,
                                sizeof(msg));
    fuzz_check_printable(msg, sizeof(msg));

    if (dir_tls_cert_names(der, len, names, sizeof(names)) == 0) {
        fuzz_check_printable(names, sizeof(names));
    }

    free(der);

    return 0;
}
