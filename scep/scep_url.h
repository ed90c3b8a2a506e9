/*
 * SCEP operation URLs (RFC 8894, section 4.1):
 * <server URL>?operation=<OPERATION>[&message=<percent-encoded message>].
 */

#ifndef SCEP_URL_H
#define SCEP_URL_H

#include <stddef.h>

#include "scep_error.h"


/* A GET PKIOperation carries the whole pkiMessage in its query. */
#define SCEP_URL_OPERATION_MAX  (512 * 1024)


/*
 * The URL of an operation; message (len bytes, may be NULL) is
 * percent-encoded but for RFC 3986's unreserved characters.  The result
 * is malloc'd.
 */
char *scep_url_operation(const char *server_url, const char *operation,
    const unsigned char *message, size_t len, scep_error_t *err);

/* The base64 of a pkiMessage for a GET, malloc'd and NUL-terminated. */
char *scep_url_base64(const unsigned char *der, size_t len,
    scep_error_t *err);


#endif /* SCEP_URL_H */
