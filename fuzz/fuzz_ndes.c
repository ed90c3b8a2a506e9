/*
 * scep_ndes_parse: the NDES admin page (UTF-16LE, UTF-16BE or UTF-8 HTML)
 * from which the dynamic challenge password is read.
 */

#include "scep/scep_ndes.h"
#include "fuzz/fuzz.h"


static void
fuzz_parse(const uint8_t *data, size_t size, size_t outlen)
{
    int            rc;
    char          *out;
    scep_error_t   err;

    /* exact size, so that a write past the end is caught */
    out = malloc(outlen);
    if (out == NULL) {
        abort();
    }

    memset(out, 'x', outlen);
    memset(&err, 0, sizeof(err));

    rc = scep_ndes_parse(data, size, out, outlen, &err);

    if (rc == 0) {
        /* a password: NUL-terminated within out, and not empty */
        if (memchr(out, '\0', outlen) == NULL || out[0] == '\0') {
            abort();
        }

    } else if (err.code == SCEP_OK) {
        abort();
    }

    free(out);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parse(data, size, SCEP_NDES_PASSWORD_MAX + 1);
    fuzz_parse(data, size, 8);

    return 0;
}
