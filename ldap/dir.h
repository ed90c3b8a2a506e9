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
#include <time.h>


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
    DIR_ERR_ACCOUNT,            /* the password was right, but the account
                                   may not log in now: see account */
    DIR_ERR_SERVICE_ACCOUNT,    /* the server refused the portal's own
                                   account: to users, like UNAVAILABLE */
    DIR_ERR_LAST
} dir_code_t;

/*
 * What a server said about an account when it refused a bind: Active
 * Directory's "data" code in the diagnostic message, or the password
 * policy response control (draft-behera-ldap-password-policy) that
 * OpenLDAP's ppolicy overlay sends.
 *
 *                      AD code  ppolicy            said with a wrong
 *                                                  password too?
 *   LOCKED               775    accountLocked      yes
 *   DISABLED             533    -                  no (52e instead)
 *   EXPIRED              701    -                  no
 *   PASSWORD_EXPIRED     532    passwordExpired    no
 *   MUST_CHANGE          773    changeAfterReset   no
 *   LOGON_HOURS          530    -                  no
 *   WORKSTATION          531    -                  no
 *
 * (Samba 4.17 and slapd 2.5 were seen doing so; Active Directory is
 * documented to.  slapd says accountLocked only with ppolicy_use_lockout;
 * without it a locked account looks like a wrong password.)  A state
 * that a wrong password also gets reveals nothing about the password,
 * but tells that the account exists: it is reported as
 * DIR_ERR_BAD_CREDENTIALS, with account set for the log.
 * The others come only after the password was proven right: they are
 * DIR_ERR_ACCOUNT with password_verified set, and the user may be told.
 */
typedef enum {
    DIR_ACCOUNT_USABLE = 0,     /* nothing said */
    DIR_ACCOUNT_LOCKED,         /* too many wrong passwords */
    DIR_ACCOUNT_DISABLED,
    DIR_ACCOUNT_EXPIRED,        /* the account's end date has passed */
    DIR_ACCOUNT_PASSWORD_EXPIRED,
    DIR_ACCOUNT_MUST_CHANGE,    /* reset by an admin, or a new account */
    DIR_ACCOUNT_LOGON_HOURS,    /* not allowed at this time of day */
    DIR_ACCOUNT_WORKSTATION,    /* not allowed from this computer */
    DIR_ACCOUNT_LAST
} dir_account_t;

#define DIR_ERROR_MESSAGE_LEN  512

/*
 * DIR_ERR_BAD_CREDENTIALS always carries the message "invalid username or
 * password" and an empty server, whatever the cause, so that neither an
 * agent nor a log reader can tell an unknown user from a wrong password.
 * Its account field may say LOCKED (see dir_account_t).
 *
 * DIR_ERR_ACCOUNT has account set and password_verified 1; its message
 * is for the log ("the password is right, but the account is disabled
 * (AD data 533)"); dir_account_describe() has a phrase for users.
 *
 * DIR_ERR_SERVICE_ACCOUNT: the service account (bind_dn) was refused;
 * the message names it and says why in the server's terms ("the
 * password has expired (AD data 532)"), account says the same as a code.
 *
 * ad_code is Active Directory's data code (0x533) behind account, or 0
 * when the server gave none (the password policy control told it, or
 * the account is usable: a wrong password's 52e is never kept).
 */
typedef struct {
    dir_code_t     code;
    dir_account_t  account;
    int            password_verified;
    unsigned       ad_code;
    char           server[128];     /* the server that failed, if one did */
    char           message[DIR_ERROR_MESSAGE_LEN];
} dir_error_t;


typedef enum {
    DIR_SCOPE_BASE = 0,
    DIR_SCOPE_ONE,
    DIR_SCOPE_SUB
} dir_scope_t;

/*
 * The kind of server, whose defaults fill the settings left unset:
 *
 *                      active_directory          openldap / generic
 *   user_filter        (&(objectCategory=person) (&(objectClass=
 *                      (objectClass=user)(|      inetOrgPerson)(uid=%u))
 *                      (sAMAccountName=%u)       / required
 *                      (userPrincipalName=%p)))
 *   username_attribute sAMAccountName            uid
 *   groups             tokengroups               memberof
 *   group_filter       (&(objectClass=group)     (&(objectClass=
 *                      (member=%d))              groupOfNames)(member=%d))
 *   group_base_dn      the domain: the DC=       base_dn
 *                      part of base_dn
 *   nested_groups      off                       off
 *   mail_attributes    mail proxyAddresses       mail
 *   password_policy    off                       on / off
 *
 * generic (the default) warns when username_attribute is not set.
 */
