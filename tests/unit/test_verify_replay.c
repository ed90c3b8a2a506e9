/*
 * scep-verify's replay directory (verify/verify_replay.c): a challenge is
 * recorded once, a second time is a replay, even when verifiers race;
 * records go once their challenge has expired, and nothing else does.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "verify/verify_replay.h"


#define NOW  1800000000LL

static char  dir[64];


static int
setup(void **state)
{
    (void) state;

    strcpy(dir, "/tmp/test_verify_replay.XXXXXX");

    return mkdtemp(dir) != NULL ? 0 : -1;
}


static int
teardown(void **state)
{
    char  cmd[128];

    (void) state;

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);

    return system(cmd) == 0 ? 0 : -1;
}


static void
bound(scep_bound_t *b, unsigned char first, long long expires)
{
    memset(b, 0, sizeof(scep_bound_t));
    memset(b->nonce, 0x5c, sizeof(b->nonce));
    b->nonce[0] = first;
    b->expires = expires;
    strcpy(b->grant.profile, "staff");
}


static int
exists(const char *name)
{
    char         path[256];
    struct stat  st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    return stat(path, &st) == 0;
}


static void
write_file(const char *name, const char *text, long long mtime)
{
    char            path[256];
    FILE           *f;
    struct timeval  tv[2];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);

    tv[0].tv_sec = (time_t) mtime;
    tv[0].tv_usec = 0;
    tv[1] = tv[0];
    assert_int_equal(utimes(path, tv), 0);
}


static void
test_once(void **state)
{
    char          why[256], path[256], text[128];
    FILE         *f;
    long long     expires;
    scep_bound_t  b;

    (void) state;

    bound(&b, 0x01, NOW + 300);

    assert_int_equal(verify_replay_record(dir, &b, why, sizeof(why)),
                     VERIFY_REPLAY_FIRST);
    assert_int_equal(verify_replay_record(dir, &b, why, sizeof(why)),
                     VERIFY_REPLAY_USED);

    /* the record: named by the nonce, its expiry and profile inside */
    snprintf(path, sizeof(path),
             "%s/015c5c5c5c5c5c5c5c5c5c5c5c5c5c5c", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof(text), f));
    fclose(f);
    assert_string_equal(text, "1 1800000300 staff\n");
    assert_int_equal(verify_replay_parse(text, strlen(text), &expires), 0);
    assert_int_equal(expires, NOW + 300);

    /* no temporary file is left */
    assert_false(exists(".tmp-015c5c5c5c5c5c5c5c5c5c5c5c5c5c5c"));

    /* another nonce is another challenge */
    bound(&b, 0x02, NOW + 300);
    assert_int_equal(verify_replay_record(dir, &b, why, sizeof(why)),
                     VERIFY_REPLAY_FIRST);

    /* a directory that is not there: cannot tell, so refuse */
    assert_int_equal(verify_replay_record("/nonexistent/replay", &b, why,
                                          sizeof(why)),
                     VERIFY_REPLAY_ERROR);
    assert_non_null(strstr(why, "cannot open the replay directory"));
}


/* Verifiers that race for one challenge: exactly one wins. */
static void
test_race(void **state)
{
    int           i, status, first;
    char          why[256];
    pid_t         pids[16];
    scep_bound_t  b;

    (void) state;

    bound(&b, 0x03, NOW + 300);

    for (i = 0; i < 16; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);

        if (pids[i] == 0) {
            _exit((int) verify_replay_record(dir, &b, why, sizeof(why)));
        }
    }

    first = 0;

    for (i = 0; i < 16; i++) {
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_not_equal(WEXITSTATUS(status), VERIFY_REPLAY_ERROR);
        first += (WEXITSTATUS(status) == VERIFY_REPLAY_FIRST);
    }

    assert_int_equal(first, 1);
}


static void
test_prune(void **state)
{
    char          why[256];
    scep_bound_t  b;

    (void) state;

    /* expired long ago, just expired, still good */
    bound(&b, 0x10, NOW - 3600);
    assert_int_equal(verify_replay_record(dir, &b, why, sizeof(why)),
                     VERIFY_REPLAY_FIRST);
    bound(&b, 0x11, NOW - 10);
    assert_int_equal(verify_replay_record(dir, &b, why, sizeof(why)),
                     VERIFY_REPLAY_FIRST);
    bound(&b, 0x12, NOW + 10);
    assert_int_equal(verify_replay_record(dir, &b, why, sizeof(why)),
                     VERIFY_REPLAY_FIRST);

    /* an unreadable record and a temporary file, old and new */
    write_file("20000000000000000000000000000000", "garbage", NOW - 86400 * 3);
    write_file("21000000000000000000000000000000", "garbage", NOW);
    write_file(".tmp-22-1", "1 0 x\n", NOW - 86400 * 3);
    write_file(".tmp-23-1", "1 0 x\n", NOW);

    /* and what is not the verifier's */
    write_file("README", "1 0 x\n", NOW - 86400 * 3);

    assert_int_equal(verify_replay_prune(dir, NOW), 3);

    assert_false(exists("105c5c5c5c5c5c5c5c5c5c5c5c5c5c5c"));
    assert_true(exists("115c5c5c5c5c5c5c5c5c5c5c5c5c5c5c"));
    assert_true(exists("125c5c5c5c5c5c5c5c5c5c5c5c5c5c5c"));
    assert_false(exists("20000000000000000000000000000000"));
    assert_true(exists("21000000000000000000000000000000"));
    assert_false(exists(".tmp-22-1"));
    assert_true(exists(".tmp-23-1"));
    assert_true(exists("README"));

    /* a minute after its expiry, the record goes */
    assert_int_equal(verify_replay_prune(dir, NOW - 10 + 61), 1);
    assert_false(exists("115c5c5c5c5c5c5c5c5c5c5c5c5c5c5c"));
}


static void
test_parse(void **state)
{
    size_t           i;
    long long        expires;
    const char      *bad[] = {
        "", "1", "1 ", "1 \n", "2 123\n", "1 12a\n", "1 123", "1 123 x",
        "1 123 x\ny\n", "1 123 a\tb\n", "1 1234567890123456789\n",
        " 1 123\n", "1  123\n", "1 -5\n",
    };

    (void) state;

    assert_int_equal(verify_replay_parse("1 123\n", 6, &expires), 0);
    assert_int_equal(expires, 123);
    assert_int_equal(verify_replay_parse("1 0 any name.x\n", 15, &expires),
                     0);
    assert_int_equal(expires, 0);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (verify_replay_parse(bad[i], strlen(bad[i]), &expires) == 0) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_once),
        cmocka_unit_test(test_race),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_parse),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
