#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "scep_ndes.h"


/* The phrases NDES writes, matched with any run of blanks between words. */
#define SCEP_NDES_CACHE_FULL  "The password cache is full"
#define SCEP_NDES_PERMISSION                                                \
    "You do not have sufficient permission to enroll with SCEP"
#define SCEP_NDES_PASSWORD    "The enrollment challenge password is:"

/* Enough of the page to tell UTF-16 from UTF-8 by its NUL bytes. */
#define SCEP_NDES_SNIFF_LEN   512

#define scep_ndes_lower(c)    ((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : (c))


typedef enum {
    SCEP_NDES_UTF8 = 0,
    SCEP_NDES_UTF16LE,
    SCEP_NDES_UTF16BE
} scep_ndes_encoding_t;

typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          cap;
} scep_ndes_text_t;


static scep_ndes_encoding_t scep_ndes_detect(const unsigned char **page,
    size_t *len);
static int scep_ndes_decode(const unsigned char *page, size_t len,
    scep_ndes_text_t *text);
static size_t scep_ndes_put_utf8(unsigned char *out, unsigned long cp);
static int scep_ndes_extract(const unsigned char *p, const unsigned char *end,
    char *out, size_t outlen, scep_error_t *err);
static int scep_ndes_bold_value(const unsigned char *p,
    const unsigned char *end, const unsigned char **value,
    const unsigned char **value_end);
static const unsigned char *scep_ndes_find(const unsigned char *p,
    const unsigned char *end, const char *phrase);
static const unsigned char *scep_ndes_match(const unsigned char *p,
    const unsigned char *end, const char *phrase);
static size_t scep_ndes_blank(const unsigned char *p,
    const unsigned char *end);
static const unsigned char *scep_ndes_skip_blanks(const unsigned char *p,
    const unsigned char *end);
static const unsigned char *scep_ndes_trim_end(const unsigned char *start,
    const unsigned char *end);
static const unsigned char *scep_ndes_bold_tag(const unsigned char *p,
    const unsigned char *end, int closing);


int
scep_ndes_parse(const unsigned char *page, size_t len, char *out,
    size_t outlen, scep_error_t *err)
{
    int                   rc;
    scep_ndes_text_t      text;
    const unsigned char  *end;

    if (outlen == 0) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "",
                              "no room for the challenge password");
    }

    out[0] = '\0';

    if (len > SCEP_NDES_PAGE_MAX) {
        return scep_error_set(err, SCEP_ERR_HTTP_TOO_LARGE, "",
                              "the challenge page is %zu bytes, more than "
                              "the %d accepted", len, SCEP_NDES_PAGE_MAX);
    }

    if (scep_ndes_decode(page, len, &text) != 0) {
        return scep_error_set(err, SCEP_ERR_NOMEM, "",
                              "out of memory decoding the challenge page");
    }

    end = text.data + text.len;

    if (scep_ndes_find(text.data, end, SCEP_NDES_CACHE_FULL) != NULL) {
        rc = scep_error_set(err, SCEP_ERR_CHALLENGE_CACHE_FULL, "",
                            "the challenge service's password cache is "
                            "full: NDES keeps few unused passwords (5 by "
                            "default) until they are used or expire (60 "
                            "minutes by default); wait for them to expire, "
                            "or raise PasswordMax on the NDES server");

    } else if (scep_ndes_find(text.data, end, SCEP_NDES_PERMISSION) != NULL)
    {
        rc = scep_error_set(err, SCEP_ERR_CHALLENGE_PERMISSION, "",
                            "the challenge service says the challenge "
                            "account may not enroll with SCEP: grant it "
                            "Enroll on the certificate template NDES uses");

    } else {
        rc = scep_ndes_extract(text.data, end, out, outlen, err);
    }

    OPENSSL_cleanse(text.data, text.cap);
    free(text.data);

    return rc;
}


