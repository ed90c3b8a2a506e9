/*
 * The growing buffer and its escapers.  Escapers decode UTF-8 themselves
 * rather than trusting it: every value they see may come from an agent,
 * the directory or the PKI.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gp_buf.h"


#define GP_BUF_FIRST_CAP    256
#define GP_REPLACEMENT      "\xef\xbf\xbd"    /* U+FFFD in UTF-8 */


static int gp_buf_reserve(gp_buf_t *b, size_t n);
static void gp_buf_add_xml_text(gp_buf_t *b, const char *s, size_t len,
    int attribute);
static int gp_char_is_unwanted(uint32_t c);


void
gp_buf_init(gp_buf_t *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->failed = 0;
}


void
gp_buf_free(gp_buf_t *b)
{
    free(b->data);

    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}


void
gp_buf_free_secret(gp_buf_t *b)
{
    if (b->data != NULL) {
        OPENSSL_cleanse(b->data, b->cap);
    }

    gp_buf_free(b);
}


/*
 * Makes room for n more bytes and the terminating NUL.  Growing copies
 * and wipes instead of calling realloc(): the buffer may hold a challenge
 * password or a PKCS#12, and realloc() would leave the old copy in freed
 * memory.
 */
static int
gp_buf_reserve(gp_buf_t *b, size_t n)
{
    char    *data;
    size_t   need, cap;

    if (b->failed) {
        return -1;
    }

    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return -1;
    }

    need = b->len + n;

    if (b->max != 0 && need > b->max) {
        b->failed = 1;
        return -1;
    }

    if (need < b->cap) {
        return 0;
    }

    cap = (b->cap != 0) ? b->cap : GP_BUF_FIRST_CAP;

    while (cap <= need) {
        cap *= 2;
    }

    if (b->max != 0 && b->max < SIZE_MAX && cap > b->max + 1) {
        cap = b->max + 1;
    }

    data = malloc(cap);
    if (data == NULL) {
        b->failed = 1;
        return -1;
    }

    if (b->data != NULL) {
        memcpy(data, b->data, b->len + 1);
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);

    } else {
        data[0] = '\0';
    }

    b->data = data;
    b->cap = cap;

    return 0;
}


void
gp_buf_add(gp_buf_t *b, const char *s, size_t len)
{
    if (len == 0 || gp_buf_reserve(b, len) != 0) {
        return;
    }

    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
}


void
gp_buf_add_str(gp_buf_t *b, const char *s)
{
    if (s != NULL) {
        gp_buf_add(b, s, strlen(s));
    }
}


void
gp_buf_printf(gp_buf_t *b, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    if (b->failed) {
        return;
    }

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    if (n < 0) {
        b->failed = 1;
        return;
    }

    if (n == 0 || gp_buf_reserve(b, (size_t) n) != 0) {
        return;
    }

    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);

    b->len += (size_t) n;
}


char *
gp_buf_take(gp_buf_t *b, size_t *len)
{
    char  *data;

    if (len != NULL) {
        *len = 0;
    }

    if (b->failed) {
        return NULL;
    }

    if (b->data == NULL) {
        return strdup("");
    }

    data = b->data;

    if (len != NULL) {
        *len = b->len;
    }

    b->data = NULL;
    b->len = 0;
    b->cap = 0;

    return data;
}


size_t
gp_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    size_t                need, i;
    uint32_t              c;
    unsigned char         lo, hi;
    const unsigned char  *p;

    *cp = GP_UTF8_INVALID;

    if (len == 0) {
        return 0;
    }

    p = (const unsigned char *) s;
    c = p[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    /*
     * The bounds of the second byte rule out overlong forms, surrogates
     * and code points above U+10FFFF (RFC 3629, section 4).
     */
    lo = 0x80;
    hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        c &= 0x1f;

    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        lo = (c == 0xe0) ? 0xa0 : 0x80;
        hi = (c == 0xed) ? 0x9f : 0xbf;
        c &= 0x0f;

    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        lo = (c == 0xf0) ? 0x90 : 0x80;
        hi = (c == 0xf4) ? 0x8f : 0xbf;
        c &= 0x07;

    } else {
        return 1;
    }

    for (i = 1; i <= need; i++) {
        if (i >= len || p[i] < lo || p[i] > hi) {
            return i;
        }

        c = (c << 6) | (p[i] & 0x3f);
        lo = 0x80;
        hi = 0xbf;
    }

    *cp = c;

    return need + 1;
}


/*
 * Control characters (C0, DEL, C1) and the two non-characters XML 1.0
 * excludes; tab, newline and carriage return are the callers' business.
 */
