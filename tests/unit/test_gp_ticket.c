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


static scep_keyring_t  ring, other_ring;
static scep_keyring_t  *key = &ring, *other_key = &other_ring;

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


/* The first key signs, every key listed verifies. */
static void
test_rotation(void **state)
{
    char            ticket[GP_TICKET_MAX], user[64];
    scep_keyring_t  both;

    (void) state;

    assert_int_equal(gp_ticket_issue(key, "staff", "alice", NOW + 600,
                                     ticket, sizeof(ticket)), 0);

    both = other_ring;
    both.keys[1] = ring.keys[0];
    both.n = 2;

    assert_int_equal(gp_ticket_check(&both, ticket, strlen(ticket), "staff",
                                     NOW, user, 64), GP_TICKET_OK);
    assert_int_equal(gp_ticket_check(other_key, ticket, strlen(ticket),
                                     "staff", NOW, user, 64),
                     GP_TICKET_FORGED);

    assert_int_equal(gp_ticket_issue(&both, "staff", "alice", NOW + 600,
                                     ticket, sizeof(ticket)), 0);
    assert_int_equal(gp_ticket_check(other_key, ticket, strlen(ticket),
                                     "staff", NOW, user, 64), GP_TICKET_OK);
    assert_int_equal(check(ticket, "staff", NOW, user), GP_TICKET_FORGED);

    /* no key at all: nothing issued, nothing admitted */
    both.n = 0;
    assert_int_equal(gp_ticket_issue(&both, "staff", "alice", NOW + 600,
                                     ticket, sizeof(ticket)), -1);
    assert_int_equal(gp_ticket_check(&both, ticket, strlen(ticket), "staff",
                                     NOW, user, 64), GP_TICKET_FORGED);

    scep_keyring_wipe(&both);
}


/* What a gate takes for a ticket in a URL's path, before judging it. */
static void
test_shape(void **state)
{
    char  ticket[GP_TICKET_MAX];

    (void) state;

    assert_int_equal(gp_ticket_issue(key, "my-profile_2", "j.doe", NOW,
                                     ticket, sizeof(ticket)), 0);
    assert_true(gp_ticket_shaped(ticket, strlen(ticket)));
    assert_true(gp_ticket_shaped("1.x", 3));

    assert_false(gp_ticket_shaped("", 0));
    assert_false(gp_ticket_shaped("1", 1));
    assert_false(gp_ticket_shaped("pkiclient.exe", 13));
    assert_false(gp_ticket_shaped("2.abc", 5));
    assert_false(gp_ticket_shaped("1.a/b", 5));
    assert_false(gp_ticket_shaped("1.a%2E", 6));
}


static void
test_in_path(void **state)
{
    size_t  at, n;

    (void) state;

    assert_true(gp_ticket_in_path("/scep-proxy/1.2.c3Q.YQ.mac", 26, &at,
                                  &n));
    assert_int_equal(at, 12);
    assert_int_equal(n, 14);

    assert_true(gp_ticket_in_path("/p/1.2.x.y.z?operation=GetCACaps", 32,
                                  &at, &n));
    assert_int_equal(at, 3);
    assert_int_equal(n, 9);

    /* a query's slash is not the path's */
    assert_false(gp_ticket_in_path("/scep?m=a/1.2.x", 15, &at, &n));
    assert_false(gp_ticket_in_path("/scep-proxy/", 12, &at, &n));
    assert_false(gp_ticket_in_path("/scep-proxy", 11, &at, &n));
    assert_false(gp_ticket_in_path("/1.2.x/pkiclient.exe", 20, &at, &n));
    assert_false(gp_ticket_in_path("1.2.x", 5, &at, &n));
    assert_false(gp_ticket_in_path("", 0, &at, &n));
}


static int
setup(void **state)
{
    unsigned char  secret[32];

    (void) state;

    memcpy(secret, "0123456789abcdef0123456789abcdef", 32);

    scep_keyring_init(&ring);
    scep_keyring_init(&other_ring);

    return (scep_keyring_add_secret(&ring, secret, 32, NULL) == 0
            && scep_keyring_add_random(&other_ring, NULL) == 0)
           ? 0 : -1;
}


static int
teardown(void **state)
{
    (void) state;

    scep_keyring_wipe(&ring);
    scep_keyring_wipe(&other_ring);

    return 0;
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_odd_user_names),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_too_long_names),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_in_path),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
