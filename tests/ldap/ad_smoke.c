/*
 * The directory client against a real Samba AD DC (see ad_run.sh and
 * tests/harness/samba.py, whose domain the names below are).  Each check
 * prints a PASS or FAIL line; the exit status is 1 on any failure.
 */

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ldap.h>

#include "ldap/dir.h"


#define BASE            "DC=corp,DC=example,DC=test"
#define STAFF           "OU=Staff," BASE
#define GROUPS          "OU=Groups," BASE
#define MANY            "OU=Many Groups," BASE
#define SERVICES        "OU=Service Accounts," BASE
#define DNS_DOMAIN      "corp.example.test"

#define JDOE_DN         "CN=jdoe," STAFF
#define JDOE_PW         "Pw-for-John-1"
#define JDOE_UPN        "john.doe@" DNS_DOMAIN
#define DOMAIN_USERS    "CN=Domain Users,CN=Users," BASE
#define BUILTIN_USERS   "CN=Users,CN=Builtin," BASE
#define VPN_USERS       "CN=VPN Users," GROUPS
#define SALES           "CN=Sales\\, EMEA," GROUPS

#define SVC_DN          "CN=svc-portal," SERVICES
#define SVC_PW          "Svc-Portal-Pass-1"

#define BIG_GROUPS      (1100 + 10 + 1 + 2)     /* see samba.big_groups() */


static int          passed;
static int          failed;
static int          verbose;

static const char  *url_ldaps[1];
static const char  *url_plain[1];
static const char  *url_localhost[1];
static const char  *ca_file;
static const char  *domains[] = { "CORP", DNS_DOMAIN };


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


/* The configuration an AD admin writes: type, urls, base, account. */
static void
ad_config(dir_config_t *cfg)
{
    dir_config_init(cfg);

    cfg->type = DIR_TYPE_ACTIVE_DIRECTORY;
    cfg->urls = url_ldaps;
    cfg->nurls = 1;
    cfg->ca_file = ca_file;
    cfg->bind_dn = SVC_DN;
    cfg->bind_password = SVC_PW;
    cfg->base_dn = BASE;
    cfg->domains = domains;
    cfg->ndomains = 2;
    cfg->connect_timeout_ms = 5000;
    cfg->timeout_ms = 20000;
    cfg->cache_ttl_s = 0;
}


static dir_t *
ad_create(const dir_config_t *cfg, const char *name)
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


static int
has(char **list, size_t n, const char *want)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcasecmp(list[i], want) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
cmp_icase(const void *a, const void *b)
{
    return strcasecmp(*(char *const *) a, *(char *const *) b);
}


/* Whether two lists hold the same strings, ignoring order and case. */
static int
same_set(char **a, size_t na, char **b, size_t nb)
{
    size_t  i;

    if (na != nb) {
        return 0;
    }

    qsort(a, na, sizeof(char *), cmp_icase);
    qsort(b, nb, sizeof(char *), cmp_icase);

    for (i = 0; i < na; i++) {
        if (strcasecmp(a[i], b[i]) != 0) {
            return 0;
        }
    }

    return 1;
}


/* Logs in; 0 with user filled, or -1 after a FAIL line. */
static int
login(dir_t *dir, const char *name, const char *login, const char *pw,
    dir_user_t *user)
{
    dir_error_t  err;

    if (dir_login(dir, login, pw, user, &err) != 0) {
        check(0, name, "login %s failed: %s: %s", login,
              dir_code_name(err.code), err.message);
        return -1;
    }

    return 0;
}


static void
expect_failure(dir_t *dir, const char *name, const char *login,
    const char *pw, dir_code_t code, dir_account_t account, int verified,
    const char *message_part)
{
    dir_user_t   user;
    dir_error_t  err;

    if (dir_login(dir, login, pw, &user, &err) == 0) {
        check(0, name, "login %s succeeded as %s", login, user.dn);
        dir_user_free(&user);
        return;
    }

    check(err.code == code && err.account == account
          && err.password_verified == verified
          && (message_part == NULL
              || strstr(err.message, message_part) != NULL),
          name, "%s, %s, verified %d: %s", dir_code_name(err.code),
          dir_account_name(err.account), err.password_verified,
          err.message);

    if (verbose) {
        printf("     %s (%s): %s\n", dir_code_name(err.code),
               dir_account_name(err.account), err.message);
    }
}


