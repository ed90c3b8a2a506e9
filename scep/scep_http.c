#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "scep_http.h"


#define SCEP_HTTP_URL_MESSAGE_LEN   128
#define SCEP_HTTP_CONTENT_TYPE_MAX  128

/* Sets options until one fails; rc keeps the first failure. */
#define scep_http_opt(rc, curl, option, value)                              \
    if ((rc) == CURLE_OK) {                                                 \
        (rc) = curl_easy_setopt(curl, option, value);                       \
    }

/*
 * FIPS 140 approved suites only: AES-GCM with ephemeral key exchange for
 * TLS 1.2, and the AES-GCM suites of TLS 1.3.
 */
#define SCEP_HTTP_FIPS_CIPHERS                                              \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"            \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"            \
    "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256"
#define SCEP_HTTP_FIPS_TLS13_CIPHERS                                        \
    "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"


typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          cap;
    size_t          max;
    int             too_large;
    int             no_memory;
} scep_http_sink_t;

typedef struct {
    const scep_profile_t       *profile;
    const scep_http_request_t  *req;
    const char                 *service;
    char                        url[SCEP_HTTP_URL_MESSAGE_LEN];
    char                        curl_error[CURL_ERROR_SIZE];
    scep_http_sink_t            sink;
    long                        connect_timeout_ms;
    long                        timeout_ms;
    int                         cert_requested;
} scep_http_call_t;


static void scep_http_init_once(void);
static int scep_http_perform(CURL *curl, scep_http_call_t *call,
    scep_http_response_t *resp, scep_error_t *err);
static int scep_http_check_request(scep_http_call_t *call, scep_error_t *err);
static int scep_http_setup(CURL *curl, scep_http_call_t *call,
    struct curl_slist **headers, scep_error_t *err);
static int scep_http_setup_tls(CURL *curl, scep_http_call_t *call);
static CURLcode scep_http_ssl_ctx(CURL *curl, void *ssl_ctx, void *data);
static int scep_http_client_cert_asked(SSL *ssl, X509 **x509,
    EVP_PKEY **pkey);
static size_t scep_http_sink_write(char *ptr, size_t size, size_t nmemb,
    void *data);
static void scep_http_sink_wipe(scep_http_sink_t *sink);
static int scep_http_report(CURL *curl, CURLcode rc, scep_http_call_t *call,
    scep_error_t *err);
static int scep_http_report_verify(CURL *curl, scep_http_call_t *call,
    scep_error_t *err);
static int scep_http_no_client_cert(scep_http_call_t *call,
    scep_error_t *err);
static void scep_http_copy_printable(const char *s, const char *skip_from,
    const char *skip_to, char *buf, size_t size);
static int scep_http_check_ticket(const char *ticket);


static pthread_once_t  scep_http_once = PTHREAD_ONCE_INIT;
static CURLcode        scep_http_init_rc = CURLE_FAILED_INIT;
static int             scep_http_ssl_index = -1;


int
scep_http_global_init(scep_error_t *err)
{
    pthread_once(&scep_http_once, scep_http_init_once);

    if (scep_http_init_rc != CURLE_OK || scep_http_ssl_index < 0) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "",
                              "the HTTP library could not be initialised: %s",
                              curl_easy_strerror(scep_http_init_rc));
    }

    return 0;
}


static void
scep_http_init_once(void)
{
    scep_http_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);

    scep_http_ssl_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
                                                   NULL);
}


int
scep_http_exchange(const scep_profile_t *profile,
    const scep_http_request_t *req, scep_http_response_t *resp,
    scep_error_t *err)
{
    int                 rc;
    CURL               *curl;
    scep_http_call_t    call;
    struct curl_slist  *headers;

    memset(resp, 0, sizeof(*resp));

    if (scep_http_global_init(err) != 0) {
        return -1;
    }

    memset(&call, 0, sizeof(call));
    call.profile = profile;
    call.req = req;

    if (scep_http_check_request(&call, err) != 0) {
        return -1;
    }

    curl = curl_easy_init();
    if (curl == NULL) {
        return scep_error_set(err, SCEP_ERR_NOMEM, "",
                              "out of memory starting an HTTP exchange");
    }

    headers = NULL;
    rc = scep_http_setup(curl, &call, &headers, err);

    if (rc == 0) {
        rc = scep_http_perform(curl, &call, resp, err);
    }

    if (rc != 0) {
        memset(resp, 0, sizeof(*resp));
    }

    scep_http_sink_wipe(&call.sink);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    return rc;
}


