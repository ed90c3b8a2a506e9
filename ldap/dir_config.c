#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "dir.h"
#include "dir_error.h"
#include "dir_priv.h"


/* Templates and names come from the configuration; bound them anyway. */
#define DIR_TEMPLATE_LEN_MAX    1024
#define DIR_ATTR_LEN_MAX        64


static const char  *dir_openldap_mail_attrs[] = { "mail" };
static const char  *dir_ad_mail_attrs[] = { "mail", "proxyAddresses" };


/* What a type fills in; NULL where it has no default. */
typedef struct {
    const char           *user_filter;
    const char           *username_attr;
    dir_group_source_t    group_source;
    const char           *group_filter;
    const char          **mail_attrs;
    size_t                nmail_attrs;
    int                   password_policy;
} dir_type_defaults_t;


static const dir_type_defaults_t  dir_type_defaults[] = {

    [DIR_TYPE_GENERIC] = {
        NULL, "uid", DIR_GROUPS_MEMBEROF,
        "(&(objectClass=groupOfNames)(member=%d))",
        dir_openldap_mail_attrs, 1, 0 },

    [DIR_TYPE_ACTIVE_DIRECTORY] = {
        "(&(objectCategory=person)(objectClass=user)"
        "(|(sAMAccountName=%u)(userPrincipalName=%p)))",
        "sAMAccountName", DIR_GROUPS_TOKEN,
        "(&(objectClass=group)(member=%d))",
        dir_ad_mail_attrs, 2, 0 },

    [DIR_TYPE_OPENLDAP] = {
        "(&(objectClass=inetOrgPerson)(uid=%u))", "uid",
        DIR_GROUPS_MEMBEROF, "(&(objectClass=groupOfNames)(member=%d))",
        dir_openldap_mail_attrs, 1, 1 },
};


void
dir_config_init(dir_config_t *cfg)
{
    memset(cfg, 0, sizeof(dir_config_t));

    cfg->type = DIR_TYPE_GENERIC;
    cfg->scope = DIR_SCOPE_SUB;

    cfg->group_source = DIR_GROUPS_UNSET;
    cfg->nested = DIR_NESTED_UNSET;
    cfg->nested_depth = 5;
    cfg->password_policy = -1;

    cfg->connect_timeout_ms = 5000;
    cfg->timeout_ms = 10000;
    cfg->pool_size = 8;
    cfg->cache_ttl_s = 60;
    cfg->cache_max_entries = 10000;
    cfg->max_groups = DIR_GROUPS_DEFAULT;
}


void
dir_config_effective(const dir_config_t *cfg, dir_config_t *eff)
{
    const dir_type_defaults_t  *d;

    *eff = *cfg;

    if ((unsigned) cfg->type > DIR_TYPE_OPENLDAP) {
        /* dir_config_validate() refuses it */
        return;
    }

    d = &dir_type_defaults[cfg->type];

    if (eff->user_filter == NULL) {
        eff->user_filter = d->user_filter;
    }

    if (eff->username_attr == NULL) {
        eff->username_attr = d->username_attr;
    }

    if (eff->group_source == DIR_GROUPS_UNSET) {
        eff->group_source = d->group_source;
    }

    if (eff->group_filter == NULL) {
        eff->group_filter = d->group_filter;
    }

    if (eff->nested == DIR_NESTED_UNSET) {
        eff->nested = DIR_NESTED_OFF;
    }

    if (eff->mail_attrs == NULL && eff->nmail_attrs == 0) {
        eff->mail_attrs = d->mail_attrs;
        eff->nmail_attrs = d->nmail_attrs;
    }

    if (eff->password_policy < 0) {
        eff->password_policy = d->password_policy;
    }

    /* AD's groups live anywhere in the domain, not only under base_dn */
    if (eff->group_base_dn == NULL || eff->group_base_dn[0] == '\0') {
        eff->group_base_dn = (cfg->type == DIR_TYPE_ACTIVE_DIRECTORY
                              && cfg->base_dn != NULL)
                             ? dir_dn_domain(cfg->base_dn) : cfg->base_dn;
    }
}