/* An admin's connection to the DC, for what the checks change or read. */
static LDAP *
admin_connect(void)
{
    LDAP           *ld;
    int             version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND;
    int             newctx = 0;
    struct berval   cred;

    if (ldap_initialize(&ld, url_ldaps[0]) != LDAP_SUCCESS) {
        return NULL;
    }

    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ca_file);
    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newctx);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);

    cred.bv_val = "Admin-Pass-1";
    cred.bv_len = strlen(cred.bv_val);

    if (ldap_sasl_bind_s(ld, "CORP\\Administrator", LDAP_SASL_SIMPLE, &cred,
                         NULL, NULL, NULL)
        != LDAP_SUCCESS)
    {
        ldap_unbind_ext_s(ld, NULL, NULL);
        return NULL;
    }

    return ld;
}


/* An integer attribute of an entry, read as the admin; -1 on failure. */
static long
admin_read_long(const char *dn, const char *attr)
{
    long             v;
    LDAP            *ld;
    char            *attrs[] = { (char *) attr, NULL };
    LDAPMessage     *res;
    struct berval  **values;

    ld = admin_connect();
    if (ld == NULL) {
        return -1;
    }

    v = -1;

    if (ldap_search_ext_s(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
                          0, NULL, NULL, NULL, 1, &res)
        == LDAP_SUCCESS)
    {
        values = ldap_get_values_len(ld, ldap_first_entry(ld, res), attr);

        if (values != NULL && values[0] != NULL) {
            v = strtol(values[0]->bv_val, NULL, 10);

        } else {
            v = 0;
        }

        ldap_value_free_len(values);
    }

    ldap_msgfree(res);
    ldap_unbind_ext_s(ld, NULL, NULL);

    return v;
}


/* Each way of typing jdoe's name is the same user, as the entry says. */
static void
test_login_forms(void)
{
    size_t         i, dashes;
    dir_t         *dir;
    dir_user_t     user;
    dir_config_t   cfg;
    const char    *forms[] = {
        "jdoe", "JDOE", "CORP\\jdoe", "corp\\jdoe", "Corp\\JDoe",
        "jdoe@corp.example.test", "jdoe@CORP.EXAMPLE.TEST", "jdoe@CORP",
        "jdoe@corp", JDOE_UPN, "JOHN.DOE@CORP.EXAMPLE.TEST"
    };
    char           name[128], guid[DIR_GUID_TEXT_LEN], sid[DIR_SID_TEXT_LEN];

    ad_config(&cfg);

    dir = ad_create(&cfg, "login forms");
    if (dir == NULL) {
        return;
    }

    guid[0] = '\0';
    sid[0] = '\0';

    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        snprintf(name, sizeof(name), "login as \"%s\"", forms[i]);

        if (login(dir, name, forms[i], JDOE_PW, &user) != 0) {
            continue;
        }

        if (i == 0 && user.guid != NULL && user.sid != NULL) {
            snprintf(guid, sizeof(guid), "%s", user.guid);
            snprintf(sid, sizeof(sid), "%s", user.sid);
        }

        check(strcmp(user.username, "jdoe") == 0
              && strcmp(user.dn, JDOE_DN) == 0
              && user.guid != NULL && strcmp(user.guid, guid) == 0
              && user.sid != NULL && strcmp(user.sid, sid) == 0
              && user.upn != NULL && strcmp(user.upn, JDOE_UPN) == 0,
              name, "username %s, dn %s, guid %s, sid %s, upn %s",
              user.username, user.dn, user.guid ? user.guid : "-",
              user.sid ? user.sid : "-", user.upn ? user.upn : "-");

        dir_user_free(&user);
    }

    check(strlen(guid) == 36 && guid[8] == '-' && guid[14] == '4',
          "objectGUID as text", "\"%s\"", guid);
    for (i = 0, dashes = 0; sid[i] != '\0'; i++) {
        dashes += sid[i] == '-';
    }

    /* S-1-5-21-<three sub-authorities of the domain>-<RID> */
    check(strncmp(sid, "S-1-5-21-", 9) == 0 && dashes == 7,
          "objectSid as text", "\"%s\"", sid);

    /* a domain that is not the directory's is refused like a stranger */
    expect_failure(dir, "unknown domain OTHER\\jdoe", "OTHER\\jdoe",
                   JDOE_PW, DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_USABLE, 0,
                   "invalid username or password");
    expect_failure(dir, "unknown domain jdoe@other.example",
                   "jdoe@other.example", JDOE_PW, DIR_ERR_BAD_CREDENTIALS,
                   DIR_ACCOUNT_USABLE, 0, "invalid username or password");
    expect_failure(dir, "a UPN suffix not listed", "alt.user@example.com",
                   "Pw-for-Alt-3", DIR_ERR_BAD_CREDENTIALS,
                   DIR_ACCOUNT_USABLE, 0, NULL);
    expect_failure(dir, "malformed CORP\\", "CORP\\", JDOE_PW,
                   DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_USABLE, 0, NULL);
    expect_failure(dir, "wrong password", "CORP\\jdoe", "nope",
                   DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_USABLE, 0,
                   "invalid username or password");
    expect_failure(dir, "unknown user", "CORP\\nobody", JDOE_PW,
                   DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_USABLE, 0, NULL);

    if (login(dir, "UTF-8 login", "CORP\\MÜLLER", "Pw-für-Müller-4", &user)
        == 0)
    {
        check(strcmp(user.username, "müller") == 0, "UTF-8 login",
              "username %s", user.username);
        dir_user_free(&user);
    }

    dir_destroy(dir);

    /* without domains, names are searched as typed */
    cfg.domains = NULL;
    cfg.ndomains = 0;

    dir = ad_create(&cfg, "no domains");
    if (dir == NULL) {
        return;
    }

    expect_failure(dir, "no domains: CORP\\jdoe is a stranger", "CORP\\jdoe",
                   JDOE_PW, DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_USABLE, 0,
                   NULL);

    if (login(dir, "no domains: the UPN as typed", JDOE_UPN, JDOE_PW, &user)
        == 0)
    {
        check(strcmp(user.username, "jdoe") == 0,
              "no domains: the UPN as typed", "username %s", user.username);
        dir_user_free(&user);
    }

    if (login(dir, "no domains: another UPN suffix", "alt.user@example.com",
              "Pw-for-Alt-3", &user)
        == 0)
    {
        check(strcmp(user.username, "alt") == 0,
              "no domains: another UPN suffix", "username %s",
              user.username);
        dir_user_free(&user);
    }

    dir_destroy(dir);
}


