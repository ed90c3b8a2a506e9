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
 * The directory's spelling of the name ("jdoe" for a login "JDoe",
 * "CORP\\jdoe" or "john.doe@corp.example.com") is the one certificates
 * and group rules must see: it comes from the entry, never from what was
 * typed.
 */
static int
dir_user_set_username(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    dir_user_t *user, dir_error_t *err)
{
    struct berval  **values;

    values = ldap_get_values_len(conn->ld, entry, dir->cfg.username_attr);

    if (values == NULL || values[0] == NULL) {
        ldap_value_free_len(values);
        return dir_error_set(err, DIR_ERR_SERVER, conn->url,
                             "LDAP server %s: the user's entry has no %s: "
                             "set username_attribute to the attribute that "
                             "holds every user's login name", conn->url,
                             dir->cfg.username_attr);
    }

    if (!dir_name_usable(values[0]->bv_val, values[0]->bv_len)) {
        ldap_value_free_len(values);
        return dir_error_set(err, DIR_ERR_SERVER, conn->url,
                             "LDAP server %s: the user's %s is empty, longer "
                             "than %d bytes or holds control characters",
                             conn->url, dir->cfg.username_attr,
                             DIR_LOGIN_LEN_MAX);
    }

    user->username = strndup(values[0]->bv_val, values[0]->bv_len);
    ldap_value_free_len(values);

    if (user->username == NULL) {
        return dir_error_set(err, DIR_ERR_NOMEM, NULL,
                             "out of memory reading the user's entry");
    }

    return 0;
}


/*
 * The ids of the entry: objectGUID or entryUUID, objectSid, the user
 * principal name.  A value that is not what its syntax says is left out:
 * nothing may be made of it.
 */
static int
dir_user_set_ids(dir_conn_t *conn, LDAPMessage *entry, dir_user_t *user)
{
    char             text[DIR_SID_TEXT_LEN];
    struct berval  **v;

    v = ldap_get_values_len(conn->ld, entry, "objectGUID");

    if (v != NULL && v[0] != NULL
        && dir_guid_text((unsigned char *) v[0]->bv_val, v[0]->bv_len, text,
                         sizeof(text)) == 0
        && (user->guid = strdup(text)) == NULL)
    {
        goto nomem;
    }

    ldap_value_free_len(v);

    v = ldap_get_values_len(conn->ld, entry, "entryUUID");

    if (user->guid == NULL && v != NULL && v[0] != NULL
        && dir_uuid_text(v[0]->bv_val, v[0]->bv_len, text, sizeof(text)) == 0
        && (user->guid = strdup(text)) == NULL)
    {
        goto nomem;
    }

    ldap_value_free_len(v);

    v = ldap_get_values_len(conn->ld, entry, "objectSid");

    if (v != NULL && v[0] != NULL
        && dir_sid_text((unsigned char *) v[0]->bv_val, v[0]->bv_len, text,
                        sizeof(text)) == 0
        && (user->sid = strdup(text)) == NULL)
    {
        goto nomem;
    }

    ldap_value_free_len(v);

    v = ldap_get_values_len(conn->ld, entry, "userPrincipalName");

    if (v != NULL && v[0] != NULL
        && dir_name_usable(v[0]->bv_val, v[0]->bv_len)
        && (user->upn = strndup(v[0]->bv_val, v[0]->bv_len)) == NULL)
    {
        goto nomem;
    }

    ldap_value_free_len(v);

    return 0;

nomem:

    ldap_value_free_len(v);

    return -1;
}


static int
dir_user_collect_mails(dir_t *dir, dir_conn_t *conn, LDAPMessage *entry,
    dir_strings_t *mails)
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
    const char *dn, const dir_bind_result_t *bind, dir_user_t *user,
    dir_error_t *err)
{
    int         hit;
    dir_strings_t  groups, mails;

    user->grace_logins = bind->grace;
    user->expires_in_s = bind->expire;

    user->dn = strdup(dn);
    if (user->dn == NULL || dir_user_set_ids(conn, entry, user) != 0) {
        return dir_error_set(err, DIR_ERR_NOMEM, NULL,
                             "out of memory reading the user's entry");
    }

    if (dir_user_set_username(dir, conn, entry, user, err) != 0) {
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

    memset(&groups, 0, sizeof(dir_strings_t));
    memset(&mails, 0, sizeof(dir_strings_t));

    if (dir_groups_resolve(dir, conn, entry, dn, &groups, err) != 0) {
        dir_strings_free(&groups);
        return -1;
    }

    if (dir_user_collect_mails(dir, conn, entry, &mails) != 0) {
        dir_strings_free(&groups);
        dir_strings_free(&mails);
        return dir_error_set(err, DIR_ERR_NOMEM, NULL,
                             "out of memory reading the user's mail");
    }

    user->groups = dir_strings_release(&groups, &user->ngroups);
    user->mails = dir_strings_release(&mails, &user->nmails);

    /* a failed store only costs the next login a lookup */
    if (dir->cache != NULL) {
        (void) dir_cache_put(dir->cache, dn, user);
    }

    return 0;
}
