/*
 * dir_login without a directory server: what is refused before any
 * server is asked, and what a login reports when no server answers.
 * The login flow against a real slapd is tests/ldap/run.sh.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ldap/dir.h"


typedef struct {
    int    fd[2];
    char   url[2][64];
} refusing_t;


/*
 * A socket bound but not listening: connections to its port are refused
 * for as long as it stays open, and nothing else can take the port.
 */
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


static int
setup(void **state)
{
    int                 i;
    static refusing_t   r;

    signal(SIGPIPE, SIG_IGN);

    for (i = 0; i < 2; i++) {
        snprintf(r.url[i], sizeof(r.url[i]), "ldap://127.0.0.1:%d",
                 refusing_port(&r.fd[i]));
    }

    *state = &r;

    return 0;
}


static int
teardown(void **state)
{
    refusing_t  *r = *state;

    close(r->fd[0]);
    close(r->fd[1]);

    return 0;
}


static dir_t *
make_dir(const char **urls, size_t nurls)
{
    dir_t         *dir;
    dir_config_t   cfg;
    dir_error_t    err;

    dir_config_init(&cfg);
    cfg.urls = urls;
    cfg.nurls = nurls;
    cfg.bind_dn = "cn=portal,dc=example,dc=org";
    cfg.bind_password = "secret";
    cfg.base_dn = "dc=example,dc=org";
    cfg.user_filter = "(uid=%u)";
    cfg.connect_timeout_ms = 2000;

    dir = dir_create(&cfg, &err);
    if (dir == NULL) {
        fail_msg("dir_create: %s", err.message);
    }

    return dir;
}


static void
test_empty_password_asks_no_server(void **state)
{
    refusing_t     *r = *state;
    dir_t          *dir;
    dir_user_t      user;
    dir_error_t     err;
    const char     *urls[1];
    unsigned long   opened, reused;

    urls[0] = r->url[0];
    dir = make_dir(urls, 1);

    memset(&user, 0x5a, sizeof(user));

    assert_int_equal(dir_login(dir, "alice", "", &user, &err), -1);
    assert_int_equal(err.code, DIR_ERR_EMPTY_PASSWORD);
    assert_string_equal(err.message, "an empty password is refused: the "
                        "directory would take it for an anonymous login");
    assert_string_equal(err.server, "");
    assert_null(user.dn);
    assert_int_equal(user.ngroups, 0);

    assert_int_equal(dir_login(dir, "alice", NULL, &user, &err), -1);
    assert_int_equal(err.code, DIR_ERR_EMPTY_PASSWORD);

    assert_int_equal(dir_login_n(dir, "alice", 5, "x", 0, &user, &err), -1);
    assert_int_equal(err.code, DIR_ERR_EMPTY_PASSWORD);

    dir_stats(dir, &opened, &reused);
    assert_int_equal(opened, 0);
    assert_int_equal(reused, 0);

    dir_destroy(dir);
}


static void
test_refused_server_named(void **state)
{
    refusing_t   *r = *state;
    dir_t        *dir;
    dir_user_t    user;
    dir_error_t   err;
    char          want[160];
    const char   *urls[1];

    urls[0] = r->url[0];
    dir = make_dir(urls, 1);

    assert_int_equal(dir_login(dir, "alice", "pw", &user, &err), -1);
    assert_int_equal(err.code, DIR_ERR_UNAVAILABLE);
    assert_string_equal(err.server, r->url[0]);

    snprintf(want, sizeof(want), "LDAP server %s cannot be reached: "
             "connection refused", r->url[0]);
    assert_string_equal(err.message, want);

    dir_destroy(dir);
}


static void
test_every_server_tried_last_named(void **state)
{
    refusing_t   *r = *state;
    dir_t        *dir;
    dir_user_t    user;
    dir_error_t   err;
    const char   *urls[2];

    urls[0] = r->url[0];
    urls[1] = r->url[1];
    dir = make_dir(urls, 2);

    assert_int_equal(dir_login(dir, "alice", "pw", &user, &err), -1);
    assert_int_equal(err.code, DIR_ERR_UNAVAILABLE);
    assert_string_equal(err.server, r->url[1]);

    dir_destroy(dir);
}


static void
test_create_refuses_bad_config(void **state)
{
    dir_config_t  cfg;
    dir_error_t   err;

    (void) state;

    dir_config_init(&cfg);

    assert_null(dir_create(&cfg, &err));
    assert_int_equal(err.code, DIR_ERR_CONFIG);
    assert_string_equal(err.message, "url is required: give at least one "
                        "ldap:// or ldaps:// server");
}


static void
test_create_refuses_missing_ca_file(void **state)
{
    dir_config_t   cfg;
    dir_error_t    err;
    const char    *urls[] = { "ldaps://127.0.0.1:1" };

    (void) state;

    dir_config_init(&cfg);
    cfg.urls = urls;
    cfg.nurls = 1;
    cfg.base_dn = "dc=example,dc=org";
    cfg.user_filter = "(uid=%u)";
    cfg.ca_file = "/nonexistent/ca.pem";

    assert_null(dir_create(&cfg, &err));
    assert_int_equal(err.code, DIR_ERR_CONFIG);
    assert_string_equal(err.message, "tls_trusted_certificate "
                        "\"/nonexistent/ca.pem\" cannot be loaded for "
                        "ldaps://127.0.0.1:1: it must be a readable file of "
                        "PEM certificates");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_empty_password_asks_no_server),
        cmocka_unit_test(test_refused_server_named),
        cmocka_unit_test(test_every_server_tried_last_named),
        cmocka_unit_test(test_create_refuses_bad_config),
        cmocka_unit_test(test_create_refuses_missing_ca_file),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
