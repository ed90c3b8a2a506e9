/*
 * dir_config_validate(): each mistake against the exact message that
 * names its nginx directive; the defaults of each type and the warnings;
 * and the parsers of the enumerated settings.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "ldap/dir.h"


static const char  *good_urls[] = {
    "ldap://ldap1.example.org", "ldaps://ldap2.example.org:636"
};


static void
good_config(dir_config_t *cfg)
{
    dir_config_init(cfg);

    cfg->urls = good_urls;
    cfg->nurls = 2;
    cfg->bind_dn = "cn=portal,ou=services,dc=example,dc=org";
    cfg->bind_password = "secret";
    cfg->base_dn = "dc=example,dc=org";
    cfg->user_filter = "(&(objectClass=inetOrgPerson)(uid=%u))";
}


typedef struct {
    const char  *name;
    void       (*spoil)(dir_config_t *cfg);
    const char  *message;
} config_case_t;


static const char  *one_url[1];
static const char  *bad_mail_attrs[] = { "mail", "2bad" };
static const char  *bad_domains[] = { "CORP", "corp..example" };
static const char  *long_netbios[] = { "ABCDEFGHIJKLMNOP" };
static const char  *many_domains[DIR_DOMAINS_MAX + 1];

/* one small function a mistake, listed in cases[] below */
#define SPOIL(name, ...)                                                      \
    static void spoil_##name(dir_config_t *cfg) { __VA_ARGS__; }

SPOIL(no_url, cfg->nurls = 0)
SPOIL(many_urls, cfg->nurls = DIR_URLS_MAX + 1)
SPOIL(http_url, one_url[0] = "http://ldap.example.org";
      cfg->urls = one_url; cfg->nurls = 1)
SPOIL(url_with_dn, one_url[0] = "ldap://ldap.example.org/dc=example";
      cfg->urls = one_url; cfg->nurls = 1)
SPOIL(url_garbage, one_url[0] = "ldap://[::1";
      cfg->urls = one_url; cfg->nurls = 1)
SPOIL(starttls_ldaps, cfg->starttls = 1)
SPOIL(empty_ca, cfg->ca_file = "")
SPOIL(bad_bind_dn, cfg->bind_dn = "not a dn")
SPOIL(bad_bind_dn_dn, cfg->bind_dn = "cn=portal,,dc=example")
SPOIL(bad_bind_upn, cfg->bind_dn = "portal@")
SPOIL(bad_bind_domain, cfg->bind_dn = "CORP\\")
SPOIL(bad_bind_domain_name, cfg->bind_dn = "C*RP\\portal")
SPOIL(bad_type, cfg->type = (dir_type_t) 7)
SPOIL(generic_without_filter, cfg->user_filter = NULL)
SPOIL(filter_stray_percent_p, cfg->user_filter = "(&(uid=%p)(cn=%x))")
SPOIL(bad_domain, cfg->domains = bad_domains; cfg->ndomains = 2)
SPOIL(long_netbios_domain, cfg->domains = long_netbios; cfg->ndomains = 1)
SPOIL(too_many_domains, cfg->domains = many_domains;
      cfg->ndomains = DIR_DOMAINS_MAX + 1)
SPOIL(token_nested, cfg->group_source = DIR_GROUPS_TOKEN;
      cfg->nested = DIR_NESTED_WALK)
SPOIL(big_range, cfg->range_size = DIR_RANGE_SIZE_MAX + 1)
SPOIL(openldap_range, cfg->type = DIR_TYPE_OPENLDAP; cfg->range_size = 100)
SPOIL(openldap_token, cfg->type = DIR_TYPE_OPENLDAP;
      cfg->group_source = DIR_GROUPS_TOKEN)
