#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "scep_error.h"


static const char  *scep_code_names[SCEP_ERR_LAST] = {
    [SCEP_OK] = "ok",
    [SCEP_ERR_CONFIG] = "config",
    [SCEP_ERR_FILE] = "file",
    [SCEP_ERR_SUBJECT] = "subject",
    [SCEP_ERR_INPUT] = "input",
    [SCEP_ERR_NOMEM] = "nomem",
    [SCEP_ERR_INTERNAL] = "internal",
    [SCEP_ERR_CHALLENGE_CACHE_FULL] = "challenge_cache_full",
    [SCEP_ERR_CHALLENGE_PERMISSION] = "challenge_permission",
    [SCEP_ERR_CHALLENGE_AUTH] = "challenge_auth",
    [SCEP_ERR_CHALLENGE_STATUS] = "challenge_status",
    [SCEP_ERR_CHALLENGE_NO_PASSWORD] = "challenge_no_password",
    [SCEP_ERR_HTTP_TOO_LARGE] = "http_too_large",
    [SCEP_ERR_HTTP_TIMEOUT] = "http_timeout",
    [SCEP_ERR_HTTP_TLS] = "http_tls",
    [SCEP_ERR_HTTP_CONNECT] = "http_connect",
    [SCEP_ERR_HTTP_STATUS] = "http_status",
    [SCEP_ERR_CA_FINGERPRINT] = "ca_fingerprint",
    [SCEP_ERR_CA_CERT] = "ca_cert",
    [SCEP_ERR_PROTOCOL] = "protocol",
    [SCEP_ERR_FAILURE] = "failure",
    [SCEP_ERR_PENDING] = "pending",
};


int
scep_error_set(scep_error_t *err, scep_code_t code, const char *field,
    const char *fmt, ...)
{
    va_list  ap;

    if (err == NULL) {
        return -1;
    }

    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");

    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);

    return -1;
}


void
scep_error_clear(scep_error_t *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
}


const char *
scep_code_name(scep_code_t code)
{
    if (code < 0 || code >= SCEP_ERR_LAST || scep_code_names[code] == NULL) {
        return "unknown";
    }

    return scep_code_names[code];
}


void
scep_error_add_openssl(scep_error_t *err)
{
    unsigned long  e;
    size_t         len;
    char           reason[128];

    e = ERR_peek_last_error();
    ERR_clear_error();

    if (err == NULL || e == 0) {
        return;
    }

    ERR_error_string_n(e, reason, sizeof(reason));
    len = strlen(err->message);

    snprintf(err->message + len, sizeof(err->message) - len, " (%s)", reason);
}
