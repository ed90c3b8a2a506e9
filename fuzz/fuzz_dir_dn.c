/*
 * dir_dn_normalize, dir_dn_equal, dir_group_matches and dir_casefold: a
 * group DN from a directory against a name or DN from a configuration.
 * Checked besides the sanitizers: the normal form is bounded as dir.h
 * says and normal already (normalizing it again changes nothing), a DN
 * equals itself, and case folding is bounded and idempotent.
 *
 * Input: "wanted NUL dn".
 */

#include "ldap/dir.h"
#include "fuzz/fuzz.h"


static void
fuzz_fold(const char *s, size_t len)
{
    int     n, m;
    char   *once, *twice;
    size_t  size;

    size = DIR_CASEFOLD_LEN(len);
    once = malloc(size);
    twice = malloc(DIR_CASEFOLD_LEN(size));

    if (once == NULL || twice == NULL) {
        abort();
    }

    n = dir_casefold(s, len, once, size);

    if (n < 0 || (size_t) n >= size || once[n] != '\0') {
        abort();
    }

    m = dir_casefold(once, (size_t) n, twice, DIR_CASEFOLD_LEN(size));

    if (m != n || memcmp(once, twice, (size_t) n) != 0) {
        abort();
    }

    if (!dir_name_equal(s, len, once, (size_t) n) && len <= 256
        && (size_t) n <= 256)
    {
        abort();
    }

    free(once);
    free(twice);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             n, m;
    char           *wanted, *dn, *normal, *again;
    size_t          len;
    fuzz_reader_t   r;

    fuzz_reader_init(&r, data, size);

    wanted = fuzz_field(&r, '\0', NULL);
    len = (size_t) (r.end - r.p);
    dn = fuzz_strndup(r.p, len);

    fuzz_fold((const char *) r.p, len);

    len = strlen(dn);
    normal = malloc(DIR_DN_NORMALIZED_LEN(len));
    again = malloc(DIR_DN_NORMALIZED_LEN(DIR_DN_NORMALIZED_LEN(len)));

    if (normal == NULL || again == NULL) {
        abort();
    }

    n = dir_dn_normalize(dn, normal, DIR_DN_NORMALIZED_LEN(len));

    if (n >= 0) {
        if ((size_t) n >= DIR_DN_NORMALIZED_LEN(len) || normal[n] != '\0') {
            abort();
        }

        m = dir_dn_normalize(normal, again,
                             DIR_DN_NORMALIZED_LEN(DIR_DN_NORMALIZED_LEN(len)));

        /* a normal form too long to be taken as a DN again is no fault */
        if ((size_t) n <= 1024 && (m != n || strcmp(normal, again) != 0)) {
            abort();
        }

        if (dir_dn_equal(dn, dn) != 1) {
            abort();
        }
    }

    (void) dir_dn_equal(dn, wanted);
    (void) dir_group_matches(dn, wanted);

    free(normal);
    free(again);
    free(wanted);
    free(dn);

    return 0;
}
