#include <string.h>
#include <strings.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "scep_caps.h"
#include "scep_certs.h"
#include "scep_nextca.h"
#include "scep_pkiop.h"


#define SCEP_TYPE_NEXT_CA  "application/x-x509-next-ca-cert"


static X509 *scep_nextca_pick(STACK_OF(X509) *certs, const scep_ca_t *ca);
static int scep_nextca_is_current(X509 *x, const scep_ca_t *ca);


X509 *
scep_nextca_parse(const char *content_type, const unsigned char *body,
    size_t len, const scep_ca_t *ca, const char *url, scep_error_t *err)
{
    BIO                  *out, *detached;
    X509                 *next;
    ASN1_OCTET_STRING   **econtent;
    long                  n;
    char                 *content;
    scep_error_t          inner;
    STACK_OF(X509)       *signers, *carried, *inside;
    CMS_ContentInfo      *cms;
    const unsigned char  *p;

    if (content_type == NULL
        || strncasecmp(content_type, SCEP_TYPE_NEXT_CA,
                       sizeof(SCEP_TYPE_NEXT_CA) - 1) != 0)
    {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "GetNextCACert at %s answered with content type "
                       "\"%.60s\", not " SCEP_TYPE_NEXT_CA, url,
                       content_type != NULL ? content_type : "");
        return NULL;
    }

    if (len == 0 || len > SCEP_NEXTCA_MAX_LEN) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "GetNextCACert at %s answered %zu bytes, not 1 to "
                       "%d", url, len, SCEP_NEXTCA_MAX_LEN);
        return NULL;
    }

    p = body;
    cms = d2i_CMS_ContentInfo(NULL, &p, (long) len);

    if (cms == NULL || p != body + len
        || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
    {
        CMS_ContentInfo_free(cms);
        ERR_clear_error();
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the GetNextCACert answer from %s is not a CMS "
                       "SignedData", url);
        return NULL;
    }

    signers = sk_X509_new_null();
    out = BIO_new(BIO_s_mem());
    next = NULL;

    /* the certificates may all be outside an empty signed content */
    econtent = CMS_get0_content(cms);
    detached = (econtent == NULL || *econtent == NULL)
               ? BIO_new_mem_buf("", 0) : NULL;

    /* the current CA's word, and nobody else's: not a certificate inside */
    if (signers == NULL || out == NULL
        || !sk_X509_push(signers, ca->verifier)
        || CMS_verify(cms, signers, NULL, detached, out,
                      CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY)
           != 1)
    {
        BIO_free(detached);
        sk_X509_free(signers);
        BIO_free(out);
        CMS_ContentInfo_free(cms);
        scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                       "the GetNextCACert answer from %s is not signed by "
                       "the current CA", url);
        scep_error_add_openssl(err);
        return NULL;
    }

    BIO_free(detached);
    sk_X509_free(signers);

    carried = CMS_get1_certs(cms);
    CMS_ContentInfo_free(cms);

    next = (carried != NULL) ? scep_nextca_pick(carried, ca) : NULL;
    sk_X509_pop_free(carried, X509_free);

    /* else in the signed content, as a certs-only PKCS#7 */
    n = BIO_get_mem_data(out, &content);

    if (next == NULL && n > 0) {
        inside = scep_certs_from_pkcs7((unsigned char *) content, (size_t) n,
                                       &inner);

        if (inside != NULL) {
            next = scep_nextca_pick(inside, ca);
            scep_certs_free(inside);
        }
    }

    BIO_free(out);
    ERR_clear_error();

    if (next == NULL) {
        scep_error_set(err, SCEP_ERR_CA_CERT, NULL,
                       "the GetNextCACert answer from %s holds no CA "
                       "certificate other than the current one", url);
    }

    return next;
}


/* The first CA certificate that is not one of the current ones. */
static X509 *
scep_nextca_pick(STACK_OF(X509) *certs, const scep_ca_t *ca)
{
    int    i;
    X509  *x;

    for (i = 0; i < sk_X509_num(certs); i++) {
        x = sk_X509_value(certs, i);

        if (X509_check_ca(x) > 0 && !scep_nextca_is_current(x, ca)
            && X509_up_ref(x))
        {
            return x;
        }
    }

    return NULL;
}


static int
scep_nextca_is_current(X509 *x, const scep_ca_t *ca)
{
    int  i;

    for (i = 0; i < sk_X509_num(ca->certs); i++) {
        if (X509_cmp(x, sk_X509_value(ca->certs, i)) == 0) {
            return 1;
        }
    }

    return 0;
}


X509 *
scep_client_next_ca(const scep_profile_t *profile, const scep_ca_t *ca,
    scep_error_t *err)
{
    X509                  *next;
    char                   shown[SCEP_URL_SHOWN];
    scep_http_response_t   resp;

    scep_http_url_for_message(profile->server_url, shown, sizeof(shown));

    if (!(ca->caps & SCEP_CAP_GET_NEXT_CA_CERT)) {
        scep_error_set(err, SCEP_ERR_INPUT, "GetNextCACert",
                       "the CA at %s does not list GetNextCACert in "
                       "GetCACaps", shown);
        return NULL;
    }

    if (scep_pkiop_get(profile, "GetNextCACert", SCEP_NEXTCA_MAX_LEN, &resp,
                       err) != 0)
    {
        return NULL;
    }

    next = scep_nextca_parse(resp.content_type, resp.body, resp.len, ca,
                             shown, err);

    scep_http_response_free(&resp);

    return next;
}
