/*
 * What a server says about an account when it refuses or accepts a bind:
 * Active Directory's "data" code, OpenLDAP's password policy control.
 */

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
