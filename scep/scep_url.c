#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "scep_url.h"


static int
scep_url_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '.' || c == '_' || c == '~';
}


char *
scep_url_operation(const char *server_url, const char *operation,
    const unsigned char *message, size_t len, scep_error_t *err)
{
    char               *url, *p;
    size_t              i, need;
    static const char   hex[] = "0123456789ABCDEF";

    /* every message byte takes at most three characters */
    need = strlen(server_url) + sizeof("?operation=") + strlen(operation)
           + sizeof("&message=") + 3 * len + 1;

    if (len > SCEP_URL_OPERATION_MAX / 3 || need > SCEP_URL_OPERATION_MAX) {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "the %s URL would be longer than %d bytes",
                       operation, SCEP_URL_OPERATION_MAX);
        return NULL;
    }

    url = malloc(need);
    if (url == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    /* a server URL may already have a query of its own */
    p = url + snprintf(url, need, "%s%coperation=%s", server_url,
                       strchr(server_url, '?') ? '&' : '?', operation);

    if (message != NULL) {
        p += snprintf(p, need - (size_t) (p - url), "&message=");

        for (i = 0; i < len; i++) {
            if (scep_url_unreserved(message[i])) {
                *p++ = (char) message[i];

            } else {
                *p++ = '%';
                *p++ = hex[message[i] >> 4];
                *p++ = hex[message[i] & 0x0f];
            }
        }
    }

    *p = '\0';

    return url;
}


char *
scep_url_base64(const unsigned char *der, size_t len, scep_error_t *err)
{
    char    *out;
    size_t   need;

    if (len > SCEP_URL_OPERATION_MAX) {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "the pkiMessage is too large for a GET");
        return NULL;
    }

    need = 4 * ((len + 2) / 3) + 1;

    out = malloc(need);
    if (out == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    EVP_EncodeBlock((unsigned char *) out, der, (int) len);

    return out;
}