/*
 * An unknown domain costs what an unknown user does: a search and a
 * bind, each on a connection of its own.
 */
static void
test_unknown_domain_round_trips(void)
{
    dir_t          *dir;
    dir_config_t    cfg;
    unsigned long   opened[3], reused[3];
    dir_user_t      user;
    dir_error_t     err;
    const char     *logins[] = { "CORP\\nobody", "OTHER\\jdoe",
                                 "jdoe@other.example" };
    long            before, after;
    int             i;

    ad_config(&cfg);

    before = admin_read_long(JDOE_DN, "badPwdCount");

    for (i = 0; i < 3; i++) {
        dir = ad_create(&cfg, "round trips");
        if (dir == NULL) {
            return;
        }

        if (dir_login(dir, logins[i], "wrong", &user, &err) == 0) {
            dir_user_free(&user);
        }

        dir_stats(dir, &opened[i], &reused[i]);
        dir_destroy(dir);
    }

    after = admin_read_long(JDOE_DN, "badPwdCount");

    check(opened[0] == 2 && opened[1] == 2 && opened[2] == 2,
          "unknown domain: a search and a bind, as an unknown user",
          "opened %lu, %lu, %lu", opened[0], opened[1], opened[2]);
    check(before >= 0 && after == before,
          "unknown domain: jdoe's bad password count untouched",
          "badPwdCount %ld, then %ld", before, after);
}


typedef struct {
    const char     *login;
    const char     *password;
    dir_account_t   account;
    const char     *data;
} state_case_t;


static void
test_account_states(void)
{
    size_t               i;
    dir_t               *dir;
    dir_config_t         cfg;
    char                 name[128];
    static const state_case_t  cases[] = {
        { "disabled", "Pw-for-Disabled-7", DIR_ACCOUNT_DISABLED, "533" },
        { "mustchange", "Pw-for-Change-8", DIR_ACCOUNT_MUST_CHANGE, "773" },
        { "acctexpired", "Pw-for-Acct-9", DIR_ACCOUNT_EXPIRED, "701" },
        { "pwexpired", "Pw-for-Pwexp-10", DIR_ACCOUNT_PASSWORD_EXPIRED,
          "532" },
        { "hours", "Pw-for-Hours-13", DIR_ACCOUNT_LOGON_HOURS, "530" },
        { "workstation", "Pw-for-Ws-14", DIR_ACCOUNT_WORKSTATION, "531" },
    };

    ad_config(&cfg);

    dir = ad_create(&cfg, "account states");
    if (dir == NULL) {
        return;
    }

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(name, sizeof(name), "%s, right password: %s",
                 cases[i].login, dir_account_name(cases[i].account));
        expect_failure(dir, name, cases[i].login, cases[i].password,
                       DIR_ERR_ACCOUNT, cases[i].account, 1, cases[i].data);

        /* a wrong password learns nothing of the state */
        snprintf(name, sizeof(name), "%s, wrong password: bad credentials",
                 cases[i].login);
        expect_failure(dir, name, cases[i].login, "wrong",
                       DIR_ERR_BAD_CREDENTIALS, DIR_ACCOUNT_USABLE, 0,
                       "invalid username or password");
    }

    /* AD says locked whatever the password: no proof, no message */
    expect_failure(dir, "locked, right password: bad credentials, locked",
                   "locked", "Pw-for-Locked-11", DIR_ERR_BAD_CREDENTIALS,
                   DIR_ACCOUNT_LOCKED, 0, "invalid username or password");
    expect_failure(dir, "locked, wrong password: bad credentials, locked",
                   "locked", "wrong", DIR_ERR_BAD_CREDENTIALS,
                   DIR_ACCOUNT_LOCKED, 0, "invalid username or password");

    dir_destroy(dir);
}


