/*
 * Enrollment tickets (agent-proto/gp_ticket.c): what one issues, the
 * check accepts for its profile until it expires, and nothing else.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-proto/gp_ticket.h"


static const unsigned char  key[GP_TICKET_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const unsigned char  other_key[GP_TICKET_KEY_LEN] = "fedcba9876543210fedcba987654321";

#define NOW  1800000000


static gp_ticket_status_t
check(const char *ticket, const char *profile, long now, char *user)
{
    return gp_ticket_check(key, ticket, strlen(ticket), profile, now, user,
                           64);
}


static void
test_round_trip(void **state)
{
    char  ticket[GP_TICKET_MAX], user[64];

    (void) state;

    assert_int_equal(gp_ticket_issue(key, "staff", "alice", NOW + 600,
                                     ticket, sizeof(ticket)), 0);

    /* "staff" and "alice" in base64url, the MAC 43 characters */
    assert_int_equal(strncmp(ticket, "1.1800000600.c3RhZmY.YWxpY2U.", 29),
                     0);
    assert_int_equal(strlen(ticket), 29 + 43);

    assert_int_equal(check(ticket, "staff", NOW, user), GP_TICKET_OK);
    assert_string_equal(user, "alice");

    /* good up to and including its expiry second */
    assert_int_equal(check(ticket, "staff", NOW + 600, user), GP_TICKET_OK);
    assert_int_equal(check(ticket, "staff", NOW + 601, user),
                     GP_TICKET_EXPIRED);
}


static void
test_odd_user_names(void **state)
{
    char         ticket[GP_TICKET_MAX], user[64];
    const char  *names[] = { "smith, john", "x+y", "j\xc3\xbcrgen", "a.b.c",
                             "?" };
    size_t       i;

    (void) state;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_int_equal(gp_ticket_issue(key, "p", names[i], NOW + 1,
                                         ticket, sizeof(ticket)), 0);
        assert_int_equal(check(ticket, "p", NOW, user), GP_TICKET_OK);
        assert_string_equal(user, names[i]);
    }
}


static void
test_refusals(void **state)
{
    char  ticket[GP_TICKET_MAX], forged[GP_TICKET_MAX], user[64], *one;

    (void) state;

    assert_int_equal(gp_ticket_issue(key, "staff", "alice", NOW + 600,
                                     ticket, sizeof(ticket)), 0);

    assert_int_equal(gp_ticket_check(key, NULL, 0, "staff", NOW, user, 64),
                     GP_TICKET_MISSING);
    assert_int_equal(check("", "staff", NOW, user), GP_TICKET_MISSING);
    assert_int_equal(check("garbage", "staff", NOW, user),
                     GP_TICKET_MALFORMED);

    /*
     * One byte, not NUL-terminated, alone in its allocation: AddressSanitizer
     * catches any read past it.
     */
    one = malloc(1);
    assert_non_null(one);
    one[0] = '1';
    assert_int_equal(gp_ticket_check(key, one, 1, "staff", NOW, user, 64),
                     GP_TICKET_MALFORMED);
    free(one);
    assert_int_equal(check("1.2.3.4", "staff", NOW, user),
                     GP_TICKET_MALFORMED);
    assert_int_equal(check("1.2.3.4.5.6", "staff", NOW, user),
                     GP_TICKET_MALFORMED);

    /* the other profile's gate */
    assert_int_equal(check(ticket, "admins", NOW, user),
                     GP_TICKET_OTHER_PROFILE);

    /* another portal's key */
    assert_int_equal(gp_ticket_check(other_key, ticket, strlen(ticket),
                                     "staff", NOW, user, 64),
                     GP_TICKET_FORGED);

    /* one character changed anywhere before the MAC: forged */
    strcpy(forged, ticket);
    forged[5] = (forged[5] == '9') ? '8' : '9';
    assert_int_equal(check(forged, "staff", NOW, user), GP_TICKET_FORGED);

    strcpy(forged, ticket);
    forged[24] = (forged[24] == 'A') ? 'B' : 'A';
    assert_int_equal(check(forged, "staff", NOW, user), GP_TICKET_FORGED);

    /* a MAC cut short */
    strcpy(forged, ticket);
    forged[strlen(forged) - 1] = '\0';
    assert_int_equal(check(forged, "staff", NOW, user), GP_TICKET_FORGED);

    /* an over-long one */
    memset(forged, 'A', sizeof(forged) - 1);
    forged[0] = '1';
    forged[1] = '.';
    forged[sizeof(forged) - 1] = '\0';
    assert_int_equal(check(forged, "staff", NOW, user), GP_TICKET_MALFORMED);
}


static void
test_too_long_names(void **state)
{
    char  ticket[GP_TICKET_MAX], name[300];

    (void) state;

    memset(name, 'u', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';

    assert_int_equal(gp_ticket_issue(key, "staff", name, NOW, ticket,
                                     sizeof(ticket)), -1);

    name[256] = '\0';
    assert_int_equal(gp_ticket_issue(key, "staff", name, NOW, ticket,
                                     sizeof(ticket)), 0);

    /* a buffer too small is refused, not overrun */
    assert_int_equal(gp_ticket_issue(key, "staff", "alice", NOW, ticket, 40),
                     -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_odd_user_names),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_too_long_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
