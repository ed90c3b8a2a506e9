#include <stdlib.h>
#include <string.h>

#include "dir_error.h"
#include "dir_mail.h"
#include "dir_priv.h"


int
dir_name_usable(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > DIR_LOGIN_LEN_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/*
 * The directory's spelling of the name ("jdoe" for a login "JDoe") is
 * the one certificates and group rules must see.
 */
static int
dir_user_set_username(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    const char *login, size_t login_len, dir_user_t *user, dir_error_t *err)
{
    const char      *name;
    size_t           len;
    struct berval  **values;

    values = ldap_get_values_len(conn->ld, entry, dir->cfg.username_attr);

    if (values != NULL && values[0] != NULL) {
        name = values[0]->bv_val;
        len = values[0]->bv_len;

    } else {
        name = login;
        len = login_len;
    }

    if (!dir_name_usable(name, len)) {
        ldap_value_free_len(values);
        return dir_error_set(err, DIR_ERR_SERVER, conn->url,
                             "LDAP server %s: the user's %s is empty, longer "
                             "than %d bytes or holds control characters",
                             conn->url, dir->cfg.username_attr,
                             DIR_LOGIN_LEN_MAX);
    }

    user->username = strndup(name, len);
    ldap_value_free_len(values);

    if (user->username == NULL) {
        return dir_error_set(err, DIR_ERR_NOMEM, NULL,
                             "out of memory reading the user's entry");
    }

    return 0;
}


static int
dir_user_collect_mails(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    dir_list_t *mails)
{
    int              rc;
    size_t           i;
    struct berval  **values;

    for (i = 0; i < dir->cfg.nmail_attrs; i++) {
        values = ldap_get_values_len(conn->ld, entry, dir->cfg.mail_attrs[i]);

        rc = dir_mail_collect(mails, values);
        ldap_value_free_len(values);

        if (rc != 0) {
            return -1;
        }
    }

    return 0;
}


int
dir_user_fill(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    const char *dn, const char *login, size_t login_len, dir_user_t *user,
    dir_error_t *err)
{
    int         hit;
    dir_list_t  groups, mails;

    user->dn = strdup(dn);
    if (user->dn == NULL) {
        return dir_error_set(err, DIR_ERR_NOMEM, NULL,
                             "out of memory reading the user's entry");
    }

    if (dir_user_set_username(dir, conn, entry, login, login_len, user, err)
        != 0)
    {
        return -1;
    }

    if (dir->cache != NULL) {
        hit = dir_cache_get(dir->cache, dn, user);

        if (hit == 1) {
            return 0;
        }

        if (hit < 0) {
            return dir_error_set(err, DIR_ERR_NOMEM, NULL,
                                 "out of memory reading the group cache");
        }
    }

    memset(&groups, 0, sizeof(dir_list_t));
    memset(&mails, 0, sizeof(dir_list_t));

    if (dir_groups_resolve(dir, conn, entry, dn, &groups, err) != 0) {
        dir_list_free(&groups);
        return -1;
    }

    if (dir_user_collect_mails(dir, conn, entry, &mails) != 0) {
        dir_list_free(&groups);
        dir_list_free(&mails);
        return dir_error_set(err, DIR_ERR_NOMEM, NULL,
                             "out of memory reading the user's mail");
    }

    user->groups = dir_list_release(&groups, &user->ngroups);
    user->mails = dir_list_release(&mails, &user->nmails);

    /* a failed store only costs the next login a lookup */
    if (dir->cache != NULL) {
        (void) dir_cache_put(dir->cache, dn, user);
    }

    return 0;
}
