/*
 * PKCS#12 for the agent: opened again with the passphrase, its MAC and
 * encryption algorithms checked, the passphrase's alphabet and wiping.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/pkcs12.h>

#include "scep/scep_pkcs12.h"
#include "tests/unit/scep_test_ca.h"


static EVP_PKEY  *ca_key, *key;
static X509      *ca, *cert;


static int
setup(void **state)
{
    (void) state;

    ca_key = test_ca_key(2048);
    key = test_ca_key(2048);
    ca = test_ca_root(ca_key, "O=acme,CN=SCEP CA");
    cert = test_ca_leaf(ca, ca_key, key, "O=acme,CN=alice",
                        "critical,digitalSignature,keyEncipherment");

    return cert != NULL ? 0 : -1;
}


static int
teardown(void **state)
{
    (void) state;

    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);

    return 0;
}


static PKCS12 *
create(scep_pkcs12_t *out)
{
    PKCS12               *p12;
    scep_error_t          err;
    STACK_OF(X509)       *chain;
    const unsigned char  *p;

    chain = sk_X509_new_null();
    sk_X509_push(chain, ca);

    assert_int_equal(scep_pkcs12_create(cert, key, chain, "alice@vpn", out,
                                        &err), 0);
    sk_X509_free(chain);

    p = out->der;
    p12 = d2i_PKCS12(NULL, &p, (long) out->der_len);
    assert_non_null(p12);
    assert_ptr_equal(p, out->der + out->der_len);

    return p12;
}


static void
test_opens_with_the_passphrase(void **state)
{
    X509            *got_cert;
    PKCS12          *p12;
    EVP_PKEY        *got_key;
    scep_pkcs12_t    out;
    STACK_OF(X509)  *got_chain;

    (void) state;

    p12 = create(&out);

    assert_int_equal(PKCS12_verify_mac(p12, out.passphrase, -1), 1);
    assert_int_equal(PKCS12_verify_mac(p12, "wrong passphrase", -1), 0);

    got_chain = NULL;
    assert_int_equal(PKCS12_parse(p12, out.passphrase, &got_key, &got_cert,
                                  &got_chain), 1);

    assert_int_equal(EVP_PKEY_eq(got_key, key), 1);
    assert_int_equal(X509_cmp(got_cert, cert), 0);
    assert_int_equal(sk_X509_num(got_chain), 1);
    assert_int_equal(X509_cmp(sk_X509_value(got_chain, 0), ca), 0);

    EVP_PKEY_free(got_key);
    X509_free(got_cert);
    sk_X509_pop_free(got_chain, X509_free);
    PKCS12_free(p12);
    scep_pkcs12_release(&out);
}


static void
test_algorithms(void **state)
{
    int                          i, nid;
    PKCS7                       *p7;
    PKCS12                      *p12;
    X509_SIG                    *shrouded;
    PBE2PARAM                   *pbe2;
    PBKDF2PARAM                 *kdf;
    scep_pkcs12_t                out;
    const X509_ALGOR            *alg, *mac_alg;
    const ASN1_INTEGER          *iter;
    const ASN1_OCTET_STRING     *salt, *digest;
    const ASN1_OBJECT           *obj;
    STACK_OF(PKCS7)             *safes;
    const PKCS12_SAFEBAG        *bag;
    STACK_OF(PKCS12_SAFEBAG)    *bags;

    (void) state;

    p12 = create(&out);

    PKCS12_get0_mac(&digest, &mac_alg, &salt, &iter, p12);
    X509_ALGOR_get0(&obj, NULL, NULL, mac_alg);
    assert_int_equal(OBJ_obj2nid(obj), NID_sha256);
    assert_int_equal(ASN1_INTEGER_get(iter), SCEP_PKCS12_ITERATIONS);

    safes = PKCS12_unpack_authsafes(p12);
    assert_int_equal(sk_PKCS7_num(safes), 2);

    for (i = 0; i < sk_PKCS7_num(safes); i++) {
        p7 = sk_PKCS7_value(safes, i);
        nid = OBJ_obj2nid(p7->type);

        if (nid == NID_pkcs7_encrypted) {
            /* the certificates: PBES2 with AES-256-CBC */
            alg = p7->d.encrypted->enc_data->algorithm;
            assert_int_equal(OBJ_obj2nid(alg->algorithm), NID_pbes2);

            pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM),
                                             alg->parameter);
            assert_int_equal(OBJ_obj2nid(pbe2->encryption->algorithm),
                             NID_aes_256_cbc);
            PBE2PARAM_free(pbe2);
            continue;
        }

        /* the key: a shrouded bag, PBES2, PBKDF2 with HMAC-SHA-256 */
        assert_int_equal(nid, NID_pkcs7_data);
        bags = PKCS12_unpack_p7data(p7);
        bag = sk_PKCS12_SAFEBAG_value(bags, 0);
        assert_int_equal(PKCS12_SAFEBAG_get_nid(bag), NID_pkcs8ShroudedKeyBag);

        shrouded = (X509_SIG *) PKCS12_SAFEBAG_get0_pkcs8(bag);
        X509_SIG_get0(shrouded, &alg, NULL);
        assert_int_equal(OBJ_obj2nid(alg->algorithm), NID_pbes2);

        pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM),
                                         alg->parameter);
        assert_int_equal(OBJ_obj2nid(pbe2->encryption->algorithm),
                         NID_aes_256_cbc);
        assert_int_equal(OBJ_obj2nid(pbe2->keyfunc->algorithm), NID_id_pbkdf2);

        kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM),
                                        pbe2->keyfunc->parameter);
        assert_int_equal(ASN1_INTEGER_get(kdf->iter), SCEP_PKCS12_ITERATIONS);
        assert_int_equal(OBJ_obj2nid(kdf->prf->algorithm),
                         NID_hmacWithSHA256);

        PBKDF2PARAM_free(kdf);
        PBE2PARAM_free(pbe2);
        sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    }

    sk_PKCS7_pop_free(safes, PKCS7_free);
    PKCS12_free(p12);
    scep_pkcs12_release(&out);
}


