/*
 * HTTP to the PKI (the challenge page and the SCEP service) through
 * libcurl, with the profile's TLS rules: its trusted root only when one is
 * set, host name checked, TLS 1.2 or newer, an optional client
 * certificate, and the FIPS rules when the profile asks for them.
 *
 * Blocking: call it from a worker thread.  Every exchange has a connect
 * timeout, a total timeout and a bound on the size of the answer.
 */

#ifndef SCEP_HTTP_H
#define SCEP_HTTP_H

#include <stddef.h>

#include "scep_error.h"
#include "scep_profile.h"


#define SCEP_HTTP_MAX_RESPONSE           (1024 * 1024)
#define SCEP_HTTP_MAX_RESPONSE_CEILING   (64 * 1024 * 1024)
#define SCEP_HTTP_CONNECT_TIMEOUT_MS     5000L
#define SCEP_HTTP_TIMEOUT_MS             30000L
#define SCEP_HTTP_TICKET_MAX             1024


typedef struct {
    const char            *method;         /* "GET" or "POST" */
    const char            *url;
    const unsigned char   *body;           /* POST only */
    size_t                 body_len;
    const char            *content_type;   /* POST only */

    const char            *username;       /* HTTP authentication, or NULL */
    const char            *password;
    scep_http_auth_t       auth;

    /* bytes; 0 means SCEP_HTTP_MAX_RESPONSE, capped at the ceiling */
    size_t                 max_response;

    /* names the peer in messages, e.g. "the challenge service"; NULL: "the
     * PKI server" */
    const char            *service;

    /* sent as "X-SCEP-Ticket: <ticket>", or NULL; never in a message */
    const char            *ticket;
} scep_http_request_t;

typedef struct {
    long             status;
    char             content_type[128];
    unsigned char   *body;                 /* malloc'd, NUL-terminated */
    size_t           len;
} scep_http_response_t;


/* Once per process, before any thread uses it; later calls do nothing. */
int scep_http_global_init(scep_error_t *err);

/*
 * Performs one exchange under the profile's TLS settings and timeouts.
 * A transport failure (connect, TLS, timeout, size) is an error; any HTTP
 * status is returned for the caller to judge, except a refusal that
 * follows the server's request for a client certificate when the profile
 * has none: that is reported as SCEP_ERR_HTTP_TLS.
 *
 * Credentials are never part of a message, and URLs in messages lose
 * their user information.  On failure *resp holds nothing to free.
 */
int scep_http_exchange(const scep_profile_t *profile,
    const scep_http_request_t *req, scep_http_response_t *resp,
    scep_error_t *err);

void scep_http_response_free(scep_http_response_t *resp);

/* As free, wiping the body first (it held a password). */
void scep_http_response_free_secret(scep_http_response_t *resp);

/*
 * Copies url into buf for a message: user information removed, control
 * characters replaced, cut with "..." when longer than the buffer.
 */
void scep_http_url_for_message(const char *url, char *buf, size_t size);


#endif /* SCEP_HTTP_H */