SPOIL(bad_password_policy, cfg->password_policy = 2)
SPOIL(no_password, cfg->bind_password = NULL)
SPOIL(password_alone, cfg->bind_dn = NULL)
SPOIL(no_base_dn, cfg->base_dn = NULL)
SPOIL(bad_base_dn, cfg->base_dn = "dc=example,,dc=org")
SPOIL(bad_scope, cfg->scope = (dir_scope_t) 7)
SPOIL(no_user_filter, cfg->user_filter = "")
SPOIL(filter_without_u, cfg->user_filter = "(uid=alice)")
SPOIL(filter_stray_percent, cfg->user_filter = "(uid=%s)")
SPOIL(filter_no_parens, cfg->user_filter = "uid=%u")
SPOIL(filter_two, cfg->user_filter = "(uid=%u)(cn=%u)")
SPOIL(filter_unbalanced, cfg->user_filter = "(&(uid=%u)")
SPOIL(bad_username_attr, cfg->username_attr = "uid;x")
SPOIL(no_username_attr, cfg->username_attr = "")
SPOIL(bad_group_source, cfg->group_source = (dir_group_source_t) 9)
SPOIL(group_filter_without_d, cfg->group_source = DIR_GROUPS_SEARCH;
      cfg->group_filter = "(objectClass=groupOfNames)")
SPOIL(group_filter_garbage, cfg->group_source = DIR_GROUPS_SEARCH;
      cfg->group_filter = "objectClass=group")
SPOIL(bad_group_base_dn, cfg->group_base_dn = "ou=groups,")
SPOIL(nested_without_groups, cfg->group_source = DIR_GROUPS_NONE;
      cfg->nested = DIR_NESTED_WALK)
SPOIL(bad_nested, cfg->nested = (dir_nested_t) 5)
SPOIL(depth_zero, cfg->nested = DIR_NESTED_WALK; cfg->nested_depth = 0)
SPOIL(no_max_groups, cfg->max_groups = 0)
SPOIL(bad_mail_attr, cfg->mail_attrs = bad_mail_attrs; cfg->nmail_attrs = 2)
SPOIL(many_mail_attrs, cfg->nmail_attrs = DIR_MAIL_ATTRS_MAX + 1)
SPOIL(no_connect_timeout, cfg->connect_timeout_ms = 0)
SPOIL(long_timeout, cfg->timeout_ms = DIR_TIMEOUT_MS_MAX + 1)
SPOIL(no_pool, cfg->pool_size = 0)
SPOIL(big_pool, cfg->pool_size = DIR_POOL_SIZE_MAX + 1)
SPOIL(negative_ttl, cfg->cache_ttl_s = -1)
SPOIL(no_cache_entries, cfg->cache_max_entries = 0)