static int
scep_http_perform(CURL *curl, scep_http_call_t *call,
    scep_http_response_t *resp, scep_error_t *err)
{
    char      *content_type;
    CURLcode   rc;

    rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        return scep_http_report(curl, rc, call, err);
    }

    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);

    /*
     * nginx answers a missing client certificate with 400 (its internal
     * 496) after a complete handshake: the refusal only shows as a status
     * that follows the server's request for a certificate.
     */
    if (call->cert_requested && call->profile->client_cert == NULL
        && (resp->status == 400 || resp->status == 495
            || resp->status == 496))
    {
        return scep_http_no_client_cert(call, err);
    }

    if (call->sink.data == NULL) {
        call->sink.data = calloc(1, 1);
        if (call->sink.data == NULL) {
            return scep_error_set(err, SCEP_ERR_NOMEM, "",
                                  "out of memory reading the answer of %s",
                                  call->service);
        }

        call->sink.cap = 1;
    }

    content_type = NULL;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type);
    scep_http_copy_printable(content_type ? content_type : "", NULL, NULL,
                             resp->content_type, sizeof(resp->content_type));

    resp->body = call->sink.data;
    resp->len = call->sink.len;
    call->sink.data = NULL;

    return 0;
}


static int
scep_http_check_request(scep_http_call_t *call, scep_error_t *err)
{
    const scep_profile_t       *p = call->profile;
    const scep_http_request_t  *req = call->req;

    call->service = req->service ? req->service : "the PKI server";

    if (req->url == NULL || req->url[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_CONFIG, "",
                              "%s has no URL", call->service);
    }

    scep_http_url_for_message(req->url, call->url, sizeof(call->url));

    if (strncasecmp(req->url, "https://", 8) != 0
        && strncasecmp(req->url, "http://", 7) != 0)
    {
        return scep_error_set(err, SCEP_ERR_CONFIG, "",
                              "the URL %s of %s must start with http:// "
                              "or https://", call->url, call->service);
    }

    if (p->fips && strncasecmp(req->url, "https://", 8) != 0) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "fips",
                              "FIPS mode allows only https URLs, and %s "
                              "is at %s", call->service, call->url);
    }

    if (req->method == NULL
        || (strcmp(req->method, "GET") != 0
            && strcmp(req->method, "POST") != 0))
    {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "",
                              "HTTP method must be GET or POST");
    }

    if (req->content_type != NULL
        && (strlen(req->content_type) > SCEP_HTTP_CONTENT_TYPE_MAX
            || strpbrk(req->content_type, "\r\n") != NULL))
    {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "",
                              "the content type of a request to %s is "
                              "longer than %d bytes or holds a line break",
                              call->service, SCEP_HTTP_CONTENT_TYPE_MAX);
    }

    if (req->ticket != NULL && scep_http_check_ticket(req->ticket) != 0) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "",
                              "the enrollment ticket for %s is empty, "
                              "longer than %d bytes, or holds a character "
                              "an HTTP header cannot carry", call->service,
                              SCEP_HTTP_TICKET_MAX);
    }

    call->sink.max = req->max_response ? req->max_response
                                       : SCEP_HTTP_MAX_RESPONSE;
    if (call->sink.max > SCEP_HTTP_MAX_RESPONSE_CEILING) {
        call->sink.max = SCEP_HTTP_MAX_RESPONSE_CEILING;
    }

    call->connect_timeout_ms = p->connect_timeout_ms > 0
                               ? p->connect_timeout_ms
                               : SCEP_HTTP_CONNECT_TIMEOUT_MS;
    call->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms
                                         : SCEP_HTTP_TIMEOUT_MS;

    return 0;
}


