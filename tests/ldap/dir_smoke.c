/*
 * The directory client against the rig's slapd (see run.sh and
 * seed.ldif).  Each check prints a PASS or FAIL line; the exit status
 * is the number of failures, capped.
 */

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldap.h>

#include "ldap/dir.h"


#define BASE_DN         "dc=example,dc=org"
#define PEOPLE          "ou=people," BASE_DN
#define GROUPS          "ou=groups," BASE_DN
#define ALICE_DN        "uid=alice," PEOPLE
#define STAFF           "cn=staff," GROUPS
#define EMPLOYEES       "cn=employees," GROUPS
#define EVERYONE        "cn=everyone," GROUPS
#define VPN_USERS       "cn=vpn-users," GROUPS

#define THREADS         8
#define LOGINS_EACH     25


static int          passed;
static int          failed;
static int          verbose;

static char         url[128];
static char         tls_url[128];
static char         closed_url[128];
static char         ca_file[512];
static char         other_ca_file[512];
static const char  *plain_urls[1];
static const char  *tls_urls[1];
static const char  *closed_urls[1];
static const char  *failover_urls[2];


static void
check(int ok, const char *name, const char *fmt, ...)
{
    va_list  ap;

    if (ok) {
        passed++;
        printf("PASS %s\n", name);

    } else {
        failed++;
        printf("FAIL %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
    }

    fflush(stdout);
}


static double
now_s(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static int
slapd(const char *command)
{
    char  cmd[1024];

    snprintf(cmd, sizeof(cmd), "%s %s", getenv("SLAPD_CTL"), command);

    return system(cmd) == 0 ? 0 : -1;
}


static void
rig_config(dir_config_t *cfg)
{
    dir_config_init(cfg);

    cfg->urls = plain_urls;
    cfg->nurls = 1;
    cfg->bind_dn = "cn=portal,ou=services," BASE_DN;
    cfg->bind_password = "portal-secret";
    cfg->base_dn = BASE_DN;
    cfg->user_filter = "(&(objectClass=inetOrgPerson)(uid=%u))";
    cfg->group_base_dn = GROUPS;
    cfg->connect_timeout_ms = 2000;
    cfg->timeout_ms = 2000;
    cfg->cache_ttl_s = 0;
}


static dir_t *
rig_create(const dir_config_t *cfg, const char *name)
{
    dir_t        *dir;
    dir_error_t   err;

    dir = dir_create(cfg, &err);
    if (dir == NULL) {
        check(0, name, "dir_create: %s: %s", dir_code_name(err.code),
              err.message);
    }

    return dir;
}


/* Whether list holds exactly the n strings of want, in that order. */
static int
same_list(char **list, size_t nlist, const char *const *want, size_t n)
{
    size_t  i;

    if (nlist != n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (strcmp(list[i], want[i]) != 0) {
            return 0;
        }
    }

    return 1;
}


static const char *
show_list(char **list, size_t n)
{
    size_t       i, len;
    static char  buf[1024];

    buf[0] = '\0';
    len = 0;

    for (i = 0; i < n && len < sizeof(buf); i++) {
        len += snprintf(buf + len, sizeof(buf) - len, "%s[%s]",
                        i ? " " : "", list[i]);
    }

    return buf;
}


/* Logs in and checks the groups (any order is a failure) and mails. */
static void
expect_user(dir_t *dir, const char *name, const char *login,
    const char *password, const char *username,
    const char *const *groups, size_t ngroups,
    const char *const *mails, size_t nmails)
{
    dir_user_t   user;
    dir_error_t  err;

    if (dir_login(dir, login, password, &user, &err) != 0) {
        check(0, name, "login failed: %s: %s", dir_code_name(err.code),
              err.message);
        return;
    }

    if (username != NULL && strcmp(user.username, username) != 0) {
        check(0, name, "username \"%s\", wanted \"%s\"", user.username,
              username);

    } else if (groups != NULL
               && !same_list(user.groups, user.ngroups, groups, ngroups))
    {
        check(0, name, "groups %s", show_list(user.groups, user.ngroups));

    } else if (mails != NULL
               && !same_list(user.mails, user.nmails, mails, nmails))
    {
        check(0, name, "mails %s", show_list(user.mails, user.nmails));

    } else {
        check(1, name, NULL);
    }

    dir_user_free(&user);
}


static void
expect_failure(dir_t *dir, const char *name, const char *login,
    size_t login_len, const char *password, dir_code_t code,
    const char *message)
{
    int          rc;
    dir_user_t   user;
    dir_error_t  err;

    rc = dir_login_n(dir, login, login_len, password, strlen(password),
                     &user, &err);

    if (rc == 0) {
        check(0, name, "login succeeded as %s", user.dn);
        dir_user_free(&user);
        return;
    }

    if (err.code != code) {
        check(0, name, "%s (%s), wanted %s", dir_code_name(err.code),
              err.message, dir_code_name(code));

    } else if (message != NULL && strcmp(err.message, message) != 0) {
        check(0, name, "message \"%s\"", err.message);

    } else if (code == DIR_ERR_BAD_CREDENTIALS && err.server[0] != '\0') {
        check(0, name, "server \"%s\" told", err.server);

    } else {
        check(1, name, NULL);
    }

    if (verbose) {
        printf("     %s: %s [%s]\n", dir_code_name(err.code), err.message,
               err.server);
    }
}


static void
test_logins(void)
{
    dir_t         *dir;
    dir_config_t   cfg;
    char           longname[300];
    const char    *bad = "invalid username or password";
    const char    *staff[] = { STAFF };
    const char    *alice_mail[] = { "alice@example.org" };

    rig_config(&cfg);

    dir = rig_create(&cfg, "logins");
    if (dir == NULL) {
        return;
    }

    expect_user(dir, "login alice", "alice", "alice-pw", "alice",
                staff, 1, alice_mail, 1);
    expect_user(dir, "login canonical username", "ALICE", "alice-pw",
                "alice", NULL, 0, NULL, 0);
    expect_user(dir, "login with filter metacharacters", "o(dd)*\\user",
                "odd-pw", "o(dd)*\\user", NULL, 0, NULL, 0);
    expect_user(dir, "login in UTF-8", "\xc3\xa9va", "eva-pw",
                "\xc3\xa9va", NULL, 0, NULL, 0);

    expect_failure(dir, "wrong password", "alice", 5, "nope",
                   DIR_ERR_BAD_CREDENTIALS, bad);
    expect_failure(dir, "unknown user", "mallory", 7, "alice-pw",
                   DIR_ERR_BAD_CREDENTIALS, bad);
    expect_failure(dir, "ambiguous login", "twin", 4, "twin-pw",
                   DIR_ERR_BAD_CREDENTIALS, bad);
    expect_failure(dir, "entry without password", "nopw", 4, "x",
                   DIR_ERR_BAD_CREDENTIALS, bad);
    expect_failure(dir, "injection *", "*", 1, "alice-pw",
                   DIR_ERR_BAD_CREDENTIALS, bad);
    expect_failure(dir, "injection ali*", "ali*", 4, "alice-pw",
                   DIR_ERR_BAD_CREDENTIALS, bad);
    expect_failure(dir, "injection )(uid=*", ")(uid=*", 7, "alice-pw",
                   DIR_ERR_BAD_CREDENTIALS, bad);
    expect_failure(dir, "injection alice)(|(uid=*", "alice)(|(uid=*", 14,
                   "alice-pw", DIR_ERR_BAD_CREDENTIALS, bad);
    expect_failure(dir, "login with NUL", "alice\0x", 7, "alice-pw",
                   DIR_ERR_BAD_CREDENTIALS, bad);

    memset(longname, 'a', sizeof(longname));
    expect_failure(dir, "login too long", longname, sizeof(longname),
                   "alice-pw", DIR_ERR_BAD_CREDENTIALS, bad);

    dir_destroy(dir);
}


static void
test_empty_password(void)
{
    dir_t          *dir;
    dir_config_t    cfg;
    unsigned long   opened, reused;

    rig_config(&cfg);

    dir = rig_create(&cfg, "empty password");
    if (dir == NULL) {
        return;
    }

    expect_failure(dir, "empty password", "alice", 5, "",
                   DIR_ERR_EMPTY_PASSWORD, NULL);

    dir_stats(dir, &opened, &reused);
    check(opened == 0, "empty password asks no server",
          "%lu connections opened", opened);

    dir_destroy(dir);
}


/*
 * An unknown user, and a login that never reaches a search, still cost a
 * bind: the decoy's, on a bind connection of its own.
 */
static void
test_decoy_bind(void)
{
    dir_t          *dir;
    dir_config_t    cfg;
    unsigned long   opened, reused;

    rig_config(&cfg);

    if ((dir = rig_create(&cfg, "decoy")) != NULL) {
        expect_failure(dir, "unknown user", "mallory", 7, "pw",
                       DIR_ERR_BAD_CREDENTIALS, NULL);
        dir_stats(dir, &opened, &reused);
        check(opened == 2, "unknown user gets a decoy bind",
              "opened %lu", opened);
        dir_destroy(dir);
    }

    if ((dir = rig_create(&cfg, "decoy")) != NULL) {
        expect_failure(dir, "login with NUL", "a\0b", 3, "pw",
                       DIR_ERR_BAD_CREDENTIALS, NULL);
        dir_stats(dir, &opened, &reused);
        check(opened == 2, "malformed login gets a decoy bind",
              "opened %lu", opened);
        dir_destroy(dir);
    }
}


static void
test_service_account(void)
{
    dir_t         *dir;
    dir_config_t   cfg;

    rig_config(&cfg);
    cfg.bind_password = "wrong";

    dir = rig_create(&cfg, "service account refused");
    if (dir == NULL) {
        return;
    }

    expect_failure(dir, "service account refused", "alice", 5, "alice-pw",
                   DIR_ERR_SERVICE_ACCOUNT, NULL);

    dir_destroy(dir);
}


static void
test_groups(void)
{
    dir_t         *dir;
    dir_config_t   cfg;
    const char    *staff[] = { STAFF };
    const char    *chain[] = { STAFF, EMPLOYEES, EVERYONE };
    const char    *two[] = { STAFF, EMPLOYEES };
    const char    *cycle[] = { "cn=cycle-a," GROUPS, "cn=cycle-b," GROUPS };
    const char    *none[] = { NULL };

    rig_config(&cfg);
    cfg.group_source = DIR_GROUPS_SEARCH;

    if ((dir = rig_create(&cfg, "groups search")) != NULL) {
        expect_user(dir, "groups by search", "alice", "alice-pw", NULL,
                    staff, 1, NULL, 0);
        expect_user(dir, "groups by search, none", "dave", "dave-pw", NULL,
                    none, 0, NULL, 0);
        dir_destroy(dir);
    }

    cfg.nested = DIR_NESTED_WALK;

    if ((dir = rig_create(&cfg, "groups search walk")) != NULL) {
        expect_user(dir, "nested walk by search", "alice", "alice-pw", NULL,
                    chain, 3, NULL, 0);
        expect_user(dir, "nested walk by search, cycle", "carol",
                    "carol-pw", NULL, cycle, 2, NULL, 0);
        dir_destroy(dir);
    }

    rig_config(&cfg);
    cfg.group_source = DIR_GROUPS_MEMBEROF;
    cfg.nested = DIR_NESTED_WALK;

    if ((dir = rig_create(&cfg, "groups memberof walk")) != NULL) {
        expect_user(dir, "nested walk by memberOf", "alice", "alice-pw",
                    NULL, chain, 3, NULL, 0);
        expect_user(dir, "nested walk by memberOf, cycle", "carol",
                    "carol-pw", NULL, cycle, 2, NULL, 0);
        dir_destroy(dir);
    }

    cfg.nested_depth = 1;

    if ((dir = rig_create(&cfg, "groups depth")) != NULL) {
        expect_user(dir, "nested depth 1", "alice", "alice-pw", NULL,
                    two, 2, NULL, 0);
        dir_destroy(dir);
    }

    cfg.nested_depth = 5;
    cfg.max_groups = 2;

    if ((dir = rig_create(&cfg, "groups limit")) != NULL) {
        expect_failure(dir, "max_groups reached", "alice", 5, "alice-pw",
                       DIR_ERR_LIMIT, NULL);
        dir_destroy(dir);
    }

    cfg.max_groups = 256;
    cfg.group_source = DIR_GROUPS_NONE;
    cfg.nested = DIR_NESTED_OFF;

    if ((dir = rig_create(&cfg, "groups off")) != NULL) {
        expect_user(dir, "groups off", "alice", "alice-pw", NULL,
                    none, 0, NULL, 0);
        dir_destroy(dir);
    }
}


static void
test_mails(void)
{
    dir_t         *dir;
    dir_config_t   cfg;
    const char    *proxy_first[] = { "proxyAddresses", "mail" };
    const char    *mail_first[] = { "mail", "proxyAddresses" };
    const char    *want_proxy_first[] = {
        "Bob.Primary@example.org", "bob.alias@example.org", "bob@example.org"
    };
    const char    *want_mail_first[] = {
        "bob@example.org", "Bob.Alias@Example.org", "Bob.Primary@example.org"
    };
    const char    *none[] = { NULL };

    rig_config(&cfg);
    cfg.mail_attrs = proxy_first;
    cfg.nmail_attrs = 2;

    if ((dir = rig_create(&cfg, "mails")) != NULL) {
        expect_user(dir, "mails proxyAddresses then mail", "bob", "bob-pw",
                    NULL, NULL, 0, want_proxy_first, 3);
        expect_user(dir, "mails none", "dave", "dave-pw", NULL, NULL, 0,
                    none, 0);
        dir_destroy(dir);
    }

    cfg.mail_attrs = mail_first;

    if ((dir = rig_create(&cfg, "mails")) != NULL) {
        expect_user(dir, "mails mail then proxyAddresses", "bob", "bob-pw",
                    NULL, NULL, 0, want_mail_first, 3);
        dir_destroy(dir);
    }
}


static void
test_pool_reuse(void)
{
    int             i;
    dir_t          *dir;
    dir_config_t    cfg;
    unsigned long   opened, reused;

    rig_config(&cfg);
    cfg.pool_size = 2;

    dir = rig_create(&cfg, "pool reuse");
    if (dir == NULL) {
        return;
    }

    for (i = 0; i < 5; i++) {
        expect_user(dir, "pool login", i % 2 ? "bob" : "alice",
                    i % 2 ? "bob-pw" : "alice-pw", NULL, NULL, 0, NULL, 0);
    }

    /* one search and one bind connection, each reused by every login */
    dir_stats(dir, &opened, &reused);
    check(opened == 2 && reused == 8, "pool reuse",
          "opened %lu, reused %lu", opened, reused);

    dir_destroy(dir);
}


/* Adds or deletes alice as a member of vpn-users, as the admin. */
static int
admin_modify_vpn_users(int op)
{
    int            rc;
    LDAP          *ld;
    char          *values[] = { ALICE_DN, NULL };
    LDAPMod        mod, *mods[] = { &mod, NULL };
    struct berval  cred;
    int            version = LDAP_VERSION3;

    if (ldap_initialize(&ld, url) != LDAP_SUCCESS) {
        return -1;
    }

    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);

    cred.bv_val = "admin-secret";
    cred.bv_len = strlen(cred.bv_val);

    rc = ldap_sasl_bind_s(ld, "cn=admin," BASE_DN, LDAP_SASL_SIMPLE, &cred,
                          NULL, NULL, NULL);

    if (rc == LDAP_SUCCESS) {
        mod.mod_op = op;
        mod.mod_type = "member";
        mod.mod_values = values;
        rc = ldap_modify_ext_s(ld, VPN_USERS, mods, NULL, NULL);
    }

    ldap_unbind_ext_s(ld, NULL, NULL);

    return rc == LDAP_SUCCESS ? 0 : -1;
}


static void
test_cache(void)
{
    dir_t         *cached, *uncached;
    dir_config_t   cfg;
    const char    *before[] = { STAFF };
    const char    *after[] = { STAFF, VPN_USERS };

    rig_config(&cfg);
    cfg.group_source = DIR_GROUPS_SEARCH;
    cfg.cache_ttl_s = 60;

    cached = rig_create(&cfg, "cache");

    cfg.cache_ttl_s = 0;
    uncached = rig_create(&cfg, "no cache");

    if (cached == NULL || uncached == NULL) {
        dir_destroy(cached);
        dir_destroy(uncached);
        return;
    }

    expect_user(cached, "cache first login", "alice", "alice-pw", NULL,
                before, 1, NULL, 0);

    if (admin_modify_vpn_users(LDAP_MOD_ADD) != 0) {
        check(0, "cache", "could not add alice to vpn-users");

    } else {
        expect_user(cached, "cache answers within its ttl", "alice",
                    "alice-pw", NULL, before, 1, NULL, 0);
        expect_user(uncached, "no cache sees the change", "alice",
                    "alice-pw", NULL, after, 2, NULL, 0);
        expect_failure(cached, "cache never skips the bind", "alice", 5,
                       "wrong", DIR_ERR_BAD_CREDENTIALS, NULL);

        if (admin_modify_vpn_users(LDAP_MOD_DELETE) != 0) {
            check(0, "cache", "could not take alice out of vpn-users");
        }
    }

    dir_destroy(cached);
    dir_destroy(uncached);
}


/* The values of an attribute of an entry, counted as the rootdn. */
static int
admin_count_values(const char *dn, const char *attr)
{
    int            n;
    LDAP          *ld;
    char          *attrs[] = { (char *) attr, NULL };
    LDAPMessage   *res;
    struct berval  cred, **values;
    int            version = LDAP_VERSION3;

    if (ldap_initialize(&ld, url) != LDAP_SUCCESS) {
        return -1;
    }

    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);

    cred.bv_val = "admin-secret";
    cred.bv_len = strlen(cred.bv_val);
    n = -1;
    res = NULL;

    if (ldap_sasl_bind_s(ld, "cn=admin," BASE_DN, LDAP_SASL_SIMPLE, &cred,
                         NULL, NULL, NULL) == LDAP_SUCCESS
        && ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
                             attrs, 0, NULL, NULL, NULL, 1, &res)
           == LDAP_SUCCESS)
    {
        values = ldap_get_values_len(ld, ldap_first_entry(ld, res), attr);
        n = values != NULL ? ldap_count_values_len(values) : 0;
        ldap_value_free_len(values);
    }

    ldap_msgfree(res);
    ldap_unbind_ext_s(ld, NULL, NULL);

    return n;
}


