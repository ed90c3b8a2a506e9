/*
 * Base64 (RFC 4648, section 4: A-Z a-z 0-9 + /), strict: one text per
 * value.  Every character of that alphabet is allowed in a
 * PrintableString, so a base64 challenge password needs no UTF8String.
 */

#ifndef SCEP_BASE64_H
#define SCEP_BASE64_H

#include <stddef.h>


/* Characters needed for len bytes without padding, not counting a NUL. */
#define scep_base64_len(len)  (((len) * 4 + 2) / 3)

/* Writes the text without padding and a NUL; returns its length. */
size_t scep_base64_encode(const unsigned char *in, size_t len, char *out);

/*
 * Decodes text of len characters, with or without "=" padding, into out
 * (size bytes).  Refused: any other character, bits left over that are
 * not zero, a length no encoding has, more than size bytes.  Returns the
 * number of bytes, or -1.
 */
long scep_base64_decode(const char *in, size_t len, unsigned char *out,
    size_t size);


#endif /* SCEP_BASE64_H */
