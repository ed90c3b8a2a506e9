/*
 * UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing
 * above U+10FFFF.  Certificate names hold UTF8String values, and length
 * limits such as RFC 5280's ub-common-name count characters, not bytes.
 */

#ifndef SCEP_UTF8_H
#define SCEP_UTF8_H

#include <stddef.h>
#include <stdint.h>


/*
 * Decodes the code point that starts at s, with len bytes available;
 * returns its length in bytes (1..4), or 0 when the bytes there are not
 * well-formed UTF-8 or len is 0.
 */
size_t scep_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/*
 * Checks s[0..len) and counts its code points into *chars.  Returns 0, or
 * -1 with *bad set to the offset of the first ill-formed byte.  Either
 * pointer may be NULL.
 */
int scep_utf8_validate(const char *s, size_t len, size_t *chars,
    size_t *bad);

/* C0 and C1 control characters and DEL, which no name should contain. */
int scep_utf8_is_control(uint32_t cp);


#endif /* SCEP_UTF8_H */