static void
expect_state(dir_t *dir, const char *name, const char *login,
    const char *password, dir_code_t code, dir_account_t account,
    int verified)
{
    dir_user_t   user;
    dir_error_t  err;

    if (dir_login(dir, login, password, &user, &err) == 0) {
        check(0, name, "login succeeded");
        dir_user_free(&user);
        return;
    }

    check(err.code == code && err.account == account
          && err.password_verified == verified, name,
          "%s, %s, verified %d: %s", dir_code_name(err.code),
          dir_account_name(err.account), err.password_verified,
          err.message);

    if (verbose) {
        printf("     %s (%s): %s\n", dir_code_name(err.code),
               dir_account_name(err.account), err.message);
    }
}


/*
 * slapd's ppolicy overlay, asked through the password policy control:
 * each state its own answer, told only once the password was right
 * (but a lock, which slapd says whatever the password).
 */
static void
test_password_policy(void)
{
    int            i, grace[2], failures[4];
    dir_t         *dir;
    dir_config_t   cfg;
    dir_user_t     user;
    dir_error_t    err;
    const char    *counted = "uid=pp-counted," PEOPLE;

    rig_config(&cfg);
    cfg.type = DIR_TYPE_OPENLDAP;

    dir = rig_create(&cfg, "password policy");
    if (dir == NULL) {
        return;
    }

    expect_state(dir, "ppolicy: expired, right password", "pp-expired",
                 "expired-pw", DIR_ERR_ACCOUNT, DIR_ACCOUNT_PASSWORD_EXPIRED,
                 1);
    expect_state(dir, "ppolicy: expired, wrong password", "pp-expired",
                 "wrong", DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_USABLE, 0);
    expect_state(dir, "ppolicy: must change, right password", "pp-reset",
                 "reset-pw", DIR_ERR_ACCOUNT, DIR_ACCOUNT_MUST_CHANGE, 1);
    expect_state(dir, "ppolicy: must change, wrong password", "pp-reset",
                 "wrong", DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_USABLE, 0);
    expect_state(dir, "ppolicy: locked, right password", "pp-locked",
                 "locked-pw", DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_LOCKED,
                 0);
    expect_state(dir, "ppolicy: locked, wrong password", "pp-locked",
                 "wrong", DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_LOCKED, 0);

    /* an expired password with grace logins left: in, with a warning */
    for (i = 0; i < 2; i++) {
        grace[i] = -9;

        if (dir_login(dir, "pp-grace", "grace-pw", &user, &err) == 0) {
            grace[i] = user.grace_logins;
            dir_user_free(&user);

        } else if (verbose) {
            printf("     %s: %s\n", dir_code_name(err.code), err.message);
        }
    }

    check(grace[0] == 2 && grace[1] == 1, "ppolicy: grace logins counted",
          "grace %d, then %d", grace[0], grace[1]);

    if (dir_login(dir, "pp-warning", "warning-pw", &user, &err) == 0) {
        check(user.expires_in_s > 800000 && user.expires_in_s <= 864000
              && user.grace_logins == -1,
              "ppolicy: the time before expiry", "%ld s, grace %d",
              user.expires_in_s, user.grace_logins);
        dir_user_free(&user);

    } else {
        check(0, "ppolicy: the time before expiry", "%s",
              err.message);
    }

    /* each wrong login is one failure, whatever the client does */
    failures[0] = admin_count_values(counted, "pwdFailureTime");

    for (i = 1; i < 4; i++) {
        expect_state(dir, "ppolicy: counted failure", "pp-counted", "wrong",
                     DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_USABLE, 0);
        failures[i] = admin_count_values(counted, "pwdFailureTime");
    }

    check(failures[0] == 0 && failures[1] == 1 && failures[2] == 2
          && failures[3] == 3, "ppolicy: one failure per wrong login",
          "pwdFailureTime values %d, %d, %d, %d", failures[0], failures[1],
          failures[2], failures[3]);

    /* pooled connections that died meanwhile: tried again, counted once */
    if (slapd("restart") != 0) {
        check(0, "ppolicy: restart", "slapd did not restart");

    } else {
        expect_state(dir, "ppolicy: wrong login after a restart",
                     "pp-counted", "wrong", DIR_ERR_BAD_CREDENTIALS,
                     DIR_ACCOUNT_USABLE, 0);
        failures[0] = admin_count_values(counted, "pwdFailureTime");
        check(failures[0] == 4, "ppolicy: one failure across a restart",
              "pwdFailureTime values %d", failures[0]);
    }

    dir_destroy(dir);

    /* without the control slapd says nothing: a wrong password it seems */
    cfg.password_policy = 0;

    if ((dir = rig_create(&cfg, "no password policy control")) != NULL) {
        expect_state(dir, "no control: expired reads as bad credentials",
                     "pp-expired", "expired-pw", DIR_ERR_BAD_CREDENTIALS,
                     DIR_ACCOUNT_USABLE, 0);
        dir_destroy(dir);
    }
}


