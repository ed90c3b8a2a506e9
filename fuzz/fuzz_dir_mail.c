/*
 * dir_mail_collect: the values of the mail attributes of a user
 * (mail, proxyAddresses with its SMTP:/smtp:/X400: prefixes) put in
 * order.  Input: the values of two attributes, one value a line, the
 * two attributes separated by a NUL byte.
 */

#include <strings.h>

#include <lber.h>

#include "ldap/dir_mail.h"
#include "fuzz/fuzz.h"


#define FUZZ_VALUES_MAX  64


static void
fuzz_collect(dir_strings_t *mails, fuzz_reader_t *r)
{
    size_t           i, n, len;
    const uint8_t   *q, *end;
    struct berval    bv[FUZZ_VALUES_MAX], *values[FUZZ_VALUES_MAX + 1];

    end = memchr(r->p, '\0', (size_t) (r->end - r->p));
    if (end == NULL) {
        end = r->end;
    }

    n = 0;

    while (r->p < end && n < FUZZ_VALUES_MAX) {
        q = memchr(r->p, '\n', (size_t) (end - r->p));
        len = (size_t) ((q != NULL ? q : end) - r->p);

        /* exact size: the parser must keep within bv_len */
        bv[n].bv_val = fuzz_memdup(r->p, len);
        bv[n].bv_len = len;
        values[n] = &bv[n];
        n++;

        r->p = (q != NULL) ? q + 1 : end;
    }

    values[n] = NULL;
    r->p = (end < r->end) ? end + 1 : end;

    if (dir_mail_collect(mails, n > 0 ? values : NULL) != 0) {
        abort();
    }

    for (i = 0; i < n; i++) {
        free(bv[i].bv_val);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, j, len;
    dir_strings_t      mails;
    fuzz_reader_t   r;

    fuzz_reader_init(&r, data, size);
    memset(&mails, 0, sizeof(mails));

    fuzz_collect(&mails, &r);
    fuzz_collect(&mails, &r);

    if (mails.n > DIR_MAILS_MAX) {
        abort();
    }

    for (i = 0; i < mails.n; i++) {
        len = strlen(mails.items[i]);

        /* every address kept is valid, and kept once */
        if (!dir_mail_valid(mails.items[i], len)) {
            abort();
        }

        for (j = 0; j < i; j++) {
            if (strcasecmp(mails.items[i], mails.items[j]) == 0) {
                abort();
            }
        }
    }

    dir_strings_free(&mails);

    return 0;
}
