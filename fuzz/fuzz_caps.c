/*
 * scep_caps_parse and scep_caps_choose: a GetCACaps answer and the
 * algorithms picked from it.
 */

#include "scep/scep_caps.h"
#include "fuzz/fuzz.h"


#define FUZZ_CAPS_URL  "http://pki.fuzz.example/scep"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char          text[SCEP_CAPS_TEXT_LEN];
    size_t        n;
    unsigned      caps, again;
    scep_algs_t   algs;
    scep_error_t  err;

    if (scep_caps_parse((const char *) data, size, &caps, &err) != 0) {
        return 0;
    }

    (void) scep_caps_choose(caps, 0, FUZZ_CAPS_URL, &algs, &err);
    (void) scep_caps_choose(caps, 1, FUZZ_CAPS_URL, &algs, &err);

    /* what is written reads back as the same set */
    n = scep_caps_format(caps, text, sizeof(text));

    if (n >= sizeof(text)
        || scep_caps_parse(text, n, &again, &err) != 0
        || again != caps)
    {
        abort();
    }

    (void) scep_caps_format(caps, text, 5);

    return 0;
}