static void
test_tls(void)
{
    dir_t         *dir;
    dir_config_t   cfg;

    rig_config(&cfg);
    cfg.urls = tls_urls;
    cfg.ca_file = ca_file;

    if ((dir = rig_create(&cfg, "ldaps")) != NULL) {
        expect_user(dir, "ldaps with the right CA", "alice", "alice-pw",
                    "alice", NULL, 0, NULL, 0);
        dir_destroy(dir);
    }

    rig_config(&cfg);
    cfg.starttls = 1;
    cfg.ca_file = ca_file;

    if ((dir = rig_create(&cfg, "starttls")) != NULL) {
        expect_user(dir, "starttls with the right CA", "alice", "alice-pw",
                    "alice", NULL, 0, NULL, 0);
        dir_destroy(dir);
    }

    rig_config(&cfg);
    cfg.urls = tls_urls;
    cfg.ca_file = other_ca_file;

    if ((dir = rig_create(&cfg, "ldaps wrong CA")) != NULL) {
        expect_failure(dir, "ldaps with another CA is refused", "alice", 5,
                       "alice-pw", DIR_ERR_UNAVAILABLE, NULL);
        dir_destroy(dir);
    }

    rig_config(&cfg);
    cfg.starttls = 1;
    cfg.ca_file = other_ca_file;

    if ((dir = rig_create(&cfg, "starttls wrong CA")) != NULL) {
        expect_failure(dir, "starttls with another CA is refused", "alice",
                       5, "alice-pw", DIR_ERR_UNAVAILABLE, NULL);
        dir_destroy(dir);
    }
}