typedef enum {
    DIR_TYPE_GENERIC = 0,
    DIR_TYPE_ACTIVE_DIRECTORY,
    DIR_TYPE_OPENLDAP
} dir_type_t;

typedef enum {
    DIR_GROUPS_UNSET = 0,       /* the type's default */
    DIR_GROUPS_NONE,
    DIR_GROUPS_MEMBEROF,        /* the user's memberOf values */
    DIR_GROUPS_SEARCH,          /* groups whose member is the user's DN */
    DIR_GROUPS_TOKEN            /* AD's tokenGroups: every security group,
                                   nested ones and the primary group too */
} dir_group_source_t;

typedef enum {
    DIR_NESTED_UNSET = 0,       /* off */
    DIR_NESTED_OFF,
    DIR_NESTED_WALK,            /* bounded iterative search, any server */
    DIR_NESTED_IN_CHAIN         /* 1.2.840.113556.1.4.1941 (AD, Samba) */
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
#define DIR_GROUPS_DEFAULT      4096    /* an AD token holds ~1,015 */
#define DIR_DOMAINS_MAX         16
#define DIR_DOMAIN_LEN_MAX      253
#define DIR_RANGE_SIZE_MAX      100000

/* Bounds of what a login may bring in. */
#define DIR_LOGIN_LEN_MAX       256
#define DIR_PASSWORD_LEN_MAX    1024
#define DIR_MAILS_MAX           32

/*
 * Strings are NUL-terminated; they and the arrays are owned by the caller
 * and must outlive the dir_t made from this config.  NULL strings, a NULL
 * mail_attrs, the UNSET enumerations and a negative password_policy are
 * "unset": the type's defaults fill them (see dir_type_t and
 * dir_config_effective()).
 *
 * bind_dn is a DN, or for Active Directory also "user@domain" or
 * "DOMAIN\user", which AD takes in a simple bind as well.
 *
 * Logins.  A login typed as "DOMAIN\user", "user@domain" or "user" is
 * split when domains lists names (NetBIOS or DNS names of the one domain
 * the directory serves, compared ignoring ASCII case):
 *   %u  the user part: "jdoe" for "CORP\jdoe", "jdoe@corp.example.test",
 *       "jdoe@CORP" and "jdoe";
 *   %p  the login as a user principal name: as typed when it has an "@"
 *       ("john.doe@corp.example.test"), else the user part, which no
 *       principal name equals.  As in a Windows logon, "jdoe" and
 *       "CORP\jdoe" name an account (sAMAccountName), and only the
 *       user@domain form may also be a userPrincipalName.
 * A login that names a domain not listed is refused like an unknown user,
 * after the same search and bind.  Without domains the login is taken as
 * typed for both.  A login that two entries match is refused.  Whatever
 * was typed, the canonical name is the entry's username_attribute.
 *
 * group_filter is used for direct membership and for each level of
 * DIR_NESTED_WALK; DIR_NESTED_IN_CHAIN replaces it by
 * "(member:1.2.840.113556.1.4.1941:=%d)", the only form of that rule
 * Active Directory offers.  nested_depth counts the levels followed above
 * the direct groups.  With memberof or search, an AD user's primary group
 * (primaryGroupID, e.g. Domain Users), which neither lists, is added.  A
 * user in more than max_groups groups is refused with DIR_ERR_LIMIT
 * rather than given a partial list.
 *
 * range_size (Active Directory): values of memberOf (and tokenGroups)
 * asked for per request; 0 takes what the server sends.  Either way AD's
 * ranges (MaxValRange, 1500 values by default; Samba sends all) are
 * followed to the end.
 *
 * password_policy: ask for the password policy response control on each
 * user's bind (OpenLDAP's ppolicy overlay), so that an expired, locked or
 * reset password is told apart from a wrong one.
 */
typedef struct {
    dir_type_t            type;

    const char          **urls;             /* tried in order */
    size_t                nurls;
    int                   starttls;
    const char           *ca_file;

    const char           *bind_dn;
    const char           *bind_password;

    const char           *base_dn;
    dir_scope_t           scope;
    const char           *user_filter;      /* %u and %p: see above */
    const char           *username_attr;    /* canonical name, e.g. "uid" */
    const char          **domains;          /* NULL: none */
    size_t                ndomains;

    dir_group_source_t    group_source;
    const char           *group_base_dn;
    const char           *group_filter;     /* "%d" is the escaped DN */
    dir_nested_t          nested;
    int                   nested_depth;
    size_t                range_size;

    const char          **mail_attrs;       /* in order of preference */
    size_t                nmail_attrs;

    int                   password_policy;  /* -1 unset, 0 off, 1 on */

    long                  connect_timeout_ms;
    long                  timeout_ms;
    int                   pool_size;
    long                  cache_ttl_s;      /* group and mail cache; 0 off */
    size_t                cache_max_entries; /* oldest evicted first */
    size_t                max_groups;
} dir_config_t;


/*
 * A user who logged in.  username is the entry's username_attribute, as
 * the directory spells it.  guid is a stable id that survives renames:
 * AD's objectGUID or the RFC 4530 entryUUID, as lower-case
 * "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".  sid is AD's objectSid as
 * "S-1-5-21-...", upn the userPrincipalName; each is NULL when the entry
 * has none.  grace_logins and expires_in_s are the password policy's
 * warnings (-1 when none came).
 */
typedef struct {
    char     *dn;
    char     *username;
    char    **groups;                       /* DNs */
    size_t    ngroups;
    char    **mails;                        /* in preference order */
    size_t    nmails;
    char     *guid;
    char     *sid;
    char     *upn;
    int       grace_logins;
    long      expires_in_s;
} dir_user_t;


typedef struct dir_s  dir_t;


/*
 * Sets the settings that have one default whatever the type, and leaves
 * the type's settings unset; urls and base_dn have no default.
 */
void dir_config_init(dir_config_t *cfg);

/*
 * The configuration as a client will use it: cfg with its unset settings
 * filled by the type's defaults.  The strings of eff are cfg's or static.
 */
void dir_config_effective(const dir_config_t *cfg, dir_config_t *eff);

/*
 * Checks a configuration, with its defaults filled; returns 0, or -1 with
 * a message that starts with the nginx directive at fault.
 */
int dir_config_validate(const dir_config_t *cfg, dir_error_t *err);

/*
 * Advice for the log about a valid configuration: a setting that was
 * assumed and should be written down.  Returns the number of warnings,
 * written to buf one a line, joined by "\n" (each starts with the
 * directive's name and holds no newline).
 */
int dir_config_warnings(const dir_config_t *cfg, char *buf, size_t size);

/*
 * Parsers of the enumerated settings, for the nginx glue; each returns 0,
 * or -1 with a message listing the accepted words.  The type takes
 * "active_directory" (or "ad"), "openldap" and "generic".
 */
int dir_parse_type(const char *word, dir_type_t *type, dir_error_t *err);
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

/*
 * What this client last saw of each of its servers, in the order of the
 * urls: up once a connection to it was opened (or it answered, if only
 * to refuse the service account), down when the last attempt could not
 * reach it (DIR_ERR_UNAVAILABLE, DIR_ERR_TIMEOUT), unknown until it is
 * tried; a server is tried only when those before it fail.  seen is the
 * time (time()) of the last attempt, changed of the last change of
 * state.  Safe while other threads log in.  Writes at most n states;
 * returns the number of servers.
 */
typedef enum {
    DIR_SERVER_UNKNOWN = 0,
    DIR_SERVER_UP,
    DIR_SERVER_DOWN
} dir_server_up_t;

typedef struct {
    const char        *url;
    dir_server_up_t    state;
    time_t             seen;
    time_t             changed;
} dir_server_state_t;

size_t dir_server_state(dir_t *dir, dir_server_state_t *out, size_t n);

/* A stable lower-case name for logs and tests, e.g. "bad_credentials". */
const char *dir_code_name(dir_code_t code);

/* A stable name ("password_expired") and a phrase ("the password has
 * expired") for an account state. */
const char *dir_account_name(dir_account_t account);
const char *dir_account_describe(dir_account_t account);


/*
 * How a typed login is searched (see dir_config_t): user/user_len fill
 * %u (a part of the login), upn/upn_len fill %p.  Returns 0; 1 when the
 * login names a domain that is not listed; -1 when it is malformed ("\x",
 * "CORP\", "x@").
 */
typedef struct {
    const char  *user;
    size_t       user_len;
    char         upn[DIR_LOGIN_LEN_MAX + 1];
    size_t       upn_len;
} dir_login_name_t;

int dir_login_name_parse(const dir_config_t *cfg, const char *login,
    size_t len, dir_login_name_t *name);


/*
 * Group matching by meaning (dir_dn.c).
 *
 * dir_dn_normalize() writes an RFC 4514 DN in one canonical form: the
 * attribute types lower-case, with the usual names for their OIDs and
 * long names (commonName, 2.5.4.3 -> cn), no spaces around separators,
 * escapes decoded and written again one way, values case-folded
 * (dir_casefold()) with insignificant spaces removed, and the AVAs of a
 * multi-valued RDN in sorted order.  Returns the length, or -1 when dn is
 * not a DN or out is too small (DIR_DN_NORMALIZED_LEN(strlen(dn)) bytes
 * are always enough).
 *
 * dir_dn_equal(): 1 when two DNs name the same entry by that measure, 0
 * when not, -1 when either is not a DN.
 *
 * dir_group_matches(): whether a group DN (from dir_user_t) is the group
 * an admin wrote, as a DN ("CN=VPN Users,OU=Groups,DC=corp,DC=example")
 * or as a bare name ("vpn users", the value of the group's first RDN),
 * compared as above.
 */
#define DIR_DN_NORMALIZED_LEN(len)  ((len) * 9 + 16)

int dir_dn_normalize(const char *dn, char *out, size_t size);
int dir_dn_equal(const char *a, const char *b);
int dir_group_matches(const char *group_dn, const char *wanted);

/*
 * Unicode full case folding (CaseFolding.txt, statuses C and F) of UTF-8
 * text, from a table of every folding code point; no normalization, so
 * a precomposed and a decomposed letter stay different.  Bytes that are
 * not UTF-8 are copied as they are.  Returns the length written (out is
 * NUL-terminated), or -1 when out is too small: a folded string may be
 * up to three times longer (DIR_CASEFOLD_LEN(len) bytes suffice).
 *
 * dir_name_equal() compares two UTF-8 strings so folded.
 */
#define DIR_CASEFOLD_LEN(len)   ((len) * 3 + 1)

int dir_casefold(const char *in, size_t len, char *out, size_t size);
int dir_name_equal(const char *a, size_t alen, const char *b, size_t blen);


/*
 * Active Directory values as text.  dir_sid_text() writes a binary
 * objectSid as "S-1-5-21-...": up to DIR_SID_TEXT_LEN bytes.
 * dir_guid_text() writes a 16-byte objectGUID (its first three fields
 * little-endian, as AD stores them) as "xxxxxxxx-xxxx-...": 37 bytes.
 * dir_uuid_text() checks an entryUUID string and writes it lower-case.
 * Each returns 0, or -1 when the input is not one.
 */
#define DIR_SID_TEXT_LEN        192
#define DIR_GUID_TEXT_LEN       37

int dir_sid_text(const unsigned char *sid, size_t len, char *out,
    size_t size);
int dir_guid_text(const unsigned char *guid, size_t len, char *out,
    size_t size);
int dir_uuid_text(const char *uuid, size_t len, char *out, size_t size);


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
 * result.  dir_filter_render_values() does the same for several
 * placeholders at once.
 */
#define DIR_FILTER_LEN_MAX      8192

typedef struct {
    char         placeholder;
    const char  *value;
    size_t       len;
} dir_filter_value_t;

char *dir_filter_render(const char *tpl, char placeholder, const char *value,
    size_t valuelen);
char *dir_filter_render_values(const char *tpl,
    const dir_filter_value_t *values, size_t n);


#endif /* DIR_H */
