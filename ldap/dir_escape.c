#include <limits.h>

#include "dir.h"


/*
 * RFC 4515 lets any octet be written as "\hh".  Escaping everything that
 * is not printable ASCII, not only the five characters it requires, keeps
 * control bytes and broken UTF-8 out of the filter text, its logs and the
 * server's parser.
 */
static int
dir_escape_needed(unsigned char c)
{
    return c < 0x20 || c >= 0x7f
           || c == '*' || c == '(' || c == ')' || c == '\\';
}


int
dir_escape_filter_value(const char *in, size_t inlen, char *out,
    size_t outlen)
{
    size_t              i, n;
    unsigned char       c;
    static const char   hex[] = "0123456789abcdef";

    if (outlen == 0) {
        return -1;
    }

    /* the length is returned as an int */
    if (inlen > INT_MAX / 3) {
        goto too_small;
    }

    n = 0;

    for (i = 0; i < inlen; i++) {
        c = (unsigned char) in[i];

        if (!dir_escape_needed(c)) {
            if (n + 1 >= outlen) {
                goto too_small;
            }

            out[n++] = (char) c;
            continue;
        }

        if (n + 3 >= outlen) {
            goto too_small;
        }

        out[n++] = '\\';
        out[n++] = hex[c >> 4];
        out[n++] = hex[c & 0x0f];
    }

    out[n] = '\0';

    return (int) n;

too_small:

    out[0] = '\0';

    return -1;
}