static void
test_failover(void)
{
    dir_t          *dir;
    dir_config_t    cfg;
    dir_error_t     err;
    dir_user_t      user;

    rig_config(&cfg);
    cfg.urls = failover_urls;
    cfg.nurls = 2;

    if ((dir = rig_create(&cfg, "failover")) != NULL) {
        expect_user(dir, "failover to the second url", "alice", "alice-pw",
                    "alice", NULL, 0, NULL, 0);
        dir_destroy(dir);
    }

    rig_config(&cfg);
    cfg.urls = closed_urls;

    if ((dir = rig_create(&cfg, "refused")) != NULL) {
        if (dir_login(dir, "alice", "alice-pw", &user, &err) == 0) {
            check(0, "refused connection", "login succeeded");
            dir_user_free(&user);

        } else {
            check(err.code == DIR_ERR_UNAVAILABLE
                  && strcmp(err.server, closed_url) == 0
                  && strstr(err.message, closed_url) != NULL,
                  "refused connection names the url", "%s: %s [%s]",
                  dir_code_name(err.code), err.message, err.server);

            if (verbose) {
                printf("     %s\n", err.message);
            }
        }

        dir_destroy(dir);
    }
}


typedef struct {
    dir_t  *dir;
    int     failures;
} worker_t;


static void *
worker(void *arg)
{
    int          i;
    worker_t    *w;
    dir_user_t   user;
    dir_error_t  err;
    const char  *login;

    w = arg;

    for (i = 0; i < LOGINS_EACH; i++) {
        login = (i % 2) ? "bob" : "alice";

        if (dir_login(w->dir, login, (i % 2) ? "bob-pw" : "alice-pw",
                      &user, &err) != 0)
        {
            w->failures++;
            continue;
        }

        if (strcmp(user.username, login) != 0) {
            w->failures++;
        }

        dir_user_free(&user);
    }

    return NULL;
}


