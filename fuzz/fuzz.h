/*
 * Helpers shared by the fuzz targets: copies of the input in the shapes
 * the parsers take, and a reader that cuts an input into fields.
 */

#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);


/* A NUL-terminated copy (the input may hold NUL bytes of its own). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
    char  *s;

    s = malloc(size + 1);
    if (s == NULL) {
        abort();
    }

    memcpy(s, data, size);
    s[size] = '\0';

    return s;
}


/*
 * An exact-size copy without a terminator, for parsers that take a
 * length: reading one byte past it is caught.
 */
static inline char *
fuzz_memdup(const void *data, size_t size)
{
    char  *s;

    s = malloc(size > 0 ? size : 1);
    if (s == NULL) {
        abort();
    }

    memcpy(s, data, size);

    return s;
}


/*
 * A reader over the input: fields are taken from the front, each up to a
 * separator byte, so that a seed stays readable text.
 */
typedef struct {
    const uint8_t  *p;
    const uint8_t  *end;
} fuzz_reader_t;


static inline void
fuzz_reader_init(fuzz_reader_t *r, const uint8_t *data, size_t size)
{
    r->p = data;
    r->end = data + size;
}


/* One byte, 0 once the input is used up. */
static inline unsigned
fuzz_byte(fuzz_reader_t *r)
{
    return (r->p < r->end) ? *r->p++ : 0;
}


/* The bytes up to sep (not included), as a NUL-terminated copy. */
static inline char *
fuzz_field(fuzz_reader_t *r, uint8_t sep, size_t *len)
{
    char           *s;
    const uint8_t  *q;

    q = memchr(r->p, sep, (size_t) (r->end - r->p));
    if (q == NULL) {
        q = r->end;
    }

    s = fuzz_strndup(r->p, (size_t) (q - r->p));

    if (len != NULL) {
        *len = (size_t) (q - r->p);
    }

    r->p = (q < r->end) ? q + 1 : q;

    return s;
}


/* What is left, as a NUL-terminated copy. */
static inline char *
fuzz_rest(fuzz_reader_t *r, size_t *len)
{
    char  *s;

    s = fuzz_strndup(r->p, (size_t) (r->end - r->p));
    *len = (size_t) (r->end - r->p);
    r->p = r->end;

    return s;
}


#endif /* FUZZ_H */
