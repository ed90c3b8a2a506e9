/*
 * The directory client: authenticates a login against LDAP and resolves
 * the user's canonical name, groups and mail addresses.
 *
 * Plain C on libldap, independent of nginx and of the SCEP core.  All
 * calls block and are meant to run on a worker thread; a dir_t may be
 * shared by threads (its connection pool and cache are locked).
 *
 * The process must ignore SIGPIPE (nginx does): libldap writes to
 * sockets whose peer may have gone away.
 */

#ifndef DIR_H
#define DIR_H

#include <stddef.h>


typedef enum {
    DIR_OK = 0,
    DIR_ERR_CONFIG,
    DIR_ERR_EMPTY_PASSWORD,     /* refused before the server is asked */
    DIR_ERR_BAD_CREDENTIALS,    /* unknown user, wrong password, ambiguous */
    DIR_ERR_UNAVAILABLE,        /* no server answered */
    DIR_ERR_TIMEOUT,            /* a server took longer than allowed */
    DIR_ERR_LIMIT,              /* a result exceeded a bound */
    DIR_ERR_SERVER,             /* the server refused an operation or sent
                                   data that cannot be used */
    DIR_ERR_NOMEM,
    DIR_ERR_INTERNAL,
    DIR_ERR_LAST
} dir_code_t;

#define DIR_ERROR_MESSAGE_LEN  320

/*
 * DIR_ERR_BAD_CREDENTIALS always carries the message "invalid username or
 * password" and an empty server, whatever the cause, so that neither an
 * agent nor a log reader can tell an unknown user from a wrong password.
 */
typedef struct {
    dir_code_t  code;
    char        server[128];    /* the server that failed, if one did */
    char        message[DIR_ERROR_MESSAGE_LEN];
} dir_error_t;


typedef enum {
    DIR_SCOPE_BASE = 0,
    DIR_SCOPE_ONE,
    DIR_SCOPE_SUB
} dir_scope_t;

typedef enum {
    DIR_GROUPS_NONE = 0,
    DIR_GROUPS_MEMBEROF,        /* the user's memberOf values */
    DIR_GROUPS_SEARCH           /* groups whose member is the user's DN */
} dir_group_source_t;

typedef enum {
    DIR_NESTED_OFF = 0,
    DIR_NESTED_WALK,            /* bounded iterative search, any server */
    DIR_NESTED_IN_CHAIN         /* 1.2.840.113556.1.4.1941 (AD) */
} dir_nested_t;


/* Bounds of the settings, checked by dir_config_validate(). */
#define DIR_URLS_MAX            16
#define DIR_URL_LEN_MAX         120
#define DIR_MAIL_ATTRS_MAX      16
#define DIR_TIMEOUT_MS_MAX      600000
#define DIR_POOL_SIZE_MAX       1024
#define DIR_CACHE_TTL_MAX       86400
#define DIR_CACHE_ENTRIES_MAX   100000
#define DIR_NESTED_DEPTH_MAX    32
#define DIR_GROUPS_MAX          10000

/* Bounds of what a login may bring in. */
#define DIR_LOGIN_LEN_MAX       256
#define DIR_PASSWORD_LEN_MAX    1024
#define DIR_MAILS_MAX           32

/*
 * Strings are NUL-terminated; they and the arrays are owned by the caller
 * and must outlive the dir_t made from this config.
 *
 * group_base_dn defaults to base_dn.  group_filter is used for direct
 * membership and for each level of DIR_NESTED_WALK; DIR_NESTED_IN_CHAIN
 * replaces it by "(member:1.2.840.113556.1.4.1941:=%d)", the only form
 * of that rule Active Directory offers.  nested_depth counts the levels
 * followed above the direct groups.  A user in more than max_groups
 * groups is refused with DIR_ERR_LIMIT rather than given a partial list.
 */
