/*
 * verify_replay_parse: a record of scep-verify's replay directory, which
 * anyone with write access to the directory may have written.  What it
 * accepts it must read back the same once written again.
 */

#include <stdio.h>

#include "fuzz/fuzz.h"
#include "verify/verify_replay.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char       *copy, again[64];
    long long   expires, back;

    copy = fuzz_memdup(data, size);

    if (verify_replay_parse(copy, size, &expires) == 0) {
        if (expires < 0) {
            abort();
        }

        snprintf(again, sizeof(again), "1 %lld\n", expires);

        if (verify_replay_parse(again, strlen(again), &back) != 0
            || back != expires)
        {
            abort();
        }
    }

    free(copy);

    return 0;
}