static int
scep_http_setup(CURL *curl, scep_http_call_t *call,
    struct curl_slist **headers, scep_error_t *err)
{
    long                        auth;
    char                        line[SCEP_HTTP_TICKET_MAX + 32];
    CURLcode                    rc;
    struct curl_slist          *h;
    const scep_http_request_t  *req = call->req;

    rc = CURLE_OK;

    scep_http_opt(rc, curl, CURLOPT_URL, req->url);
    scep_http_opt(rc, curl, CURLOPT_PROTOCOLS_STR, "http,https");
    scep_http_opt(rc, curl, CURLOPT_NOSIGNAL, 1L);
    scep_http_opt(rc, curl, CURLOPT_ERRORBUFFER, call->curl_error);
    scep_http_opt(rc, curl, CURLOPT_CONNECTTIMEOUT_MS,
                  call->connect_timeout_ms);
    scep_http_opt(rc, curl, CURLOPT_TIMEOUT_MS, call->timeout_ms);
    scep_http_opt(rc, curl, CURLOPT_MAXFILESIZE_LARGE,
                  (curl_off_t) call->sink.max);
    scep_http_opt(rc, curl, CURLOPT_WRITEFUNCTION, scep_http_sink_write);
    scep_http_opt(rc, curl, CURLOPT_WRITEDATA, &call->sink);
    scep_http_opt(rc, curl, CURLOPT_USERAGENT, "ngx_scep");

    /*
     * NTLM authenticates a connection, not a request, and does not work
     * over HTTP/2; SCEP servers speak HTTP/1.1 anyway.
     */
    scep_http_opt(rc, curl, CURLOPT_HTTP_VERSION,
                  (long) CURL_HTTP_VERSION_1_1);

    /*
     * The PKI is reached directly: a proxy taken from the environment
     * would silently change who sees the credentials.
     */
    scep_http_opt(rc, curl, CURLOPT_PROXY, "");

    if (strcmp(req->method, "POST") == 0) {
        scep_http_opt(rc, curl, CURLOPT_POST, 1L);
        scep_http_opt(rc, curl, CURLOPT_POSTFIELDS, req->body ? req->body
                                                    : (const void *) "");
        scep_http_opt(rc, curl, CURLOPT_POSTFIELDSIZE_LARGE,
                      (curl_off_t) (req->body ? req->body_len : 0));

        /* a 100-continue round trip only adds latency for small bodies */
        h = curl_slist_append(*headers, "Expect:");
        if (h == NULL) {
            rc = CURLE_OUT_OF_MEMORY;
        } else {
            *headers = h;
        }

        if (req->content_type != NULL && rc == CURLE_OK) {
            snprintf(line, sizeof(line), "Content-Type: %s",
                     req->content_type);

            h = curl_slist_append(*headers, line);
            if (h == NULL) {
                rc = CURLE_OUT_OF_MEMORY;
            } else {
                *headers = h;
            }
        }

    } else {
        scep_http_opt(rc, curl, CURLOPT_HTTPGET, 1L);
    }

    /* proxy mode: the portal lets a request through only with it */
    if (req->ticket != NULL && rc == CURLE_OK) {
        snprintf(line, sizeof(line), "X-SCEP-Ticket: %s", req->ticket);

        h = curl_slist_append(*headers, line);
        if (h == NULL) {
            rc = CURLE_OUT_OF_MEMORY;
        } else {
            *headers = h;
        }
    }

    if (*headers != NULL) {
        scep_http_opt(rc, curl, CURLOPT_HTTPHEADER, *headers);
    }

    if (req->username != NULL) {
        switch (req->auth) {
        case SCEP_HTTP_AUTH_NTLM:
            auth = (long) CURLAUTH_NTLM;
            break;
        case SCEP_HTTP_AUTH_ANY:
            auth = (long) CURLAUTH_ANY;
            break;
        default:
            auth = (long) CURLAUTH_BASIC;
            break;
        }

        scep_http_opt(rc, curl, CURLOPT_HTTPAUTH, auth);
        scep_http_opt(rc, curl, CURLOPT_USERNAME, req->username);
        scep_http_opt(rc, curl, CURLOPT_PASSWORD,
                      req->password ? req->password : "");
    }

