/*
 * What the directory client reads from a server besides entries: Active
 * Directory's bind "data" codes, the password policy response control
 * (built here as slapd sends it, parsed by libldap), objectSid,
 * objectGUID and entryUUID as text, ranged attribute names.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ldap/dir_account.h"
#include "ldap/dir_priv.h"


#define AD_DIAG(code)  "80090308: LdapErr: DSID-0C0903A9, comment: " \
                       "AcceptSecurityContext error, data " code ", v1db1"


static void
test_ad_data_code(void **state)
{
    unsigned  code;

    (void) state;

    assert_int_equal(dir_ad_data_code(AD_DIAG("52e"), &code), 0);
    assert_int_equal(code, 0x52e);
    assert_int_equal(dir_ad_data_code(AD_DIAG("775"), &code), 0);
    assert_int_equal(code, 0x775);
    assert_int_equal(dir_ad_data_code(AD_DIAG("532"), &code), 0);
    assert_int_equal(code, 0x532);
    /* Windows Server writes other DSIDs and versions */
    assert_int_equal(dir_ad_data_code("80090308: LdapErr: DSID-0C09044E, "
                                      "comment: AcceptSecurityContext "
                                      "error, data 701, v4563", &code), 0);
    assert_int_equal(code, 0x701);
    assert_int_equal(dir_ad_data_code("AcceptSecurityContext error, data "
                                      "773", &code), 0);
    assert_int_equal(code, 0x773);

    assert_int_equal(dir_ad_data_code(NULL, &code), -1);
    assert_int_equal(dir_ad_data_code("", &code), -1);
    assert_int_equal(dir_ad_data_code("Invalid credentials", &code), -1);
    assert_int_equal(dir_ad_data_code("AcceptSecurityContext error, data ,",
                                      &code), -1);
    assert_int_equal(dir_ad_data_code("AcceptSecurityContext error, data "
                                      "52x, v1", &code), -1);
    assert_int_equal(dir_ad_data_code("AcceptSecurityContext error, data "
                                      "123456789, v1", &code), -1);
}


static void
test_ad_account(void **state)
{
    int     verified;
    size_t  i;
    static const struct {
        unsigned        code;
        dir_account_t   account;
        int             verified;
    } cases[] = {
        { 0x525, DIR_ACCOUNT_USABLE, 0 },
        { 0x52e, DIR_ACCOUNT_USABLE, 0 },
        { 0x530, DIR_ACCOUNT_LOGON_HOURS, 1 },
        { 0x531, DIR_ACCOUNT_WORKSTATION, 1 },
        { 0x532, DIR_ACCOUNT_PASSWORD_EXPIRED, 1 },
        { 0x533, DIR_ACCOUNT_DISABLED, 1 },
        { 0x701, DIR_ACCOUNT_EXPIRED, 1 },
        { 0x773, DIR_ACCOUNT_MUST_CHANGE, 1 },
        { 0x775, DIR_ACCOUNT_LOCKED, 0 },
        { 0x568, DIR_ACCOUNT_USABLE, 0 },
        { 0, DIR_ACCOUNT_USABLE, 0 },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        verified = -1;
        assert_int_equal(dir_ad_account(cases[i].code, &verified),
                         cases[i].account);
        assert_int_equal(verified, cases[i].verified);
    }
}


static void
test_account_names(void **state)
{
    (void) state;

    assert_string_equal(dir_account_name(DIR_ACCOUNT_USABLE), "usable");
    assert_string_equal(dir_account_name(DIR_ACCOUNT_LOCKED), "locked");
    assert_string_equal(dir_account_name(DIR_ACCOUNT_MUST_CHANGE),
                        "must_change_password");
    assert_string_equal(dir_account_name(DIR_ACCOUNT_LAST), "unknown");
    assert_string_equal(dir_account_describe(DIR_ACCOUNT_PASSWORD_EXPIRED),
                        "the password has expired");
    assert_string_equal(dir_account_describe((dir_account_t) 99),
                        "the account is in an unknown state");
}


/*
 * A password policy response control as slapd's ppolicy overlay sends
 * it (draft-behera-ldap-password-policy):
 *   SEQUENCE { warning [0] CHOICE { timeBeforeExpiration [0] INTEGER,
 *              graceAuthNsRemaining [1] INTEGER } OPTIONAL,
 *              error [1] ENUMERATED OPTIONAL }
 * warning_tag 0 leaves the warning out, error < 0 the error.
 */
