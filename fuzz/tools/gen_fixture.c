/*
 * Makes the fixed PKI of the fuzz targets and the seeds that depend on it.
 *
 * The targets that read SCEP messages need a CA, RA certificates and a
 * pending transaction that stay the same from one run to the next, so that
 * a saved input (a seed, a crash) is signed by the key the target checks
 * against.  This program makes them once: it writes fuzz/fixture.h and
 * the DER seeds of fuzz/corpus/.  Run it again only to replace the keys;
 * every DER seed is written again with them.
 *
 *     gen_fixture <fixture.h> <corpus directory>
 *
 * The keys are throwaway test keys, 1024 bits so that a target signs and
 * decrypts fast; nothing outside fuzz/ uses them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/pem.h>

#include "scep/scep_certs.h"
#include "scep/scep_envelope.h"
#include "scep/scep_message.h"
#include "scep/scep_transaction.h"
#include "tests/unit/scep_test_ca.h"


#define GEN_KEY_BITS  1024
#define GEN_DAYS      (100 * 365)


typedef struct {
    EVP_PKEY            *ca_key, *ra_key, *key, *other_key;
    X509                *ca, *ra_sign, *ra_enc, *issued, *stranger;
    scep_transaction_t  *t;
    unsigned char        nonce[SCEP_NONCE_LEN];
} gen_pki_t;


static void
gen_fail(const char *what)
{
    fprintf(stderr, "gen_fixture: %s\n", what);
    exit(1);
}


static X509 *
gen_cert(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *pub,
    const char *subject, const char *key_usage, int is_ca)
{
    X509       *cert;
    X509_NAME  *name;

    name = test_ca_name(subject);
    if (name == NULL) {
        gen_fail("name");
    }

    cert = test_ca_issue(issuer, issuer_key, pub, name, key_usage, is_ca,
                         GEN_DAYS);
    X509_NAME_free(name);

    if (cert == NULL) {
        gen_fail("certificate");
    }

    return cert;
}


static void
gen_write(const char *dir, const char *target, const char *name,
    const void *data, size_t len)
{
    FILE  *f;
    char   path[1024];

    snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);

    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        gen_fail(path);
    }
}


/* A seed made of a text prefix and a DER body. */
static void
gen_write2(const char *dir, const char *target, const char *name,
    const char *prefix, const void *data, size_t len)
{
    size_t          plen;
    unsigned char  *buf;

    plen = strlen(prefix);
    buf = malloc(plen + len);
    if (buf == NULL) {
        gen_fail("memory");
    }

    memcpy(buf, prefix, plen);
    memcpy(buf + plen, data, len);
    gen_write(dir, target, name, buf, plen + len);
    free(buf);
}


static void
gen_pem_string(FILE *f, const char *var, BIO *bio)
{
    char  *data, *p;
    long   n;

    n = BIO_get_mem_data(bio, &data);

    fprintf(f, "static const char  %s[] =\n    \"", var);

    for (p = data; p < data + n; p++) {
        if (*p == '\n') {
            fprintf(f, "\\n\"%s", p + 1 < data + n ? "\n    \"" : "");

        } else {
            fputc(*p, f);
        }
    }

    fprintf(f, ";\n\n");
}


static void
gen_key(FILE *f, const char *var, EVP_PKEY *key)
{
    BIO  *bio;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL
        || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
    {
        gen_fail("key");
    }

    gen_pem_string(f, var, bio);
    BIO_free(bio);
}


static void
gen_x509(FILE *f, const char *var, X509 *cert)
{
    BIO  *bio;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_X509(bio, cert)) {
        gen_fail("certificate");
    }

    gen_pem_string(f, var, bio);
    BIO_free(bio);
}


static void
gen_bytes(FILE *f, const char *var, const unsigned char *p, size_t len)
{
    size_t  i;

    fprintf(f, "static const unsigned char  %s[%zu] = {", var, len);

    for (i = 0; i < len; i++) {
        fprintf(f, "%s0x%02x,", i % 12 == 0 ? "\n    " : " ", p[i]);
    }

    fprintf(f, "\n};\n\n");
}


