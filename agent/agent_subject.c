#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/objects.h>

#include "agent-proto/gp_buf.h"
#include "agent_subject.h"


/* As the portal prints names: UTF-8 as it is, not as \C3\A9. */
#define AGENT_NAME_FLAGS  (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)


X509_NAME *
agent_subject_build(const agent_rdn_t *rdns, size_t n, scep_error_t *err)
{
    size_t        i;
    X509_NAME    *name;
    ASN1_OBJECT  *type;

    name = X509_NAME_new();
    if (name == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, "subject",
                       "out of memory building the subject");
        return NULL;
    }

    for (i = 0; i < n; i++) {
        if (!gp_utf8_is_clean_text(rdns[i].value, strlen(rdns[i].value))) {
            scep_error_set(err, SCEP_ERR_SUBJECT, "subject-rdn",
                           "the value of %s is not clean UTF-8 text",
                           rdns[i].type);
            goto failed;
        }

        /* a short or long name, or a dotted OID */
        type = OBJ_txt2obj(rdns[i].type, 0);
        if (type == NULL) {
            scep_error_set(err, SCEP_ERR_SUBJECT, "subject-rdn",
                           "the subject attribute type \"%s\" is unknown",
                           rdns[i].type);
            goto failed;
        }

        /* set -1 joins the RDN of the entry before, 0 starts a new one */
        if (X509_NAME_add_entry_by_OBJ(name, type, MBSTRING_UTF8,
                                       (const unsigned char *) rdns[i].value,
                                       -1, -1, rdns[i].same_rdn ? -1 : 0)
            != 1)
        {
            ASN1_OBJECT_free(type);
            scep_error_set(err, SCEP_ERR_SUBJECT, "subject-rdn",
                           "the value of %s does not fit its type (too "
                           "long, or characters it cannot hold)",
                           rdns[i].type);
            scep_error_add_openssl(err);
            goto failed;
        }

        ASN1_OBJECT_free(type);
    }

    return name;

failed:

    X509_NAME_free(name);

    return NULL;
}


const char *
agent_subject_text(const X509_NAME *name, char *buf, size_t size)
{
    BIO   *bio;
    long   len;
    char  *text;

    bio = BIO_new(BIO_s_mem());

    if (bio == NULL || X509_NAME_print_ex(bio, name, 0, AGENT_NAME_FLAGS) < 0)
    {
        BIO_free(bio);
        return "(unprintable)";
    }

    len = BIO_get_mem_data(bio, &text);

    if (len < 0 || (size_t) len >= size) {
        BIO_free(bio);
        return "(unprintable)";
    }

    memcpy(buf, text, (size_t) len);
    buf[len] = '\0';

    BIO_free(bio);

    return buf;
}