static void
ppolicy_control(LDAPControl *ctrl, ber_tag_t warning_tag, ber_int_t value,
    ber_int_t error)
{
    BerElement  *ber;

    ber = ber_alloc_t(LBER_USE_DER);
    assert_non_null(ber);

    assert_true(ber_printf(ber, "{") >= 0);

    if (warning_tag != 0) {
        assert_true(ber_printf(ber, "t{ti}", (ber_tag_t) 0xa0, warning_tag,
                               value) >= 0);
    }

    if (error >= 0) {
        assert_true(ber_printf(ber, "te", (ber_tag_t) 0x81, error) >= 0);
    }

    assert_true(ber_printf(ber, "}") >= 0);

    memset(ctrl, 0, sizeof(LDAPControl));
    ctrl->ldctl_oid = LDAP_CONTROL_PASSWORDPOLICYRESPONSE;
    assert_int_equal(ber_flatten2(ber, &ctrl->ldctl_value, 1), 0);

    ber_free(ber, 1);
}


/* The control through libldap's parser into dir_bind_outcome(). */
static void
outcome_of(LDAP *ld, int rc, ber_tag_t warning_tag, ber_int_t value,
    ber_int_t error, dir_bind_result_t *r, int *expire, int *grace)
{
    ber_int_t                e, g;
    LDAPControl              ctrl;
    LDAPPasswordPolicyError  pperr;

    ppolicy_control(&ctrl, warning_tag, value, error);

    assert_int_equal(ldap_parse_passwordpolicy_control(ld, &ctrl, &e, &g,
                                                       &pperr),
                     LDAP_SUCCESS);
    ber_memfree(ctrl.ldctl_value.bv_val);

    memset(r, 0, sizeof(dir_bind_result_t));
    dir_bind_outcome(rc, NULL, 1, pperr, r);

    *expire = e;
    *grace = g;
}


static void
test_ppolicy(void **state)
{
    int                expire, grace;
    LDAP              *ld;
    dir_bind_result_t  r;

    (void) state;

    /* a handle for libldap's errors; nothing is connected */
    assert_int_equal(ldap_initialize(&ld, "ldap://127.0.0.1:1"),
                     LDAP_SUCCESS);

    /* expired, no grace left: the bind fails, the password was right */
    outcome_of(ld, LDAP_INVALID_CREDENTIALS, 0, 0, PP_passwordExpired, &r,
               &expire, &grace);
    assert_int_equal(r.account, DIR_ACCOUNT_PASSWORD_EXPIRED);
    assert_int_equal(r.verified, 1);

    /* locked: said whatever the password */
    outcome_of(ld, LDAP_INVALID_CREDENTIALS, 0, 0, PP_accountLocked, &r,
               &expire, &grace);
    assert_int_equal(r.account, DIR_ACCOUNT_LOCKED);
    assert_int_equal(r.verified, 0);

    /* reset by an admin: the bind succeeds, and allows nothing else */
    outcome_of(ld, LDAP_SUCCESS, 0, 0, PP_changeAfterReset, &r, &expire,
               &grace);
    assert_int_equal(r.account, DIR_ACCOUNT_MUST_CHANGE);
    assert_int_equal(r.verified, 1);

    /* a grace login: success with a warning */
    outcome_of(ld, LDAP_SUCCESS, 0x81, 2, -1, &r, &expire, &grace);
    assert_int_equal(r.account, DIR_ACCOUNT_USABLE);
    assert_int_equal(grace, 2);
    assert_int_equal(expire, -1);

    /* about to expire */
    outcome_of(ld, LDAP_SUCCESS, 0x80, 3600, -1, &r, &expire, &grace);
    assert_int_equal(r.account, DIR_ACCOUNT_USABLE);
    assert_int_equal(expire, 3600);
    assert_int_equal(grace, -1);

    /* a wrong password with no policy error is only that */
    outcome_of(ld, LDAP_INVALID_CREDENTIALS, 0, 0, -1, &r, &expire, &grace);
    assert_int_equal(r.account, DIR_ACCOUNT_USABLE);
    assert_int_equal(r.verified, 0);

    /* errors that belong to password changes say nothing of a bind */
    outcome_of(ld, LDAP_INVALID_CREDENTIALS, 0, 0, PP_passwordTooShort, &r,
               &expire, &grace);
    assert_int_equal(r.account, DIR_ACCOUNT_USABLE);

    /* an error that does not fit the result code is not believed */
    outcome_of(ld, LDAP_SUCCESS, 0, 0, PP_passwordExpired, &r, &expire,
               &grace);
    assert_int_equal(r.account, DIR_ACCOUNT_USABLE);
    outcome_of(ld, LDAP_INVALID_CREDENTIALS, 0, 0, PP_changeAfterReset, &r,
               &expire, &grace);
    assert_int_equal(r.account, DIR_ACCOUNT_USABLE);

    ldap_unbind_ext_s(ld, NULL, NULL);
}


