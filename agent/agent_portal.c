#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "agent_log.h"
#include "agent_portal.h"


#define AGENT_USER_AGENT          "PAN GlobalProtect"
#define AGENT_CONNECT_TIMEOUT_MS  5000L

/* Sets options until one fails; rc keeps the first failure. */
#define agent_curl_opt(rc, curl, option, value)                             \
    if ((rc) == CURLE_OK) {                                                 \
        (rc) = curl_easy_setopt(curl, option, value);                       \
    }


static CURLcode agent_portal_setup(CURL *curl, const agent_options_t *o,
    const char *url, const gp_buf_t *form, agent_portal_answer_t *answer,
    struct curl_slist *headers, char *curl_error);
static size_t agent_portal_sink(char *ptr, size_t size, size_t nmemb,
    void *data);
static void agent_portal_report(CURLcode rc, const agent_options_t *o,
    const char *url, const char *curl_error);


int
agent_portal_post(const agent_options_t *o, const char *path,
    const gp_buf_t *form, agent_portal_answer_t *answer)
{
    int                 ret;
    char                url[AGENT_PORTAL_URL_MAX + 64];
    char                curl_error[CURL_ERROR_SIZE];
    CURL               *curl;
    CURLcode            rc;
    curl_off_t          retry_after;
    struct curl_slist  *headers;

    memset(answer, 0, sizeof(*answer));
    gp_buf_init(&answer->body, AGENT_ANSWER_MAX);

    snprintf(url, sizeof(url), "%s%s", o->portal, path);
    curl_error[0] = '\0';

    curl = curl_easy_init();
    headers = curl_slist_append(NULL, "Expect:");

    if (curl == NULL || headers == NULL) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        agent_log_error("out of memory starting an exchange with the portal");
        return -1;
    }

    rc = agent_portal_setup(curl, o, url, form, answer, headers, curl_error);

    if (rc == CURLE_OK) {
        rc = curl_easy_perform(curl);
    }

    ret = 0;

    if (rc != CURLE_OK) {
        agent_portal_report(rc, o, url, curl_error);
        gp_buf_free_secret(&answer->body);
        ret = -1;

    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer->status);

        retry_after = 0;
        if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after)
            == CURLE_OK && retry_after > 0)
        {
            answer->retry_after = (retry_after < 86400) ? (long) retry_after
                                                        : 86400;
        }

        /* an empty body still reads as an empty string */
        gp_buf_add(&answer->body, "", 0);

        if (answer->body.failed) {
            agent_log_error("out of memory reading the answer of %s", url);
            gp_buf_free_secret(&answer->body);
            ret = -1;
        }
    }

    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    return ret;
}


static CURLcode
agent_portal_setup(CURL *curl, const agent_options_t *o, const char *url,
    const gp_buf_t *form, agent_portal_answer_t *answer,
    struct curl_slist *headers, char *curl_error)
{
    long      timeout_ms, connect_ms;
    CURLcode  rc;

    timeout_ms = o->timeout * 1000L;
    connect_ms = (timeout_ms < AGENT_CONNECT_TIMEOUT_MS)
                 ? timeout_ms : AGENT_CONNECT_TIMEOUT_MS;

    rc = CURLE_OK;

    agent_curl_opt(rc, curl, CURLOPT_URL, url);
    agent_curl_opt(rc, curl, CURLOPT_PROTOCOLS_STR, "https");
    agent_curl_opt(rc, curl, CURLOPT_NOSIGNAL, 1L);
    agent_curl_opt(rc, curl, CURLOPT_ERRORBUFFER, curl_error);
    agent_curl_opt(rc, curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    agent_curl_opt(rc, curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    agent_curl_opt(rc, curl, CURLOPT_USERAGENT, AGENT_USER_AGENT);
    agent_curl_opt(rc, curl, CURLOPT_WRITEFUNCTION, agent_portal_sink);
    agent_curl_opt(rc, curl, CURLOPT_WRITEDATA, &answer->body);
    agent_curl_opt(rc, curl, CURLOPT_MAXFILESIZE_LARGE,
                   (curl_off_t) AGENT_ANSWER_MAX);

    /* the password goes to the portal named, never to a proxy's choice */
    agent_curl_opt(rc, curl, CURLOPT_PROXY, "");
    agent_curl_opt(rc, curl, CURLOPT_FOLLOWLOCATION, 0L);

    /* libcurl sends application/x-www-form-urlencoded for these */
    agent_curl_opt(rc, curl, CURLOPT_POST, 1L);
    agent_curl_opt(rc, curl, CURLOPT_POSTFIELDS,
                   form->data ? form->data : "");
    agent_curl_opt(rc, curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   (curl_off_t) form->len);
    agent_curl_opt(rc, curl, CURLOPT_HTTPHEADER, headers);

    agent_curl_opt(rc, curl, CURLOPT_SSLVERSION,
                   (long) CURL_SSLVERSION_TLSv1_2);

    if (o->insecure) {
        agent_curl_opt(rc, curl, CURLOPT_SSL_VERIFYPEER, 0L);
        agent_curl_opt(rc, curl, CURLOPT_SSL_VERIFYHOST, 0L);

    } else {
        agent_curl_opt(rc, curl, CURLOPT_SSL_VERIFYPEER, 1L);
        agent_curl_opt(rc, curl, CURLOPT_SSL_VERIFYHOST, 2L);

        if (o->ca_file != NULL) {
            /* these roots and nothing else */
            agent_curl_opt(rc, curl, CURLOPT_CAINFO, o->ca_file);
            agent_curl_opt(rc, curl, CURLOPT_CAPATH, (const char *) NULL);
        }
    }

    if (rc != CURLE_OK) {
        agent_log_error("the HTTP library refused a setting: %s",
                        curl_easy_strerror(rc));
    }

    return rc;
}


static size_t
agent_portal_sink(char *ptr, size_t size, size_t nmemb, void *data)
{
    size_t     n;
    gp_buf_t  *body = data;

    n = size * nmemb;

    gp_buf_add(body, ptr, n);

    /* a short count makes libcurl stop with CURLE_WRITE_ERROR */
    return body->failed ? 0 : n;
}


static void
agent_portal_report(CURLcode rc, const agent_options_t *o, const char *url,
    const char *curl_error)
{
    const char  *why;

    why = curl_error[0] ? curl_error : curl_easy_strerror(rc);

    switch (rc) {

    case CURLE_PEER_FAILED_VERIFICATION:
        agent_log_error("the certificate of the portal %s is not trusted "
                        "(%s); %s", o->portal, why,
                        o->ca_file ? "is --ca-file the portal's CA?"
                                   : "give its CA with --ca-file FILE");
        break;

    case CURLE_SSL_CACERT_BADFILE:
        agent_log_error("the --ca-file %s cannot be used (%s)",
                        o->ca_file ? o->ca_file : "", why);
        break;

    case CURLE_OPERATION_TIMEDOUT:
        agent_log_error("the portal %s did not answer within %ld s (%s)",
                        o->portal, o->timeout, why);
        break;

    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        agent_log_error("the answer of %s is larger than %d bytes, or "
                        "memory ran out reading it; it was refused", url,
                        AGENT_ANSWER_MAX);
        break;

    default:
        agent_log_error("the exchange with %s failed: %s", url, why);
        break;
    }
}


void
agent_portal_answer_free(agent_portal_answer_t *answer)
{
    gp_buf_free_secret(&answer->body);
}