/* Each wrong login counts once: no bind is tried twice. */
static void
test_lockout_counts_once(void)
{
    int            i;
    long           count[4];
    dir_t         *dir;
    dir_config_t   cfg;
    dir_user_t     user;
    dir_error_t    err;

    ad_config(&cfg);
    cfg.pool_size = 1;

    dir = ad_create(&cfg, "lockout count");
    if (dir == NULL) {
        return;
    }

    count[0] = admin_read_long("CN=lockme," STAFF, "badPwdCount");

    for (i = 1; i < 4; i++) {
        if (dir_login(dir, "CORP\\lockme", "wrong", &user, &err) == 0) {
            dir_user_free(&user);
        }

        count[i] = admin_read_long("CN=lockme," STAFF, "badPwdCount");
    }

    /* the rig's own check tried one wrong password already */
    check(count[0] >= 0 && count[1] == count[0] + 1
          && count[2] == count[0] + 2 && count[3] == count[0] + 3,
          "a wrong password counts once per login",
          "badPwdCount %ld, %ld, %ld, %ld", count[0], count[1], count[2],
          count[3]);

    if (login(dir, "right password after three wrong", "lockme",
              "Pw-for-Lockme-12", &user) == 0)
    {
        check(admin_read_long("CN=lockme," STAFF, "badPwdCount") == 0,
              "a right password resets the count", "");
        dir_user_free(&user);
    }

    dir_destroy(dir);
}


typedef struct {
    const char          *name;
    dir_group_source_t   source;
    dir_nested_t         nested;
    size_t               range_size;
    dir_user_t           user;
    int                  ok;
} group_way_t;


/*
 * "big" is in 1,100 groups directly, 10 + 1 more through nesting, and
 * Domain Users and BUILTIN\Users through its primary group: every way
 * of finding groups must find the same 1,113, with the defaults.
 */
