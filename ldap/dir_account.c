/*
 * What a server says about an account when it refuses or accepts a bind:
 * Active Directory's "data" code, OpenLDAP's password policy control.
 */

#include <stdio.h>
#include <string.h>

#include "dir_account.h"


static const struct {
    const char  *name;
    const char  *text;
} dir_accounts[DIR_ACCOUNT_LAST] = {
    [DIR_ACCOUNT_USABLE] = { "usable", "the account may log in" },
    [DIR_ACCOUNT_LOCKED] = { "locked",
                             "the account is locked after too many wrong "
                             "passwords" },
    [DIR_ACCOUNT_DISABLED] = { "disabled", "the account is disabled" },
    [DIR_ACCOUNT_EXPIRED] = { "account_expired", "the account has expired" },
    [DIR_ACCOUNT_PASSWORD_EXPIRED] = { "password_expired",
                                       "the password has expired" },
    [DIR_ACCOUNT_MUST_CHANGE] = { "must_change_password",
                                  "the password must be changed before the "
                                  "account can be used" },
    [DIR_ACCOUNT_LOGON_HOURS] = { "logon_hours",
                                  "the account may not log in at this "
                                  "time" },
    [DIR_ACCOUNT_WORKSTATION] = { "workstation",
                                  "the account may not log in from this "
                                  "computer" },
};


const char *
dir_account_name(dir_account_t account)
{
    if ((unsigned) account >= DIR_ACCOUNT_LAST) {
        return "unknown";
    }

    return dir_accounts[account].name;
}


const char *
dir_account_describe(dir_account_t account)
{
    if ((unsigned) account >= DIR_ACCOUNT_LAST) {
        return "the account is in an unknown state";
    }

    return dir_accounts[account].text;
}


/*
 * "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext
 * error, data 52e, v1db1": the code follows "data " and ends at a comma.
 */
int
dir_ad_data_code(const char *diagnostic, unsigned *code)
{
    int          digits;
    unsigned     c;
    const char  *p;

    if (diagnostic == NULL) {
        return -1;
    }

    p = strstr(diagnostic, "AcceptSecurityContext error, data ");
    if (p == NULL) {
        return -1;
    }

    p += sizeof("AcceptSecurityContext error, data ") - 1;

    c = 0;

    for (digits = 0; digits < 8; digits++, p++) {
        if (*p >= '0' && *p <= '9') {
            c = c * 16 + (unsigned) (*p - '0');

        } else if (*p >= 'a' && *p <= 'f') {
            c = c * 16 + (unsigned) (*p - 'a' + 10);

        } else if (*p >= 'A' && *p <= 'F') {
            c = c * 16 + (unsigned) (*p - 'A' + 10);

        } else {
            break;
        }
    }

    if (digits == 0 || (*p != ',' && *p != '\0')) {
        return -1;
    }

    *code = c;

    return 0;
}


dir_account_t
dir_ad_account(unsigned code, int *verified)
{
    *verified = 1;

    switch (code) {

    case 0x530:
        return DIR_ACCOUNT_LOGON_HOURS;

    case 0x531:
        return DIR_ACCOUNT_WORKSTATION;

    case 0x532:
        return DIR_ACCOUNT_PASSWORD_EXPIRED;

    case 0x533:
        return DIR_ACCOUNT_DISABLED;

    case 0x701:
        return DIR_ACCOUNT_EXPIRED;

    case 0x773:
        return DIR_ACCOUNT_MUST_CHANGE;

    case 0x775:
        /* said whatever the password */
        *verified = 0;
        return DIR_ACCOUNT_LOCKED;

    default:
        /* 525 no such user, 52e wrong password, and anything else */
        *verified = 0;
        return DIR_ACCOUNT_USABLE;
    }
}


