/*
 * What becomes of a pending enrollment after a login
 * (portal/portal_pending.c): the same rule for shared memory and the
 * sealed store.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "portal/portal_pending.h"


static portal_pending_fate_t
fate(portal_result_kind_t kind, int with_record, int answered)
{
    unsigned char    record[1];
    portal_result_t  res;

    memset(&res, 0, sizeof(res));
    res.kind = kind;
    res.pending = with_record ? record : NULL;
    res.pending_len = with_record ? sizeof(record) : 0;

    return portal_pending_fate(&res, answered);
}


static void
test_fate(void **state)
{
    (void) state;

    /* the CA has not decided: kept, answered or not */
    assert_int_equal(fate(PORTAL_RESULT_PENDING, 1, 1), PORTAL_PENDING_KEEP);
    assert_int_equal(fate(PORTAL_RESULT_PENDING, 1, 0), PORTAL_PENDING_KEEP);

    /* issued: dropped once the agent has it, kept when it did not */
    assert_int_equal(fate(PORTAL_RESULT_ISSUED, 1, 1), PORTAL_PENDING_DROP);
    assert_int_equal(fate(PORTAL_RESULT_ISSUED, 1, 0), PORTAL_PENDING_KEEP);
    assert_int_equal(fate(PORTAL_RESULT_ISSUED, 0, 0), PORTAL_PENDING_DROP);

    /* refused by the CA: nothing to resume */
    assert_int_equal(fate(PORTAL_RESULT_REFUSED, 0, 1), PORTAL_PENDING_DROP);

    /* the CA could not be asked: what was kept stays */
    assert_int_equal(fate(PORTAL_RESULT_FAILED, 0, 1), PORTAL_PENDING_LEAVE);
    assert_int_equal(fate(PORTAL_RESULT_BUSY, 0, 0), PORTAL_PENDING_LEAVE);
    assert_int_equal(fate(PORTAL_RESULT_PENDING, 0, 1),
                     PORTAL_PENDING_LEAVE);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_fate),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
