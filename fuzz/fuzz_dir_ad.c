/*
 * What a directory server sends besides entries, as the client reads it:
 * a bind's diagnostic message (Active Directory's data code), a ranged
 * attribute description, and objectSid, objectGUID and entryUUID values.
 * Checked besides the sanitizers: only a data code a right password gets
 * is taken as proof of the password, and the texts have their syntax.
 *
 * Input: the bytes, read as each of them.
 */

#include "ldap/dir_account.h"
#include "ldap/dir_priv.h"
#include "fuzz/fuzz.h"


static void
fuzz_check_chars(const char *s, const char *allowed)
{
    for ( /* void */ ; *s != '\0'; s++) {
        if (strchr(allowed, *s) == NULL) {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                last;
    char              *text, out[DIR_SID_TEXT_LEN];
    size_t             lo, hi;
    unsigned           code;
    dir_bind_result_t  r;

    text = fuzz_strndup(data, size);

    if (dir_ad_data_code(text, &code) == 0) {
        dir_bind_outcome(LDAP_INVALID_CREDENTIALS, text, 0, PP_noError, &r);

        if (r.ad_code != code
            || (r.verified && code != 0x530 && code != 0x531
                && code != 0x532 && code != 0x533 && code != 0x701
                && code != 0x773))
        {
            abort();
        }
    }

    if (dir_range_parse(text, "memberOf", &lo, &hi, &last) == 0
        && !last && hi < lo)
    {
        abort();
    }

    if (dir_sid_text(data, size, out, sizeof(out)) == 0) {
        if (strncmp(out, "S-1-", 4) != 0) {
            abort();
        }

        fuzz_check_chars(out, "S-0123456789");
    }

    if (dir_guid_text(data, size, out, sizeof(out)) == 0) {
        if (strlen(out) != 36) {
            abort();
        }

        fuzz_check_chars(out, "-0123456789abcdef");
    }

    if (dir_uuid_text((const char *) data, size, out, sizeof(out)) == 0) {
        if (strlen(out) != 36) {
            abort();
        }

        fuzz_check_chars(out, "-0123456789abcdef");
    }

    free(text);

    return 0;
}