static void
test_base64_is_the_der(void **state)
{
    int             n;
    PKCS12         *p12;
    scep_pkcs12_t   out;
    unsigned char  *decoded;

    (void) state;

    p12 = create(&out);

    assert_null(strchr(out.base64, '\n'));
    assert_int_equal(strlen(out.base64), 4 * ((out.der_len + 2) / 3));

    decoded = malloc(strlen(out.base64));
    n = EVP_DecodeBlock(decoded, (unsigned char *) out.base64,
                        (int) strlen(out.base64));

    /* DecodeBlock counts padding bytes as data */
    assert_true(n >= (int) out.der_len && n <= (int) out.der_len + 2);
    assert_memory_equal(decoded, out.der, out.der_len);

    free(decoded);
    PKCS12_free(p12);
    scep_pkcs12_release(&out);
}


static void
test_passphrase_and_its_wiping(void **state)
{
    int             i;
    char            zeros[SCEP_PKCS12_PASSPHRASE_LEN + 1];
    PKCS12         *p12;
    scep_pkcs12_t   first, second;

    (void) state;

    p12 = create(&first);
    PKCS12_free(p12);
    p12 = create(&second);
    PKCS12_free(p12);

    assert_int_equal(strlen(first.passphrase), SCEP_PKCS12_PASSPHRASE_LEN);
    assert_string_not_equal(first.passphrase, second.passphrase);

    for (i = 0; i < SCEP_PKCS12_PASSPHRASE_LEN; i++) {
        assert_non_null(strchr(SCEP_PASSPHRASE_ALPHABET,
                               first.passphrase[i]));
        assert_null(strchr("0O1lI", first.passphrase[i]));
    }

    scep_pkcs12_release(&first);
    scep_pkcs12_release(&second);

    memset(zeros, 0, sizeof(zeros));
    assert_memory_equal(first.passphrase, zeros, sizeof(zeros));
    assert_null(first.der);
    assert_null(first.base64);
}


static void
test_passphrase_uses_the_whole_alphabet(void **state)
{
    int           i, j, seen[256];
    char          buf[65];
    scep_error_t  err;

    (void) state;

    memset(seen, 0, sizeof(seen));

    /* 6400 letters: every one of the 56 turns up */
    for (i = 0; i < 100; i++) {
        assert_int_equal(scep_passphrase_generate(buf, sizeof(buf), &err), 0);
        assert_int_equal(strlen(buf), 64);

        for (j = 0; j < 64; j++) {
            seen[(unsigned char) buf[j]]++;
        }
    }

    for (i = 0; SCEP_PASSPHRASE_ALPHABET[i] != '\0'; i++) {
        assert_true(seen[(unsigned char) SCEP_PASSPHRASE_ALPHABET[i]] > 0);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_opens_with_the_passphrase),
        cmocka_unit_test(test_algorithms),
        cmocka_unit_test(test_base64_is_the_der),
        cmocka_unit_test(test_passphrase_and_its_wiping),
        cmocka_unit_test(test_passphrase_uses_the_whole_alphabet),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
