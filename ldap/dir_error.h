/*
 * Filling a dir_error_t: from the client's own checks, and from a result
 * code of libldap.
 */

#ifndef DIR_ERROR_H
#define DIR_ERROR_H

#include <stdarg.h>

#include <ldap.h>

#include "dir.h"
#include "dir_account.h"


#define DIR_BAD_CREDENTIALS_MESSAGE  "invalid username or password"


/*
 * Records an error and returns -1, so that callers can write
 * "return dir_error_set(...)".  server may be NULL; err may be NULL.
 */
int dir_error_set(dir_error_t *err, dir_code_t code, const char *server,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

int dir_error_vset(dir_error_t *err, dir_code_t code, const char *server,
    const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 0)))
#endif
    ;

void dir_error_clear(dir_error_t *err);

/* The one answer for every kind of failed authentication. */
int dir_error_bad_credentials(dir_error_t *err);

/*
 * The service account was refused (a wrong password, or the state r
 * tells): DIR_ERR_SERVICE_ACCOUNT with the reason in the server's terms.
 */
int dir_error_service_account(dir_error_t *err, const char *url,
    const char *bind_dn, const dir_bind_result_t *r);

/*
 * Maps libldap's result rc of the operation "doing" (a noun phrase such
 * as "the user search") on server url to a code, and writes a message
 * with libldap's reason and the server's diagnostic, if any.  Returns -1.
 */
int dir_error_ldap(dir_error_t *err, LDAP *ld, const char *url, int rc,
    const char *doing, long timeout_ms);


#endif /* DIR_ERROR_H */