static void
gen_make_pki(gen_pki_t *pki)
{
    X509_NAME     *subject;
    scep_error_t   err;

    pki->ca_key = test_ca_key(GEN_KEY_BITS);
    pki->ra_key = test_ca_key(GEN_KEY_BITS);
    pki->key = test_ca_key(GEN_KEY_BITS);
    pki->other_key = test_ca_key(GEN_KEY_BITS);

    if (pki->ca_key == NULL || pki->ra_key == NULL || pki->key == NULL
        || pki->other_key == NULL)
    {
        gen_fail("keys");
    }

    pki->ca = gen_cert(NULL, pki->ca_key, pki->ca_key, "O=acme,CN=Fuzz CA",
                       "critical,keyCertSign,cRLSign", 1);
    pki->ra_sign = gen_cert(pki->ca, pki->ca_key, pki->ra_key,
                            "O=acme,CN=Fuzz RA sign",
                            "critical,digitalSignature", 0);
    pki->ra_enc = gen_cert(pki->ca, pki->ca_key, pki->ra_key,
                           "O=acme,CN=Fuzz RA encrypt",
                           "critical,keyEncipherment", 0);
    pki->issued = gen_cert(pki->ca, pki->ca_key, pki->key, "O=acme,CN=alice",
                           "critical,digitalSignature", 0);
    pki->stranger = gen_cert(NULL, pki->other_key, pki->other_key,
                             "CN=stranger", NULL, 0);

    subject = test_ca_name("O=acme,CN=alice");
    if (subject == NULL) {
        gen_fail("subject");
    }

    pki->t = scep_transaction_create(pki->key, subject,
                                     X509_get_subject_name(pki->ca),
                                     EVP_sha256(), &err);
    X509_NAME_free(subject);

    if (pki->t == NULL) {
        gen_fail(err.message);
    }

    memset(pki->nonce, 0x5a, sizeof(pki->nonce));
}


static void
gen_header(gen_pki_t *pki, const char *path)
{
    FILE           *f;
    size_t          len;
    scep_error_t    err;
    unsigned char  *der;

    f = fopen(path, "w");
    if (f == NULL) {
        gen_fail(path);
    }

    fprintf(f, "/*\n"
            " * The fixed PKI of the fuzz targets, made by "
            "fuzz/tools/gen_fixture.c.\n"
            " * Throwaway test keys: nothing outside fuzz/ uses them.\n"
            " */\n\n"
            "#ifndef FUZZ_FIXTURE_DATA_H\n"
            "#define FUZZ_FIXTURE_DATA_H\n\n\n");

    gen_key(f, "fx_ca_key_pem", pki->ca_key);
    gen_key(f, "fx_ra_key_pem", pki->ra_key);
    gen_key(f, "fx_other_key_pem", pki->other_key);
    gen_x509(f, "fx_ca_pem", pki->ca);
    gen_x509(f, "fx_ra_sign_pem", pki->ra_sign);
    gen_x509(f, "fx_ra_enc_pem", pki->ra_enc);
    gen_x509(f, "fx_issued_pem", pki->issued);
    gen_x509(f, "fx_stranger_pem", pki->stranger);

    if (scep_transaction_serialize(pki->t, &der, &len, &err) != 0) {
        gen_fail(err.message);
    }

    gen_bytes(f, "fx_transaction_der", der, len);
    OPENSSL_clear_free(der, len);

    gen_bytes(f, "fx_nonce", pki->nonce, SCEP_NONCE_LEN);

    fprintf(f, "\n#endif /* FUZZ_FIXTURE_DATA_H */\n");

    if (fclose(f) != 0) {
        gen_fail(path);
    }
}


static unsigned char *
gen_certs_p7(size_t *len, X509 *a, X509 *b, X509 *c)
{
    scep_error_t     err;
    unsigned char   *der;
    STACK_OF(X509)  *certs;

    certs = sk_X509_new_null();
    if (certs == NULL) {
        gen_fail("memory");
    }

    sk_X509_push(certs, a);

    if (b != NULL) {
        sk_X509_push(certs, b);
    }

    if (c != NULL) {
        sk_X509_push(certs, c);
    }

    if (scep_certs_to_pkcs7(certs, &der, len, &err) != 0) {
        gen_fail(err.message);
    }

    sk_X509_free(certs);

    return der;
}


