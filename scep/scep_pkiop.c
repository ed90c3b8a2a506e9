#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scep_caps.h"
#include "scep_certrep.h"
#include "scep_pkiop.h"
#include "scep_url.h"


#define SCEP_TYPE_PKI_MESSAGE  "application/x-pki-message"

/* Of an error page, this much is quoted in the message. */
#define SCEP_BODY_QUOTED       80

#define SCEP_SERVICE           "the SCEP server"


static void
scep_pkiop_status_error(const char *operation, const char *url,
    const scep_http_response_t *resp, scep_error_t *err)
{
    char    quoted[SCEP_BODY_QUOTED + 1];
    size_t  i, n;

    /* servers explain refusals in a line of text: pass it on, sanitized */
    n = 0;

    if (strncasecmp(resp->content_type, "text/", 5) == 0) {
        for (i = 0; i < resp->len && n < SCEP_BODY_QUOTED; i++) {
            if (resp->body[i] == '\n' || resp->body[i] == '\r') {
                break;
            }

            quoted[n++] = (resp->body[i] >= 0x20 && resp->body[i] < 0x7f)
                          ? (char) resp->body[i] : '?';
        }
    }

    quoted[n] = '\0';

    scep_error_set(err, SCEP_ERR_HTTP_STATUS, NULL,
                   "%s at %s answered HTTP %ld%s%s", operation, url,
                   resp->status, n ? ": " : " (is the server URL right?)",
                   quoted);
}


int
scep_pkiop_get(const scep_profile_t *profile, const char *operation,
    size_t max_response, scep_http_response_t *resp, scep_error_t *err)
{
    int                   rc;
    char                 *url, shown[SCEP_URL_SHOWN];
    size_t                ident_len;
    scep_http_request_t   req;

    /* RFC 8894 section 4.2: the CA-IDENT goes in the message parameter */
    ident_len = (profile->ca_ident != NULL) ? strlen(profile->ca_ident) : 0;

    url = scep_url_operation(profile->server_url, operation,
                             ident_len ? (const unsigned char *)
                                         profile->ca_ident
                                       : NULL,
                             ident_len, err);
    if (url == NULL) {
        return -1;
    }

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = url;
    req.max_response = max_response;
    req.service = SCEP_SERVICE;
    req.ticket = profile->ticket;

    rc = scep_http_exchange(profile, &req, resp, err);

    free(url);

    if (rc != 0) {
        return -1;
    }

    if (resp->status != 200) {
        scep_http_url_for_message(profile->server_url, shown, sizeof(shown));
        scep_pkiop_status_error(operation, shown, resp, err);
        scep_http_response_free(resp);
        return -1;
    }

    return 0;
}


static int
scep_pkiop_transport(const scep_profile_t *profile, int post,
    const unsigned char *der, size_t len, scep_http_response_t *resp,
    scep_error_t *err)
{
    int                   rc;
    char                 *url, *b64;
    scep_http_request_t   req;

    memset(&req, 0, sizeof(req));

    if (post) {
        url = scep_url_operation(profile->server_url, "PKIOperation", NULL,
                                 0, err);
        req.method = "POST";
        req.body = der;
        req.body_len = len;
        req.content_type = SCEP_TYPE_PKI_MESSAGE;

    } else {
        b64 = scep_url_base64(der, len, err);
        if (b64 == NULL) {
            return -1;
        }

        url = scep_url_operation(profile->server_url, "PKIOperation",
                                 (unsigned char *) b64, strlen(b64), err);
        free(b64);
        req.method = "GET";
    }

    if (url == NULL) {
        return -1;
    }

    req.url = url;
    req.max_response = SCEP_MESSAGE_MAX_LEN;
    req.service = SCEP_SERVICE;
    req.ticket = profile->ticket;

    rc = scep_http_exchange(profile, &req, resp, err);

    free(url);

    return rc;
}


int
scep_pkiop_build(const scep_ca_t *ca, const scep_transaction_t *t,
    scep_msg_type_t type, const unsigned char *content, size_t len,
    scep_msg_t *msg, unsigned char **der, size_t *der_len, scep_error_t *err)
{
    scep_msg_keys_t  keys;

    memset(msg, 0, sizeof(scep_msg_t));

    msg->type = type;
    memcpy(msg->transaction_id, t->id, sizeof(t->id));
    msg->has_sender_nonce = 1;

    if (scep_nonce_generate(msg->sender_nonce, err) != 0) {
        return -1;
    }

    keys.signer_cert = t->signer;
    keys.signer_key = t->key;
    keys.md = scep_digest_evp(ca->algs.digest);
    keys.recipient = ca->recipient;
    keys.cipher = scep_cipher_evp(ca->algs.cipher);

    return scep_msg_build(msg, &keys, content, len, der, der_len, err);
}


X509 *
scep_pkiop_send(const scep_profile_t *profile, const scep_ca_t *ca,
    const scep_transaction_t *t, scep_msg_type_t type,
    const unsigned char *content, size_t len, scep_error_t *err)
{
    X509                  *cert;
    char                   shown[SCEP_URL_SHOWN];
    size_t                 der_len;
    scep_msg_t             msg;
    unsigned char         *der;
    scep_http_response_t   resp;

    if (scep_pkiop_build(ca, t, type, content, len, &msg, &der, &der_len,
                         err) != 0)
    {
        return NULL;
    }

    if (scep_pkiop_transport(profile, ca->algs.post, der, der_len, &resp,
                             err) != 0)
    {
        OPENSSL_free(der);
        return NULL;
    }

    OPENSSL_free(der);

    scep_http_url_for_message(profile->server_url, shown, sizeof(shown));
    cert = NULL;

    if (resp.status != 200) {
        scep_pkiop_status_error("PKIOperation", shown, &resp, err);

    } else if (strncasecmp(resp.content_type, SCEP_TYPE_PKI_MESSAGE,
                           sizeof(SCEP_TYPE_PKI_MESSAGE) - 1) != 0)
    {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "PKIOperation at %s answered with content type "
                       "\"%.60s\", not " SCEP_TYPE_PKI_MESSAGE, shown,
                       resp.content_type);

    } else {
        cert = scep_certrep_read(resp.body, resp.len, ca, t,
                                 msg.sender_nonce, profile->fips, shown,
                                 err);
    }

    scep_http_response_free(&resp);

    return cert;
}