void
dir_bind_outcome(int rc, const char *diagnostic, int has_ppolicy,
    LDAPPasswordPolicyError pperr, dir_bind_result_t *r)
{
    unsigned  code;

    r->account = DIR_ACCOUNT_USABLE;
    r->verified = 0;
    r->ad_code = 0;

    if (has_ppolicy) {
        switch (pperr) {

        case PP_passwordExpired:
            /* slapd sends it only once the password was right */
            if (rc == LDAP_INVALID_CREDENTIALS) {
                r->account = DIR_ACCOUNT_PASSWORD_EXPIRED;
                r->verified = 1;
                return;
            }

            break;

        case PP_accountLocked:
            if (rc == LDAP_INVALID_CREDENTIALS) {
                r->account = DIR_ACCOUNT_LOCKED;
                return;
            }

            break;

        case PP_changeAfterReset:
            /* the bind succeeds, but allows nothing but a password change */
            if (rc == LDAP_SUCCESS) {
                r->account = DIR_ACCOUNT_MUST_CHANGE;
                r->verified = 1;
                return;
            }

            break;

        default:
            break;
        }
    }

    if (rc == LDAP_INVALID_CREDENTIALS
        && dir_ad_data_code(diagnostic, &code) == 0)
    {
        r->ad_code = code;
        r->account = dir_ad_account(code, &r->verified);
    }
}


int
dir_sid_text(const unsigned char *sid, size_t len, char *out, size_t size)
{
    int                 n;
    size_t              i, count, o;
    unsigned long long  authority;
    unsigned long       sub;

    /* revision 1, up to 15 sub-authorities, nothing after the last */
    if (len < 8 || sid[0] != 1 || sid[1] > 15
        || len != 8 + 4 * (size_t) sid[1])
    {
        return -1;
    }

    count = sid[1];
    authority = 0;

    for (i = 2; i < 8; i++) {
        authority = (authority << 8) | sid[i];
    }

    n = snprintf(out, size, "S-1-%llu", authority);
    if (n < 0 || (size_t) n >= size) {
        return -1;
    }

    o = (size_t) n;

    for (i = 0; i < count; i++) {
        sub = (unsigned long) sid[8 + 4 * i]
              | (unsigned long) sid[9 + 4 * i] << 8
              | (unsigned long) sid[10 + 4 * i] << 16
              | (unsigned long) sid[11 + 4 * i] << 24;

        n = snprintf(out + o, size - o, "-%lu", sub);
        if (n < 0 || (size_t) n >= size - o) {
            return -1;
        }

        o += (size_t) n;
    }

    return 0;
}


int
dir_guid_text(const unsigned char *g, size_t len, char *out, size_t size)
{
    int  n;

    if (len != 16 || size < DIR_GUID_TEXT_LEN) {
        return -1;
    }

    /* Data1, Data2 and Data3 little-endian, Data4 as it is */
    n = snprintf(out, size,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                 "%02x%02x%02x%02x%02x%02x",
                 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6],
                 g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);

    return (n == DIR_GUID_TEXT_LEN - 1) ? 0 : -1;
}


int
dir_uuid_text(const char *uuid, size_t len, char *out, size_t size)
{
    size_t  i;
    char    c;

    if (len != DIR_GUID_TEXT_LEN - 1 || size < DIR_GUID_TEXT_LEN) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        c = uuid[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return -1;
            }

        } else if (c >= 'A' && c <= 'F') {
            c = (char) (c + 32);

        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return -1;
        }

        out[i] = c;
    }

    out[len] = '\0';

    return 0;
}


int
dir_sid_with_rid(const unsigned char *sid, size_t len, unsigned long rid,
    unsigned char *out, size_t size)
{
    if (len < 12 || sid[0] != 1 || sid[1] == 0
        || len != 8 + 4 * (size_t) sid[1] || size < len)
    {
        return -1;
    }

    memcpy(out, sid, len);

    out[len - 4] = (unsigned char) (rid & 0xff);
    out[len - 3] = (unsigned char) ((rid >> 8) & 0xff);
    out[len - 2] = (unsigned char) ((rid >> 16) & 0xff);
    out[len - 1] = (unsigned char) ((rid >> 24) & 0xff);

    return (int) len;
}