/* A CertRep as the CA (or its RA) would answer our transaction. */
static unsigned char *
gen_certrep(gen_pki_t *pki, X509 *signer, EVP_PKEY *signer_key,
    scep_pki_status_t status, const EVP_CIPHER *cipher, size_t *len)
{
    size_t            plen;
    scep_msg_t        msg;
    scep_error_t      err;
    unsigned char    *der, *plain;
    scep_msg_keys_t   keys;

    memset(&msg, 0, sizeof(msg));
    msg.type = SCEP_MSG_CERT_REP;
    snprintf(msg.transaction_id, sizeof(msg.transaction_id), "%s",
             pki->t->id);
    msg.has_sender_nonce = 1;
    memset(msg.sender_nonce, 0x33, SCEP_NONCE_LEN);
    msg.has_recipient_nonce = 1;
    memcpy(msg.recipient_nonce, pki->nonce, SCEP_NONCE_LEN);
    msg.status = status;

    if (status == SCEP_STATUS_FAILURE) {
        msg.fail_info = SCEP_FAIL_BAD_REQUEST;
        snprintf(msg.fail_text, sizeof(msg.fail_text), "challenge used");
    }

    keys.signer_cert = signer;
    keys.signer_key = signer_key;
    keys.md = EVP_sha256();
    keys.recipient = pki->t->signer;
    keys.cipher = cipher;

    plain = NULL;
    plen = 0;

    if (status == SCEP_STATUS_SUCCESS) {
        plain = gen_certs_p7(&plen, pki->issued, NULL, NULL);
    }

    if (scep_msg_build(&msg, &keys, plain, plen, &der, len, &err) != 0) {
        gen_fail(err.message);
    }

    OPENSSL_free(plain);

    return der;
}


/*
 * Seeds of the certrep_signed target: a flags byte, the signed
 * attributes (index, type, length, value), 0xff, then the content.  The
 * layout is documented in fuzz_certrep_signed.c.
 */
typedef struct {
    unsigned char  buf[4096];
    size_t         len;
} gen_seed_t;


static void
gen_seed_byte(gen_seed_t *s, unsigned char c)
{
    if (s->len >= sizeof(s->buf)) {
        gen_fail("seed too long");
    }

    s->buf[s->len++] = c;
}


static void
gen_seed_attr(gen_seed_t *s, unsigned attr, unsigned type, const void *v,
    size_t len)
{
    size_t  i;

    gen_seed_byte(s, (unsigned char) attr);
    gen_seed_byte(s, (unsigned char) type);
    gen_seed_byte(s, (unsigned char) len);

    for (i = 0; i < len; i++) {
        gen_seed_byte(s, ((const unsigned char *) v)[i]);
    }
}


static void
gen_signed_seed(gen_pki_t *pki, const char *dir, const char *name,
    unsigned flags, const char *status, const char *fail_info,
    const unsigned char *content, size_t content_len)
{
    size_t          i;
    gen_seed_t      s;
    unsigned char   sender[SCEP_NONCE_LEN];

    memset(sender, 0x33, sizeof(sender));
    s.len = 0;

    gen_seed_byte(&s, (unsigned char) flags);

    /* attribute indexes and type codes of fuzz_certrep_signed.c */
    gen_seed_attr(&s, 0, 0, "3", 1);
    gen_seed_attr(&s, 5, 0, pki->t->id, strlen(pki->t->id));
    gen_seed_attr(&s, 3, 1, sender, SCEP_NONCE_LEN);
    gen_seed_attr(&s, 4, 1, pki->nonce, SCEP_NONCE_LEN);
    gen_seed_attr(&s, 1, 0, status, strlen(status));

    if (fail_info != NULL) {
        gen_seed_attr(&s, 2, 0, fail_info, strlen(fail_info));
        gen_seed_attr(&s, 6, 2, "the challenge was used", 22);
    }

    gen_seed_byte(&s, 0xff);

    for (i = 0; i < content_len; i++) {
        gen_seed_byte(&s, content[i]);
    }

    gen_write(dir, "certrep_signed", name, s.buf, s.len);
}


