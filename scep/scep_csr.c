#include <string.h>

#include <openssl/x509v3.h>

#include "scep_caps.h"
#include "scep_csr.h"


/* The names as one subjectAltName, none when there are none. */
static int
scep_csr_add_sans(STACK_OF(X509_EXTENSION) **exts, const scep_sans_t *sans,
    scep_error_t *err)
{
    int             rc;
    GENERAL_NAMES  *gens;

    if (sans == NULL || sans->n == 0) {
        return 0;
    }

    gens = scep_sans_encode(sans, err);
    if (gens == NULL) {
        return -1;
    }

    rc = X509V3_add1_i2d(exts, NID_subject_alt_name, gens, 0,
                         X509V3_ADD_DEFAULT);
    GENERAL_NAMES_free(gens);

    if (rc != 1) {
        scep_error_set(err, SCEP_ERR_INTERNAL, "subject_alt_name",
                       "cannot encode the subject alternative names");
        scep_error_add_openssl(err);
        return -1;
    }

    return 0;
}


static int
scep_csr_add_key_usage(STACK_OF(X509_EXTENSION) **exts, unsigned usage,
    scep_error_t *err)
{
    int               rc;
    ASN1_BIT_STRING  *ku;

    if (usage == 0) {
        return 0;
    }

    ku = ASN1_BIT_STRING_new();

    /* bit 0 is digitalSignature and bit 2 keyEncipherment (RFC 5280) */
    rc = (ku != NULL
          && ASN1_BIT_STRING_set_bit(ku, 0,
                                     !!(usage & SCEP_KU_DIGITAL_SIGNATURE))
          && ASN1_BIT_STRING_set_bit(ku, 2,
                                     !!(usage & SCEP_KU_KEY_ENCIPHERMENT))
          && X509V3_add1_i2d(exts, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT)
             == 1)
         ? 0 : -1;

    ASN1_BIT_STRING_free(ku);

    if (rc != 0) {
        scep_error_set(err, SCEP_ERR_INTERNAL, "key_usage",
                       "cannot encode the key usage");
        scep_error_add_openssl(err);
    }

    return rc;
}


static int
scep_csr_add_challenge(X509_REQ *req, const char *challenge,
    scep_error_t *err)
{
    int     type;
    size_t  i, len;

    len = strlen(challenge);

    if (len == 0 || len > SCEP_CHALLENGE_MAX_LEN) {
        return scep_error_set(err, SCEP_ERR_INPUT, "challenge",
                              "a challenge password is 1 to %d "
                              "characters long, this one has %zu",
                              SCEP_CHALLENGE_MAX_LEN, len);
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) challenge[i] < 0x20 || challenge[i] == 0x7f) {
            return scep_error_set(err, SCEP_ERR_INPUT, "challenge",
                                  "the challenge password holds a "
                                  "control character");
        }
    }

    /*
     * RFC 2985 asks for a PrintableString when the password fits one, as
     * some CAs only read that; otherwise a UTF8String, checked as UTF-8.
     */
    type = (ASN1_PRINTABLE_type((const unsigned char *) challenge,
                                (int) len) == V_ASN1_PRINTABLESTRING)
           ? V_ASN1_PRINTABLESTRING : MBSTRING_UTF8;

    if (!X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, type,
                                   (const unsigned char *) challenge,
                                   (int) len))
    {
        scep_error_set(err, SCEP_ERR_INPUT, "challenge",
                       "the challenge password is not valid UTF-8");
        scep_error_add_openssl(err);
        return -1;
    }

    return 0;
}


X509_REQ *
scep_csr_build(const scep_profile_t *profile, EVP_PKEY *key,
    const X509_NAME *subject, const scep_sans_t *sans, const char *challenge,
    scep_error_t *err)
{
    X509_REQ                  *req;
    STACK_OF(X509_EXTENSION)  *exts;

    if (profile->fips && profile->digest == SCEP_DIGEST_SHA1) {
        scep_error_set(err, SCEP_ERR_CONFIG, "digest",
                       "FIPS mode refuses SHA-1 for the certificate "
                       "request; choose sha256 or sha384");
        return NULL;
    }

    exts = NULL;
    req = X509_REQ_new();

    if (req == NULL
        || !X509_REQ_set_version(req, X509_REQ_VERSION_1)
        || !X509_REQ_set_subject_name(req, subject)
        || !X509_REQ_set_pubkey(req, key))
    {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot fill the certificate request");
        scep_error_add_openssl(err);
        goto failed;
    }

    if (scep_csr_add_sans(&exts, sans, err) != 0
        || scep_csr_add_key_usage(&exts, profile->key_usage, err) != 0)
    {
        goto failed;
    }

    if (exts != NULL && !X509_REQ_add_extensions(req, exts)) {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot add the extension request");
        scep_error_add_openssl(err);
        goto failed;
    }

    if (challenge != NULL && scep_csr_add_challenge(req, challenge, err)) {
        goto failed;
    }

    if (X509_REQ_sign(req, key, scep_digest_evp(profile->digest)) <= 0) {
        scep_error_set(err, SCEP_ERR_INTERNAL, "digest",
                       "cannot sign the certificate request with %s",
                       EVP_MD_get0_name(scep_digest_evp(profile->digest)));
        scep_error_add_openssl(err);
        goto failed;
    }

    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

    return req;

failed:

    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    scep_csr_free(req);

    return NULL;
}


int
scep_csr_der(X509_REQ *req, unsigned char **der, size_t *len,
    scep_error_t *err)
{
    int  n;

    *der = NULL;
    n = i2d_X509_REQ(req, der);

    if (n <= 0) {
        *der = NULL;
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot encode the certificate request");
        scep_error_add_openssl(err);
        return -1;
    }

    *len = (size_t) n;

    return 0;
}


void
scep_csr_wipe(X509_REQ *req)
{
    int               i;
    ASN1_TYPE        *value;
    ASN1_STRING      *s;
    X509_ATTRIBUTE   *attr;

    i = -1;

    while ((i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword,
                                         i)) >= 0)
    {
        attr = X509_REQ_get_attr(req, i);
        value = (attr != NULL) ? X509_ATTRIBUTE_get0_type(attr, 0) : NULL;

        /* a DirectoryString: one of the string types */
        if (value != NULL && value->type != V_ASN1_BOOLEAN
            && value->type != V_ASN1_NULL
            && value->type != V_ASN1_OBJECT)
        {
            s = value->value.asn1_string;
            OPENSSL_cleanse(s->data, (size_t) s->length);
        }
    }
}


void
scep_csr_free(X509_REQ *req)
{
    if (req == NULL) {
        return;
    }

    scep_csr_wipe(req);
    X509_REQ_free(req);
}
