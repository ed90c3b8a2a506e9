#include <string.h>

#include "scep_base64.h"


static const char  scep_base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";


static int
scep_base64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '+') {
        return 62;
    }

    if (c == '/') {
        return 63;
    }

    return -1;
}


size_t
scep_base64_encode(const unsigned char *in, size_t len, char *out)
{
    size_t    i, n;
    unsigned  v;

    n = 0;

    for (i = 0; i + 2 < len; i += 3) {
        v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8 | in[i + 2];
        out[n++] = scep_base64_alphabet[v >> 18 & 63];
        out[n++] = scep_base64_alphabet[v >> 12 & 63];
        out[n++] = scep_base64_alphabet[v >> 6 & 63];
        out[n++] = scep_base64_alphabet[v & 63];
    }

    if (len - i == 1) {
        v = (unsigned) in[i] << 16;
        out[n++] = scep_base64_alphabet[v >> 18 & 63];
        out[n++] = scep_base64_alphabet[v >> 12 & 63];

    } else if (len - i == 2) {
        v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8;
        out[n++] = scep_base64_alphabet[v >> 18 & 63];
        out[n++] = scep_base64_alphabet[v >> 12 & 63];
        out[n++] = scep_base64_alphabet[v >> 6 & 63];
    }

    out[n] = '\0';

    return n;
}


long
scep_base64_decode(const char *in, size_t len, unsigned char *out,
    size_t size)
{
    int       c;
    size_t    i, n, pad;
    unsigned  v, bits;

    pad = 0;

    while (len > 0 && in[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }

    /* padding only completes a group of four */
    if (len % 4 == 1 || (pad != 0 && (len + pad) % 4 != 0)) {
        return -1;
    }

    n = 0;
    v = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        c = scep_base64_value(in[i]);
        if (c < 0) {
            return -1;
        }

        v = (v << 6 | (unsigned) c) & 0xffffff;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;

            if (n == size) {
                return -1;
            }

            out[n++] = (unsigned char) (v >> bits & 0xff);
        }
    }

    /* the bits of a last partial group that no byte took must be zero */
    if (bits > 0 && (v & ((1u << bits) - 1)) != 0) {
        return -1;
    }

    return (long) n;
}