static void
test_groups_at_scale(void)
{
    size_t         i, j;
    dir_t         *dir;
    dir_config_t   cfg;
    dir_error_t    err;
    dir_user_t     user;
    char           name[160];
    struct timespec  t0, t1;
    group_way_t    ways[] = {
        { "tokengroups (the default)", DIR_GROUPS_UNSET, DIR_NESTED_UNSET,
          0, { 0 }, 0 },
        { "memberof + in_chain", DIR_GROUPS_MEMBEROF, DIR_NESTED_IN_CHAIN,
          0, { 0 }, 0 },
        { "search + in_chain", DIR_GROUPS_SEARCH, DIR_NESTED_IN_CHAIN, 0,
          { 0 }, 0 },
        { "memberof + walk", DIR_GROUPS_MEMBEROF, DIR_NESTED_WALK, 0,
          { 0 }, 0 },
        { "search + walk", DIR_GROUPS_SEARCH, DIR_NESTED_WALK, 0, { 0 }, 0 },
        { "memberof + walk, ranges of 100", DIR_GROUPS_MEMBEROF,
          DIR_NESTED_WALK, 100, { 0 }, 0 },
        { "tokengroups, ranges of 250", DIR_GROUPS_TOKEN, DIR_NESTED_UNSET,
          250, { 0 }, 0 },
    };

    for (i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        ad_config(&cfg);
        cfg.group_source = ways[i].source;
        cfg.nested = ways[i].nested;
        cfg.range_size = ways[i].range_size;

        snprintf(name, sizeof(name), "big's groups by %s", ways[i].name);

        dir = ad_create(&cfg, name);
        if (dir == NULL) {
            continue;
        }

        clock_gettime(CLOCK_MONOTONIC, &t0);

        if (login(dir, name, "big", "Pw-for-Big-5", &ways[i].user) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            user = ways[i].user;
            ways[i].ok = 1;

            check(user.ngroups == BIG_GROUPS
                  && has(user.groups, user.ngroups, DOMAIN_USERS)
                  && has(user.groups, user.ngroups, BUILTIN_USERS)
                  && has(user.groups, user.ngroups, "CN=Big Top," MANY)
                  && has(user.groups, user.ngroups, "CN=g1099," MANY),
                  name, "%zu groups", user.ngroups);

            if (verbose) {
                printf("     %zu groups in %.2f s\n", user.ngroups,
                       (t1.tv_sec - t0.tv_sec)
                       + (t1.tv_nsec - t0.tv_nsec) / 1e9);
            }
        }

        dir_destroy(dir);
    }

    for (i = 1; i < sizeof(ways) / sizeof(ways[0]); i++) {
        if (!ways[0].ok || !ways[i].ok) {
            continue;
        }

        snprintf(name, sizeof(name), "tokengroups and %s agree",
                 ways[i].name);
        check(same_set(ways[0].user.groups, ways[0].user.ngroups,
                       ways[i].user.groups, ways[i].user.ngroups),
              name, "%zu and %zu groups", ways[0].user.ngroups,
              ways[i].user.ngroups);
    }

    for (i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        if (ways[i].ok) {
            dir_user_free(&ways[i].user);
        }
    }

    /* more groups than max_groups: a limit, never a partial list */
    for (j = 0; j < 2; j++) {
        ad_config(&cfg);
        cfg.max_groups = 1000;
        cfg.group_source = j ? DIR_GROUPS_MEMBEROF : DIR_GROUPS_TOKEN;

        dir = ad_create(&cfg, "max_groups");
        if (dir == NULL) {
            continue;
        }

        if (dir_login(dir, "big", "Pw-for-Big-5", &user, &err) == 0) {
            check(0, "max_groups exceeded", "login succeeded");
            dir_user_free(&user);

        } else {
            check(err.code == DIR_ERR_LIMIT
                  && strstr(err.message, "more than 1000 groups") != NULL,
                  j ? "max_groups exceeded, memberof: limit"
                    : "max_groups exceeded, tokengroups: limit",
                  "%s: %s", dir_code_name(err.code), err.message);
        }

        dir_destroy(dir);
    }
}


/* The primary group, which memberOf never lists, is there too. */
static void
test_primary_group(void)
{
    dir_t         *dir;
    dir_config_t   cfg;
    dir_user_t     user;
    int            k;
    const char    *names[] = { "memberof", "search", "memberof + in_chain",
                               "tokengroups" };
    dir_group_source_t  sources[] = { DIR_GROUPS_MEMBEROF, DIR_GROUPS_SEARCH,
                                      DIR_GROUPS_MEMBEROF, DIR_GROUPS_TOKEN };
    dir_nested_t        nested[] = { DIR_NESTED_OFF, DIR_NESTED_OFF,
                                     DIR_NESTED_IN_CHAIN, DIR_NESTED_OFF };
    char           name[128];

    for (k = 0; k < 4; k++) {
        ad_config(&cfg);
        cfg.group_source = sources[k];
        cfg.nested = nested[k];

        snprintf(name, sizeof(name), "primary group by %s", names[k]);

        dir = ad_create(&cfg, name);
        if (dir == NULL) {
            continue;
        }

        if (login(dir, name, "nomail", "Pw-for-Nomail-2", &user) == 0) {
            check(has(user.groups, user.ngroups, DOMAIN_USERS)
                  && has(user.groups, user.ngroups, VPN_USERS),
                  name, "%zu groups", user.ngroups);
            dir_user_free(&user);
        }

        dir_destroy(dir);
    }
}


/*
 * memberOf lists distribution groups, tokenGroups holds security groups
 * only: what each source means, seen on jdoe.
 */
static void
test_distribution_groups(void)
{
    dir_t         *dir;
    dir_config_t   cfg;
    dir_user_t     user;
    const char    *dl = "CN=Distribution List," GROUPS;

    ad_config(&cfg);
    cfg.group_source = DIR_GROUPS_MEMBEROF;

    if ((dir = ad_create(&cfg, "distribution")) != NULL) {
        if (login(dir, "memberof lists distribution groups", "jdoe",
                  JDOE_PW, &user) == 0)
        {
            check(has(user.groups, user.ngroups, dl)
                  && has(user.groups, user.ngroups, SALES),
                  "memberof lists distribution groups", "%zu groups",
                  user.ngroups);
            dir_user_free(&user);
        }

        dir_destroy(dir);
    }

    ad_config(&cfg);

    if ((dir = ad_create(&cfg, "distribution")) != NULL) {
        if (login(dir, "tokengroups holds security groups only", "jdoe",
                  JDOE_PW, &user) == 0)
        {
            check(!has(user.groups, user.ngroups, dl)
                  && has(user.groups, user.ngroups, SALES),
                  "tokengroups holds security groups only", "%zu groups",
                  user.ngroups);
            dir_user_free(&user);
        }

        dir_destroy(dir);
    }
}


