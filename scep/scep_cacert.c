#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "scep_cacert.h"
#include "scep_certs.h"


#define SCEP_TYPE_CA     "application/x-x509-ca-cert"
#define SCEP_TYPE_CA_RA  "application/x-x509-ca-ra-cert"

/* Shown in a message when a server sends something unexpected. */
#define SCEP_TYPE_SHOWN  64


/* Compares a Content-Type header, parameters and case aside. */
static int
scep_content_type_is(const char *header, const char *type)
{
    size_t  n;

    n = strlen(type);

    if (strncasecmp(header, type, n) != 0) {
        return 0;
    }

    return header[n] == '\0' || header[n] == ';' || header[n] == ' ';
}


static void
scep_printable_copy(const char *in, char *out, size_t len)
{
    size_t  i;

    for (i = 0; i + 1 < len && in[i] != '\0'; i++) {
        out[i] = isprint((unsigned char) in[i]) ? in[i] : '?';
    }

    out[i] = '\0';
}


static STACK_OF(X509) *
scep_cacert_single(const unsigned char *body, size_t len, const char *url,
    scep_error_t *err)
{
    X509                 *cert;
    STACK_OF(X509)       *certs;
    const unsigned char  *p;

    p = body;
    cert = d2i_X509(NULL, &p, (long) len);

    if (cert == NULL || p != body + len) {
        X509_free(cert);
        scep_error_set(err, SCEP_ERR_CA_CERT, NULL,
                       "the GetCACert answer from %s is not one DER "
                       "certificate", url);
        scep_error_add_openssl(err);
        return NULL;
    }

    certs = sk_X509_new_null();

    if (certs == NULL || !sk_X509_push(certs, cert)) {
        X509_free(cert);
        sk_X509_free(certs);
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    return certs;
}


STACK_OF(X509) *
scep_cacert_parse(const char *content_type, const unsigned char *body,
    size_t len, const char *url, scep_error_t *err)
{
    char             shown[SCEP_TYPE_SHOWN];
    scep_error_t     inner;
    STACK_OF(X509)  *certs;

    if (len == 0 || len > SCEP_CACERT_MAX_LEN) {
        scep_error_set(err, SCEP_ERR_CA_CERT, NULL,
                       "the GetCACert answer from %s is %zu bytes long, "
                       "expected 1 to %d", url, len, SCEP_CACERT_MAX_LEN);
        return NULL;
    }

    if (scep_content_type_is(content_type, SCEP_TYPE_CA)) {
        return scep_cacert_single(body, len, url, err);
    }

    if (!scep_content_type_is(content_type, SCEP_TYPE_CA_RA)) {
        scep_printable_copy(content_type, shown, sizeof(shown));
        scep_error_set(err, SCEP_ERR_CA_CERT, NULL,
                       "the GetCACert answer from %s has content type "
                       "\"%s\", expected " SCEP_TYPE_CA " or "
                       SCEP_TYPE_CA_RA " (is the URL a SCEP service?)",
                       url, shown);
        return NULL;
    }

    certs = scep_certs_from_pkcs7(body, len, &inner);

    if (certs == NULL) {
        scep_error_set(err, inner.code == SCEP_ERR_NOMEM ? SCEP_ERR_NOMEM
                                                          : SCEP_ERR_CA_CERT,
                       NULL, "the GetCACert answer from %s is not valid: "
                       "%.160s", url, inner.message);
        return NULL;
    }

    return certs;
}


/* The first non-CA certificate issued by ca with the usage, by its KU. */
static X509 *
scep_ra_with_usage(STACK_OF(X509) *certs, X509 *ca, uint32_t usage,
    int explicit)
{
    int    i, has_ku;
    X509  *cert;

    for (i = 0; i < sk_X509_num(certs); i++) {
        cert = sk_X509_value(certs, i);

        if (cert == ca || X509_check_ca(cert) != 0
            || X509_check_issued(ca, cert) != X509_V_OK)
        {
            continue;
        }

        has_ku = (X509_get_extension_flags(cert) & EXFLAG_KUSAGE) != 0;

        if (explicit && has_ku && (X509_get_key_usage(cert) & usage)) {
            return cert;
        }

        /* without a keyUsage extension a key may do anything */
        if (!explicit && !has_ku) {
            return cert;
        }
    }

    return NULL;
}


static X509 *
scep_ra_for(STACK_OF(X509) *certs, X509 *ca, uint32_t usage)
{
    X509  *cert;

    cert = scep_ra_with_usage(certs, ca, usage, 1);

    if (cert == NULL) {
        cert = scep_ra_with_usage(certs, ca, usage, 0);
    }

    return cert;
}


static int
scep_issued_any(X509 *issuer, STACK_OF(X509) *certs, int want_ca)
{
    int    i;
    X509  *cert;

    for (i = 0; i < sk_X509_num(certs); i++) {
        cert = sk_X509_value(certs, i);

        if (cert != issuer
            && (X509_check_ca(cert) != 0) == want_ca
            && X509_check_issued(issuer, cert) == X509_V_OK)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The CA that issued the RA certificates; without RA certificates, the
 * CA certificate that issued none of the others (the chain's end).
 */
static X509 *
scep_find_ca(STACK_OF(X509) *certs, const char *url, scep_error_t *err)
{
    int    i, cas, has_ra;
    X509  *cert, *found;

    cas = 0;
    has_ra = 0;

    for (i = 0; i < sk_X509_num(certs); i++) {
        if (X509_check_ca(sk_X509_value(certs, i)) != 0) {
            cas++;

        } else {
            has_ra = 1;
        }
    }

    if (cas == 0) {
        scep_error_set(err, SCEP_ERR_CA_CERT, NULL,
                       "none of the %d certificates from %s is a CA "
                       "certificate (basicConstraints CA:TRUE)",
                       sk_X509_num(certs), url);
        return NULL;
    }

    found = NULL;

    for (i = 0; i < sk_X509_num(certs); i++) {
        cert = sk_X509_value(certs, i);

        if (X509_check_ca(cert) == 0) {
            continue;
        }

        if (has_ra ? scep_issued_any(cert, certs, 0)
                   : !scep_issued_any(cert, certs, 1))
        {
            if (found != NULL) {
                scep_error_set(err, SCEP_ERR_CA_CERT, NULL,
                               "the certificates from %s hold more than "
                               "one issuing CA; cannot tell which one "
                               "issues certificates", url);
                return NULL;
            }

            found = cert;
        }
    }

    if (found == NULL) {
        scep_error_set(err, SCEP_ERR_CA_CERT, NULL,
                       has_ra ? "none of the CA certificates from %s "
                                "issued its RA certificates"
                              : "the CA certificates from %s form a loop",
                       url);
    }

    return found;
}


static int
scep_check_ra(X509 *ra, X509 *ca, const char *job, const char *url,
    scep_error_t *err)
{
    char  name[SCEP_NAME_TEXT_LEN];

    if (ra == ca) {
        return 0;
    }

    if (X509_verify(ra, X509_get0_pubkey(ca)) == 1) {
        return 0;
    }

    scep_name_text(X509_get_subject_name(ra), name, sizeof(name));

    return scep_error_set(err, SCEP_ERR_CA_CERT, NULL,
                          "the RA %s certificate \"%s\" from %s does not "
                          "carry the signature of its CA", job, name, url);
}


scep_ca_t *
scep_ca_select(STACK_OF(X509) *certs, const char *url, scep_error_t *err)
{
    EVP_PKEY   *key;
    scep_ca_t  *ca;

    ca = calloc(1, sizeof(scep_ca_t));
    if (ca == NULL) {
        scep_certs_free(certs);
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    ca->certs = certs;

    if (certs == NULL || sk_X509_num(certs) < 1
        || sk_X509_num(certs) > SCEP_CERTS_MAX)
    {
        scep_error_set(err, SCEP_ERR_CA_CERT, NULL,
                       "%s returned %d certificates, expected 1 to %d",
                       url, certs ? sk_X509_num(certs) : 0, SCEP_CERTS_MAX);
        goto failed;
    }

    ca->ca = scep_find_ca(certs, url, err);
    if (ca->ca == NULL) {
        goto failed;
    }

    ca->recipient = scep_ra_for(certs, ca->ca, KU_KEY_ENCIPHERMENT);
    if (ca->recipient == NULL) {
        ca->recipient = ca->ca;
    }

    ca->verifier = scep_ra_for(certs, ca->ca, KU_DIGITAL_SIGNATURE);
    if (ca->verifier == NULL) {
        ca->verifier = ca->recipient;
    }

    if (scep_check_ra(ca->recipient, ca->ca, "encryption", url, err) != 0
        || scep_check_ra(ca->verifier, ca->ca, "signature", url, err) != 0)
    {
        goto failed;
    }

    /*
     * Key transport in pkcsPKIEnvelope is RSA (RFC 8894, section 3.2).
     * A key OpenSSL cannot read at all comes back as NULL.
     */
    key = X509_get0_pubkey(ca->recipient);

    if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        scep_error_set(err, SCEP_ERR_CA_CERT, NULL,
                       "the encryption certificate from %s does not hold "
                       "an RSA key", url);
        goto failed;
    }

    return ca;

failed:

    scep_ca_free(ca);

    return NULL;
}


int
scep_ca_check_fingerprint(const scep_ca_t *ca, const unsigned char *expected,
    size_t len, const char *url, scep_error_t *err)
{
    size_t          i;
    X509           *used[3];
    unsigned char   fp[32];
    char            got_hex[SCEP_FINGERPRINT_HEX];
    char            want_hex[SCEP_FINGERPRINT_HEX];

    if (len == 0) {
        return 0;
    }

    if (len != 20 && len != 32) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "ca_fingerprint",
                              "a CA fingerprint is 20 (SHA-1) or 32 "
                              "(SHA-256) bytes, not %zu", len);
    }

    used[0] = ca->ca;
    used[1] = ca->recipient;
    used[2] = ca->verifier;

    for (i = 0; i < 3; i++) {
        if (scep_cert_fingerprint(used[i], len, fp) == 0
            && CRYPTO_memcmp(fp, expected, len) == 0)
        {
            return 0;
        }
    }

    if (scep_cert_fingerprint(ca->ca, len, fp) != 0) {
        memset(fp, 0, sizeof(fp));
    }

    scep_hex(fp, len, got_hex);
    scep_hex(expected, len, want_hex);

    return scep_error_set(err, SCEP_ERR_CA_FINGERPRINT, "ca_fingerprint",
                          "the CA certificate from %s has %s fingerprint "
                          "%s, the profile expects %s", url,
                          len == 20 ? "SHA-1" : "SHA-256", got_hex,
                          want_hex);
}


STACK_OF(X509) *
scep_ca_others(const scep_ca_t *ca)
{
    int              i;
    X509            *cert;
    STACK_OF(X509)  *others;

    others = sk_X509_new_null();
    if (others == NULL) {
        return NULL;
    }

    for (i = 0; i < sk_X509_num(ca->certs); i++) {
        cert = sk_X509_value(ca->certs, i);

        if (cert != ca->ca && !sk_X509_push(others, cert)) {
            sk_X509_free(others);
            return NULL;
        }
    }

    return others;
}


void
scep_ca_free(scep_ca_t *ca)
{
    if (ca == NULL) {
        return;
    }

    scep_certs_free(ca->certs);
    free(ca);
}