static void
test_bind_outcome_ad(void **state)
{
    dir_bind_result_t  r;

    (void) state;

    dir_bind_outcome(LDAP_INVALID_CREDENTIALS, AD_DIAG("533"), 0,
                     PP_noError, &r);
    assert_int_equal(r.account, DIR_ACCOUNT_DISABLED);
    assert_int_equal(r.verified, 1);
    assert_int_equal(r.ad_code, 0x533);

    dir_bind_outcome(LDAP_INVALID_CREDENTIALS, AD_DIAG("775"), 0,
                     PP_noError, &r);
    assert_int_equal(r.account, DIR_ACCOUNT_LOCKED);
    assert_int_equal(r.verified, 0);

    dir_bind_outcome(LDAP_INVALID_CREDENTIALS, AD_DIAG("52e"), 0,
                     PP_noError, &r);
    assert_int_equal(r.account, DIR_ACCOUNT_USABLE);
    assert_int_equal(r.ad_code, 0x52e);

    /* a data code on anything but invalidCredentials is not read */
    dir_bind_outcome(LDAP_UNWILLING_TO_PERFORM, AD_DIAG("533"), 0,
                     PP_noError, &r);
    assert_int_equal(r.account, DIR_ACCOUNT_USABLE);
    assert_int_equal(r.ad_code, 0);

    dir_bind_outcome(LDAP_SUCCESS, NULL, 0, PP_noError, &r);
    assert_int_equal(r.account, DIR_ACCOUNT_USABLE);
}


static void
test_sid_text(void **state)
{
    char                 out[DIR_SID_TEXT_LEN];
    unsigned char        back[68];
    static const unsigned char  domain_user[] = {
        0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
        0x15, 0x00, 0x00, 0x00,
        0x24, 0xfc, 0x3a, 0x4f, 0x30, 0xcc, 0xd6, 0x76,
        0xce, 0x2c, 0x5e, 0xe2, 0x4e, 0x04, 0x00, 0x00
    };
    static const unsigned char  builtin_users[] = {
        0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
        0x20, 0x00, 0x00, 0x00, 0x21, 0x02, 0x00, 0x00
    };
    static const unsigned char  everyone[] = {
        0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00
    };

    (void) state;

    /* the values Samba sent for jdoe and BUILTIN\Users */
    assert_int_equal(dir_sid_text(domain_user, sizeof(domain_user), out,
                                  sizeof(out)), 0);
    assert_string_equal(out, "S-1-5-21-1329265700-1993788464-3797822670-"
                        "1102");
    assert_int_equal(dir_sid_text(builtin_users, sizeof(builtin_users), out,
                                  sizeof(out)), 0);
    assert_string_equal(out, "S-1-5-32-545");
    assert_int_equal(dir_sid_text(everyone, sizeof(everyone), out,
                                  sizeof(out)), 0);
    assert_string_equal(out, "S-1-1-0");

    /* the primary group: the user's SID with RID 513 */
    assert_int_equal(dir_sid_with_rid(domain_user, sizeof(domain_user), 513,
                                      back, sizeof(back)),
                     (int) sizeof(domain_user));
    assert_int_equal(dir_sid_text(back, sizeof(domain_user), out,
                                  sizeof(out)), 0);
    assert_string_equal(out, "S-1-5-21-1329265700-1993788464-3797822670-"
                        "513");

    /* lengths that do not fit the count, revisions, small buffers */
    assert_int_equal(dir_sid_text(domain_user, sizeof(domain_user) - 1, out,
                                  sizeof(out)), -1);
    assert_int_equal(dir_sid_text(domain_user, 7, out, sizeof(out)), -1);
    memcpy(back, domain_user, sizeof(domain_user));
    back[0] = 2;
    assert_int_equal(dir_sid_text(back, sizeof(domain_user), out,
                                  sizeof(out)), -1);
    back[0] = 1;
    back[1] = 16;
    assert_int_equal(dir_sid_text(back, sizeof(domain_user), out,
                                  sizeof(out)), -1);
    assert_int_equal(dir_sid_text(domain_user, sizeof(domain_user), out,
                                  20), -1);
    assert_int_equal(dir_sid_with_rid(everyone, 8, 513, back, sizeof(back)),
                     -1);
    assert_int_equal(dir_sid_with_rid(domain_user, sizeof(domain_user), 513,
                                      back, 10), -1);
}