static const config_case_t  cases[] = {
    { "no url", spoil_no_url,
      "url is required: give at least one ldap:// or ldaps:// server" },
    { "too many urls", spoil_many_urls,
      "url is given 17 times, at most 16 servers are allowed" },
    { "http url", spoil_http_url,
      "url \"http://ldap.example.org\" must start with ldap:// or "
      "ldaps://" },
    { "url with a DN", spoil_url_with_dn,
      "url \"ldap://ldap.example.org/dc=example\" must name a server only, "
      "as in ldap://host:port" },
    { "url garbage", spoil_url_garbage,
      "url \"ldap://[::1\" is not a valid LDAP URL" },
    { "starttls on ldaps", spoil_starttls_ldaps,
      "starttls cannot be used with the ldaps:// url "
      "\"ldaps://ldap2.example.org:636\", which is TLS already" },
    { "empty CA file", spoil_empty_ca,
      "tls_trusted_certificate must name a file of CA certificates in PEM" },
    { "bad bind_dn", spoil_bad_bind_dn,
      "bind_dn \"not a dn\" is not a DN, a user@domain name or a "
      "DOMAIN\\user name" },
    { "bad bind_dn DN", spoil_bad_bind_dn_dn,
      "bind_dn \"cn=portal,,dc=example\" is not a valid DN" },
    { "bind_dn UPN without domain", spoil_bad_bind_upn,
      "bind_dn \"portal@\" is not a DN, a user@domain name or a "
      "DOMAIN\\user name" },
    { "bind_dn DOMAIN\\ without user", spoil_bad_bind_domain,
      "bind_dn \"CORP\\\" is not a DN, a user@domain name or a "
      "DOMAIN\\user name" },
    { "bind_dn bad domain", spoil_bad_bind_domain_name,
      "bind_dn \"C*RP\\portal\" is not a DN, a user@domain name or a "
      "DOMAIN\\user name" },
    { "bad type", spoil_bad_type,
      "type must be active_directory, openldap or generic" },
    { "generic without user_filter", spoil_generic_without_filter,
      "user_filter is required, or a type (active_directory, openldap) "
      "whose default fits the directory" },
    { "user_filter with %x", spoil_filter_stray_percent_p,
      "user_filter has a stray %: only %u, %p and %% are understood" },
    { "bad domain", spoil_bad_domain,
      "domains \"corp..example\" is neither a NetBIOS domain name (as "
      "CORP) nor a DNS one (as corp.example.com)" },
    { "NetBIOS name too long", spoil_long_netbios_domain,
      "domains \"ABCDEFGHIJKLMNOP\" is neither a NetBIOS domain name (as "
      "CORP) nor a DNS one (as corp.example.com)" },
    { "too many domains", spoil_too_many_domains,
      "domains lists 17 names, at most 16 are allowed" },
    { "tokengroups nested", spoil_token_nested,
      "nested_groups must be off with groups tokengroups, which holds the "
      "nested groups already" },
    { "range_size too big", spoil_big_range,
      "range_size must be between 0 (as the server sends) and 100000, not "
      "100001" },
    { "range_size on OpenLDAP", spoil_openldap_range,
      "range_size is Active Directory's: OpenLDAP answers a ranged read "
      "with nothing" },
    { "tokengroups on OpenLDAP", spoil_openldap_token,
      "groups tokengroups is Active Directory's: OpenLDAP has no "
      "tokenGroups" },
    { "bad password_policy", spoil_bad_password_policy,
      "password_policy must be on or off" },
    { "bind_dn without password", spoil_no_password,
      "bind_password is required with bind_dn: an empty password makes "
      "the bind anonymous" },
    { "password without bind_dn", spoil_password_alone,
      "bind_password is set but bind_dn is not" },
    { "no base_dn", spoil_no_base_dn, "base_dn is required" },
    { "bad base_dn", spoil_bad_base_dn,
      "base_dn \"dc=example,,dc=org\" is not a valid DN" },
    { "bad scope", spoil_bad_scope, "scope must be base, one or sub" },
    { "no user_filter", spoil_no_user_filter, "user_filter is required" },
    { "user_filter without %u", spoil_filter_without_u,
      "user_filter must contain %u where the login name goes (or %p for "
      "the login as user@domain)" },
    { "user_filter with %s", spoil_filter_stray_percent,
      "user_filter has a stray %: only %u, %p and %% are understood" },
    { "user_filter without parentheses", spoil_filter_no_parens,
      "user_filter \"uid=%u\" is not one filter in parentheses, as in "
      "(uid=%u)" },
    { "user_filter of two filters", spoil_filter_two,
      "user_filter \"(uid=%u)(cn=%u)\" is not one filter in parentheses, "
      "as in (uid=%u)" },
    { "user_filter unbalanced", spoil_filter_unbalanced,
      "user_filter \"(&(uid=%u)\" is not one filter in parentheses, as in "
      "(uid=%u)" },
    { "bad username_attribute", spoil_bad_username_attr,
      "username_attribute \"uid;x\" is not an attribute name" },
    { "no username_attribute", spoil_no_username_attr,
      "username_attribute is required" },
    { "bad groups", spoil_bad_group_source,
      "groups must be memberof, search, tokengroups or off" },
    { "group_filter without %d", spoil_group_filter_without_d,
      "group_filter must contain %d where the user's DN goes" },
    { "bad group_filter", spoil_group_filter_garbage,
      "group_filter \"objectClass=group\" is not one filter in "
      "parentheses, as in (member=%d)" },
    { "bad group_base_dn", spoil_bad_group_base_dn,
      "group_base_dn \"ou=groups,\" is not a valid DN" },
    { "nested without groups", spoil_nested_without_groups,
      "nested_groups needs groups memberof or search" },
    { "bad nested_groups", spoil_bad_nested,
      "nested_groups must be off, walk or in_chain" },
    { "nested_depth 0", spoil_depth_zero,
      "nested_depth must be between 1 and 32, not 0" },
    { "max_groups 0", spoil_no_max_groups,
      "max_groups must be between 1 and 10000, not 0" },
    { "bad mail attribute", spoil_bad_mail_attr,
      "mail_attributes \"2bad\" is not an attribute name" },
    { "too many mail attributes", spoil_many_mail_attrs,
      "mail_attributes lists 17 attributes, at most 16 are allowed" },
    { "connect_timeout 0", spoil_no_connect_timeout,
      "connect_timeout must be between 1 and 600000 ms, not 0" },
    { "timeout too long", spoil_long_timeout,
      "timeout must be between 1 and 600000 ms, not 600001" },
    { "pool_size 0", spoil_no_pool,
      "pool_size must be between 1 and 1024, not 0" },
    { "pool_size too big", spoil_big_pool,
      "pool_size must be between 1 and 1024, not 1025" },
    { "cache_ttl negative", spoil_negative_ttl,
      "cache_ttl must be between 0 and 86400 s, not -1" },
    { "no cache entries", spoil_no_cache_entries,
      "cache_max_entries must be between 1 and 100000, not 0" },
};


