/*
 * Errors of the SCEP core: a stable code, the setting or input at fault,
 * and a sentence a person can act on.
 */

#ifndef SCEP_ERROR_H
#define SCEP_ERROR_H

#include <stddef.h>


typedef enum {
    SCEP_OK = 0,

    /* configuration, found at nginx -t */
    SCEP_ERR_CONFIG,
    SCEP_ERR_FILE,

    /* building a request for one user */
    SCEP_ERR_SUBJECT,
    SCEP_ERR_INPUT,
    SCEP_ERR_NOMEM,
    SCEP_ERR_INTERNAL,

    /* the challenge service */
    SCEP_ERR_CHALLENGE_CACHE_FULL,
    SCEP_ERR_CHALLENGE_PERMISSION,
    SCEP_ERR_CHALLENGE_AUTH,
    SCEP_ERR_CHALLENGE_STATUS,
    SCEP_ERR_CHALLENGE_NO_PASSWORD,

    /* any HTTP exchange with the PKI */
    SCEP_ERR_HTTP_TOO_LARGE,
    SCEP_ERR_HTTP_TIMEOUT,
    SCEP_ERR_HTTP_TLS,
    SCEP_ERR_HTTP_CONNECT,
    SCEP_ERR_HTTP_STATUS,

    /* the SCEP transaction */
    SCEP_ERR_CA_FINGERPRINT,
    SCEP_ERR_CA_CERT,
    SCEP_ERR_PROTOCOL,
    SCEP_ERR_FAILURE,
    SCEP_ERR_PENDING,

    SCEP_ERR_LAST
} scep_code_t;


#define SCEP_ERROR_FIELD_LEN    48
#define SCEP_ERROR_MESSAGE_LEN  320

typedef struct {
    scep_code_t  code;
    char         field[SCEP_ERROR_FIELD_LEN];
    char         message[SCEP_ERROR_MESSAGE_LEN];
} scep_error_t;


/*
 * Records an error; returns -1 so that callers can write
 * "return scep_error_set(...)". err may be NULL.
 */
int scep_error_set(scep_error_t *err, scep_code_t code, const char *field,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

void scep_error_clear(scep_error_t *err);

/* A stable lower-case name for logs and tests, e.g. "challenge_cache_full". */
const char *scep_code_name(scep_code_t code);

/* Appends OpenSSL's queued reason, if any, to the error's message. */
void scep_error_add_openssl(scep_error_t *err);


#endif /* SCEP_ERROR_H */
