#include "scep_utf8.h"


size_t
scep_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t    n, i;
    uint32_t  c, min;

    if (len == 0) {
        return 0;
    }

    c = s[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    /* 0xc0 and 0xc1 could only start overlong forms of ASCII. */

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        c &= 0x1f;
        min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        c &= 0x0f;
        min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        c &= 0x07;
        min = 0x10000;

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


int
scep_utf8_validate(const char *s, size_t len, size_t *chars, size_t *bad)
{
    size_t    i, n, count;
    uint32_t  cp;

    count = 0;

    for (i = 0; i < len; i += n) {
        n = scep_utf8_decode((const unsigned char *) s + i, len - i, &cp);

        if (n == 0) {
            if (bad != NULL) {
                *bad = i;
            }

            return -1;
        }

        count++;
    }

    if (chars != NULL) {
        *chars = count;
    }

    return 0;
}


int
scep_utf8_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}