static void
test_threads(void)
{
    int             i, failures;
    dir_t          *dir;
    pthread_t       threads[THREADS];
    worker_t        workers[THREADS];
    dir_config_t    cfg;
    unsigned long   opened, reused;

    rig_config(&cfg);
    cfg.pool_size = 4;
    cfg.group_source = DIR_GROUPS_SEARCH;
    cfg.nested = DIR_NESTED_WALK;
    cfg.cache_ttl_s = 30;

    dir = rig_create(&cfg, "threads");
    if (dir == NULL) {
        return;
    }

    for (i = 0; i < THREADS; i++) {
        workers[i].dir = dir;
        workers[i].failures = 0;
        pthread_create(&threads[i], NULL, worker, &workers[i]);
    }

    failures = 0;

    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        failures += workers[i].failures;
    }

    dir_stats(dir, &opened, &reused);

    check(failures == 0, "concurrent logins", "%d of %d failed", failures,
          THREADS * LOGINS_EACH);
    /* each login takes a search and a bind connection */
    check(opened + reused == 2 * THREADS * LOGINS_EACH && reused > 0
          && opened <= THREADS * LOGINS_EACH,
          "concurrent logins share the pool", "opened %lu, reused %lu",
          opened, reused);

    dir_destroy(dir);
}