static void
test_defaults_with_required_settings_validate(void **state)
{
    dir_config_t  cfg, eff;
    dir_error_t   err;

    (void) state;

    good_config(&cfg);

    assert_int_equal(dir_config_validate(&cfg, &err), 0);
    assert_int_equal(err.code, DIR_OK);

    /* init leaves the type's settings unset */
    assert_null(cfg.username_attr);
    assert_null(cfg.mail_attrs);
    assert_int_equal(cfg.group_source, DIR_GROUPS_UNSET);
    assert_int_equal(cfg.password_policy, -1);

    dir_config_effective(&cfg, &eff);

    assert_int_equal(eff.type, DIR_TYPE_GENERIC);
    assert_int_equal(eff.scope, DIR_SCOPE_SUB);
    assert_string_equal(eff.username_attr, "uid");
    assert_int_equal(eff.group_source, DIR_GROUPS_MEMBEROF);
    assert_string_equal(eff.group_filter,
                        "(&(objectClass=groupOfNames)(member=%d))");
    assert_string_equal(eff.group_base_dn, "dc=example,dc=org");
    assert_int_equal(eff.nested, DIR_NESTED_OFF);
    assert_int_equal(eff.nested_depth, 5);
    assert_int_equal(eff.max_groups, 4096);
    assert_int_equal(eff.range_size, 0);
    assert_int_equal(eff.cache_max_entries, 10000);
    assert_int_equal(eff.nmail_attrs, 1);
    assert_string_equal(eff.mail_attrs[0], "mail");
    assert_int_equal(eff.password_policy, 0);
}


static void
test_active_directory_defaults(void **state)
{
    dir_config_t  cfg, eff;
    dir_error_t   err;

    (void) state;

    good_config(&cfg);
    cfg.type = DIR_TYPE_ACTIVE_DIRECTORY;
    cfg.user_filter = NULL;
    cfg.base_dn = "OU=Staff,OU=Corp Users,DC=corp,DC=example,DC=com";
    cfg.bind_dn = "svc-portal@corp.example.com";

    assert_int_equal(dir_config_validate(&cfg, &err), 0);

    dir_config_effective(&cfg, &eff);

    assert_string_equal(eff.user_filter,
                        "(&(objectCategory=person)(objectClass=user)"
                        "(|(sAMAccountName=%u)(userPrincipalName=%p)))");
    assert_string_equal(eff.username_attr, "sAMAccountName");
    assert_int_equal(eff.group_source, DIR_GROUPS_TOKEN);
    assert_string_equal(eff.group_filter,
                        "(&(objectClass=group)(member=%d))");
    /* groups anywhere in the domain, not only under base_dn */
    assert_string_equal(eff.group_base_dn, "DC=corp,DC=example,DC=com");
    assert_int_equal(eff.nested, DIR_NESTED_OFF);
    assert_int_equal(eff.nmail_attrs, 2);
    assert_string_equal(eff.mail_attrs[0], "mail");
    assert_string_equal(eff.mail_attrs[1], "proxyAddresses");
    assert_int_equal(eff.password_policy, 0);

    /* explicit settings win */
    cfg.username_attr = "userPrincipalName";
    cfg.group_source = DIR_GROUPS_MEMBEROF;
    cfg.nested = DIR_NESTED_IN_CHAIN;
    cfg.group_base_dn = "OU=Groups,DC=corp,DC=example,DC=com";
    cfg.password_policy = 1;
    cfg.user_filter = "(sAMAccountName=%u)";

    assert_int_equal(dir_config_validate(&cfg, &err), 0);
    dir_config_effective(&cfg, &eff);

    assert_string_equal(eff.username_attr, "userPrincipalName");
    assert_int_equal(eff.group_source, DIR_GROUPS_MEMBEROF);
    assert_int_equal(eff.nested, DIR_NESTED_IN_CHAIN);
    assert_string_equal(eff.group_base_dn,
                        "OU=Groups,DC=corp,DC=example,DC=com");
    assert_int_equal(eff.password_policy, 1);
    assert_string_equal(eff.user_filter, "(sAMAccountName=%u)");

    /* a base DN without DC= is its own domain */
    cfg.group_base_dn = NULL;
    cfg.base_dn = "o=corp";
    dir_config_effective(&cfg, &eff);
    assert_string_equal(eff.group_base_dn, "o=corp");

    /* an escaped ",DC=" inside a value is no boundary */
    cfg.base_dn = "OU=a\\,dc=x,DC=corp,DC=com";
    dir_config_effective(&cfg, &eff);
    assert_string_equal(eff.group_base_dn, "DC=corp,DC=com");

    cfg.base_dn = "dc=corp, dc=com";
    dir_config_effective(&cfg, &eff);
    assert_string_equal(eff.group_base_dn, "dc=corp, dc=com");

    cfg.base_dn = "ou=People, dc=corp";
    dir_config_effective(&cfg, &eff);
    assert_string_equal(eff.group_base_dn, "dc=corp");
}