typedef struct {
    const char          **urls;             /* tried in order */
    size_t                nurls;
    int                   starttls;
    const char           *ca_file;

    const char           *bind_dn;
    const char           *bind_password;

    const char           *base_dn;
    dir_scope_t           scope;
    const char           *user_filter;      /* "%u" is the escaped login */
    const char           *username_attr;    /* canonical name, e.g. "uid" */

    dir_group_source_t    group_source;
    const char           *group_base_dn;
    const char           *group_filter;     /* "%d" is the escaped DN */
    dir_nested_t          nested;
    int                   nested_depth;

    const char          **mail_attrs;       /* in order of preference */
    size_t                nmail_attrs;

    long                  connect_timeout_ms;
    long                  timeout_ms;
    int                   pool_size;
    long                  cache_ttl_s;      /* group and mail cache; 0 off */
    size_t                cache_max_entries; /* oldest evicted first */
    size_t                max_groups;
} dir_config_t;


typedef struct {
    char     *dn;
    char     *username;
    char    **groups;                       /* DNs */
    size_t    ngroups;
    char    **mails;                        /* in preference order */
    size_t    nmails;
} dir_user_t;


typedef struct dir_s  dir_t;


/* Fills the defaults; urls, base_dn and user_filter have none. */
void dir_config_init(dir_config_t *cfg);

/*
 * Checks a configuration; returns 0, or -1 with a message that starts
 * with the nginx directive at fault.
 */
int dir_config_validate(const dir_config_t *cfg, dir_error_t *err);

/*
 * Parsers of the enumerated settings, for the nginx glue; each returns 0,
 * or -1 with a message listing the accepted words.
 */
int dir_parse_scope(const char *word, dir_scope_t *scope, dir_error_t *err);
int dir_parse_group_source(const char *word, dir_group_source_t *source,
    dir_error_t *err);
int dir_parse_nested(const char *word, dir_nested_t *nested,
    dir_error_t *err);

/*
 * Validates cfg and makes a client.  It also sets libldap's process-wide
 * state, which is not thread-safe: call it before any thread uses the
 * library (nginx: at configuration time, in the master process).
 */
dir_t *dir_create(const dir_config_t *cfg, dir_error_t *err);
void dir_destroy(dir_t *dir);

/*
 * Authenticates login/password and fills user; returns 0, or -1 with err
 * set.  Unknown users and wrong passwords both end in
 * DIR_ERR_BAD_CREDENTIALS after a bind attempt, so neither answer nor
 * timing tells them apart.  An empty password is refused with
 * DIR_ERR_EMPTY_PASSWORD before any server is contacted.
 */
int dir_login(dir_t *dir, const char *login, const char *password,
    dir_user_t *user, dir_error_t *err);

/*
 * The same with explicit lengths, for raw request fields.  A login with a
 * NUL or control byte, or longer than DIR_LOGIN_LEN_MAX, and a password
 * longer than DIR_PASSWORD_LEN_MAX, are answered like an unknown user.
 */
int dir_login_n(dir_t *dir, const char *login, size_t login_len,
    const char *password, size_t password_len, dir_user_t *user,
    dir_error_t *err);

void dir_user_free(dir_user_t *user);

/*
 * Connections opened so far, and connections taken again from the pool;
 * a login takes a search connection and, for its bind, a bind connection.
 */
void dir_stats(dir_t *dir, unsigned long *opened, unsigned long *reused);

/* A stable lower-case name for logs and tests, e.g. "bad_credentials". */
const char *dir_code_name(dir_code_t code);


/*
 * RFC 4515 filter value escaping.  Besides the five characters the RFC
 * requires ('*', '(', ')', '\\', NUL), every byte outside printable ASCII
 * is written as \hh too, so a filter is plain ASCII whatever the input.
 * Returns the length written (out is NUL-terminated), or -1 when out is
 * too small; DIR_ESCAPED_LEN(inlen) bytes always suffice.
 */
#define DIR_ESCAPED_LEN(inlen)  ((inlen) * 3 + 1)

int dir_escape_filter_value(const char *in, size_t inlen, char *out,
    size_t outlen);

/*
 * Substitutes the escaped value for every "%<placeholder>" in a filter
 * template ("%%" is a literal percent; any other "%" is copied as it is,
 * dir_config_validate() refuses such templates); NULL when the result is
 * longer than DIR_FILTER_LEN_MAX or memory ran out.  The caller frees the
 * result.
 */
#define DIR_FILTER_LEN_MAX      8192

char *dir_filter_render(const char *tpl, char placeholder, const char *value,
    size_t valuelen);


#endif /* DIR_H */