static void
test_restart(void)
{
    dir_t          *dir;
    dir_config_t    cfg;
    unsigned long   opened, reused;

    rig_config(&cfg);

    dir = rig_create(&cfg, "restart");
    if (dir == NULL) {
        return;
    }

    expect_user(dir, "before the restart", "alice", "alice-pw", "alice",
                NULL, 0, NULL, 0);

    if (slapd("restart") != 0) {
        check(0, "restart", "slapd did not restart");
        dir_destroy(dir);
        return;
    }

    expect_user(dir, "after the restart", "alice", "alice-pw", "alice",
                NULL, 0, NULL, 0);

    /*
     * The pooled search connection was found dead: it and the idle bind
     * connection were dropped, and the login tried again on new ones.
     */
    dir_stats(dir, &opened, &reused);
    check(opened == 4 && reused == 1, "dead pooled connections replaced",
          "opened %lu, reused %lu", opened, reused);

    dir_destroy(dir);
}


/* One login against a stalled server: a timeout, in bounded time. */
static void
expect_timeout(dir_t *dir, const char *name, const char *server,
    double max_s)
{
    double       start, took;
    dir_user_t   user;
    dir_error_t  err;

    start = now_s();

    if (dir_login(dir, "alice", "alice-pw", &user, &err) == 0) {
        check(0, name, "login succeeded");
        dir_user_free(&user);
        return;
    }

    took = now_s() - start;

    check(err.code == DIR_ERR_TIMEOUT && strcmp(err.server, server) == 0
          && took >= 0.9 && took <= max_s,
          name, "%s after %.2f s: %s [%s]", dir_code_name(err.code), took,
          err.message, err.server);

    if (verbose) {
        printf("     after %.2f s: %s\n", took, err.message);
    }
}


