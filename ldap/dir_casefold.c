/*
 * Unicode full case folding of UTF-8 text, for comparing names the way
 * people read them: "Vertrieb-Süd" and "VERTRIEB-SÜD", "Straße" and
 * "STRASSE", "ΟΔΟΣ" and "οδος" are the same group.
 *
 * The table holds every code point that folds (1,530 in Unicode 14), not
 * only Latin, Greek and Cyrillic; it is generated, see
 * dir_casefold_gen.py.  A libc has no full folding of its own and ICU or
 * libunistring would be one more library in nginx for one function.
 */

#include <stdint.h>
#include <string.h>

#include "dir.h"


typedef struct {
    uint32_t  from;
    uint32_t  to[3];            /* 0 ends a shorter folding */
} dir_casefold_t;

#include "dir_casefold_table.h"


/*
 * Decodes one well-formed UTF-8 sequence (no overlong forms, no
 * surrogates); returns its length, or 0 when s does not start with one.
 */
static size_t
dir_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t    n, i;
    uint32_t  c, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }

    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2; c = s[0] & 0x1f; min = 0x80;

    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3; c = s[0] & 0x0f; min = 0x800;

    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4; c = s[0] & 0x07; min = 0x10000;

    } else {
        return 0;
    }

    if (len < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = (c << 6) | (s[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }

    *cp = c;

    return n;
}


static size_t
dir_utf8_encode(uint32_t c, unsigned char *out)
{
    if (c < 0x80) {
        out[0] = (unsigned char) c;
        return 1;
    }

    if (c < 0x800) {
        out[0] = (unsigned char) (0xc0 | (c >> 6));
        out[1] = (unsigned char) (0x80 | (c & 0x3f));
        return 2;
    }

    if (c < 0x10000) {
        out[0] = (unsigned char) (0xe0 | (c >> 12));
        out[1] = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
        out[2] = (unsigned char) (0x80 | (c & 0x3f));
        return 3;
    }

    out[0] = (unsigned char) (0xf0 | (c >> 18));
    out[1] = (unsigned char) (0x80 | ((c >> 12) & 0x3f));
    out[2] = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
    out[3] = (unsigned char) (0x80 | (c & 0x3f));

    return 4;
}


static const dir_casefold_t *
dir_casefold_find(uint32_t c)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = sizeof(dir_casefold_table) / sizeof(dir_casefold_table[0]);

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (dir_casefold_table[mid].from == c) {
            return &dir_casefold_table[mid];
        }

        if (dir_casefold_table[mid].from < c) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


/*
 * Whatever a code point folds to takes at most three bytes per byte of
 * its own encoding: the longest folding, three BMP code points (9
 * bytes), comes from a code point of three or more bytes.
 */
int
dir_casefold(const char *in, size_t len, char *out, size_t size)
{
    size_t                 i, n, k, o;
    uint32_t               c;
    unsigned char          buf[12];
    const unsigned char   *s;
    const dir_casefold_t  *f;

    s = (const unsigned char *) in;
    o = 0;

    if (size == 0) {
        return -1;
    }

    for (i = 0; i < len; i += n) {
        n = dir_utf8_decode(s + i, len - i, &c);

        if (n == 0) {
            /* not UTF-8: the byte stands for itself */
            n = 1;
            buf[0] = s[i];
            k = 1;

        } else if (c >= 'A' && c <= 'Z') {
            buf[0] = (unsigned char) (c + 32);
            k = 1;

        } else if (c < 0x80 || (f = dir_casefold_find(c)) == NULL) {
            memcpy(buf, s + i, n);
            k = n;

        } else {
            k = dir_utf8_encode(f->to[0], buf);

            if (f->to[1] != 0) {
                k += dir_utf8_encode(f->to[1], buf + k);
            }

            if (f->to[2] != 0) {
                k += dir_utf8_encode(f->to[2], buf + k);
            }
        }

        if (o + k >= size) {
            out[0] = '\0';
            return -1;
        }

        memcpy(out + o, buf, k);
        o += k;
    }

    out[o] = '\0';

    return (int) o;
}


int
dir_name_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    int     rc, la, lb;
    char    sa[256 * 3 + 1], sb[256 * 3 + 1];
    char   *fa, *fb;

    /* names from a configuration and a directory: bounded, small */
    if (alen > 256 || blen > 256) {
        return 0;
    }

    fa = sa;
    fb = sb;

    la = dir_casefold(a, alen, fa, sizeof(sa));
    lb = dir_casefold(b, blen, fb, sizeof(sb));

    rc = la >= 0 && la == lb && memcmp(fa, fb, (size_t) la) == 0;

    return rc;
}