static void
gen_seeds(gen_pki_t *pki, const char *dir)
{
    size_t            len, plen;
    scep_msg_t        msg;
    scep_error_t      err;
    unsigned char    *der, *plain;
    scep_msg_keys_t   keys;

    /* GetCACert: one CA, and a CA with the RA certificates of NDES */
    len = (size_t) i2d_X509(pki->ca, NULL);
    der = NULL;
    i2d_X509(pki->ca, &der);
    gen_write2(dir, "cacert", "ca_single",
               "application/x-x509-ca-cert\n", der, len);
    OPENSSL_free(der);

    der = gen_certs_p7(&len, pki->ra_enc, pki->ca, pki->ra_sign);
    gen_write2(dir, "cacert", "ca_ra_ndes",
               "application/x-x509-ca-ra-cert\n", der, len);
    gen_write(dir, "certs_pkcs7", "ca_ra_ndes", der, len);
    OPENSSL_free(der);

    der = gen_certs_p7(&len, pki->ca, NULL, NULL);
    gen_write2(dir, "cacert", "ca_ra_single",
               "application/x-x509-ca-ra-cert; charset=binary\n", der, len);
    OPENSSL_free(der);

    der = gen_certs_p7(&len, pki->stranger, pki->ca, NULL);
    gen_write2(dir, "cacert", "ca_two_roots",
               "application/x-x509-ca-ra-cert\n", der, len);
    OPENSSL_free(der);

    /* the decrypted content of a SUCCESS CertRep */
    plain = gen_certs_p7(&plen, pki->issued, NULL, NULL);
    gen_write(dir, "certs_pkcs7", "issued", plain, plen);

    /* the pkcsPKIEnvelope around it */
    if (scep_envelope_seal(plain, plen, pki->t->signer, EVP_aes_256_cbc(),
                           &der, &len, &err) != 0)
    {
        gen_fail(err.message);
    }

    gen_write(dir, "envelope", "aes", der, len);
    OPENSSL_free(der);

    if (scep_envelope_seal(plain, plen, pki->t->signer, EVP_des_ede3_cbc(),
                           &der, &len, &err) != 0)
    {
        gen_fail(err.message);
    }

    gen_write(dir, "envelope", "des3", der, len);
    OPENSSL_free(der);

    /* CertRep, signed by the CA or by the RA */
    der = gen_certrep(pki, pki->ca, pki->ca_key, SCEP_STATUS_SUCCESS,
                      EVP_aes_256_cbc(), &len);
    gen_write(dir, "certrep", "success", der, len);
    gen_write(dir, "msg_parse", "certrep_success", der, len);
    OPENSSL_free(der);

    der = gen_certrep(pki, pki->ra_sign, pki->ra_key, SCEP_STATUS_SUCCESS,
                      EVP_des_ede3_cbc(), &len);
    gen_write(dir, "certrep", "success_ra_des3", der, len);
    OPENSSL_free(der);

    der = gen_certrep(pki, pki->ca, pki->ca_key, SCEP_STATUS_FAILURE,
                      EVP_aes_256_cbc(), &len);
    gen_write(dir, "certrep", "failure", der, len);
    OPENSSL_free(der);

    der = gen_certrep(pki, pki->ca, pki->ca_key, SCEP_STATUS_PENDING,
                      EVP_aes_256_cbc(), &len);
    gen_write(dir, "certrep", "pending", der, len);
    OPENSSL_free(der);

    /* a PKCSReq-like message, signed with the transaction's signer */
    memset(&msg, 0, sizeof(msg));
    msg.type = SCEP_MSG_CERT_POLL;
    snprintf(msg.transaction_id, sizeof(msg.transaction_id), "%s",
             pki->t->id);
    msg.has_sender_nonce = 1;
    memcpy(msg.sender_nonce, pki->nonce, SCEP_NONCE_LEN);

    keys.signer_cert = pki->t->signer;
    keys.signer_key = pki->t->key;
    keys.md = EVP_sha256();
    keys.recipient = pki->ca;
    keys.cipher = EVP_aes_256_cbc();

    if (scep_msg_build(&msg, &keys, (const unsigned char *) "poll", 4, &der,
                       &len, &err) != 0)
    {
        gen_fail(err.message);
    }

    gen_write(dir, "msg_parse", "certpoll", der, len);
    OPENSSL_free(der);

    /* the saved transaction */
    if (scep_transaction_serialize(pki->t, &der, &len, &err) != 0) {
        gen_fail(err.message);
    }

    gen_write(dir, "transaction", "pending", der, len);
    OPENSSL_clear_free(der, len);

    /* the structured CertRep target: flags 0x04 = content sealed (AES) */
    gen_signed_seed(pki, dir, "success", 0x04, "0", NULL, plain, plen);
    gen_signed_seed(pki, dir, "success_ra", 0x06, "0", NULL, plain, plen);
    gen_signed_seed(pki, dir, "failure", 0x00, "2", "2", NULL, 0);
    gen_signed_seed(pki, dir, "pending", 0x00, "3", NULL, NULL, 0);

    OPENSSL_free(plain);
}


