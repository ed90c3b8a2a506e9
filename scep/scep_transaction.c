#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "scep_certs.h"
#include "scep_transaction.h"


/*
 * The serialized form, in DER:
 *
 *   SEQUENCE {
 *     version        INTEGER (1, or 2 for a renewal),
 *     transactionID  PrintableString,
 *     key            PrivateKeyInfo,
 *     signer         Certificate,
 *     subject        Name,
 *     issuer         Name,
 *     requestKey     [0] EXPLICIT PrivateKeyInfo OPTIONAL,
 *     issued         [1] EXPLICIT Certificate OPTIONAL }
 *
 * issued: the CA's certificate once it has come, for a transaction that
 * is kept because the answer did not reach its agent.
 *
 * requestKey is only in a renewal for a new key.  PrivateKeyInfo wipes
 * its key bytes when freed.
 */
typedef struct {
    ASN1_INTEGER            *version;
    ASN1_PRINTABLESTRING    *id;
    PKCS8_PRIV_KEY_INFO     *key;
    X509                    *signer;
    X509_NAME               *subject;
    X509_NAME               *issuer;
    PKCS8_PRIV_KEY_INFO     *request_key;
    X509                    *issued;
} scep_transaction_record;

ASN1_SEQUENCE(scep_transaction_record) = {
    ASN1_SIMPLE(scep_transaction_record, version, ASN1_INTEGER),
    ASN1_SIMPLE(scep_transaction_record, id, ASN1_PRINTABLESTRING),
    ASN1_SIMPLE(scep_transaction_record, key, PKCS8_PRIV_KEY_INFO),
    ASN1_SIMPLE(scep_transaction_record, signer, X509),
    ASN1_SIMPLE(scep_transaction_record, subject, X509_NAME),
    ASN1_SIMPLE(scep_transaction_record, issuer, X509_NAME),
    ASN1_EXP_OPT(scep_transaction_record, request_key, PKCS8_PRIV_KEY_INFO,
                 0),
    ASN1_EXP_OPT(scep_transaction_record, issued, X509, 1)
} static_ASN1_SEQUENCE_END(scep_transaction_record)

IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(scep_transaction_record)
IMPLEMENT_STATIC_ASN1_ENCODE_FUNCTIONS(scep_transaction_record)

#define SCEP_TRANSACTION_VERSION          1
#define SCEP_TRANSACTION_VERSION_RENEWAL  2


int
scep_transaction_id_of(EVP_PKEY *key, char *id, size_t len)
{
    int             n;
    unsigned int    md_len;
    unsigned char  *spki, md[EVP_MAX_MD_SIZE];

    if (len < 2 * 32 + 1) {
        return -1;
    }

    spki = NULL;
    n = i2d_PUBKEY(key, &spki);

    if (n <= 0) {
        return -1;
    }

    if (!EVP_Digest(spki, (size_t) n, md, &md_len, EVP_sha256(), NULL)) {
        OPENSSL_free(spki);
        return -1;
    }

    OPENSSL_free(spki);
    scep_hex(md, md_len, id);

    return 0;
}


static X509 *
scep_signer_create(EVP_PKEY *key, const X509_NAME *subject,
    const EVP_MD *md, scep_error_t *err)
{
    X509          *cert;
    BIGNUM        *serial;
    unsigned char  rnd[8];

    cert = X509_new();
    serial = BN_new();

    /* a positive 63-bit serial: unique enough for a throwaway signer */
    if (cert == NULL || serial == NULL
        || RAND_bytes(rnd, sizeof(rnd)) != 1)
    {
        goto failed;
    }

    rnd[0] &= 0x7f;

    if (BN_bin2bn(rnd, sizeof(rnd), serial) == NULL
        || BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) == NULL
        || !X509_set_version(cert, X509_VERSION_3)
        || !X509_set_subject_name(cert, subject)
        || !X509_set_issuer_name(cert, subject)
        || !X509_gmtime_adj(X509_getm_notBefore(cert),
                            -SCEP_SIGNER_BACKDATE_SECONDS)
        || !X509_time_adj_ex(X509_getm_notAfter(cert),
                             SCEP_SIGNER_VALIDITY_DAYS, 0, NULL)
        || !X509_set_pubkey(cert, key)
        || X509_sign(cert, key, md) <= 0)
    {
        goto failed;
    }

    BN_free(serial);

    return cert;

