#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dir_error.h"


/* Room for a server's diagnostic inside a message of bounded size. */
#define DIR_DIAGNOSTIC_LEN  160


static const char  *dir_code_names[DIR_ERR_LAST] = {
    [DIR_OK] = "ok",
    [DIR_ERR_CONFIG] = "config",
    [DIR_ERR_EMPTY_PASSWORD] = "empty_password",
    [DIR_ERR_BAD_CREDENTIALS] = "bad_credentials",
    [DIR_ERR_UNAVAILABLE] = "unavailable",
    [DIR_ERR_TIMEOUT] = "timeout",
    [DIR_ERR_LIMIT] = "limit",
    [DIR_ERR_SERVER] = "server",
    [DIR_ERR_NOMEM] = "nomem",
    [DIR_ERR_INTERNAL] = "internal",
    [DIR_ERR_ACCOUNT] = "account",
    [DIR_ERR_SERVICE_ACCOUNT] = "service_account",
};


const char *
dir_code_name(dir_code_t code)
{
    if (code < 0 || code >= DIR_ERR_LAST || dir_code_names[code] == NULL) {
        return "unknown";
    }

    return dir_code_names[code];
}


int
dir_error_set(dir_error_t *err, dir_code_t code, const char *server,
    const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    dir_error_vset(err, code, server, fmt, ap);
    va_end(ap);

    return -1;
}


int
dir_error_vset(dir_error_t *err, dir_code_t code, const char *server,
    const char *fmt, va_list ap)
{
    if (err == NULL) {
        return -1;
    }

    err->code = code;
    err->account = DIR_ACCOUNT_USABLE;
    err->password_verified = 0;
    err->ad_code = 0;
    snprintf(err->server, sizeof(err->server), "%s",
             server != NULL ? server : "");
    vsnprintf(err->message, sizeof(err->message), fmt, ap);

    return -1;
}


void
dir_error_clear(dir_error_t *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
}


int
dir_error_bad_credentials(dir_error_t *err)
{
    return dir_error_set(err, DIR_ERR_BAD_CREDENTIALS, NULL, "%s",
                         DIR_BAD_CREDENTIALS_MESSAGE);
}


/*
 * The diagnostic text comes from the server: keep it printable so that a
 * hostile or broken server cannot forge log lines.
 */
static void
dir_error_copy_diagnostic(char *dst, size_t size, const char *src)
{
    size_t  i;

    for (i = 0; i + 1 < size && src[i] != '\0'; i++) {
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
    }

    dst[i] = '\0';
}


static dir_code_t
dir_error_code_of(int rc)
{
    switch (rc) {

    case LDAP_TIMEOUT:
    case LDAP_TIMELIMIT_EXCEEDED:
        return DIR_ERR_TIMEOUT;

    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_UNAVAILABLE:
    case LDAP_BUSY:
        return DIR_ERR_UNAVAILABLE;

    case LDAP_SIZELIMIT_EXCEEDED:
    case LDAP_ADMINLIMIT_EXCEEDED:
        return DIR_ERR_LIMIT;

    case LDAP_NO_MEMORY:
        return DIR_ERR_NOMEM;

    case LDAP_PARAM_ERROR:
    case LDAP_LOCAL_ERROR:
    case LDAP_ENCODING_ERROR:
    case LDAP_DECODING_ERROR:
        return DIR_ERR_INTERNAL;

    default:
        return DIR_ERR_SERVER;
    }
}


int
dir_error_service_account(dir_error_t *err, const char *url,
    const char *bind_dn, const dir_bind_result_t *r)
{
    char  code[32];

    code[0] = '\0';

    if (r->ad_code != 0) {
        snprintf(code, sizeof(code), " (AD data %x)", r->ad_code);
    }

    if (r->account == DIR_ACCOUNT_USABLE) {
        dir_error_set(err, DIR_ERR_SERVICE_ACCOUNT, url,
                      "LDAP server %s refused the service account "
                      "\"%.128s\": wrong bind_password, or no such "
                      "account%s; check bind_dn and bind_password", url,
                      bind_dn, code);

    } else {
        dir_error_set(err, DIR_ERR_SERVICE_ACCOUNT, url,
                      "LDAP server %s refused the service account "
                      "\"%.128s\": %s%s; fix the account in the "
                      "directory (and bind_password if it changes)", url,
                      bind_dn, dir_account_describe(r->account), code);
    }

    if (err != NULL) {
        err->account = r->account;
        err->ad_code = r->ad_code;
    }

    return -1;
}


int
dir_error_ldap(dir_error_t *err, LDAP *ld, const char *url, int rc,
    const char *doing, long timeout_ms)
{
    char        diagnostic[DIR_DIAGNOSTIC_LEN];
    char       *text;
    dir_code_t  code;

    code = dir_error_code_of(rc);

    /* Samba's and AD's answer to a simple bind on plain ldap:// */
    if (rc == LDAP_STRONG_AUTH_REQUIRED || rc == LDAP_CONFIDENTIALITY_REQUIRED)
    {
        return dir_error_set(err, DIR_ERR_UNAVAILABLE, url,
                             "LDAP server %s: %s failed: the server requires "
                             "a protected connection (StartTLS or ldaps://): "
                             "set starttls on, or use an ldaps:// url; the "
                             "password was sent unencrypted", url, doing);
    }

    if (code == DIR_ERR_TIMEOUT) {
        return dir_error_set(err, code, url,
                             "LDAP server %s: %s took longer than %ld ms",
                             url, doing, timeout_ms);
    }

    diagnostic[0] = '\0';
    text = NULL;

    if (ld != NULL
        && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &text)
           == LDAP_OPT_SUCCESS
        && text != NULL)
    {
        /* libldap's text for a failed TLS verification says nothing */
        if (strcmp(text, "(unknown error code)") != 0) {
            dir_error_copy_diagnostic(diagnostic, sizeof(diagnostic), text);
        }

        ldap_memfree(text);
    }

    return dir_error_set(err, code, url, "LDAP server %s: %s failed: %s%s%s",
                         url, doing, ldap_err2string(rc),
                         diagnostic[0] != '\0' ? ": " : "", diagnostic);
}
