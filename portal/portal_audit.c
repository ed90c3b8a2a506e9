/*
 * The audit line of one login.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-proto/gp_buf.h"
#include "portal/portal_audit.h"
#include "portal/portal_groups.h"
#include "scep/scep_subject.h"


static void portal_audit_value(gp_buf_t *b, const char *key, const char *value,
    size_t len);
static void portal_audit_groups(gp_buf_t *b, const dir_user_t *user);


void
portal_audit_compose(const portal_audit_t *a, const X509_NAME *subject,
    portal_result_t *res)
{
    char      text[1024];
    size_t    len;
    gp_buf_t  b;

    /* logged as it is beside the audit line */
    gp_text_printable(res->reason);

    snprintf(res->user, sizeof(res->user), "%s",
             a->user != NULL ? a->user->username : "");
    snprintf(res->profile, sizeof(res->profile), "%s",
             a->profile != NULL ? a->profile->name : "");
    snprintf(res->serial, sizeof(res->serial), "%s",
             a->serial != NULL ? a->serial : "");

    gp_buf_init(&b, 4096);

    gp_buf_printf(&b, "result=%s status=%d", portal_result_name(res->kind),
                  res->status);

    portal_audit_value(&b, "login", a->login, a->login_len);

    if (a->user != NULL) {
        portal_audit_value(&b, "user", a->user->username,
                           strlen(a->user->username));
        portal_audit_groups(&b, a->user);

        /* the password policy's warnings, for the helpdesk */
        if (a->user->expires_in_s >= 0) {
            gp_buf_printf(&b, " password_expires_in=%lds",
                          a->user->expires_in_s);
        }

        if (a->user->grace_logins >= 0) {
            gp_buf_printf(&b, " grace_logins=%d", a->user->grace_logins);
        }
    }

    if (a->profile != NULL) {
        gp_buf_add_str(&b, " profile=");
        portal_audit_value(&b, NULL, a->profile->name,
                           strlen(a->profile->name));
        gp_buf_printf(&b, " mode=%s challenge=%s",
                      scep_mode_name(a->profile->mode),
                      scep_challenge_name(a->profile->challenge));
    }

    if (a->matched != NULL) {
        portal_audit_value(&b, "matched", a->matched, strlen(a->matched));
    }

    if (subject != NULL && scep_name_to_text(subject, text, sizeof(text)) >= 0)
    {
        portal_audit_value(&b, "subject", text, strlen(text));
    }

    if (a->serial != NULL) {
        portal_audit_value(&b, "serial", a->serial, strlen(a->serial));
    }

    if (a->issuer != NULL) {
        portal_audit_value(&b, "issuer", a->issuer, strlen(a->issuer));
    }

    if (res->reason[0] != '\0') {
        gp_buf_add_str(&b, " reason=\"");
        gp_buf_add_log(&b, res->reason, strlen(res->reason),
                       sizeof(res->reason));
        gp_buf_add_str(&b, "\"");
    }

    free(res->audit);
    res->audit = b.failed ? NULL : gp_buf_take(&b, &len);

    gp_buf_free(&b);
}


/* key="value", or just "value" when key is NULL */

static void
portal_audit_value(gp_buf_t *b, const char *key, const char *value, size_t len)
{
    if (key != NULL) {
        gp_buf_printf(b, " %s=", key);
    }

    gp_buf_add_str(b, "\"");
    gp_buf_add_log(b, value, len, PORTAL_AUDIT_VALUE_MAX);
    gp_buf_add_str(b, "\"");
}


/*
 * A group's name in the list: the log's escapes (\" \\ \xHH), and "\,"
 * for a comma inside the name, so that "Sales, EMEA" stays one name.
 */

static void
portal_audit_group_name(gp_buf_t *b, const char *name, size_t len)
{
    size_t       n;
    const char  *comma, *end;

    end = name + (len > PORTAL_AUDIT_VALUE_MAX ? PORTAL_AUDIT_VALUE_MAX
                                               : len);

    while (name < end) {
        comma = memchr(name, ',', end - name);
        n = (comma != NULL ? comma : end) - name;

        gp_buf_add_log(b, name, n, n);
        name += n;

        if (comma != NULL) {
            gp_buf_add_str(b, "\\,");
            name++;
        }
    }

    if (len > PORTAL_AUDIT_VALUE_MAX) {
        gp_buf_add_str(b, "...");
    }
}


static int
portal_audit_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/*
 * The user's groups by name (the first RDN's value), sorted, so that
 * the same groups make the same line however the directory listed them;
 * the first PORTAL_AUDIT_GROUPS_MAX, and the count when there are more.
 */

static void
portal_audit_groups(gp_buf_t *b, const dir_user_t *user)
{
    char    *arena, *p, **names;
    size_t   i, n, size;

    gp_buf_add_str(b, " groups=\"");

    size = 0;

    for (i = 0; i < user->ngroups; i++) {
        size += strlen(user->groups[i]) + 1;
    }

    names = calloc(user->ngroups + 1, sizeof(char *));
    arena = malloc(size + 1);

    if (names == NULL || arena == NULL) {
        gp_buf_printf(b, "(%zu)", user->ngroups);
        goto done;
    }

    p = arena;

    for (i = 0; i < user->ngroups; i++) {
        /* a value is never longer than its DN */
        if (portal_dn_first_value(user->groups[i], p,
                                  strlen(user->groups[i]) + 1, &n)
            != 0)
        {
            n = strlen(user->groups[i]);
            memcpy(p, user->groups[i], n + 1);
        }

        names[i] = p;
        p += n + 1;
    }

    qsort(names, user->ngroups, sizeof(char *), portal_audit_cmp);

    for (i = 0; i < user->ngroups && i < PORTAL_AUDIT_GROUPS_MAX; i++) {
        if (i > 0) {
            gp_buf_add_str(b, ",");
        }

        portal_audit_group_name(b, names[i], strlen(names[i]));
    }

    if (user->ngroups > PORTAL_AUDIT_GROUPS_MAX) {
        gp_buf_printf(b, ",...(%zu)", user->ngroups);
    }

done:

    free(names);
    free(arena);

    gp_buf_add_str(b, "\"");
}
