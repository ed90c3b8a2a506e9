/*
 * dir_escape_filter_value and dir_filter_render: a login name (or a DN)
 * placed into an LDAP filter template.  The result must stay one
 * assertion value: no unescaped '*', '(', ')' or '\' of the user's.
 *
 * Input: "outlen byte, placeholder byte, template NUL value".
 */

#include "ldap/dir.h"
#include "fuzz/fuzz.h"


static void
fuzz_check_escaped(const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] >= 0x7f
            || s[i] == '*' || s[i] == '(' || s[i] == ')')
        {
            abort();
        }

        if (s[i] == '\\') {
            if (i + 2 >= n || !strchr("0123456789abcdef", s[i + 1])
                || !strchr("0123456789abcdef", s[i + 2])
                || s[i + 1] == '\0' || s[i + 2] == '\0')
            {
                abort();
            }

            i += 2;
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             n;
    char           *tpl, *value, *out, *filter;
    size_t          outlen, len;
    unsigned        placeholder;
    fuzz_reader_t   r;

    fuzz_reader_init(&r, data, size);

    outlen = fuzz_byte(&r);
    placeholder = fuzz_byte(&r);
    tpl = fuzz_field(&r, '\0', NULL);
    len = (size_t) (r.end - r.p);
    value = fuzz_memdup(r.p, len);

    /* a buffer of the size the caller gave, and one always big enough */
    out = malloc(outlen > 0 ? outlen : 1);
    if (out == NULL) {
        abort();
    }

    n = dir_escape_filter_value(value, len, out, outlen);

    if (n >= 0) {
        if ((size_t) n >= outlen || out[n] != '\0') {
            abort();
        }

        fuzz_check_escaped(out, (size_t) n);
    }

    free(out);

    out = malloc(DIR_ESCAPED_LEN(len));
    if (out == NULL) {
        abort();
    }

    n = dir_escape_filter_value(value, len, out, DIR_ESCAPED_LEN(len));

    if (n < 0) {
        abort();
    }

    fuzz_check_escaped(out, (size_t) n);
    free(out);

    filter = dir_filter_render(tpl, (char) placeholder, value, len);

    if (filter != NULL) {
        if (strlen(filter) > DIR_FILTER_LEN_MAX) {
            abort();
        }

        free(filter);
    }

    free(tpl);
    free(value);

    return 0;
}