static void
test_openldap_defaults(void **state)
{
    dir_config_t  cfg, eff;
    dir_error_t   err;

    (void) state;

    good_config(&cfg);
    cfg.type = DIR_TYPE_OPENLDAP;
    cfg.user_filter = NULL;

    assert_int_equal(dir_config_validate(&cfg, &err), 0);

    dir_config_effective(&cfg, &eff);

    assert_string_equal(eff.user_filter,
                        "(&(objectClass=inetOrgPerson)(uid=%u))");
    assert_string_equal(eff.username_attr, "uid");
    assert_int_equal(eff.group_source, DIR_GROUPS_MEMBEROF);
    assert_string_equal(eff.group_filter,
                        "(&(objectClass=groupOfNames)(member=%d))");
    assert_int_equal(eff.password_policy, 1);

    cfg.password_policy = 0;
    dir_config_effective(&cfg, &eff);
    assert_int_equal(eff.password_policy, 0);
}


static void
test_warnings(void **state)
{
    int            n;
    char           buf[1024];
    dir_config_t   cfg;
    const char    *domains[] = { "CORP", "corp.example.com" };
    const char    *plain[] = { "ldap://dc1.corp.example.com" };

    (void) state;

    good_config(&cfg);

    n = dir_config_warnings(&cfg, buf, sizeof(buf));
    assert_int_equal(n, 1);
    assert_string_equal(buf, "username_attribute is not set: uid is "
                        "assumed; set the attribute that holds each user's "
                        "login name, as the directory spells it (or set "
                        "type)");

    cfg.username_attr = "uid";
    assert_int_equal(dir_config_warnings(&cfg, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");

    cfg.type = DIR_TYPE_OPENLDAP;
    cfg.username_attr = NULL;
    assert_int_equal(dir_config_warnings(&cfg, buf, sizeof(buf)), 0);

    cfg.type = DIR_TYPE_ACTIVE_DIRECTORY;
    cfg.urls = plain;
    cfg.nurls = 1;

    n = dir_config_warnings(&cfg, buf, sizeof(buf));
    assert_int_equal(n, 2);
    assert_string_equal(buf, "domains is not set: DOMAIN\\user and "
                        "user@domain logins are searched as typed; list the "
                        "domain's NetBIOS and DNS names, as in \"domains "
                        "CORP corp.example.com\"\nurl is a plain ldap:// "
                        "url without starttls: Active Directory and Samba "
                        "refuse simple binds that are not protected; use "
                        "ldaps:// or starttls on");

    cfg.domains = domains;
    cfg.ndomains = 2;
    cfg.starttls = 1;
    assert_int_equal(dir_config_warnings(&cfg, buf, sizeof(buf)), 0);

    /* a short buffer gets what fits, the count stays right */
    cfg.ndomains = 0;
    assert_int_equal(dir_config_warnings(&cfg, buf, 16), 1);
    assert_int_equal(strlen(buf), 15);

    /* groups search on a generic directory without group_filter */
    good_config(&cfg);
    cfg.username_attr = "uid";
    cfg.group_source = DIR_GROUPS_SEARCH;
    assert_int_equal(dir_config_warnings(&cfg, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "group_filter is not set: "
                        "(&(objectClass=groupOfNames)(member=%d)) is "
                        "assumed, which finds no Active Directory group "
                        "(objectClass=group); set group_filter (or set "
                        "type)");

    cfg.group_filter = "(&(objectClass=group)(member=%d))";
    assert_int_equal(dir_config_warnings(&cfg, buf, sizeof(buf)), 0);
    cfg.group_filter = NULL;
    cfg.nested = DIR_NESTED_IN_CHAIN;       /* which has a filter of its own */
    assert_int_equal(dir_config_warnings(&cfg, buf, sizeof(buf)), 0);
    cfg.nested = DIR_NESTED_UNSET;
    cfg.type = DIR_TYPE_OPENLDAP;
    assert_int_equal(dir_config_warnings(&cfg, buf, sizeof(buf)), 0);
}


static void
test_each_mistake_named(void **state)
{
    size_t        i;
    dir_config_t  cfg;
    dir_error_t   err;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        good_config(&cfg);
        cases[i].spoil(&cfg);

        memset(&err, 0, sizeof(err));

        if (dir_config_validate(&cfg, &err) != -1
            || err.code != DIR_ERR_CONFIG
            || strcmp(err.message, cases[i].message) != 0)
        {
            fail_msg("%s: got %s \"%s\"", cases[i].name,
                     dir_code_name(err.code), err.message);
        }
    }
}


static void
test_accepted_variants(void **state)
{
    dir_config_t  cfg;
    dir_error_t   err;
    const char   *attrs[] = { "proxyAddresses", "1.2.840.113556.1.2.210" };
    const char   *domains[] = { "CORP", "corp.example.com", "Ex-1_b" };

    (void) state;

    /* anonymous searches, in-chain without a group filter, OID names */
    good_config(&cfg);
    cfg.bind_dn = NULL;
    cfg.bind_password = NULL;
    cfg.group_source = DIR_GROUPS_SEARCH;
    cfg.group_filter = NULL;
    cfg.nested = DIR_NESTED_IN_CHAIN;
    cfg.mail_attrs = attrs;
    cfg.nmail_attrs = 2;
    cfg.username_attr = "sAMAccountName";
    cfg.cache_ttl_s = 0;
    cfg.cache_max_entries = 0;
    cfg.user_filter = "(&(objectClass=user)(|(sAMAccountName=%u)"
                      "(userPrincipalName=%u))(description=100%%))";

    assert_int_equal(dir_config_validate(&cfg, &err), 0);

    /* %p alone, UPN and down-level service accounts, domains */
    good_config(&cfg);
    cfg.user_filter = "(userPrincipalName=%p)";
    cfg.bind_dn = "svc-portal@corp.example.com";
    cfg.domains = domains;
    cfg.ndomains = 3;
    cfg.group_source = DIR_GROUPS_TOKEN;
    cfg.range_size = 1500;
    cfg.password_policy = 1;
    assert_int_equal(dir_config_validate(&cfg, &err), 0);

    cfg.bind_dn = "CORP\\svc-portal";
    assert_int_equal(dir_config_validate(&cfg, &err), 0);

    cfg.bind_dn = "svc.portal@CORP";
    assert_int_equal(dir_config_validate(&cfg, &err), 0);
}


static void
test_parse_type(void **state)
{
    dir_type_t   type;
    dir_error_t  err;

    (void) state;

    assert_int_equal(dir_parse_type("active_directory", &type, &err), 0);
    assert_int_equal(type, DIR_TYPE_ACTIVE_DIRECTORY);
    assert_int_equal(dir_parse_type("ad", &type, &err), 0);
    assert_int_equal(type, DIR_TYPE_ACTIVE_DIRECTORY);
    assert_int_equal(dir_parse_type("openldap", &type, &err), 0);
    assert_int_equal(type, DIR_TYPE_OPENLDAP);
    assert_int_equal(dir_parse_type("generic", &type, &err), 0);
    assert_int_equal(type, DIR_TYPE_GENERIC);

    assert_int_equal(dir_parse_type("samba", &type, &err), -1);
    assert_int_equal(err.code, DIR_ERR_CONFIG);
    assert_string_equal(err.message, "type \"samba\" is not one of "
                        "active_directory, openldap, generic");
}


static void
test_parse_scope(void **state)
{
    dir_scope_t  scope;
    dir_error_t  err;

    (void) state;

    assert_int_equal(dir_parse_scope("base", &scope, &err), 0);
    assert_int_equal(scope, DIR_SCOPE_BASE);
    assert_int_equal(dir_parse_scope("one", &scope, &err), 0);
    assert_int_equal(scope, DIR_SCOPE_ONE);
    assert_int_equal(dir_parse_scope("sub", &scope, &err), 0);
    assert_int_equal(scope, DIR_SCOPE_SUB);

    assert_int_equal(dir_parse_scope("subtree", &scope, &err), -1);
    assert_int_equal(err.code, DIR_ERR_CONFIG);
    assert_string_equal(err.message,
                        "scope \"subtree\" is not one of base, one, sub");
}


static void
test_parse_group_source(void **state)
{
    dir_group_source_t  source;
    dir_error_t         err;

    (void) state;

    assert_int_equal(dir_parse_group_source("memberof", &source, &err), 0);
    assert_int_equal(source, DIR_GROUPS_MEMBEROF);
    assert_int_equal(dir_parse_group_source("search", &source, &err), 0);
    assert_int_equal(source, DIR_GROUPS_SEARCH);
    assert_int_equal(dir_parse_group_source("off", &source, &err), 0);
    assert_int_equal(source, DIR_GROUPS_NONE);
    assert_int_equal(dir_parse_group_source("tokengroups", &source, &err),
                     0);
    assert_int_equal(source, DIR_GROUPS_TOKEN);

    assert_int_equal(dir_parse_group_source("MemberOf", &source, &err), -1);
    assert_string_equal(err.message, "groups \"MemberOf\" is not one of "
                        "memberof, search, tokengroups, off");
}


static void
test_parse_nested(void **state)
{
    dir_nested_t  nested;
    dir_error_t   err;

    (void) state;

    assert_int_equal(dir_parse_nested("off", &nested, &err), 0);
    assert_int_equal(nested, DIR_NESTED_OFF);
    assert_int_equal(dir_parse_nested("walk", &nested, &err), 0);
    assert_int_equal(nested, DIR_NESTED_WALK);
    assert_int_equal(dir_parse_nested("in_chain", &nested, &err), 0);
    assert_int_equal(nested, DIR_NESTED_IN_CHAIN);

    assert_int_equal(dir_parse_nested("", &nested, &err), -1);
    assert_string_equal(err.message, "nested_groups \"\" is not one of off, "
                        "walk, in_chain");
}


static void
test_code_names(void **state)
{
    (void) state;

    assert_string_equal(dir_code_name(DIR_OK), "ok");
    assert_string_equal(dir_code_name(DIR_ERR_BAD_CREDENTIALS),
                        "bad_credentials");
    assert_string_equal(dir_code_name(DIR_ERR_TIMEOUT), "timeout");
    assert_string_equal(dir_code_name(DIR_ERR_SERVER), "server");
    assert_string_equal(dir_code_name(DIR_ERR_ACCOUNT), "account");
    assert_string_equal(dir_code_name(DIR_ERR_SERVICE_ACCOUNT),
                        "service_account");
    assert_string_equal(dir_code_name(DIR_ERR_LAST), "unknown");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_defaults_with_required_settings_validate),
        cmocka_unit_test(test_active_directory_defaults),
        cmocka_unit_test(test_openldap_defaults),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_each_mistake_named),
        cmocka_unit_test(test_accepted_variants),
        cmocka_unit_test(test_parse_type),
        cmocka_unit_test(test_parse_scope),
        cmocka_unit_test(test_parse_group_source),
        cmocka_unit_test(test_parse_nested),
        cmocka_unit_test(test_code_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