static int
dir_config_error(dir_error_t *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;


static int
dir_config_error(dir_error_t *err, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    dir_error_vset(err, DIR_ERR_CONFIG, NULL, fmt, ap);
    va_end(ap);

    return -1;
}


static int
dir_config_check_url(const char *url, int starttls, dir_error_t *err)
{
    int           ldaps, bad;
    LDAPURLDesc  *lud;

    if (strlen(url) > DIR_URL_LEN_MAX) {
        return dir_config_error(err, "url \"%.40s...\" is longer than %d "
                                "characters", url, DIR_URL_LEN_MAX);
    }

    ldaps = strncasecmp(url, "ldaps://", 8) == 0;

    if (!ldaps && strncasecmp(url, "ldap://", 7) != 0) {
        return dir_config_error(err, "url \"%s\" must start with ldap:// or "
                                "ldaps://", url);
    }

    if (ldap_url_parse(url, &lud) != LDAP_URL_SUCCESS) {
        return dir_config_error(err, "url \"%s\" is not a valid LDAP URL",
                                url);
    }

    /* the base DN, scope and filter are settings of their own */
    bad = (lud->lud_dn != NULL && lud->lud_dn[0] != '\0')
          || lud->lud_attrs != NULL || lud->lud_filter != NULL
          || lud->lud_exts != NULL || lud->lud_host == NULL
          || lud->lud_host[0] == '\0';

    ldap_free_urldesc(lud);

    if (bad) {
        return dir_config_error(err, "url \"%s\" must name a server only, "
                                "as in ldap://host:port", url);
    }

    if (starttls && ldaps) {
        return dir_config_error(err, "starttls cannot be used with the "
                                "ldaps:// url \"%s\", which is TLS already",
                                url);
    }

    return 0;
}


static int
dir_config_check_dn(const char *name, const char *dn, int required,
    dir_error_t *err)
{
    LDAPDN  parsed;

    if (dn == NULL || dn[0] == '\0') {
        if (required) {
            return dir_config_error(err, "%s is required", name);
        }

        return 0;
    }

    if (strlen(dn) > DIR_DN_LEN_MAX) {
        return dir_config_error(err, "%s is longer than %d characters", name,
                                DIR_DN_LEN_MAX);
    }

    if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
        return dir_config_error(err, "%s \"%s\" is not a valid DN", name, dn);
    }

    ldap_dnfree(parsed);

    return 0;
}


/*
 * Active Directory takes a simple bind by DN, by user principal name and
 * by down-level logon name; other servers only by DN.
 */
static int
dir_config_check_bind_dn(const char *dn, dir_error_t *err)
{
    size_t       len;
    const char  *sep;

    if (dn == NULL || dn[0] == '\0' || strchr(dn, '=') != NULL) {
        return dir_config_check_dn("bind_dn", dn, 0, err);
    }

    len = strlen(dn);

    if (len > DIR_DN_LEN_MAX || !dir_name_usable(dn, len)) {
        goto bad;
    }

    sep = strchr(dn, '\\');

    if (sep != NULL) {
        if (sep > dn && sep[1] != '\0' && strchr(sep + 1, '\\') == NULL
            && dir_domain_valid(dn, sep - dn))
        {
            return 0;
        }

        goto bad;
    }

    sep = strrchr(dn, '@');

    if (sep != NULL && sep > dn && dir_domain_valid(sep + 1, strlen(sep + 1)))
    {
        return 0;
    }

bad:

    return dir_config_error(err, "bind_dn \"%.200s\" is not a DN, a "
                            "user@domain name or a DOMAIN\\user name", dn);
}


/* An attribute type: a name (RFC 4512 keystring) or a numeric OID. */
static int
dir_config_attr_valid(const char *attr)
{
    size_t  i, len;

    len = strlen(attr);

    if (len == 0 || len > DIR_ATTR_LEN_MAX) {
        return 0;
    }

    if (isdigit((unsigned char) attr[0])) {
        for (i = 0; i < len; i++) {
            if (isdigit((unsigned char) attr[i])) {
                continue;
            }

            if (attr[i] != '.' || i + 1 == len || attr[i + 1] == '.') {
                return 0;
            }
        }

        return 1;
    }

    if (!isalpha((unsigned char) attr[0])) {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if (!isalnum((unsigned char) attr[i]) && attr[i] != '-') {
            return 0;
        }
    }

    return 1;
}


