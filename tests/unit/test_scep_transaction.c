/*
 * A transaction: its transactionID against a hash computed here, its
 * transient signer certificate, and the serialized form that lets a
 * PENDING request be resumed elsewhere.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "scep/scep_certs.h"
#include "scep/scep_transaction.h"
#include "tests/unit/scep_test_ca.h"


static EVP_PKEY   *key, *other_key;
static X509_NAME  *subject, *issuer;


static int
setup(void **state)
{
    (void) state;

    key = test_ca_key(2048);
    other_key = test_ca_key(2048);
    subject = test_ca_name("O=acme,OU=vpn,CN=alice");
    issuer = test_ca_name("O=acme,CN=Issuing CA");

    return (key && other_key && subject && issuer) ? 0 : -1;
}


static int
teardown(void **state)
{
    (void) state;

    EVP_PKEY_free(key);
    EVP_PKEY_free(other_key);
    X509_NAME_free(subject);
    X509_NAME_free(issuer);

    return 0;
}


static void
test_id_and_signer(void **state)
{
    int                  n, days, secs;
    char                 expected[65];
    unsigned int         md_len;
    scep_error_t         err;
    unsigned char       *spki, md[32];
    scep_transaction_t  *t;

    (void) state;

    t = scep_transaction_create(key, subject, issuer, EVP_sha256(), &err);
    assert_non_null(t);

    /* the hex SHA-256 of the DER SubjectPublicKeyInfo */
    spki = NULL;
    n = i2d_PUBKEY(key, &spki);
    assert_int_equal(EVP_Digest(spki, (size_t) n, md, &md_len, EVP_sha256(),
                                NULL), 1);
    scep_hex(md, md_len, expected);
    OPENSSL_free(spki);

    assert_string_equal(t->id, expected);
    assert_int_equal(strlen(t->id), 64);

    /* self-signed with the request key, carrying the subject */
    assert_int_equal(X509_verify(t->signer, key), 1);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(t->signer), key), 1);
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(t->signer),
                                   subject), 0);
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(t->signer),
                                   subject), 0);
    assert_int_equal(X509_get_signature_nid(t->signer),
                     NID_sha256WithRSAEncryption);
    assert_int_equal(X509_NAME_cmp(t->issuer, issuer), 0);

    /* short-lived, and valid already despite clock differences */
    assert_true(X509_cmp_current_time(X509_get0_notBefore(t->signer)) < 0);
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL,
                                    X509_get0_notAfter(t->signer)), 1);
    assert_true(days == SCEP_SIGNER_VALIDITY_DAYS
                || (days == SCEP_SIGNER_VALIDITY_DAYS - 1 && secs > 86000));

    scep_transaction_free(t);
}


static void
test_serialize_round_trip(void **state)
{
    size_t               len;
    scep_error_t         err;
    unsigned char       *buf;
    scep_transaction_t  *t, *back;

    (void) state;

    t = scep_transaction_create(key, subject, issuer, EVP_sha1(), &err);
    assert_non_null(t);

    assert_int_equal(scep_transaction_serialize(t, &buf, &len, &err), 0);
    assert_true(len > 0 && len < SCEP_TRANSACTION_MAX_LEN);

    back = scep_transaction_deserialize(buf, len, &err);
    assert_non_null(back);

    assert_string_equal(back->id, t->id);
    assert_int_equal(EVP_PKEY_eq(back->key, key), 1);
    assert_int_equal(X509_cmp(back->signer, t->signer), 0);
    assert_int_equal(X509_NAME_cmp(back->subject, subject), 0);
    assert_int_equal(X509_NAME_cmp(back->issuer, issuer), 0);

    /* the private key itself came back, not only the public half */
    assert_int_equal(X509_check_private_key(back->signer, back->key), 1);

    OPENSSL_clear_free(buf, len);
    scep_transaction_free(back);
    scep_transaction_free(t);
}


static void
assert_refused(const unsigned char *buf, size_t len)
{
    scep_error_t  err;

    assert_null(scep_transaction_deserialize(buf, len, &err));
    assert_int_equal(err.code, SCEP_ERR_INPUT);
}


static void
test_damaged_forms_are_refused(void **state)
{
    size_t               len, at;
    scep_error_t         err;
    unsigned char       *buf, *copy;
    scep_transaction_t  *t, *other;

    (void) state;

    t = scep_transaction_create(key, subject, issuer, EVP_sha256(), &err);
    assert_int_equal(scep_transaction_serialize(t, &buf, &len, &err), 0);

    assert_refused(buf, len - 1);
    assert_refused(buf, 0);
    assert_refused(buf, SCEP_TRANSACTION_MAX_LEN + 1);

    /* a digit of the transactionID changed: it no longer fits the key */
    copy = OPENSSL_memdup(buf, len);
    at = (size_t) ((unsigned char *) memmem(copy, len, t->id, 64) - copy);
    assert_true(at < len);
    copy[at] = (copy[at] == 'A') ? 'B' : 'A';
    assert_refused(copy, len);
    OPENSSL_free(copy);

    /* another key's signer certificate put in: the parts do not match */
    other = scep_transaction_create(other_key, subject, issuer,
                                    EVP_sha256(), &err);
    X509_free(t->signer);
    t->signer = other->signer;
    X509_up_ref(other->signer);

    OPENSSL_clear_free(buf, len);
    assert_int_equal(scep_transaction_serialize(t, &buf, &len, &err), 0);
    assert_refused(buf, len);

    OPENSSL_clear_free(buf, len);
    scep_transaction_free(other);
    scep_transaction_free(t);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_id_and_signer),
        cmocka_unit_test(test_serialize_round_trip),
        cmocka_unit_test(test_damaged_forms_are_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
