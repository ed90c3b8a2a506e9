/*
 * A throwaway PKI for tests: RSA keys, a self-signed CA, certificates it
 * issues (RA certificates with chosen key usages, end-entity certificates
 * for a request).  Shared by the unit tests and the test SCEP responder
 * (tests/pki/pending_responder.c); not part of the module.
 */

#ifndef SCEP_TEST_CA_H
#define SCEP_TEST_CA_H

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>


/* Each test uses only some of these. */
#define TEST_CA_API  static __attribute__((unused))


TEST_CA_API EVP_PKEY *
test_ca_key(int bits)
{
    return EVP_RSA_gen((unsigned int) bits);
}


/* "O=acme,CN=x" style, most general first, without escapes. */
TEST_CA_API X509_NAME *
test_ca_name(const char *text)
{
    char       *copy, *part, *save, *eq;
    X509_NAME  *name;

    name = X509_NAME_new();
    copy = strdup(text);

    if (name == NULL || copy == NULL) {
        X509_NAME_free(name);
        free(copy);
        return NULL;
    }

    for (part = strtok_r(copy, ",", &save); part != NULL;
         part = strtok_r(NULL, ",", &save))
    {
        eq = strchr(part, '=');

        if (eq == NULL) {
            continue;
        }

        *eq = '\0';

        if (!X509_NAME_add_entry_by_txt(name, part, MBSTRING_UTF8,
                                        (unsigned char *) eq + 1, -1, -1, 0))
        {
            X509_NAME_free(name);
            free(copy);
            return NULL;
        }
    }

    free(copy);

    return name;
}


TEST_CA_API int
test_ca_add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    int              ok;
    X509V3_CTX       ctx;
    X509_EXTENSION  *ext;

    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);

    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) {
        return 0;
    }

    ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);

    return ok;
}


/*
 * A certificate for pub and subject, issued by issuer with issuer_key
 * (issuer NULL: self-signed with issuer_key).  key_usage is an OpenSSL
 * extension value ("critical,digitalSignature") or NULL for none; is_ca
 * adds basicConstraints CA:TRUE.
 */
TEST_CA_API X509 *
test_ca_issue(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *pub,
    const X509_NAME *subject, const char *key_usage, int is_ca, long days)
{
    X509           *cert;
    BIGNUM         *bn;
    unsigned char   rnd[8];

    cert = X509_new();
    bn = BN_new();

    if (cert == NULL || bn == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1) {
        goto failed;
    }

    rnd[0] &= 0x7f;

    if (BN_bin2bn(rnd, sizeof(rnd), bn) == NULL
        || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL
        || !X509_set_version(cert, X509_VERSION_3)
        || !X509_set_subject_name(cert, subject)
        || !X509_set_issuer_name(cert, issuer != NULL
                                       ? X509_get_subject_name(issuer)
                                       : subject)
        || !X509_gmtime_adj(X509_getm_notBefore(cert), -3600)
        || !X509_time_adj_ex(X509_getm_notAfter(cert), (int) days, 0, NULL)
        || !X509_set_pubkey(cert, pub))
    {
        goto failed;
    }

    if (!test_ca_add_ext(cert, issuer != NULL ? issuer : cert,
                         NID_subject_key_identifier, "hash")
        || (issuer != NULL
            && !test_ca_add_ext(cert, issuer, NID_authority_key_identifier,
                                "keyid:always"))
        || (is_ca && !test_ca_add_ext(cert, cert, NID_basic_constraints,
                                      "critical,CA:TRUE"))
        || (key_usage != NULL
            && !test_ca_add_ext(cert, cert, NID_key_usage, key_usage)))
    {
        goto failed;
    }

    if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) {
        goto failed;
    }

    BN_free(bn);

    return cert;

failed:

    BN_free(bn);
    X509_free(cert);

    return NULL;
}


/* A self-signed CA certificate, as most SCEP CAs have. */
TEST_CA_API X509 *
test_ca_root(EVP_PKEY *key, const char *name_text)
{
    X509       *cert;
    X509_NAME  *name;

    name = test_ca_name(name_text);
    if (name == NULL) {
        return NULL;
    }

    cert = test_ca_issue(NULL, key, key, name, "critical,keyCertSign,cRLSign",
                         1, 3650);
    X509_NAME_free(name);

    return cert;
}


/* An RA (or end-entity) certificate from the CA, by subject text. */
TEST_CA_API X509 *
test_ca_leaf(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *pub,
    const char *name_text, const char *key_usage)
{
    X509       *cert;
    X509_NAME  *name;

    name = test_ca_name(name_text);
    if (name == NULL) {
        return NULL;
    }

    cert = test_ca_issue(ca, ca_key, pub, name, key_usage, 0, 365);
    X509_NAME_free(name);

    return cert;
}


#endif /* SCEP_TEST_CA_H */
