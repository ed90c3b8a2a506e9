/*
 * What a directory client last saw of its servers (ldap/dir_servers.c,
 * dir_server_state()): the states each attempt leaves, when they change,
 * and a login against servers that refuse connections.  A server seen
 * up against a real slapd is in tests/integration/test_status.py.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ldap/dir.h"
#include "ldap/dir_servers.h"


static void
test_states(void **state)
{
    dir_config_t         cfg;
    dir_servers_t        s;
    dir_server_state_t   out[2];
    const char          *urls[] = { "ldap://a:389", "ldap://b:389" };

    (void) state;

    dir_config_init(&cfg);
    cfg.urls = urls;
    cfg.nurls = 2;

    assert_int_equal(dir_servers_init(&s, &cfg), 0);

    assert_int_equal(dir_servers_copy(&s, out, 2), 2);
    assert_string_equal(out[0].url, "ldap://a:389");
    assert_int_equal(out[0].state, DIR_SERVER_UNKNOWN);
    assert_int_equal(out[1].state, DIR_SERVER_UNKNOWN);

    /* the first server cannot be reached, the second answers */
    dir_servers_note(&s, "ldap://a:389", DIR_ERR_UNAVAILABLE, 100);
    dir_servers_note(&s, "ldap://b:389", DIR_OK, 101);
    assert_int_equal(dir_servers_copy(&s, out, 2), 2);
    assert_int_equal(out[0].state, DIR_SERVER_DOWN);
    assert_int_equal(out[0].changed, 100);
    assert_int_equal(out[1].state, DIR_SERVER_UP);
    assert_int_equal(out[1].changed, 101);

    /* seen again, unchanged: only seen moves */
    dir_servers_note(&s, "ldap://b:389", DIR_OK, 200);
    dir_servers_note(&s, "ldap://a:389", DIR_ERR_TIMEOUT, 201);
    assert_int_equal(dir_servers_copy(&s, out, 2), 2);
    assert_int_equal(out[0].changed, 100);
    assert_int_equal(out[0].seen, 201);
    assert_int_equal(out[1].changed, 101);
    assert_int_equal(out[1].seen, 200);

    /* a server that refuses the service account did answer */
    dir_servers_note(&s, "ldap://a:389", DIR_ERR_SERVICE_ACCOUNT, 300);
    assert_int_equal(dir_servers_copy(&s, out, 2), 2);
    assert_int_equal(out[0].state, DIR_SERVER_UP);
    assert_int_equal(out[0].changed, 300);

    /* what says nothing of a server, and a url that is not ours */
    dir_servers_note(&s, "ldap://a:389", DIR_ERR_NOMEM, 400);
    dir_servers_note(&s, "ldap://c:389", DIR_ERR_UNAVAILABLE, 400);
    dir_servers_note(NULL, "ldap://a:389", DIR_ERR_UNAVAILABLE, 400);
    assert_int_equal(dir_servers_copy(&s, out, 1), 2);
    assert_int_equal(out[0].state, DIR_SERVER_UP);
    assert_int_equal(out[0].seen, 300);

    dir_servers_destroy(&s);
}


/* A socket bound but not listening: connections to it are refused. */
static int
refusing_port(int *fdp)
{
    int                 fd;
    socklen_t           len;
    struct sockaddr_in  sin;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    assert_int_equal(bind(fd, (struct sockaddr *) &sin, sizeof(sin)), 0);

    len = sizeof(sin);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &sin, &len), 0);

    *fdp = fd;

    return ntohs(sin.sin_port);
}


static void
test_login_notes_every_server_tried(void **state)
{
    int                  fd[2], i;
    char                 url[2][64];
    dir_t               *dir;
    time_t               before;
    dir_user_t           user;
    dir_error_t          err;
    const char          *urls[2];
    dir_config_t         cfg;
    dir_server_state_t   out[2];

    (void) state;

    signal(SIGPIPE, SIG_IGN);

    for (i = 0; i < 2; i++) {
        snprintf(url[i], sizeof(url[i]), "ldap://127.0.0.1:%d",
                 refusing_port(&fd[i]));
        urls[i] = url[i];
    }

    dir_config_init(&cfg);
    cfg.urls = urls;
    cfg.nurls = 2;
    cfg.bind_dn = "cn=portal,dc=example,dc=org";
    cfg.bind_password = "secret";
    cfg.base_dn = "dc=example,dc=org";
    cfg.user_filter = "(uid=%u)";

    dir = dir_create(&cfg, &err);
    assert_non_null(dir);

    assert_int_equal(dir_server_state(dir, out, 2), 2);
    assert_int_equal(out[0].state, DIR_SERVER_UNKNOWN);

    before = time(NULL);

    assert_int_equal(dir_login(dir, "alice", "pw", &user, &err), -1);
    assert_int_equal(err.code, DIR_ERR_UNAVAILABLE);

    assert_int_equal(dir_server_state(dir, out, 2), 2);

    for (i = 0; i < 2; i++) {
        assert_string_equal(out[i].url, url[i]);
        assert_int_equal(out[i].state, DIR_SERVER_DOWN);
        assert_true(out[i].changed >= before);
        assert_true(out[i].seen >= out[i].changed);
    }

    dir_destroy(dir);
    close(fd[0]);
    close(fd[1]);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_login_notes_every_server_tried),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