    if (rc != CURLE_OK) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "",
                              "the HTTP library refused a setting for %s: %s",
                              call->service, curl_easy_strerror(rc));
    }

    if (scep_http_setup_tls(curl, call) != 0) {
        return scep_error_set(err, SCEP_ERR_HTTP_TLS, "",
                              "the HTTP library refused a TLS setting for "
                              "%s", call->service);
    }

    return 0;
}


static int
scep_http_setup_tls(CURL *curl, scep_http_call_t *call)
{
    CURLcode               rc;
    const scep_profile_t  *p = call->profile;

    rc = CURLE_OK;

    scep_http_opt(rc, curl, CURLOPT_SSLVERSION,
                  (long) CURL_SSLVERSION_TLSv1_2);
    scep_http_opt(rc, curl, CURLOPT_SSL_VERIFYPEER, 1L);
    scep_http_opt(rc, curl, CURLOPT_SSL_VERIFYHOST, 2L);

    if (p->trusted_ca != NULL) {
        /* the profile's root and nothing else: no system store */
        scep_http_opt(rc, curl, CURLOPT_CAINFO, p->trusted_ca);
        scep_http_opt(rc, curl, CURLOPT_CAPATH, (const char *) NULL);
    }

    if (p->client_cert != NULL) {
        scep_http_opt(rc, curl, CURLOPT_SSLCERT, p->client_cert);
        scep_http_opt(rc, curl, CURLOPT_SSLCERTTYPE, "PEM");

        if (p->client_key != NULL) {
            scep_http_opt(rc, curl, CURLOPT_SSLKEY, p->client_key);
            scep_http_opt(rc, curl, CURLOPT_SSLKEYTYPE, "PEM");
        }
    }

    if (p->fips) {
        scep_http_opt(rc, curl, CURLOPT_SSL_CIPHER_LIST,
                      SCEP_HTTP_FIPS_CIPHERS);
        scep_http_opt(rc, curl, CURLOPT_TLS13_CIPHERS,
                      SCEP_HTTP_FIPS_TLS13_CIPHERS);
    }

    if (rc != CURLE_OK) {
        return -1;
    }

    /*
     * Only to learn whether the server asked for a client certificate;
     * without this hook a refusal would be indistinguishable from any
     * other failed handshake.  A build without OpenSSL just loses that.
     */
    if (curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, scep_http_ssl_ctx)
        == CURLE_OK)
    {
        curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, call);
    }

    return 0;
}


static CURLcode
scep_http_ssl_ctx(CURL *curl, void *ssl_ctx, void *data)
{
    SSL_CTX  *ctx = ssl_ctx;

    (void) curl;

    if (SSL_CTX_set_ex_data(ctx, scep_http_ssl_index, data) != 1) {
        return CURLE_OUT_OF_MEMORY;
    }

    SSL_CTX_set_client_cert_cb(ctx, scep_http_client_cert_asked);

    return CURLE_OK;
}


/* OpenSSL calls this only when the server asks and no certificate is set. */
static int
scep_http_client_cert_asked(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    scep_http_call_t  *call;

    (void) x509;
    (void) pkey;

    call = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), scep_http_ssl_index);
    if (call != NULL) {
        call->cert_requested = 1;
    }

    return 0;
}


static size_t
scep_http_sink_write(char *ptr, size_t size, size_t nmemb, void *data)
{
    size_t             n, cap;
    unsigned char     *grown;
    scep_http_sink_t  *sink = data;

    n = size * nmemb;

    if (n > sink->max - sink->len) {
        sink->too_large = 1;
        return 0;
    }

    if (sink->len + n + 1 > sink->cap) {
        cap = sink->cap ? sink->cap : 4096;

        while (cap < sink->len + n + 1) {
            cap *= 2;
        }

        if (cap > sink->max + 1) {
            cap = sink->max + 1;
        }

        /* not realloc: the old block may hold a password and is wiped */
        grown = malloc(cap);
        if (grown == NULL) {
            sink->no_memory = 1;
            return 0;
        }

        if (sink->data != NULL) {
            memcpy(grown, sink->data, sink->len);
            OPENSSL_cleanse(sink->data, sink->cap);
            free(sink->data);
        }

        sink->data = grown;
        sink->cap = cap;
    }

    memcpy(sink->data + sink->len, ptr, n);
    sink->len += n;
    sink->data[sink->len] = '\0';

    return n;
}


