/*
 * ldap_rate: the directory's own login rate, measured without the portal.
 *
 * N threads, each with its own connection(s), log users in for a fixed
 * time, the way the portal does it: a search for the user as the service
 * account, then a simple bind as the user's DN with the password.
 *
 *   -m full    one connection per thread; every login is three operations:
 *              bind as the service account, search, bind as the user.
 *   -m split   two connections per thread, as the portal's pool keeps
 *              them: a search connection that stays bound as the service
 *              account, and a bind connection for the users' binds; every
 *              login is two operations.
 *
 * Users come from a file of "login<TAB>password" lines and are taken in
 * turn.  The search asks for the attributes the portal asks for (uid,
 * memberOf, mail, proxyAddresses) with a size limit of 2.
 *
 * Logins that start during the warm-up are not counted; after it, every
 * login that ends before the deadline is.  The last line printed is
 *
 *   RESULT logins=N errors=N seconds=S rate=R p50_us=U p99_us=U
 *
 * Build: cc -O2 -Wall -Wextra -Werror ldap_rate.c -lldap -llber -lpthread
 */

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldap.h>


#define RATE_USERS_MAX     1024
#define RATE_THREADS_MAX   256
#define RATE_FIELD_MAX     256


typedef struct {
    char   login[RATE_FIELD_MAX];
    char   password[RATE_FIELD_MAX];
} rate_user_t;

typedef struct {
    const char   *url;
    const char   *bind_dn;
    const char   *bind_password;
    const char   *base_dn;
    const char   *filter_fmt;        /* "%s" is the escaped login */
    int           split;
    int           threads;
    double        warmup;
    double        duration;
    rate_user_t  *users;
    size_t        nusers;
    double        t_measure;         /* monotonic seconds */
    double        t_end;
} rate_conf_t;

typedef struct {
    pthread_t           tid;
    int                 index;
    const rate_conf_t  *conf;
    unsigned long       logins;
    unsigned long       errors;
    uint32_t           *lat_us;      /* latencies of counted logins */
    size_t              nlat;
    size_t              lat_cap;
    char                first_error[160];
} rate_thread_t;


static double
rate_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


/* RFC 4515: the characters a filter value must not carry as they are. */
static int
rate_filter_escape(const char *in, char *out, size_t size)
{
    size_t               n;
    static const char    hex[] = "0123456789abcdef";
    const unsigned char *p;

    n = 0;

    for (p = (const unsigned char *) in; *p != '\0'; p++) {
        if (*p == '*' || *p == '(' || *p == ')' || *p == '\\') {
            if (n + 3 >= size) {
                return -1;
            }

            out[n++] = '\\';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 0x0f];

        } else {
            if (n + 1 >= size) {
                return -1;
            }

            out[n++] = (char) *p;
        }
    }

    out[n] = '\0';

    return 0;
}


static LDAP *
rate_connect(const rate_conf_t *conf)
{
    int    version, rc;
    LDAP  *ld;

    rc = ldap_initialize(&ld, conf->url);
    if (rc != LDAP_SUCCESS) {
        fprintf(stderr, "ldap_rate: %s: %s\n", conf->url,
                ldap_err2string(rc));
        return NULL;
    }

    version = LDAP_VERSION3;
    (void) ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    (void) ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);

    return ld;
}


static int
rate_bind(LDAP *ld, const char *dn, const char *password)
{
    struct berval  cred;

    cred.bv_val = (char *) password;
    cred.bv_len = strlen(password);

    return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
                            NULL);
}


static void
rate_note_error(rate_thread_t *t, const char *what, int rc)
{
    t->errors++;

    if (t->first_error[0] == '\0') {
        snprintf(t->first_error, sizeof(t->first_error), "%s: %s", what,
                 ldap_err2string(rc));
    }
}


static void
rate_record(rate_thread_t *t, double start, double end)
{
    uint32_t  *p;

    if (start < t->conf->t_measure || end > t->conf->t_end) {
        return;
    }

    if (t->nlat == t->lat_cap) {
        t->lat_cap = t->lat_cap ? 2 * t->lat_cap : 65536;
        p = realloc(t->lat_us, t->lat_cap * sizeof(uint32_t));
        if (p == NULL) {
            return;
        }

        t->lat_us = p;
    }

    t->lat_us[t->nlat++] = (uint32_t) ((end - start) * 1e6);
    t->logins++;
}