static int
dir_config_check_attr(const char *name, const char *attr, dir_error_t *err)
{
    if (attr == NULL || attr[0] == '\0') {
        return dir_config_error(err, "%s is required", name);
    }

    if (!dir_config_attr_valid(attr)) {
        return dir_config_error(err, "%s \"%s\" is not an attribute name",
                                name, attr);
    }

    return 0;
}


/*
 * A filter template must hold one of its placeholders, no other "%"
 * sequence, and be one parenthesized filter; the server checks the rest.
 */
static int
dir_config_check_filter(const char *name, const char *tpl,
    const char *placeholders, const char *meaning, dir_error_t *err)
{
    int          depth, found;
    const char  *p;

    if (tpl == NULL || tpl[0] == '\0') {
        return dir_config_error(err, "%s is required", name);
    }

    if (strlen(tpl) > DIR_TEMPLATE_LEN_MAX) {
        return dir_config_error(err, "%s is longer than %d characters", name,
                                DIR_TEMPLATE_LEN_MAX);
    }

    depth = 0;
    found = 0;

    for (p = tpl; *p != '\0'; p++) {

        if (*p == '%' && depth > 0) {
            if (p[1] == '\0'
                || (p[1] != '%' && strchr(placeholders, p[1]) == NULL))
            {
                return dir_config_error(err, "%s has a stray %%: only %s "
                                        "and %%%% are understood", name,
                                        placeholders[1] != '\0'
                                        ? "%u, %p" : placeholders[0] == 'd'
                                        ? "%d" : "%u");
            }

            found |= (p[1] != '%');
            p++;
            continue;
        }

        if ((unsigned char) *p < 0x20 || (depth == 0 && *p != '(')) {
            break;
        }

        if (*p == '(') {
            depth++;

        } else if (*p == ')' && --depth == 0 && p[1] != '\0') {
            p++;
            break;
        }
    }

    if (*p != '\0' || depth != 0) {
        return dir_config_error(err, "%s \"%s\" is not one filter in "
                                "parentheses, as in (%s=%%%c)", name, tpl,
                                placeholders[0] == 'd' ? "member" : "uid",
                                placeholders[0]);
    }

    if (!found) {
        return dir_config_error(err, "%s must contain %s", name, meaning);
    }

    return 0;
}


static int
dir_config_check_range(const char *name, long value, long min, long max,
    const char *unit, dir_error_t *err)
{
    if (value < min || value > max) {
        return dir_config_error(err, "%s must be between %ld and %ld%s, "
                                "not %ld", name, min, max, unit, value);
    }

    return 0;
}


static int
dir_config_validate_servers(const dir_config_t *cfg, dir_error_t *err)
{
    size_t  i;
    int     has_bind_dn, has_password;

    if (cfg->urls == NULL || cfg->nurls == 0) {
        return dir_config_error(err, "url is required: give at least one "
                                "ldap:// or ldaps:// server");
    }

    if (cfg->nurls > DIR_URLS_MAX) {
        return dir_config_error(err, "url is given %zu times, at most %d "
                                "servers are allowed", cfg->nurls,
                                DIR_URLS_MAX);
    }

    for (i = 0; i < cfg->nurls; i++) {
        if (cfg->urls[i] == NULL) {
            return dir_config_error(err, "url number %zu is missing", i + 1);
        }

        if (dir_config_check_url(cfg->urls[i], cfg->starttls, err) != 0) {
            return -1;
        }
    }

    if (cfg->ca_file != NULL && cfg->ca_file[0] == '\0') {
        return dir_config_error(err, "tls_trusted_certificate must name a "
                                "file of CA certificates in PEM");
    }

    if (dir_config_check_bind_dn(cfg->bind_dn, err) != 0) {
        return -1;
    }

    has_bind_dn = cfg->bind_dn != NULL && cfg->bind_dn[0] != '\0';
    has_password = cfg->bind_password != NULL
                   && cfg->bind_password[0] != '\0';

    if (has_bind_dn && !has_password) {
        return dir_config_error(err, "bind_password is required with "
                                "bind_dn: an empty password makes the bind "
                                "anonymous");
    }

    if (has_password && !has_bind_dn) {
        return dir_config_error(err, "bind_password is set but bind_dn is "
                                "not");
    }

    return 0;
}