static void
scep_http_sink_wipe(scep_http_sink_t *sink)
{
    if (sink->data != NULL) {
        OPENSSL_cleanse(sink->data, sink->cap);
        free(sink->data);
        sink->data = NULL;
    }

    sink->len = 0;
    sink->cap = 0;
}


static int
scep_http_report(CURL *curl, CURLcode rc, scep_http_call_t *call,
    scep_error_t *err)
{
    curl_off_t             connected;
    const char            *why;
    const scep_profile_t  *p = call->profile;

    why = call->curl_error[0] ? call->curl_error : curl_easy_strerror(rc);

    switch (rc) {

    case CURLE_OPERATION_TIMEDOUT:
        connected = 0;
        curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connected);

        if (connected == 0) {
            return scep_error_set(err, SCEP_ERR_HTTP_TIMEOUT, "",
                                  "could not connect to %s at %s within "
                                  "%ld ms", call->service, call->url,
                                  call->connect_timeout_ms);
        }

        return scep_error_set(err, SCEP_ERR_HTTP_TIMEOUT, "",
                              "%s at %s did not answer within %ld ms",
                              call->service, call->url, call->timeout_ms);

    case CURLE_COULDNT_RESOLVE_HOST:
        return scep_error_set(err, SCEP_ERR_HTTP_CONNECT, "",
                              "the host name of %s at %s does not resolve "
                              "(%s)", call->service, call->url, why);

    case CURLE_COULDNT_CONNECT:
        return scep_error_set(err, SCEP_ERR_HTTP_CONNECT, "",
                              "could not connect to %s at %s (%s)",
                              call->service, call->url, why);

    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (call->sink.no_memory) {
            return scep_error_set(err, SCEP_ERR_NOMEM, "",
                                  "out of memory reading the answer of %s",
                                  call->service);
        }

        return scep_error_set(err, SCEP_ERR_HTTP_TOO_LARGE, "",
                              "%s at %s sent an answer larger than %zu "
                              "bytes; it was refused", call->service,
                              call->url, call->sink.max);

    case CURLE_PEER_FAILED_VERIFICATION:
        return scep_http_report_verify(curl, call, err);

    case CURLE_SSL_CACERT_BADFILE:
        return scep_error_set(err, SCEP_ERR_HTTP_TLS,
                              "tls_trusted_certificate",
                              "the trusted root file %s could not be loaded "
                              "(%s)", p->trusted_ca ? p->trusted_ca : "",
                              why);

    case CURLE_SSL_CERTPROBLEM:
        return scep_error_set(err, SCEP_ERR_HTTP_TLS, "tls_certificate",
                              "the client certificate %s or its key could "
                              "not be used (%s)",
                              p->client_cert ? p->client_cert : "", why);

    case CURLE_SSL_CIPHER:
        return scep_error_set(err, SCEP_ERR_HTTP_TLS, "",
                              "no TLS cipher suite acceptable to the "
                              "profile could be used with %s at %s (%s)",
                              call->service, call->url, why);

    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        if (p->client_cert == NULL
            && (call->cert_requested
                || strstr(call->curl_error, "certificate required") != NULL))
        {
            return scep_http_no_client_cert(call, err);
        }

        if (rc == CURLE_SSL_CONNECT_ERROR) {
            return scep_error_set(err, SCEP_ERR_HTTP_TLS, "",
                                  "the TLS handshake with %s at %s failed "
                                  "(%s)", call->service, call->url, why);
        }

        return scep_error_set(err, SCEP_ERR_HTTP_CONNECT, "",
                              "the connection to %s at %s failed (%s)",
                              call->service, call->url, why);

    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return scep_error_set(err, SCEP_ERR_CONFIG, "",
                              "the URL %s of %s is not a valid http or https "
                              "URL (%s)", call->url, call->service, why);

    case CURLE_OUT_OF_MEMORY:
        return scep_error_set(err, SCEP_ERR_NOMEM, "",
                              "out of memory talking to %s", call->service);

    default:
        return scep_error_set(err, SCEP_ERR_HTTP_CONNECT, "",
                              "the exchange with %s at %s failed (%s)",
                              call->service, call->url, why);
    }
}