static void
test_guid_text(void **state)
{
    char                 out[DIR_GUID_TEXT_LEN];
    static const unsigned char  guid[16] = {
        0xd4, 0x81, 0x66, 0x0c, 0xe5, 0x32, 0xe5, 0x46,
        0x82, 0x8e, 0xf4, 0xa0, 0x8b, 0xf9, 0xa6, 0x77
    };

    (void) state;

    /* as ldbsearch showed the same objectGUID */
    assert_int_equal(dir_guid_text(guid, 16, out, sizeof(out)), 0);
    assert_string_equal(out, "0c6681d4-32e5-46e5-828e-f4a08bf9a677");

    assert_int_equal(dir_guid_text(guid, 15, out, sizeof(out)), -1);
    assert_int_equal(dir_guid_text(guid, 16, out, 36), -1);

    assert_int_equal(dir_uuid_text("B24E0489-B81F-476E-B43D-BB55ECB94C04",
                                   36, out, sizeof(out)), 0);
    assert_string_equal(out, "b24e0489-b81f-476e-b43d-bb55ecb94c04");

    assert_int_equal(dir_uuid_text("b24e0489-b81f-476e-b43d-bb55ecb94c0",
                                   35, out, sizeof(out)), -1);
    assert_int_equal(dir_uuid_text("b24e0489xb81f-476e-b43d-bb55ecb94c04",
                                   36, out, sizeof(out)), -1);
    assert_int_equal(dir_uuid_text("g24e0489-b81f-476e-b43d-bb55ecb94c04",
                                   36, out, sizeof(out)), -1);
}


static void
test_range_parse(void **state)
{
    int     last;
    size_t  lo, hi;

    (void) state;

    assert_int_equal(dir_range_parse("memberOf", "memberOf", &lo, &hi,
                                     &last), 1);
    assert_int_equal(dir_range_parse("MEMBEROF", "memberOf", &lo, &hi,
                                     &last), 1);

    assert_int_equal(dir_range_parse("memberOf;range=0-1499", "memberOf",
                                     &lo, &hi, &last), 0);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 1499);
    assert_int_equal(last, 0);

    assert_int_equal(dir_range_parse("memberof;Range=1500-*", "memberOf",
                                     &lo, &hi, &last), 0);
    assert_int_equal(lo, 1500);
    assert_int_equal(last, 1);

    assert_int_equal(dir_range_parse("memberOfX", "memberOf", &lo, &hi,
                                     &last), -1);
    assert_int_equal(dir_range_parse("member", "memberOf", &lo, &hi,
                                     &last), -1);
    assert_int_equal(dir_range_parse("memberOf;binary", "memberOf", &lo,
                                     &hi, &last), -1);
    assert_int_equal(dir_range_parse("memberOf;range=-5", "memberOf", &lo,
                                     &hi, &last), -1);
    assert_int_equal(dir_range_parse("memberOf;range=5-", "memberOf", &lo,
                                     &hi, &last), -1);
    assert_int_equal(dir_range_parse("memberOf;range=5-4", "memberOf", &lo,
                                     &hi, &last), -1);
    assert_int_equal(dir_range_parse("memberOf;range=5-*x", "memberOf", &lo,
                                     &hi, &last), -1);
    assert_int_equal(dir_range_parse("memberOf;range=1234567890-*",
                                     "memberOf", &lo, &hi, &last), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ad_data_code),
        cmocka_unit_test(test_ad_account),
        cmocka_unit_test(test_account_names),
        cmocka_unit_test(test_ppolicy),
        cmocka_unit_test(test_bind_outcome_ad),
        cmocka_unit_test(test_sid_text),
        cmocka_unit_test(test_guid_text),
        cmocka_unit_test(test_range_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