/*
 * slapd stopped with SIGSTOP: the kernel still accepts connections, and
 * nothing answers.  On a pooled search connection the first stalled
 * operation is the user search; on a new one, the service account's
 * bind; with ldaps, the TLS handshake.
 */
static void
test_stalled(void)
{
    dir_t         *dir, *tls_dir;
    dir_config_t   cfg;

    rig_config(&cfg);
    cfg.connect_timeout_ms = 1000;
    cfg.timeout_ms = 1000;

    dir = rig_create(&cfg, "stalled");

    cfg.urls = tls_urls;
    cfg.ca_file = ca_file;
    tls_dir = rig_create(&cfg, "stalled ldaps");

    if (dir == NULL || tls_dir == NULL) {
        dir_destroy(dir);
        dir_destroy(tls_dir);
        return;
    }

    expect_user(dir, "before SIGSTOP", "alice", "alice-pw", "alice",
                NULL, 0, NULL, 0);

    if (slapd("pause") != 0) {
        check(0, "stalled", "slapd could not be stopped");
        dir_destroy(dir);
        dir_destroy(tls_dir);
        return;
    }

    /* within connect_timeout + a few timeouts */
    expect_timeout(dir, "stalled server, pooled connection", url, 4.0);
    expect_timeout(dir, "stalled server, new connection", url, 4.0);
    expect_timeout(tls_dir, "stalled server, ldaps handshake", tls_url, 4.0);

    if (slapd("resume") != 0) {
        check(0, "stalled", "slapd could not be continued");
    }

    expect_user(dir, "after SIGCONT", "alice", "alice-pw", "alice",
                NULL, 0, NULL, 0);
    expect_user(tls_dir, "after SIGCONT, ldaps", "alice", "alice-pw",
                "alice", NULL, 0, NULL, 0);

    dir_destroy(dir);
    dir_destroy(tls_dir);
}