/*
 * GetNextCACert answers announcing a next CA, signed by the CA alone and
 * by the RA signature certificate; and a pending renewal (record version
 * 2), for a new key and for the same key.
 */
static void
gen_rollover_seeds(gen_pki_t *pki, const char *dir)
{
    int                  i, n;
    BIO                 *in;
    X509                *next;
    size_t               len;
    scep_error_t         err;
    unsigned char       *inner, *der;
    STACK_OF(X509)      *certs;
    CMS_ContentInfo     *cms;
    scep_transaction_t  *t;

    static const struct {
        const char  *name;
        int          ra;
        unsigned     flags;
        int          empty;
    } answers[] = {
        { "ca-signed-both", 0, 0, 0 },
        { "ra-signed-both", 1, 0, 0 },
        { "ca-signed-content-only", 0, CMS_NOCERTS, 0 },
        { "ca-signed-certs-only", 0, 0, 1 },
    };

    next = gen_cert(NULL, pki->other_key, pki->other_key,
                    "O=acme,CN=Fuzz next CA", "critical,keyCertSign,cRLSign",
                    1);
    certs = sk_X509_new_null();

    if (certs == NULL || !sk_X509_push(certs, next)
        || scep_certs_to_pkcs7(certs, &inner, &len, &err) != 0)
    {
        gen_fail("next CA");
    }

    for (i = 0; i < (int) (sizeof(answers) / sizeof(answers[0])); i++) {
        in = answers[i].empty ? BIO_new_mem_buf("", 0)
                              : BIO_new_mem_buf(inner, (int) len);
        cms = CMS_sign(answers[i].ra ? pki->ra_sign : pki->ca,
                       answers[i].ra ? pki->ra_key : pki->ca_key,
                       (answers[i].flags & CMS_NOCERTS) ? NULL : certs, in,
                       CMS_BINARY | CMS_NOSMIMECAP | answers[i].flags);
        der = NULL;
        n = (cms != NULL) ? i2d_CMS_ContentInfo(cms, &der) : -1;

        if (n <= 0) {
            gen_fail("GetNextCACert answer");
        }

        gen_write(dir, "nextca", answers[i].name, der, (size_t) n);
        OPENSSL_free(der);
        CMS_ContentInfo_free(cms);
        BIO_free(in);
    }

    OPENSSL_free(inner);
    sk_X509_pop_free(certs, X509_free);

    for (i = 0; i < 2; i++) {
        t = scep_transaction_renewal(pki->issued, pki->key,
                                     i ? NULL : pki->other_key,
                                     X509_get_subject_name(pki->issued),
                                     X509_get_subject_name(pki->ca), &err);

        if (t == NULL || scep_transaction_serialize(t, &der, &len, &err)
                         != 0)
        {
            gen_fail(err.message);
        }

        gen_write(dir, "transaction",
                  i ? "renewal-same-key" : "renewal-new-key", der, len);
        OPENSSL_clear_free(der, len);
        scep_transaction_free(t);
    }
}


int
main(int argc, char **argv)
{
    gen_pki_t  pki;

    if (argc != 3) {
        fprintf(stderr, "usage: gen_fixture <fixture.h> <corpus dir>\n");
        return 2;
    }

    gen_make_pki(&pki);
    gen_header(&pki, argv[1]);
    gen_seeds(&pki, argv[2]);
    gen_rollover_seeds(&pki, argv[2]);

    return 0;
}
