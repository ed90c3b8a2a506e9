/*
 * The renewal window: two thirds of the lifetime by default, a share or
 * a time before the end on request, and the parsers of both options.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent_window.h"


#define DAY   86400L
#define YEAR  (365L * DAY)


static void
test_default_is_two_thirds(void **state)
{
    time_t          nb;
    agent_window_t  w;

    (void) state;

    agent_window_default(&w);
    nb = 1700000000;

    /* a 90-day certificate: renewed after 60 days, as ACME clients do */
    assert_int_equal(agent_window_renew_at(&w, nb, nb + 90 * DAY) - nb,
                     60 * DAY);

    /* a year: after 243 days and 8 hours */
    assert_int_equal(agent_window_renew_at(&w, nb, nb + YEAR) - nb,
                     243 * DAY + 8 * 3600);

    /* a day: after 16 hours */
    assert_int_equal(agent_window_renew_at(&w, nb, nb + DAY) - nb,
                     16 * 3600);

    /* 66.667% is a little later than two thirds */
    assert_int_equal(agent_window_parse_percent("66.667", &w), 0);
    assert_true(agent_window_renew_at(&w, nb, nb + YEAR) - nb
                > 243 * DAY + 8 * 3600);
}


static void
test_percent(void **state)
{
    time_t          nb;
    agent_window_t  w;

    (void) state;

    nb = 1000;

    assert_int_equal(agent_window_parse_percent("50", &w), 0);
    assert_int_equal(agent_window_renew_at(&w, nb, nb + 100 * DAY),
                     nb + 50 * DAY);

    assert_int_equal(agent_window_parse_percent("66.667%", &w), 0);
    assert_int_equal(w.elapsed, 66667);

    assert_int_equal(agent_window_parse_percent("100", &w), 0);
    assert_int_equal(agent_window_renew_at(&w, nb, nb + DAY), nb + DAY);

    assert_int_equal(agent_window_parse_percent("1", &w), 0);
    assert_int_equal(agent_window_renew_at(&w, nb, nb + 100 * DAY),
                     nb + DAY);

    assert_int_equal(agent_window_parse_percent("0", &w), -1);
    assert_int_equal(agent_window_parse_percent("0.999", &w), -1);
    assert_int_equal(agent_window_parse_percent("100.001", &w), -1);
    assert_int_equal(agent_window_parse_percent("101", &w), -1);
    assert_int_equal(agent_window_parse_percent("50.1234", &w), -1);
    assert_int_equal(agent_window_parse_percent("50.", &w), -1);
    assert_int_equal(agent_window_parse_percent("", &w), -1);
    assert_int_equal(agent_window_parse_percent("-5", &w), -1);
    assert_int_equal(agent_window_parse_percent("5%%", &w), -1);
    assert_int_equal(agent_window_parse_percent("99999999999999999999", &w),
                     -1);
}


static void
test_before_the_end(void **state)
{
    long            s;
    time_t          nb;
    agent_window_t  w;

    (void) state;

    nb = 1000;
    w.elapsed = 0;
    w.scale = 0;

    assert_int_equal(agent_window_parse_duration("30d", &s), 0);
    assert_int_equal(s, 30 * DAY);
    w.before = s;
    assert_int_equal(agent_window_renew_at(&w, nb, nb + YEAR),
                     nb + YEAR - 30 * DAY);

    /* longer than the lifetime: due from the start, never before it */
    assert_int_equal(agent_window_parse_duration("25h", &s), 0);
    w.before = s;
    assert_int_equal(agent_window_renew_at(&w, nb, nb + DAY), nb);

    assert_int_equal(agent_window_parse_duration("90m", &s), 0);
    assert_int_equal(s, 5400);
    assert_int_equal(agent_window_parse_duration("3600s", &s), 0);
    assert_int_equal(s, 3600);
    assert_int_equal(agent_window_parse_duration("42", &s), 0);
    assert_int_equal(s, 42);

    assert_int_equal(agent_window_parse_duration("", &s), -1);
    assert_int_equal(agent_window_parse_duration("d", &s), -1);
    assert_int_equal(agent_window_parse_duration("3w", &s), -1);
    assert_int_equal(agent_window_parse_duration("3dd", &s), -1);
    assert_int_equal(agent_window_parse_duration("-3d", &s), -1);
    assert_int_equal(agent_window_parse_duration("40000d", &s), -1);
    assert_int_equal(agent_window_parse_duration("99999999999999999999",
                                                 &s), -1);
}


static void
test_odd_certificates(void **state)
{
    agent_window_t  w;

    (void) state;

    agent_window_default(&w);

    /* notAfter before notBefore: due from notBefore */
    assert_int_equal(agent_window_renew_at(&w, 5000, 4000), 5000);

    /* a century-long CA-style lifetime does not overflow */
    assert_true(agent_window_renew_at(&w, 0, (time_t) 100 * YEAR)
                > (time_t) 66 * YEAR);
}


static void
test_span(void **state)
{
    char  buf[32];

    (void) state;

    assert_string_equal(agent_window_span(1, buf, sizeof(buf)), "1 second");
    assert_string_equal(agent_window_span(119, buf, sizeof(buf)),
                        "119 seconds");
    assert_string_equal(agent_window_span(3 * 3600, buf, sizeof(buf)),
                        "3 hours");
    assert_string_equal(agent_window_span(121 * DAY, buf, sizeof(buf)),
                        "121 days");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_default_is_two_thirds),
        cmocka_unit_test(test_percent),
        cmocka_unit_test(test_before_the_end),
        cmocka_unit_test(test_odd_certificates),
        cmocka_unit_test(test_span),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