static int
dir_config_check_domains(const dir_config_t *cfg, dir_error_t *err)
{
    size_t       i;
    const char  *d;

    if (cfg->ndomains > DIR_DOMAINS_MAX) {
        return dir_config_error(err, "domains lists %zu names, at most %d "
                                "are allowed", cfg->ndomains,
                                DIR_DOMAINS_MAX);
    }

    if (cfg->ndomains > 0 && cfg->domains == NULL) {
        return dir_config_error(err, "domains is missing its list");
    }

    for (i = 0; i < cfg->ndomains; i++) {
        d = cfg->domains[i];

        if (d == NULL || !dir_domain_valid(d, strlen(d))) {
            return dir_config_error(err, "domains \"%.64s\" is neither a "
                                    "NetBIOS domain name (as CORP) nor a DNS "
                                    "one (as corp.example.com)",
                                    d != NULL ? d : "");
        }
    }

    return 0;
}


static int
dir_config_validate_user(const dir_config_t *cfg, dir_error_t *err)
{
    size_t  i;

    if (dir_config_check_dn("base_dn", cfg->base_dn, 1, err) != 0) {
        return -1;
    }

    if (cfg->scope != DIR_SCOPE_BASE && cfg->scope != DIR_SCOPE_ONE
        && cfg->scope != DIR_SCOPE_SUB)
    {
        return dir_config_error(err, "scope must be base, one or sub");
    }

    if (cfg->user_filter == NULL) {
        return dir_config_error(err, "user_filter is required, or a type "
                                "(active_directory, openldap) whose default "
                                "fits the directory");
    }

    if (dir_config_check_filter("user_filter", cfg->user_filter, "up",
                                "%u where the login name goes (or %p for "
                                "the login as user@domain)", err) != 0
        || dir_config_check_attr("username_attribute", cfg->username_attr,
                                 err) != 0
        || dir_config_check_domains(cfg, err) != 0)
    {
        return -1;
    }

    if (cfg->nmail_attrs > DIR_MAIL_ATTRS_MAX) {
        return dir_config_error(err, "mail_attributes lists %zu attributes, "
                                "at most %d are allowed", cfg->nmail_attrs,
                                DIR_MAIL_ATTRS_MAX);
    }

    if (cfg->nmail_attrs > 0 && cfg->mail_attrs == NULL) {
        return dir_config_error(err, "mail_attributes is missing its list");
    }

    for (i = 0; i < cfg->nmail_attrs; i++) {
        if (dir_config_check_attr("mail_attributes", cfg->mail_attrs[i], err)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


static int
dir_config_validate_groups(const dir_config_t *cfg, dir_error_t *err)
{
    switch (cfg->group_source) {

    case DIR_GROUPS_NONE:
        if (cfg->nested != DIR_NESTED_OFF) {
            return dir_config_error(err, "nested_groups needs groups "
                                    "memberof or search");
        }

        return 0;

    case DIR_GROUPS_MEMBEROF:
        break;

    case DIR_GROUPS_TOKEN:
        if (cfg->type == DIR_TYPE_OPENLDAP) {
            return dir_config_error(err, "groups tokengroups is Active "
                                    "Directory's: OpenLDAP has no "
                                    "tokenGroups");
        }

        if (cfg->nested != DIR_NESTED_OFF) {
            return dir_config_error(err, "nested_groups must be off with "
                                    "groups tokengroups, which holds the "
                                    "nested groups already");
        }

        break;

    case DIR_GROUPS_SEARCH:
        if (cfg->nested != DIR_NESTED_IN_CHAIN
            && dir_config_check_filter("group_filter", cfg->group_filter,
                                       "d", "%d where the user's DN goes",
                                       err) != 0)
        {
            return -1;
        }

        break;

    default:
        return dir_config_error(err, "groups must be memberof, search, "
                                "tokengroups or off");
    }

    if (dir_config_check_dn("group_base_dn", cfg->group_base_dn, 0, err)
        != 0)
    {
        return -1;
    }

    if (cfg->nested != DIR_NESTED_OFF && cfg->nested != DIR_NESTED_WALK
        && cfg->nested != DIR_NESTED_IN_CHAIN)
    {
        return dir_config_error(err, "nested_groups must be off, walk or "
                                "in_chain");
    }

    if (cfg->nested == DIR_NESTED_WALK
        && dir_config_check_range("nested_depth", cfg->nested_depth, 1,
                                  DIR_NESTED_DEPTH_MAX, "", err) != 0)
    {
        return -1;
    }

    if (cfg->max_groups < 1 || cfg->max_groups > DIR_GROUPS_MAX) {
        return dir_config_error(err, "max_groups must be between 1 and %d, "
                                "not %zu", DIR_GROUPS_MAX, cfg->max_groups);
    }

    if (cfg->range_size != 0 && cfg->type == DIR_TYPE_OPENLDAP) {
        return dir_config_error(err, "range_size is Active Directory's: "
                                "OpenLDAP answers a ranged read with "
                                "nothing");
    }

    if (cfg->range_size > DIR_RANGE_SIZE_MAX) {
        return dir_config_error(err, "range_size must be between 0 (as the "
                                "server sends) and %d, not %zu",
                                DIR_RANGE_SIZE_MAX, cfg->range_size);
    }

    return 0;
}


int
dir_config_validate(const dir_config_t *conf, dir_error_t *err)
{
    dir_config_t         eff;
    const dir_config_t  *cfg;

    dir_error_clear(err);

    if ((unsigned) conf->type > DIR_TYPE_OPENLDAP) {
        return dir_config_error(err, "type must be active_directory, "
                                "openldap or generic");
    }

    dir_config_effective(conf, &eff);
    cfg = &eff;

    if (cfg->password_policy != 0 && cfg->password_policy != 1) {
        return dir_config_error(err, "password_policy must be on or off");
    }

    if (dir_config_validate_servers(cfg, err) != 0
        || dir_config_validate_user(cfg, err) != 0
        || dir_config_validate_groups(cfg, err) != 0
        || dir_config_check_range("connect_timeout", cfg->connect_timeout_ms,
                                  1, DIR_TIMEOUT_MS_MAX, " ms", err) != 0
        || dir_config_check_range("timeout", cfg->timeout_ms, 1,
                                  DIR_TIMEOUT_MS_MAX, " ms", err) != 0
        || dir_config_check_range("pool_size", cfg->pool_size, 1,
                                  DIR_POOL_SIZE_MAX, "", err) != 0
        || dir_config_check_range("cache_ttl", cfg->cache_ttl_s, 0,
                                  DIR_CACHE_TTL_MAX, " s", err) != 0)
    {
        return -1;
    }

    if (cfg->cache_ttl_s > 0
        && (cfg->cache_max_entries < 1
            || cfg->cache_max_entries > DIR_CACHE_ENTRIES_MAX))
    {
        return dir_config_error(err, "cache_max_entries must be between 1 "
                                "and %d, not %zu", DIR_CACHE_ENTRIES_MAX,
                                cfg->cache_max_entries);
    }

    return 0;
}


static void
dir_config_warn(char *buf, size_t size, size_t *len, int *n,
    const char *text)
{
    int  w;

    if (*len < size) {
        w = snprintf(buf + *len, size - *len, "%s%s", *n ? "\n" : "", text);
        *len += (w > 0) ? (size_t) w : 0;
    }

    (*n)++;
}


int
dir_config_warnings(const dir_config_t *cfg, char *buf, size_t size)
{
    int     n;
    size_t  i, len;

    n = 0;
    len = 0;

    if (size > 0) {
        buf[0] = '\0';
    }

    if (cfg->type == DIR_TYPE_GENERIC && cfg->username_attr == NULL) {
        dir_config_warn(buf, size, &len, &n,
                        "username_attribute is not set: uid is assumed; set "
                        "the attribute that holds each user's login name, "
                        "as the directory spells it (or set type)");
    }

    if (cfg->type == DIR_TYPE_GENERIC && cfg->group_source == DIR_GROUPS_SEARCH
        && cfg->group_filter == NULL && cfg->nested != DIR_NESTED_IN_CHAIN)
    {
        dir_config_warn(buf, size, &len, &n,
                        "group_filter is not set: "
                        "(&(objectClass=groupOfNames)(member=%d)) is "
                        "assumed, which finds no Active Directory group "
                        "(objectClass=group); set group_filter (or set "
                        "type)");
    }

    if (cfg->type != DIR_TYPE_ACTIVE_DIRECTORY) {
        return n;
    }

    if (cfg->ndomains == 0) {
        dir_config_warn(buf, size, &len, &n,
                        "domains is not set: DOMAIN\\user and user@domain "
                        "logins are searched as typed; list the domain's "
                        "NetBIOS and DNS names, as in \"domains CORP "
                        "corp.example.com\"");
    }

    for (i = 0; i < cfg->nurls && cfg->urls != NULL; i++) {
        if (!cfg->starttls && cfg->urls[i] != NULL
            && strncasecmp(cfg->urls[i], "ldap://", 7) == 0)
        {
            dir_config_warn(buf, size, &len, &n,
                            "url is a plain ldap:// url without starttls: "
                            "Active Directory and Samba refuse simple binds "
                            "that are not protected; use ldaps:// or "
                            "starttls on");
            break;
        }
    }

    return n;
}


typedef struct {
    const char  *word;
    int          value;
} dir_word_t;


static int
dir_parse_word(const char *name, const dir_word_t *words,
    const char *accepted, const char *word, int *value, dir_error_t *err)
{
    for ( /* void */ ; words->word != NULL; words++) {
        if (word != NULL && strcmp(word, words->word) == 0) {
            *value = words->value;
            return 0;
        }
    }

    return dir_config_error(err, "%s \"%.64s\" is not one of %s", name,
                            word != NULL ? word : "", accepted);
}


int
dir_parse_type(const char *word, dir_type_t *type, dir_error_t *err)
{
    int                      value;
    static const dir_word_t  words[] = {
        { "active_directory", DIR_TYPE_ACTIVE_DIRECTORY },
        { "ad", DIR_TYPE_ACTIVE_DIRECTORY },
        { "openldap", DIR_TYPE_OPENLDAP },
        { "generic", DIR_TYPE_GENERIC },
        { NULL, 0 }
    };

    if (dir_parse_word("type", words, "active_directory, openldap, generic",
                       word, &value, err)
        != 0)
    {
        return -1;
    }

    *type = (dir_type_t) value;

    return 0;
}


int
dir_parse_scope(const char *word, dir_scope_t *scope, dir_error_t *err)
{
    int                      value;
    static const dir_word_t  words[] = {
        { "base", DIR_SCOPE_BASE },
        { "one", DIR_SCOPE_ONE },
        { "sub", DIR_SCOPE_SUB },
        { NULL, 0 }
    };

    if (dir_parse_word("scope", words, "base, one, sub", word, &value, err)
        != 0)
    {
        return -1;
    }

    *scope = (dir_scope_t) value;

    return 0;
}


int
dir_parse_group_source(const char *word, dir_group_source_t *source,
    dir_error_t *err)
{
    int                      value;
    static const dir_word_t  words[] = {
        { "memberof", DIR_GROUPS_MEMBEROF },
        { "search", DIR_GROUPS_SEARCH },
        { "tokengroups", DIR_GROUPS_TOKEN },
        { "off", DIR_GROUPS_NONE },
        { NULL, 0 }
    };

    if (dir_parse_word("groups", words, "memberof, search, tokengroups, off",
                       word, &value, err)
        != 0)
    {
        return -1;
    }

    *source = (dir_group_source_t) value;

    return 0;
}


int
dir_parse_nested(const char *word, dir_nested_t *nested, dir_error_t *err)
{
    int                      value;
    static const dir_word_t  words[] = {
        { "off", DIR_NESTED_OFF },
        { "walk", DIR_NESTED_WALK },
        { "in_chain", DIR_NESTED_IN_CHAIN },
        { NULL, 0 }
    };

    if (dir_parse_word("nested_groups", words, "off, walk, in_chain", word,
                       &value, err)
        != 0)
    {
        return -1;
    }

    *nested = (dir_nested_t) value;

    return 0;
}