static scep_ndes_encoding_t
scep_ndes_detect(const unsigned char **page, size_t *len)
{
    size_t                i, n, even_nul, odd_nul;
    const unsigned char  *p = *page;

    if (*len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        *page += 3;
        *len -= 3;
        return SCEP_NDES_UTF8;
    }

    if (*len >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
        *page += 2;
        *len -= 2;
        return SCEP_NDES_UTF16LE;
    }

    if (*len >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
        *page += 2;
        *len -= 2;
        return SCEP_NDES_UTF16BE;
    }

    /*
     * Without a byte order mark, markup in UTF-16 has a NUL in every
     * other byte; UTF-8 text has none.
     */
    n = *len < SCEP_NDES_SNIFF_LEN ? *len : SCEP_NDES_SNIFF_LEN;
    n &= ~(size_t) 1;
    even_nul = 0;
    odd_nul = 0;

    for (i = 0; i < n; i += 2) {
        even_nul += (p[i] == 0);
        odd_nul += (p[i + 1] == 0);
    }

    if (n > 0 && odd_nul * 4 > n && even_nul * 4 < odd_nul) {
        return SCEP_NDES_UTF16LE;
    }

    if (n > 0 && even_nul * 4 > n && odd_nul * 4 < even_nul) {
        return SCEP_NDES_UTF16BE;
    }

    return SCEP_NDES_UTF8;
}


/*
 * Produces UTF-8 text.  A lone surrogate becomes U+FFFD and a trailing odd
 * byte is dropped: a damaged page may still carry its password, and a
 * damaged password fails the later checks anyway.
 */
static int
scep_ndes_decode(const unsigned char *page, size_t len,
    scep_ndes_text_t *text)
{
    int                   big_endian;
    size_t                i;
    unsigned long         u, low;
    scep_ndes_encoding_t  enc;

    enc = scep_ndes_detect(&page, &len);

    text->len = 0;
    text->cap = (enc == SCEP_NDES_UTF8 ? len : len / 2 * 3) + 1;
    text->data = malloc(text->cap);

    if (text->data == NULL) {
        return -1;
    }

    if (enc == SCEP_NDES_UTF8) {
        memcpy(text->data, page, len);
        text->len = len;
        return 0;
    }

    big_endian = (enc == SCEP_NDES_UTF16BE);

    for (i = 0; i + 1 < len; i += 2) {
        u = big_endian ? (unsigned long) page[i] << 8 | page[i + 1]
                       : (unsigned long) page[i + 1] << 8 | page[i];

        if (u >= 0xD800 && u <= 0xDBFF && i + 3 < len) {
            low = big_endian ? (unsigned long) page[i + 2] << 8 | page[i + 3]
                             : (unsigned long) page[i + 3] << 8 | page[i + 2];

            if (low >= 0xDC00 && low <= 0xDFFF) {
                u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
                i += 2;
            }
        }

        if (u >= 0xD800 && u <= 0xDFFF) {
            u = 0xFFFD;
        }

        text->len += scep_ndes_put_utf8(text->data + text->len, u);
    }

    return 0;
}


static size_t
scep_ndes_put_utf8(unsigned char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (unsigned char) cp;
        return 1;
    }

    if (cp < 0x800) {
        out[0] = (unsigned char) (0xC0 | (cp >> 6));
        out[1] = (unsigned char) (0x80 | (cp & 0x3F));
        return 2;
    }

    if (cp < 0x10000) {
        out[0] = (unsigned char) (0xE0 | (cp >> 12));
        out[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char) (0x80 | (cp & 0x3F));
        return 3;
    }

    out[0] = (unsigned char) (0xF0 | (cp >> 18));
    out[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char) (0x80 | (cp & 0x3F));
    return 4;
}


static int
scep_ndes_extract(const unsigned char *p, const unsigned char *end,
    char *out, size_t outlen, scep_error_t *err)
{
    size_t                i, n;
    const unsigned char  *value, *value_end;

    p = scep_ndes_find(p, end, SCEP_NDES_PASSWORD);

    if (p == NULL) {
        return scep_error_set(err, SCEP_ERR_CHALLENGE_NO_PASSWORD, "",
                              "the challenge page has no password: it lacks "
                              "\"%s\"; check that the URL is the NDES "
                              "mscep_admin page", SCEP_NDES_PASSWORD);
    }

    if (scep_ndes_bold_value(p, end, &value, &value_end) != 0) {
        return scep_error_set(err, SCEP_ERR_CHALLENGE_NO_PASSWORD, "",
                              "the challenge page has no password: no bold "
                              "value (<B>...</B>) follows \"%s\"",
                              SCEP_NDES_PASSWORD);
    }

    n = (size_t) (value_end - value);

    for (i = 0; i < n; i++) {
        if (value[i] <= 0x20 || value[i] >= 0x7F) {
            break;
        }
    }

    if (n == 0 || n > SCEP_NDES_PASSWORD_MAX || i < n) {
        return scep_error_set(err, SCEP_ERR_CHALLENGE_NO_PASSWORD, "",
                              "the challenge page has no password: its value "
                              "is not 1 to %d printable ASCII characters "
                              "without blanks", SCEP_NDES_PASSWORD_MAX);
    }

    if (n >= outlen) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "",
                              "the challenge password (%zu characters) does "
                              "not fit in %zu bytes", n, outlen);
    }

    memcpy(out, value, n);
    out[n] = '\0';

    return 0;
}


