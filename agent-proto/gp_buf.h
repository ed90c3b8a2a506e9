/*
 * A growing text buffer for rendering agent answers, with the escaping
 * each destination needs.  A failed allocation is remembered, so that a
 * renderer can append freely and check once at the end.
 */

#ifndef GP_BUF_H
#define GP_BUF_H

#include <stddef.h>
#include <stdint.h>


typedef struct {
    char    *data;          /* NUL-terminated while not failed */
    size_t   len;
    size_t   cap;
    size_t   max;           /* 0: unbounded */
    int      failed;
} gp_buf_t;


void gp_buf_init(gp_buf_t *b, size_t max);
void gp_buf_free(gp_buf_t *b);

/* Wipes the contents before freeing: for buffers that held a secret. */
void gp_buf_free_secret(gp_buf_t *b);

void gp_buf_add(gp_buf_t *b, const char *s, size_t len);
void gp_buf_add_str(gp_buf_t *b, const char *s);
void gp_buf_printf(gp_buf_t *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/*
 * XML character data or attribute value: & < > " ' escaped, a carriage
 * return as &#13;, and whatever XML 1.0 cannot carry (control characters
 * other than tab and newline, U+FFFE, U+FFFF, ill-formed UTF-8) replaced
 * by U+FFFD.  A NULL string adds nothing.
 */
void gp_buf_add_xml(gp_buf_t *b, const char *s, size_t len);
void gp_buf_add_xml_str(gp_buf_t *b, const char *s);

/* As gp_buf_add_xml_str, with tab and newline as references too. */
void gp_buf_add_xml_attr(gp_buf_t *b, const char *s);

/*
 * JSON string contents (without the quotes); ill-formed UTF-8 becomes
 * \ufffd.
 */
void gp_buf_add_json_str(gp_buf_t *b, const char *s);

/*
 * Text for a log line: printable ASCII kept, '"' and '\' escaped,
 * everything else as \xHH, cut at max bytes of input with "...".
 */
void gp_buf_add_log(gp_buf_t *b, const char *s, size_t len, size_t max);

/*
 * Hands the data to the caller (to free()); the buffer is left empty.
 * NULL when the buffer failed: its contents stay for gp_buf_free*().
 */
char *gp_buf_take(gp_buf_t *b, size_t *len);


#define GP_UTF8_INVALID  0xffffffffU

/*
 * Decodes the character at s.  Returns the bytes it takes (at least 1
 * when len > 0) and stores its code point, or GP_UTF8_INVALID for an
 * ill-formed sequence, of which the bytes returned are the maximal
 * ill-formed prefix (one replacement character per prefix, as Unicode
 * recommends).
 */
size_t gp_utf8_next(const char *s, size_t len, uint32_t *cp);

/*
 * Well-formed UTF-8 without control characters (C0, DEL, C1) and without
 * U+FFFE and U+FFFF: text that can go into a certificate, a log or XML.
 */
int gp_utf8_is_clean_text(const char *s, size_t len);

/*
 * Replaces, in place, every control character with '?': for text that
 * goes into a log line as it is (a backend's message), so that it can
 * never start a line of its own.
 */
void gp_text_printable(char *s);


#endif /* GP_BUF_H */