/* Group names as an admin writes them, matched to what AD returns. */
static void
test_group_matching(void)
{
    size_t         i, j;
    dir_t         *dir;
    dir_config_t   cfg;
    dir_user_t     user;
    char           name[160];
    const char    *wanted[] = {
        "sales, emea", "SALES, EMEA", "vertrieb süd", "VERTRIEB SÜD",
        "ΕΛΛΗΝΙΚΆ", "кириллица",
        ("cn=sales\\2c emea, ou=groups, dc=corp,dc=example,dc=test"),
        "CN=Vertrieb S\\C3\\BCd,OU=Groups,DC=CORP,DC=EXAMPLE,DC=TEST",
        "engineering", "vpn users"
    };
    const char    *who[] = { "jdoe", "jdoe", "jdoe", "jdoe", "müller",
                             "müller", "jdoe", "jdoe", "müller", "jdoe" };
    const char    *pw_jdoe = JDOE_PW, *pw_mueller = "Pw-für-Müller-4";
    int            found;

    ad_config(&cfg);

    dir = ad_create(&cfg, "group matching");
    if (dir == NULL) {
        return;
    }

    for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        snprintf(name, sizeof(name), "group \"%s\" matches %s", wanted[i],
                 who[i]);

        if (login(dir, name, who[i], who[i][0] == 'j' ? pw_jdoe : pw_mueller,
                  &user) != 0)
        {
            continue;
        }

        found = 0;

        for (j = 0; j < user.ngroups; j++) {
            found |= dir_group_matches(user.groups[j], wanted[i]);
        }

        check(found, name, "not among %zu groups", user.ngroups);
        dir_user_free(&user);
    }

    dir_destroy(dir);
}


static void
test_mails_and_ids(void)
{
    dir_t         *dir;
    dir_config_t   cfg;
    dir_user_t     user;

    ad_config(&cfg);

    dir = ad_create(&cfg, "mails");
    if (dir == NULL) {
        return;
    }

    if (login(dir, "mail then proxyAddresses", "jdoe", JDOE_PW, &user) == 0)
    {
        check(user.nmails == 3
              && strcmp(user.mails[0], "jdoe@" DNS_DOMAIN) == 0
              && strcmp(user.mails[1], "John.Doe@" DNS_DOMAIN) == 0
              && strcmp(user.mails[2], "jd@" DNS_DOMAIN) == 0,
              "mail then proxyAddresses", "%zu mails, first %s",
              user.nmails, user.nmails ? user.mails[0] : "-");
        dir_user_free(&user);
    }

    if (login(dir, "mail-less user", "nomail", "Pw-for-Nomail-2", &user) == 0)
    {
        check(user.nmails == 0 && user.guid != NULL
              && strlen(user.guid) == 36,
              "mail-less user has an objectGUID", "%zu mails, guid %s",
              user.nmails, user.guid ? user.guid : "-");
        dir_user_free(&user);
    }

    dir_destroy(dir);
}