/*
 * The trimmed content of the first bold element at p.  Only blanks and
 * other tags may come before it, so that an unrelated bold text further
 * down is never taken for the password.
 */
static int
scep_ndes_bold_value(const unsigned char *p, const unsigned char *end,
    const unsigned char **value, const unsigned char **value_end)
{
    const unsigned char  *content, *closing;

    for ( ;; ) {
        p = scep_ndes_skip_blanks(p, end);

        if (p == end || *p != '<') {
            return -1;
        }

        content = scep_ndes_bold_tag(p, end, 0);
        if (content != NULL) {
            break;
        }

        p = memchr(p, '>', (size_t) (end - p));
        if (p == NULL) {
            return -1;
        }

        p++;
    }

    content = scep_ndes_skip_blanks(content, end);
    closing = memchr(content, '<', (size_t) (end - content));

    if (closing == NULL || scep_ndes_bold_tag(closing, end, 1) == NULL) {
        return -1;
    }

    *value = content;
    *value_end = scep_ndes_trim_end(content, closing);

    return 0;
}


static const unsigned char *
scep_ndes_find(const unsigned char *p, const unsigned char *end,
    const char *phrase)
{
    const unsigned char  *after;

    for ( /* void */ ; p < end; p++) {
        after = scep_ndes_match(p, end, phrase);
        if (after != NULL) {
            return after;
        }
    }

    return NULL;
}


/* A blank in the phrase stands for any run of blanks in the page. */
static const unsigned char *
scep_ndes_match(const unsigned char *p, const unsigned char *end,
    const char *phrase)
{
    size_t  n;

    for ( /* void */ ; *phrase != '\0'; phrase++) {
        if (*phrase == ' ') {
            n = scep_ndes_blank(p, end);
            if (n == 0) {
                return NULL;
            }

            p = scep_ndes_skip_blanks(p + n, end);
            continue;
        }

        if (p == end
            || scep_ndes_lower(*p) != scep_ndes_lower((unsigned char) *phrase))
        {
            return NULL;
        }

        p++;
    }

    return p;
}


/* The length of the blank at p: white space or a no-break space. */
static size_t
scep_ndes_blank(const unsigned char *p, const unsigned char *end)
{
    size_t  left = (size_t) (end - p);

    if (left == 0) {
        return 0;
    }

    if (*p == ' ' || (*p >= '\t' && *p <= '\r')) {
        return 1;
    }

    if (left >= 2 && p[0] == 0xC2 && p[1] == 0xA0) {
        return 2;
    }

    if (left >= 6 && strncasecmp((const char *) p, "&nbsp;", 6) == 0) {
        return 6;
    }

    if (left >= 6 && strncmp((const char *) p, "&#160;", 6) == 0) {
        return 6;
    }

    return 0;
}


static const unsigned char *
scep_ndes_skip_blanks(const unsigned char *p, const unsigned char *end)
{
    size_t  n;

    while ((n = scep_ndes_blank(p, end)) != 0) {
        p += n;
    }

    return p;
}


static const unsigned char *
scep_ndes_trim_end(const unsigned char *start, const unsigned char *end)
{
    while (end > start) {
        if (scep_ndes_blank(end - 1, end) == 1) {
            end--;
            continue;
        }

        if (end - start >= 2 && scep_ndes_blank(end - 2, end) == 2) {
            end -= 2;
            continue;
        }

        if (end - start >= 6 && scep_ndes_blank(end - 6, end) == 6) {
            end -= 6;
            continue;
        }

        break;
    }

    return end;
}


/*
 * "<B>" or, when closing, "</B>", in either case, with blanks allowed
 * inside the brackets; returns the byte after '>', or NULL.
 */
static const unsigned char *
scep_ndes_bold_tag(const unsigned char *p, const unsigned char *end,
    int closing)
{
    if (p == end || *p++ != '<') {
        return NULL;
    }

    p = scep_ndes_skip_blanks(p, end);

    if (closing) {
        if (p == end || *p++ != '/') {
            return NULL;
        }

        p = scep_ndes_skip_blanks(p, end);
    }

    if (p == end || (*p != 'b' && *p != 'B')) {
        return NULL;
    }

    p = scep_ndes_skip_blanks(p + 1, end);

    if (p == end || *p != '>') {
        return NULL;
    }

    return p + 1;
}