failed:

    BN_free(serial);
    X509_free(cert);
    scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                   "cannot make the self-signed certificate that signs "
                   "the request");
    scep_error_add_openssl(err);

    return NULL;
}


scep_transaction_t *
scep_transaction_create(EVP_PKEY *key, const X509_NAME *subject,
    const X509_NAME *issuer, const EVP_MD *md, scep_error_t *err)
{
    scep_transaction_t  *t;

    t = calloc(1, sizeof(scep_transaction_t));
    if (t == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    if (scep_transaction_id_of(key, t->id, sizeof(t->id)) != 0
        || !EVP_PKEY_up_ref(key))
    {
        free(t);
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot derive a transactionID from the key");
        scep_error_add_openssl(err);
        return NULL;
    }

    t->key = key;
    t->subject = X509_NAME_dup(subject);
    t->issuer = X509_NAME_dup(issuer);

    if (t->subject == NULL || t->issuer == NULL) {
        scep_transaction_free(t);
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    t->signer = scep_signer_create(key, subject, md, err);

    if (t->signer == NULL) {
        scep_transaction_free(t);
        return NULL;
    }

    return t;
}


scep_transaction_t *
scep_transaction_renewal(X509 *current, EVP_PKEY *current_key,
    EVP_PKEY *new_key, const X509_NAME *subject, const X509_NAME *issuer,
    scep_error_t *err)
{
    EVP_PKEY            *requested;
    scep_transaction_t  *t;

    if (X509_check_private_key(current, current_key) != 1) {
        scep_error_set(err, SCEP_ERR_INPUT, NULL,
                       "the key does not belong to the certificate being "
                       "renewed");
        return NULL;
    }

    t = calloc(1, sizeof(scep_transaction_t));
    if (t == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    t->renewal = 1;

    requested = (new_key != NULL) ? new_key : current_key;

    if (scep_transaction_id_of(requested, t->id, sizeof(t->id)) != 0
        || !EVP_PKEY_up_ref(current_key))
    {
        free(t);
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot derive a transactionID from the key");
        scep_error_add_openssl(err);
        return NULL;
    }

    t->key = current_key;

    if (!X509_up_ref(current)) {
        scep_transaction_free(t);
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }

    t->signer = current;

    if (requested != current_key
        && EVP_PKEY_eq(requested, current_key) != 1)
    {
        if (!EVP_PKEY_up_ref(requested)) {
            scep_transaction_free(t);
            scep_error_set(err, SCEP_ERR_INTERNAL, NULL, "out of memory");
            return NULL;
        }

        t->request_key = requested;
    }

    t->subject = X509_NAME_dup(subject);
    t->issuer = X509_NAME_dup(issuer);

    if (t->subject == NULL || t->issuer == NULL) {
        scep_transaction_free(t);
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    return t;
}


EVP_PKEY *
scep_transaction_request_key(const scep_transaction_t *t)
{
    return (t->request_key != NULL) ? t->request_key : t->key;
}


void
scep_transaction_free(scep_transaction_t *t)
{
    if (t == NULL) {
        return;
    }

    EVP_PKEY_free(t->request_key);
    EVP_PKEY_free(t->key);
    X509_free(t->signer);
    X509_NAME_free(t->subject);
    X509_NAME_free(t->issuer);
    X509_free(t->issued);
    free(t);
}


int
scep_transaction_serialize(const scep_transaction_t *t, unsigned char **buf,
    size_t *len, scep_error_t *err)
{
    int                       n;
    unsigned char            *out;
    scep_transaction_record  *rec;

    *buf = NULL;
    *len = 0;

    rec = scep_transaction_record_new();
    if (rec == NULL) {
        return scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
    }

    n = -1;

    /* the record's own members are replaced: new() made empty ones */
    PKCS8_PRIV_KEY_INFO_free(rec->key);
    X509_free(rec->signer);
    X509_NAME_free(rec->subject);
    X509_NAME_free(rec->issuer);

    rec->key = EVP_PKEY2PKCS8(t->key);
    rec->signer = X509_dup(t->signer);
    rec->subject = X509_NAME_dup(t->subject);
    rec->issuer = X509_NAME_dup(t->issuer);
    rec->issued = t->issued ? X509_dup(t->issued) : NULL;

    if (t->request_key != NULL) {
        rec->request_key = EVP_PKEY2PKCS8(t->request_key);
    }

    if (rec->key != NULL && rec->signer != NULL && rec->subject != NULL
        && rec->issuer != NULL
        && (t->request_key == NULL || rec->request_key != NULL)
        && (t->issued == NULL || rec->issued != NULL)
        && ASN1_INTEGER_set(rec->version,
                            t->renewal ? SCEP_TRANSACTION_VERSION_RENEWAL
                                       : SCEP_TRANSACTION_VERSION)
        && ASN1_STRING_set(rec->id, t->id, (int) strlen(t->id)))
    {
        out = NULL;
        n = i2d_scep_transaction_record(rec, &out);

        if (n > 0) {
            *buf = out;
            *len = (size_t) n;
        }
    }

    scep_transaction_record_free(rec);

    if (n <= 0) {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "cannot serialize the SCEP transaction");
        scep_error_add_openssl(err);
        return -1;
    }

    return 0;
}


/*
 * The parts must belong together: the requested key and the
 * transactionID, the signing key and the signer.
 */
static int
scep_transaction_check(scep_transaction_t *t, const ASN1_STRING *id)
{
    char  expected[SCEP_TRANSACTION_ID_MAX + 1];

    if (scep_transaction_id_of(scep_transaction_request_key(t), expected,
                               sizeof(expected)) != 0
        || ASN1_STRING_length(id) != (int) strlen(expected)
        || memcmp(ASN1_STRING_get0_data(id), expected, strlen(expected))
           != 0
        || X509_check_private_key(t->signer, t->key) != 1)
    {
        return -1;
    }

    memcpy(t->id, expected, sizeof(expected));

    return 0;
}


scep_transaction_t *
scep_transaction_deserialize(const unsigned char *buf, size_t len,
    scep_error_t *err)
{
    long                      version;
    scep_transaction_t       *t;
    const unsigned char      *p;
    scep_transaction_record  *rec;

    if (len == 0 || len > SCEP_TRANSACTION_MAX_LEN) {
        scep_error_set(err, SCEP_ERR_INPUT, NULL,
                       "a saved SCEP transaction is 1 to %d bytes, not %zu",
                       SCEP_TRANSACTION_MAX_LEN, len);
        return NULL;
    }

    p = buf;
    rec = d2i_scep_transaction_record(NULL, &p, (long) len);

    version = (rec != NULL) ? ASN1_INTEGER_get(rec->version) : 0;

    if (rec == NULL || p != buf + len
        || (version != SCEP_TRANSACTION_VERSION
            && version != SCEP_TRANSACTION_VERSION_RENEWAL)
        || (version == SCEP_TRANSACTION_VERSION && rec->request_key != NULL))
    {
        scep_transaction_record_free(rec);
        scep_error_set(err, SCEP_ERR_INPUT, NULL,
                       "the saved SCEP transaction is damaged or of "
                       "another version");
        return NULL;
    }

    t = calloc(1, sizeof(scep_transaction_t));
    if (t == NULL) {
        scep_transaction_record_free(rec);
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    t->key = EVP_PKCS82PKEY(rec->key);
    t->renewal = (version == SCEP_TRANSACTION_VERSION_RENEWAL);

    if (rec->request_key != NULL) {
        t->request_key = EVP_PKCS82PKEY(rec->request_key);
    }

    /* the record gives up its parts rather than copying them */
    t->signer = rec->signer;
    t->subject = rec->subject;
    t->issuer = rec->issuer;
    t->issued = rec->issued;
    rec->signer = NULL;
    rec->subject = NULL;
    rec->issuer = NULL;
    rec->issued = NULL;

    if (t->key == NULL
        || (rec->request_key != NULL && t->request_key == NULL)
        || scep_transaction_check(t, rec->id) != 0
        || (t->issued != NULL
            && X509_check_private_key(t->issued, t->request_key
                                                 ? t->request_key : t->key)
               != 1))
    {
        scep_transaction_record_free(rec);
        scep_transaction_free(t);
        scep_error_set(err, SCEP_ERR_INPUT, NULL,
                       "the saved SCEP transaction's key, signer "
                       "certificate and transactionID do not match");
        return NULL;
    }

    scep_transaction_record_free(rec);

    return t;
}
