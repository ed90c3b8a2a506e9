/*
 * portal_dn_first_value: the value of the first RDN of a group DN that the
 * directory returned, and portal_user_in_group, which compares it with the
 * configured group names.  Input: "size byte, wanted NUL dn".
 */

#include "portal/portal_groups.h"
#include "fuzz/fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char           *wanted, *dn, *out;
    size_t          outsize, len, dnlen;
    dir_user_t      user;
    fuzz_reader_t   r;

    fuzz_reader_init(&r, data, size);

    outsize = fuzz_byte(&r) + 1;
    wanted = fuzz_field(&r, '\0', NULL);
    dn = fuzz_rest(&r, &dnlen);

    /* exact size, so that a write past the end is caught */
    out = malloc(outsize);
    if (out == NULL) {
        abort();
    }

    if (portal_dn_first_value(dn, out, outsize, &len) == 0) {
        if (len >= outsize || out[len] != '\0') {
            abort();
        }
    }

    free(out);

    memset(&user, 0, sizeof(user));
    user.groups = &dn;
    user.ngroups = 1;

    (void) portal_user_in_group(&user, wanted);

    free(wanted);
    free(dn);

    return 0;
}
