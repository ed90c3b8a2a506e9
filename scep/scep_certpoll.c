#include <openssl/asn1t.h>

#include "scep_certpoll.h"
#include "scep_message.h"


/* IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name } */
typedef struct {
    X509_NAME  *issuer;
    X509_NAME  *subject;
} scep_issuer_and_subject;

ASN1_SEQUENCE(scep_issuer_and_subject) = {
    ASN1_SIMPLE(scep_issuer_and_subject, issuer, X509_NAME),
    ASN1_SIMPLE(scep_issuer_and_subject, subject, X509_NAME)
} static_ASN1_SEQUENCE_END(scep_issuer_and_subject)

IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(scep_issuer_and_subject)
IMPLEMENT_STATIC_ASN1_ENCODE_FUNCTIONS(scep_issuer_and_subject)


int
scep_certpoll_encode(const X509_NAME *issuer, const X509_NAME *subject,
    unsigned char **der, size_t *len, scep_error_t *err)
{
    int                       n;
    unsigned char            *out;
    scep_issuer_and_subject  *ias;

    *der = NULL;
    *len = 0;
    n = -1;

    ias = scep_issuer_and_subject_new();

    if (ias != NULL
        && X509_NAME_set(&ias->issuer, issuer)
        && X509_NAME_set(&ias->subject, subject))
    {
        out = NULL;
        n = i2d_scep_issuer_and_subject(ias, &out);

        if (n > 0) {
            *der = out;
            *len = (size_t) n;
        }
    }

    scep_issuer_and_subject_free(ias);

    if (n <= 0) {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot encode the CertPoll's IssuerAndSubject");
        scep_error_add_openssl(err);
        return -1;
    }

    return 0;
}


int
scep_certpoll_decode(const unsigned char *der, size_t len,
    X509_NAME **issuer, X509_NAME **subject, scep_error_t *err)
{
    const unsigned char      *p;
    scep_issuer_and_subject  *ias;

    *issuer = NULL;
    *subject = NULL;

    if (len == 0 || len > SCEP_MESSAGE_MAX_LEN) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                              "the CertPoll content is %zu bytes long", len);
    }

    p = der;
    ias = d2i_scep_issuer_and_subject(NULL, &p, (long) len);

    if (ias == NULL || p != der + len) {
        scep_issuer_and_subject_free(ias);
        return scep_error_set(err, SCEP_ERR_PROTOCOL, NULL,
                              "the CertPoll content is not an "
                              "IssuerAndSubject");
    }

    /* the structure gives up its names rather than copying them */
    *issuer = ias->issuer;
    *subject = ias->subject;
    ias->issuer = NULL;
    ias->subject = NULL;

    scep_issuer_and_subject_free(ias);

    return 0;
}