/* A renamed user is still the same objectGUID. */
static void
test_rename_keeps_guid(void)
{
    int            rc;
    LDAP          *ld;
    dir_t         *dir;
    dir_config_t   cfg;
    dir_user_t     user;
    char           guid[DIR_GUID_TEXT_LEN];
    char          *values[] = { "renamed", NULL };
    LDAPMod        mod, *mods[] = { &mod, NULL };

    ad_config(&cfg);

    dir = ad_create(&cfg, "rename");
    if (dir == NULL) {
        return;
    }

    if (login(dir, "before the rename", "renameme", "Pw-for-Rename-6", &user)
        != 0)
    {
        dir_destroy(dir);
        return;
    }

    snprintf(guid, sizeof(guid), "%s", user.guid ? user.guid : "");
    dir_user_free(&user);

    ld = admin_connect();
    rc = -1;

    if (ld != NULL) {
        rc = ldap_rename_s(ld, "CN=renameme," STAFF, "CN=renamed", NULL, 1,
                           NULL, NULL);

        if (rc == LDAP_SUCCESS) {
            mod.mod_op = LDAP_MOD_REPLACE;
            mod.mod_type = "sAMAccountName";
            mod.mod_values = values;
            rc = ldap_modify_ext_s(ld, "CN=renamed," STAFF, mods, NULL,
                                   NULL);
        }

        ldap_unbind_ext_s(ld, NULL, NULL);
    }

    if (rc != LDAP_SUCCESS) {
        check(0, "rename", "the admin could not rename: %s",
              ldap_err2string(rc));
        dir_destroy(dir);
        return;
    }

    expect_failure(dir, "the old name is gone", "renameme",
                   "Pw-for-Rename-6", DIR_ERR_BAD_CREDENTIALS,
                   DIR_ACCOUNT_USABLE, 0, NULL);

    if (login(dir, "after the rename", "renamed", "Pw-for-Rename-6", &user)
        == 0)
    {
        check(strcmp(user.username, "renamed") == 0
              && strcmp(user.dn, "CN=renamed," STAFF) == 0
              && user.guid != NULL && strcmp(user.guid, guid) == 0,
              "a renamed user keeps the objectGUID", "%s %s %s vs %s",
              user.username, user.dn, user.guid ? user.guid : "-", guid);
        dir_user_free(&user);
    }

    dir_destroy(dir);
}


static void
test_service_accounts(void)
{
    size_t         i;
    dir_t         *dir;
    dir_user_t     user;
    dir_error_t    err;
    dir_config_t   cfg;
    char           name[128];
    const char    *forms[] = { SVC_DN, ("svc-portal@" DNS_DOMAIN),
                               "CORP\\svc-portal" };
    static const struct {
        const char  *dn;
        const char  *pw;
        const char  *part;
    } refused[] = {
        { SVC_DN, "wrong", "wrong bind_password, or no such account "
                           "(AD data 52e)" },
        { "CN=svc-expired," SERVICES, "Svc-Expired-Pass-2",
          "the password has expired (AD data 532)" },
        { "svc-mustchange@" DNS_DOMAIN, "Svc-Change-Pass-3",
          "the password must be changed before the account can be used "
          "(AD data 773)" },
    };

    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        ad_config(&cfg);
        cfg.bind_dn = forms[i];

        snprintf(name, sizeof(name), "service account as \"%s\"", forms[i]);

        if ((dir = ad_create(&cfg, name)) != NULL) {
            if (login(dir, name, "jdoe", JDOE_PW, &user) == 0) {
                check(1, name, NULL);
                dir_user_free(&user);
            }

            dir_destroy(dir);
        }
    }

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        ad_config(&cfg);
        cfg.bind_dn = refused[i].dn;
        cfg.bind_password = refused[i].pw;

        snprintf(name, sizeof(name), "service account refused: %s",
                 refused[i].part);

        if ((dir = ad_create(&cfg, name)) == NULL) {
            continue;
        }

        if (dir_login(dir, "jdoe", JDOE_PW, &user, &err) == 0) {
            check(0, name, "login succeeded");
            dir_user_free(&user);

        } else {
            check(err.code == DIR_ERR_SERVICE_ACCOUNT
                  && strstr(err.message, refused[i].part) != NULL,
                  name, "%s: %s", dir_code_name(err.code), err.message);

            if (verbose) {
                printf("     %s\n", err.message);
            }
        }

        dir_destroy(dir);
    }
}


/* The two things an AD admin meets first, told in words they can act on. */
static void
test_transport_messages(void)
{
    dir_t         *dir;
    dir_user_t     user;
    dir_error_t    err;
    dir_config_t   cfg;

    ad_config(&cfg);
    cfg.urls = url_plain;

    if ((dir = ad_create(&cfg, "plain ldap://")) != NULL) {
        if (dir_login(dir, "jdoe", JDOE_PW, &user, &err) == 0) {
            check(0, "plain ldap://", "login succeeded");
            dir_user_free(&user);

        } else {
            check(err.code == DIR_ERR_UNAVAILABLE
                  && strstr(err.message, "the server requires a protected "
                            "connection (StartTLS or ldaps://)") != NULL,
                  "plain ldap:// names StartTLS or ldaps://", "%s: %s",
                  dir_code_name(err.code), err.message);

            if (verbose) {
                printf("     %s\n", err.message);
            }
        }

        dir_destroy(dir);
    }

    cfg.starttls = 1;

    if ((dir = ad_create(&cfg, "starttls")) != NULL) {
        if (login(dir, "ldap:// with starttls", "jdoe", JDOE_PW, &user) == 0)
        {
            check(1, "ldap:// with starttls", NULL);
            dir_user_free(&user);
        }

        dir_destroy(dir);
    }

    ad_config(&cfg);
    cfg.urls = url_localhost;

    if ((dir = ad_create(&cfg, "certificate name")) != NULL) {
        if (dir_login(dir, "jdoe", JDOE_PW, &user, &err) == 0) {
            check(0, "certificate name", "login succeeded");
            dir_user_free(&user);

        } else {
            check(err.code == DIR_ERR_UNAVAILABLE
                  && strstr(err.message, "its TLS certificate does not name "
                            "the host \"localhost\"") != NULL,
                  "a certificate that does not name the host", "%s: %s",
                  dir_code_name(err.code), err.message);

            if (verbose) {
                printf("     %s\n", err.message);
            }
        }

        dir_destroy(dir);
    }
}