static int
scep_http_report_verify(CURL *curl, scep_http_call_t *call,
    scep_error_t *err)
{
    long                   result;
    const char            *why;
    const scep_profile_t  *p = call->profile;

    result = X509_V_OK;
    curl_easy_getinfo(curl, CURLINFO_SSL_VERIFYRESULT, &result);

    /*
     * libcurl checks the name itself once OpenSSL accepted the chain, and
     * then records no precise verify result: its own sentence tells.
     */
    if (result == X509_V_ERR_HOSTNAME_MISMATCH
        || result == X509_V_ERR_IP_ADDRESS_MISMATCH
        || strstr(call->curl_error, "target host name") != NULL)
    {
        return scep_error_set(err, SCEP_ERR_HTTP_TLS, "",
                              "the certificate of %s does not match the "
                              "host name in %s (%s)", call->service,
                              call->url, call->curl_error);
    }

    why = (result != X509_V_OK) ? X509_verify_cert_error_string(result)
                                : call->curl_error;

    if (p->trusted_ca != NULL) {
        return scep_error_set(err, SCEP_ERR_HTTP_TLS,
                              "tls_trusted_certificate",
                              "the certificate of %s at %s is not trusted by "
                              "tls_trusted_certificate %s (%s)",
                              call->service, call->url, p->trusted_ca, why);
    }

    return scep_error_set(err, SCEP_ERR_HTTP_TLS, "tls_trusted_certificate",
                          "the certificate of %s at %s is not trusted by the "
                          "system's roots; set tls_trusted_certificate (%s)",
                          call->service, call->url, why);
}


static int
scep_http_no_client_cert(scep_http_call_t *call, scep_error_t *err)
{
    return scep_error_set(err, SCEP_ERR_HTTP_TLS, "tls_certificate",
                          "%s at %s requires a client certificate and the "
                          "profile has none (tls_certificate)",
                          call->service, call->url);
}


void
scep_http_response_free(scep_http_response_t *resp)
{
    if (resp == NULL) {
        return;
    }

    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
}


void
scep_http_response_free_secret(scep_http_response_t *resp)
{
    if (resp == NULL) {
        return;
    }

    if (resp->body != NULL) {
        OPENSSL_cleanse(resp->body, resp->len);
    }

    scep_http_response_free(resp);
}


void
scep_http_url_for_message(const char *url, char *buf, size_t size)
{
    const char  *p, *userinfo, *host;

    userinfo = strstr(url, "://");
    host = NULL;

    if (userinfo != NULL) {
        userinfo += 3;

        /* the user information ends at the last '@' before the path */
        for (p = userinfo; *p && *p != '/' && *p != '?' && *p != '#'; p++) {
            if (*p == '@') {
                host = p + 1;
            }
        }
    }

    scep_http_copy_printable(url, host ? userinfo : NULL, host, buf, size);
}


static void
scep_http_copy_printable(const char *s, const char *skip_from,
    const char *skip_to, char *buf, size_t size)
{
    size_t  i;

    if (size == 0) {
        return;
    }

    for (i = 0; *s && i < size - 1; s++) {
        if (s == skip_from) {
            s = skip_to;

            if (*s == '\0') {
                break;
            }
        }

        buf[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    }

    buf[i] = '\0';

    if (*s != '\0' && size > 4) {
        memcpy(buf + size - 4, "...", 4);
    }
}


/* 1 to SCEP_HTTP_TICKET_MAX bytes of printable ASCII, no blank. */
static int
scep_http_check_ticket(const char *ticket)
{
    size_t  i;

    for (i = 0; ticket[i] != '\0'; i++) {
        if (i == SCEP_HTTP_TICKET_MAX
            || ticket[i] <= 0x20 || ticket[i] >= 0x7f)
        {
            return -1;
        }
    }

    return (i == 0) ? -1 : 0;
}