/* One login; 0 on success.  search is bound as the service account in
 * split mode, bind is the connection for the user's bind. */
static int
rate_login(rate_thread_t *t, LDAP *search, LDAP *bind, const rate_user_t *u)
{
    int                 rc;
    char               *dn;
    char                escaped[3 * RATE_FIELD_MAX];
    char                filter[4 * RATE_FIELD_MAX];
    LDAPMessage        *res, *entry;
    const rate_conf_t  *conf;
    char               *attrs[] = { "uid", "memberOf", "mail",
                                    "proxyAddresses", NULL };

    conf = t->conf;

    if (!conf->split) {
        rc = rate_bind(search, conf->bind_dn, conf->bind_password);
        if (rc != LDAP_SUCCESS) {
            rate_note_error(t, "service bind", rc);
            return -1;
        }
    }

    if (rate_filter_escape(u->login, escaped, sizeof(escaped)) != 0) {
        return -1;
    }

    snprintf(filter, sizeof(filter), conf->filter_fmt, escaped);

    res = NULL;
    rc = ldap_search_ext_s(search, conf->base_dn, LDAP_SCOPE_SUBTREE, filter,
                           attrs, 0, NULL, NULL, NULL, 2, &res);

    if (rc != LDAP_SUCCESS || ldap_count_entries(search, res) != 1) {
        rate_note_error(t, "user search",
                        rc != LDAP_SUCCESS ? rc : LDAP_NO_SUCH_OBJECT);
        ldap_msgfree(res);
        return -1;
    }

    entry = ldap_first_entry(search, res);
    dn = ldap_get_dn(search, entry);

    rc = rate_bind(bind, dn, u->password);

    ldap_memfree(dn);
    ldap_msgfree(res);

    if (rc != LDAP_SUCCESS) {
        rate_note_error(t, "user bind", rc);
        return -1;
    }

    return 0;
}


static void *
rate_thread(void *arg)
{
    int                 rc;
    LDAP               *search, *bind;
    size_t              next;
    double              start, end;
    rate_thread_t      *t = arg;
    const rate_conf_t  *conf;

    conf = t->conf;
    search = rate_connect(conf);
    bind = conf->split ? rate_connect(conf) : search;

    if (search == NULL || bind == NULL) {
        t->errors++;
        return NULL;
    }

    if (conf->split) {
        rc = rate_bind(search, conf->bind_dn, conf->bind_password);
        if (rc != LDAP_SUCCESS) {
            rate_note_error(t, "service bind", rc);
            goto done;
        }
    }

    /* threads start on different users */
    next = (size_t) t->index * 7;

    for ( ;; ) {
        start = rate_now();

        if (start >= conf->t_end) {
            break;
        }

        rc = rate_login(t, search, bind, &conf->users[next % conf->nusers]);
        next++;

        end = rate_now();

        if (rc == 0) {
            rate_record(t, start, end);
        }
    }

done:

    if (bind != search) {
        ldap_unbind_ext_s(bind, NULL, NULL);
    }

    ldap_unbind_ext_s(search, NULL, NULL);

    return NULL;
}


static int
rate_load_users(const char *path, rate_conf_t *conf)
{
    FILE    *f;
    char     line[2 * RATE_FIELD_MAX + 2], *tab, *nl;
    size_t   n;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "ldap_rate: %s: %s\n", path, strerror(errno));
        return -1;
    }

    conf->users = calloc(RATE_USERS_MAX, sizeof(rate_user_t));
    if (conf->users == NULL) {
        fclose(f);
        return -1;
    }

    n = 0;

    while (n < RATE_USERS_MAX && fgets(line, sizeof(line), f) != NULL) {
        nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }

        tab = strchr(line, '\t');
        if (tab == NULL || tab == line
            || (size_t) (tab - line) >= RATE_FIELD_MAX
            || strlen(tab + 1) >= RATE_FIELD_MAX)
        {
            continue;
        }

        *tab = '\0';
        strcpy(conf->users[n].login, line);
        strcpy(conf->users[n].password, tab + 1);
        n++;
    }

    fclose(f);
    conf->nusers = n;

    if (n == 0) {
        fprintf(stderr, "ldap_rate: %s holds no \"login<TAB>password\" "
                "line\n", path);
        return -1;
    }

    return 0;
}


static int
rate_cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return (x > y) - (x < y);
}


