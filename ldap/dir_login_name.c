/*
 * The forms a person types a login in: "jdoe", "CORP\jdoe",
 * "jdoe@corp.example.com", "jdoe@CORP".  The domains of the
 * configuration decide which are this directory's; see dir.h.  As in a
 * Windows logon, only the user@domain form is a user principal name:
 * "jdoe" and "CORP\jdoe" are account names, and %p gets the bare name,
 * which no principal name equals.
 */

#include <string.h>
#include <strings.h>

#include "dir.h"
#include "dir_priv.h"


#define DIR_NETBIOS_LEN_MAX  15


static int
dir_domain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_';
}


/*
 * A NetBIOS domain name (up to 15 letters, digits, '-' and '_'), or a DNS
 * name: dot-separated labels of up to 63 such characters, none starting
 * or ending with '-'.
 */
int
dir_domain_valid(const char *s, size_t len)
{
    size_t  i, label;

    if (len == 0 || len > DIR_DOMAIN_LEN_MAX) {
        return 0;
    }

    if (memchr(s, '.', len) == NULL) {
        if (len > DIR_NETBIOS_LEN_MAX) {
            return 0;
        }

        for (i = 0; i < len; i++) {
            if (!dir_domain_char(s[i])) {
                return 0;
            }
        }

        return 1;
    }

    label = 0;

    for (i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-') {
                return 0;
            }

            label = 0;
            continue;
        }

        if (!dir_domain_char(s[i]) || (label == 0 && s[i] == '-')) {
            return 0;
        }

        label++;
    }

    return 1;
}


static int
dir_domain_listed(const dir_config_t *cfg, const char *d, size_t len)
{
    size_t  i;

    for (i = 0; i < cfg->ndomains; i++) {
        if (strlen(cfg->domains[i]) == len
            && strncasecmp(cfg->domains[i], d, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
dir_login_name_upn(dir_login_name_t *name, const char *s, size_t len)
{
    memcpy(name->upn, s, len);
    name->upn_len = len;
    name->upn[len] = '\0';
}


int
dir_login_name_parse(const dir_config_t *cfg, const char *login,
    size_t len, dir_login_name_t *name)
{
    const char  *sep, *at;

    memset(name, 0, sizeof(dir_login_name_t));

    if (len == 0 || len > DIR_LOGIN_LEN_MAX) {
        return -1;
    }

    name->user = login;
    name->user_len = len;

    if (cfg->ndomains == 0) {
        dir_login_name_upn(name, login, len);
        return 0;
    }

    sep = memchr(login, '\\', len);

    if (sep != NULL) {
        name->user = sep + 1;
        name->user_len = len - (size_t) (sep - login) - 1;

        if (sep == login || name->user_len == 0
            || memchr(name->user, '\\', name->user_len) != NULL)
        {
            return -1;
        }

        dir_login_name_upn(name, name->user, name->user_len);

        return dir_domain_listed(cfg, login, (size_t) (sep - login)) ? 0 : 1;
    }

    /* the last "@": a user name may hold one, a domain name may not */
    for (at = login + len; at > login && at[-1] != '@'; at--) {
        /* void */
    }

    if (at > login) {
        at--;
        name->user_len = (size_t) (at - login);

        if (name->user_len == 0 || at + 1 == login + len) {
            return -1;
        }

        dir_login_name_upn(name, login, len);

        return dir_domain_listed(cfg, at + 1, len - name->user_len - 1)
               ? 0 : 1;
    }

    dir_login_name_upn(name, login, len);

    return 0;
}
