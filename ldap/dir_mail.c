#include <string.h>
#include <strings.h>

#include "dir_mail.h"


typedef enum {
    DIR_MAIL_PLAIN = 0,
    DIR_MAIL_SMTP_PRIMARY,
    DIR_MAIL_SMTP_ALIAS,
    DIR_MAIL_OTHER_TYPE
} dir_mail_kind_t;


/*
 * Strict on purpose: the address ends up in a certificate subject, so
 * only what an unquoted address may hold is accepted; bytes from 0x80 up
 * are let through for internationalised addresses.
 */
int
dir_mail_valid(const char *s, size_t len)
{
    size_t         i, at;
    unsigned char  c;

    if (len == 0 || len > DIR_MAIL_LEN_MAX) {
        return 0;
    }

    at = len;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c <= 0x20 || c == 0x7f || strchr("()<>[]:;,\\\"", c) != NULL) {
            return 0;
        }

        if (c == '@') {
            if (at != len) {
                return 0;
            }

            at = i;
        }
    }

    return at != len && at > 0 && at + 1 < len;
}


/*
 * A type prefix is a run of letters and digits ended by ':' ("SMTP:",
 * "X400:", "sip:"); anything else is a plain address.
 */
static dir_mail_kind_t
dir_mail_kind(const char *s, size_t len, size_t *skip)
{
    size_t  i;

    *skip = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == ':') {
            break;
        }

        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9')))
        {
            return DIR_MAIL_PLAIN;
        }
    }

    if (i == len || i == 0) {
        return DIR_MAIL_PLAIN;
    }

    *skip = i + 1;

    if (i == 4 && memcmp(s, "SMTP", 4) == 0) {
        return DIR_MAIL_SMTP_PRIMARY;
    }

    if (i == 4 && strncasecmp(s, "smtp", 4) == 0) {
        return DIR_MAIL_SMTP_ALIAS;
    }

    return DIR_MAIL_OTHER_TYPE;
}


static int
dir_mail_add(dir_strings_t *mails, const char *s, size_t len)
{
    if (mails->n >= DIR_MAILS_MAX || !dir_mail_valid(s, len)
        || dir_strings_has(mails, s, len))
    {
        return 0;
    }

    return dir_strings_push(mails, s, len);
}


int
dir_mail_collect(dir_strings_t *mails, struct berval *const *values)
{
    size_t            i, skip;
    dir_mail_kind_t   kind;
    struct berval    *v;

    if (values == NULL) {
        return 0;
    }

    /* the primary address leads, wherever the server listed it */

    for (i = 0; values[i] != NULL; i++) {
        v = values[i];
        kind = dir_mail_kind(v->bv_val, v->bv_len, &skip);

        if (kind == DIR_MAIL_SMTP_PRIMARY
            && dir_mail_add(mails, v->bv_val + skip, v->bv_len - skip) != 0)
        {
            return -1;
        }
    }

    for (i = 0; values[i] != NULL; i++) {
        v = values[i];
        kind = dir_mail_kind(v->bv_val, v->bv_len, &skip);

        if ((kind == DIR_MAIL_SMTP_ALIAS || kind == DIR_MAIL_PLAIN)
            && dir_mail_add(mails, v->bv_val + skip, v->bv_len - skip) != 0)
        {
            return -1;
        }
    }

    return 0;
}