/* A CA that did not sign the DC's certificate, said as such. */
static void
test_wrong_ca(void)
{
    dir_t         *dir;
    dir_user_t     user;
    dir_error_t    err;
    dir_config_t   cfg;

    ad_config(&cfg);
    cfg.ca_file = "/etc/ssl/certs/ca-certificates.crt";

    if ((dir = ad_create(&cfg, "wrong CA")) == NULL) {
        return;
    }

    if (dir_login(dir, "jdoe", JDOE_PW, &user, &err) == 0) {
        check(0, "a certificate the CA file does not verify",
              "login succeeded");
        dir_user_free(&user);

    } else {
        check(err.code == DIR_ERR_UNAVAILABLE
              && strstr(err.message, "its TLS certificate, issued by "
                        "\"Samba test CA\", does not verify with "
                        "tls_trusted_certificate") != NULL,
              "a certificate the CA file does not verify", "%s: %s",
              dir_code_name(err.code), err.message);

        if (verbose) {
            printf("     %s\n", err.message);
        }
    }

    dir_destroy(dir);
}


/* base_dn an OU: AD's groups are still found in the whole domain. */
static void
test_base_dn_ou(void)
{
    dir_t         *dir;
    dir_config_t   cfg;
    dir_user_t     user;

    ad_config(&cfg);
    cfg.base_dn = STAFF;

    if ((dir = ad_create(&cfg, "base_dn an OU")) != NULL) {
        if (login(dir, "base_dn an OU", "jdoe", JDOE_PW, &user) == 0) {
            check(has(user.groups, user.ngroups, SALES)
                  && has(user.groups, user.ngroups, DOMAIN_USERS),
                  "base_dn an OU: groups from the whole domain",
                  "%zu groups", user.ngroups);
            dir_user_free(&user);
        }

        dir_destroy(dir);
    }

    /* the password policy control, asked for by mistake, does no harm */
    ad_config(&cfg);
    cfg.password_policy = 1;

    if ((dir = ad_create(&cfg, "password policy control")) != NULL) {
        if (login(dir, "AD ignores the password policy control", "jdoe",
                  JDOE_PW, &user) == 0)
        {
            check(1, "AD ignores the password policy control", NULL);
            dir_user_free(&user);
        }

        expect_failure(dir, "AD with the control: states still told",
                       "pwexpired", "Pw-for-Pwexp-10", DIR_ERR_ACCOUNT,
                       DIR_ACCOUNT_PASSWORD_EXPIRED, 1, "532");

        dir_destroy(dir);
    }
}


int
main(void)
{
    const char  *url, *plain;
    static char  localhost[128];

    url = getenv("AD_URL");
    plain = getenv("AD_PLAIN_URL");
    ca_file = getenv("AD_CA");

    if (url == NULL || plain == NULL || ca_file == NULL) {
        fprintf(stderr, "ad_smoke: run it through tests/ldap/ad_run.sh\n");
        return 2;
    }

    verbose = getenv("VERBOSE") != NULL;

    /* libldap writes to sockets whose peer may be gone */
    signal(SIGPIPE, SIG_IGN);

    snprintf(localhost, sizeof(localhost), "ldaps://localhost");

    url_ldaps[0] = url;
    url_plain[0] = plain;
    url_localhost[0] = localhost;

    test_login_forms();
    test_unknown_domain_round_trips();
    test_account_states();
    test_lockout_counts_once();
    test_groups_at_scale();
    test_primary_group();
    test_distribution_groups();
    test_group_matching();
    test_mails_and_ids();
    test_service_accounts();
    test_transport_messages();
    test_wrong_ca();
    test_base_dn_ou();
    test_rename_keeps_guid();

    printf("%d passed, %d failed\n", passed, failed);

    return failed == 0 ? 0 : 1;
}
