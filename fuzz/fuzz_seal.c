/*
 * scep_seal_open, scep_seal_expires: a sealed record as read from the
 * store's pending directory, which anyone with write access to a shared
 * mount may have written.  Mode byte: 0, the record as read; 1, a
 * record the target seals around the rest (its bytes then changed at
 * the offset of the second byte, if any), so that the fuzzer reaches
 * past the tag.  What opens must be what was sealed, and must seal and
 * open again.
 */

#include <openssl/crypto.h>

#include "fuzz/fuzz.h"
#include "scep/scep_seal.h"


#define FUZZ_NOW      1799999000LL
#define FUZZ_EXPIRES  1800000000LL
#define FUZZ_CONTEXT  "pending\nstaff\ncarol"


static scep_keyring_t  fuzz_ring;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t         i;
    unsigned char  secret[32];

    (void) argc;
    (void) argv;

    /* the key of the unit tests' known answers (the seed opens) */
    for (i = 0; i < sizeof(secret); i++) {
        secret[i] = (unsigned char) i;
    }

    scep_keyring_init(&fuzz_ring);

    if (scep_keyring_add_secret(&fuzz_ring, secret, sizeof(secret), NULL)
        != 0)
    {
        abort();
    }

    return 0;
}


static void
fuzz_open(const uint8_t *rec, size_t len, const uint8_t *want,
    size_t want_len)
{
    size_t          n, n2, rlen;
    time_t          expires;
    scep_error_t    err;
    unsigned char  *data, *again, *back;

    if (scep_seal_open(&fuzz_ring, FUZZ_CONTEXT, FUZZ_NOW, rec, len, &data,
                       &n, &err)
        != 0)
    {
        if (data != NULL) {
            abort();
        }

        return;
    }

    /* what opens claims an expiry after now, and holds what was sealed */
    if (scep_seal_expires(rec, len, &expires) != 0 || expires <= FUZZ_NOW
        || (want != NULL && (n != want_len || memcmp(data, want, n) != 0)))
    {
        abort();
    }

    if (scep_seal(&fuzz_ring, FUZZ_CONTEXT, expires, data, n, &again, &rlen,
                  &err)
        != 0
        || scep_seal_open(&fuzz_ring, FUZZ_CONTEXT, FUZZ_NOW, again, rlen,
                          &back, &n2, &err)
           != 0
        || n2 != n || memcmp(back, data, n) != 0)
    {
        abort();
    }

    OPENSSL_cleanse(data, n);
    free(data);
    free(again);
    free(back);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          len, n;
    uint8_t         at;
    scep_error_t    err;
    unsigned char  *rec, *copy, *opened;

    if (size == 0) {
        return 0;
    }

    if (data[0] == 0) {
        copy = (unsigned char *) fuzz_memdup(data + 1, size - 1);
        fuzz_open(copy, size - 1, NULL, 0);
        free(copy);
        return 0;
    }

    at = size > 1 ? data[1] : 0;
    data += 2 < size ? 2 : size;
    size -= 2 < size ? 2 : size;

    if (scep_seal(&fuzz_ring, FUZZ_CONTEXT, FUZZ_EXPIRES, data, size, &rec,
                  &len, &err)
        != 0)
    {
        return 0;
    }

    /* 0: left as it is, and must open; else one byte changed: must not */
    if (at == 0) {
        fuzz_open(rec, len, data, size);

    } else {
        rec[(at - 1) % len] ^= 0x01;

        if (scep_seal_open(&fuzz_ring, FUZZ_CONTEXT, FUZZ_NOW, rec, len,
                           &opened, &n, &err)
            == 0)
        {
            abort();
        }
    }

    free(rec);

    return 0;
}