static void
test_down(void)
{
    double        start, took;
    dir_t        *dir;
    dir_user_t    user;
    dir_error_t   err;
    dir_config_t  cfg;

    rig_config(&cfg);

    dir = rig_create(&cfg, "down");
    if (dir == NULL) {
        return;
    }

    expect_user(dir, "before the stop", "alice", "alice-pw", "alice",
                NULL, 0, NULL, 0);

    if (slapd("stop") != 0) {
        check(0, "down", "slapd could not be stopped");
        dir_destroy(dir);
        return;
    }

    start = now_s();

    if (dir_login(dir, "alice", "alice-pw", &user, &err) == 0) {
        check(0, "server down", "login succeeded");
        dir_user_free(&user);

    } else {
        took = now_s() - start;
        check(err.code == DIR_ERR_UNAVAILABLE && strcmp(err.server, url) == 0
              && strstr(err.message, url) != NULL && took < 1.0,
              "server down names the url", "%s after %.2f s: %s [%s]",
              dir_code_name(err.code), took, err.message, err.server);

        if (verbose) {
            printf("     after %.2f s: %s\n", took, err.message);
        }
    }

    if (slapd("start") != 0) {
        check(0, "down", "slapd could not be started again");

    } else {
        expect_user(dir, "server back", "alice", "alice-pw", "alice",
                    NULL, 0, NULL, 0);
    }

    dir_destroy(dir);
}


/* Connections closed by dir_destroy() must leave no descriptor behind. */
static int
open_fds(void)
{
    int             n;
    DIR            *d;
    struct dirent  *de;

    d = opendir("/proc/self/fd");
    if (d == NULL) {
        return -1;
    }

    n = 0;

    while ((de = readdir(d)) != NULL) {
        n += de->d_name[0] != '.';
    }

    closedir(d);

    return n;
}


int
main(void)
{
    int          fds;
    const char  *dir, *port, *tls_port, *closed_port;

    dir = getenv("LDAP_RIG_DIR");
    port = getenv("PORT");
    tls_port = getenv("TLS_PORT");
    closed_port = getenv("CLOSED_PORT");

    if (dir == NULL || port == NULL || tls_port == NULL
        || closed_port == NULL || getenv("SLAPD_CTL") == NULL)
    {
        fprintf(stderr, "dir_smoke: run it through tests/ldap/run.sh\n");
        return 2;
    }

    verbose = getenv("VERBOSE") != NULL;

    /* libldap writes to sockets whose peer may be gone */
    signal(SIGPIPE, SIG_IGN);

    snprintf(url, sizeof(url), "ldap://127.0.0.1:%s", port);
    snprintf(tls_url, sizeof(tls_url), "ldaps://127.0.0.1:%s", tls_port);
    snprintf(closed_url, sizeof(closed_url), "ldap://127.0.0.1:%s",
             closed_port);
    snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", dir);

    plain_urls[0] = url;
    tls_urls[0] = tls_url;
    closed_urls[0] = closed_url;
    failover_urls[0] = closed_url;
    failover_urls[1] = url;
    snprintf(other_ca_file, sizeof(other_ca_file), "%s/other-ca.pem", dir);

    fds = open_fds();

    test_logins();
    test_empty_password();
    test_decoy_bind();
    test_service_account();
    test_groups();
    test_mails();
    test_pool_reuse();
    test_cache();
    test_password_policy();
    test_tls();
    test_failover();
    test_threads();
    test_restart();
    test_stalled();
    test_down();

    check(open_fds() == fds, "no descriptor leaked", "%d open, %d before",
          open_fds(), fds);

    printf("%d passed, %d failed\n", passed, failed);

    return failed == 0 ? 0 : 1;
}