static int
gp_char_is_unwanted(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xfffe
           || c == 0xffff;
}


int
gp_utf8_is_clean_text(const char *s, size_t len)
{
    size_t    i, n;
    uint32_t  c;

    for (i = 0; i < len; i += n) {
        n = gp_utf8_next(s + i, len - i, &c);

        if (c == GP_UTF8_INVALID || gp_char_is_unwanted(c)) {
            return 0;
        }
    }

    return 1;
}


static void
gp_buf_add_xml_text(gp_buf_t *b, const char *s, size_t len, int attribute)
{
    size_t       i, n, plain;
    uint32_t     c;
    const char  *esc;

    if (s == NULL) {
        return;
    }

    plain = 0;

    for (i = 0; i < len; i += n) {
        n = gp_utf8_next(s + i, len - i, &c);

        switch (c) {
        case '&':
            esc = "&amp;";
            break;
        case '<':
            esc = "&lt;";
            break;
        case '>':
            esc = "&gt;";
            break;
        case '"':
            esc = "&quot;";
            break;
        case '\'':
            esc = "&apos;";
            break;

        /* a parser turns a bare CR into LF, and folds all three into
         * spaces in an attribute value */
        case '\r':
            esc = "&#13;";
            break;
        case '\n':
            esc = attribute ? "&#10;" : NULL;
            break;
        case '\t':
            esc = attribute ? "&#9;" : NULL;
            break;

        default:
            esc = (c == GP_UTF8_INVALID || gp_char_is_unwanted(c))
                  ? GP_REPLACEMENT : NULL;
            break;
        }

        if (esc == NULL) {
            continue;
        }

        gp_buf_add(b, s + plain, i - plain);
        gp_buf_add_str(b, esc);
        plain = i + n;
    }

    gp_buf_add(b, s + plain, len - plain);
}


void
gp_buf_add_xml(gp_buf_t *b, const char *s, size_t len)
{
    gp_buf_add_xml_text(b, s, len, 0);
}


void
gp_buf_add_xml_str(gp_buf_t *b, const char *s)
{
    if (s != NULL) {
        gp_buf_add_xml_text(b, s, strlen(s), 0);
    }
}


void
gp_buf_add_xml_attr(gp_buf_t *b, const char *s)
{
    if (s != NULL) {
        gp_buf_add_xml_text(b, s, strlen(s), 1);
    }
}


void
gp_buf_add_json_str(gp_buf_t *b, const char *s)
{
    size_t    i, n, len, plain;
    uint32_t  c;

    if (s == NULL) {
        return;
    }

    len = strlen(s);
    plain = 0;

    for (i = 0; i < len; i += n) {
        n = gp_utf8_next(s + i, len - i, &c);

        if (c >= 0x20 && c != '"' && c != '\\'
            && !(c >= 0x7f && c <= 0x9f)
            && c != 0x2028 && c != 0x2029
            && c != GP_UTF8_INVALID)
        {
            continue;
        }

        gp_buf_add(b, s + plain, i - plain);
        plain = i + n;

        switch (c) {
        case '"':
            gp_buf_add_str(b, "\\\"");
            break;
        case '\\':
            gp_buf_add_str(b, "\\\\");
            break;
        case '\n':
            gp_buf_add_str(b, "\\n");
            break;
        case '\r':
            gp_buf_add_str(b, "\\r");
            break;
        case '\t':
            gp_buf_add_str(b, "\\t");
            break;
        case GP_UTF8_INVALID:
            gp_buf_add_str(b, "\\ufffd");
            break;

        /* U+2028 and U+2029 end a line in JavaScript, not in JSON */
        default:
            gp_buf_printf(b, "\\u%04x", (unsigned) c);
            break;
        }
    }

    gp_buf_add(b, s + plain, len - plain);
}


void
gp_buf_add_log(gp_buf_t *b, const char *s, size_t len, size_t max)
{
    size_t         i, n;
    unsigned char  c;

    if (s == NULL) {
        return;
    }

    n = (len > max) ? max : len;

    for (i = 0; i < n; i++) {
        c = (unsigned char) s[i];

        if (c == '"' || c == '\\') {
            gp_buf_printf(b, "\\%c", c);

        } else if (c >= 0x20 && c < 0x7f) {
            gp_buf_add(b, (const char *) &c, 1);

        } else {
            gp_buf_printf(b, "\\x%02x", c);
        }
    }

    if (len > max) {
        gp_buf_add_str(b, "...");
    }
}


void
gp_text_printable(char *s)
{
    for ( /* void */ ; *s != '\0'; s++) {
        if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            *s = '?';
        }
    }
}