static uint32_t
rate_percentile(const uint32_t *v, size_t n, double p)
{
    size_t  i;

    if (n == 0) {
        return 0;
    }

    i = (size_t) (p / 100.0 * (double) (n - 1) + 0.5);

    return v[i < n ? i : n - 1];
}


static void
rate_usage(void)
{
    fprintf(stderr,
            "usage: ldap_rate -H URL -D BIND_DN -w BIND_PASSWORD -b BASE_DN\n"
            "                 -u USERS_FILE [-f FILTER] [-m full|split]\n"
            "                 [-t THREADS] [-W WARMUP_S] [-d DURATION_S]\n");
}


int
main(int argc, char **argv)
{
    int             opt, i;
    char           *users_path;
    size_t          total, n;
    uint32_t       *all;
    rate_conf_t     conf;
    rate_thread_t  *threads;
    unsigned long   logins, errors;
    const char     *first_error;

    memset(&conf, 0, sizeof(conf));
    conf.filter_fmt = "(&(objectClass=inetOrgPerson)(uid=%s))";
    conf.threads = 16;
    conf.warmup = 2.0;
    conf.duration = 10.0;
    users_path = NULL;

    while ((opt = getopt(argc, argv, "H:D:w:b:u:f:m:t:W:d:")) != -1) {
        switch (opt) {
        case 'H': conf.url = optarg; break;
        case 'D': conf.bind_dn = optarg; break;
        case 'w': conf.bind_password = optarg; break;
        case 'b': conf.base_dn = optarg; break;
        case 'u': users_path = optarg; break;
        case 'f': conf.filter_fmt = optarg; break;
        case 't': conf.threads = atoi(optarg); break;
        case 'W': conf.warmup = atof(optarg); break;
        case 'd': conf.duration = atof(optarg); break;
        case 'm':
            if (strcmp(optarg, "full") == 0) {
                conf.split = 0;
            } else if (strcmp(optarg, "split") == 0) {
                conf.split = 1;
            } else {
                rate_usage();
                return 2;
            }
            break;
        default:
            rate_usage();
            return 2;
        }
    }

    if (conf.url == NULL || conf.bind_dn == NULL
        || conf.bind_password == NULL || conf.base_dn == NULL
        || users_path == NULL || conf.threads < 1
        || conf.threads > RATE_THREADS_MAX || conf.duration <= 0
        || conf.warmup < 0)
    {
        rate_usage();
        return 2;
    }

    if (rate_load_users(users_path, &conf) != 0) {
        return 1;
    }

    threads = calloc((size_t) conf.threads, sizeof(rate_thread_t));
    if (threads == NULL) {
        return 1;
    }

    conf.t_measure = rate_now() + conf.warmup;
    conf.t_end = conf.t_measure + conf.duration;

    for (i = 0; i < conf.threads; i++) {
        threads[i].index = i;
        threads[i].conf = &conf;

        if (pthread_create(&threads[i].tid, NULL, rate_thread, &threads[i])
            != 0)
        {
            fprintf(stderr, "ldap_rate: cannot start thread %d\n", i);
            return 1;
        }
    }

    logins = 0;
    errors = 0;
    total = 0;
    first_error = NULL;

    for (i = 0; i < conf.threads; i++) {
        pthread_join(threads[i].tid, NULL);
        logins += threads[i].logins;
        errors += threads[i].errors;
        total += threads[i].nlat;

        if (first_error == NULL && threads[i].first_error[0] != '\0') {
            first_error = threads[i].first_error;
        }
    }

    all = malloc((total ? total : 1) * sizeof(uint32_t));
    if (all == NULL) {
        return 1;
    }

    n = 0;

    for (i = 0; i < conf.threads; i++) {
        if (threads[i].nlat) {
            memcpy(all + n, threads[i].lat_us,
                   threads[i].nlat * sizeof(uint32_t));
            n += threads[i].nlat;
        }

        free(threads[i].lat_us);
    }

    qsort(all, n, sizeof(uint32_t), rate_cmp_u32);

    if (first_error != NULL) {
        fprintf(stderr, "ldap_rate: first error: %s\n", first_error);
    }

    printf("RESULT logins=%lu errors=%lu seconds=%.3f rate=%.1f "
           "p50_us=%u p99_us=%u\n",
           logins, errors, conf.duration, (double) logins / conf.duration,
           rate_percentile(all, n, 50.0), rate_percentile(all, n, 99.0));

    free(all);
    free(threads);
    free(conf.users);

    return (logins > 0) ? 0 : 1;
}
