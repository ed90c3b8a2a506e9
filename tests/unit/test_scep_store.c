/*
 * The certificate store: CA sets saved and loaded back (with the checks a
 * fetched CA gets), named certificates with their keys, file modes, name
 * rules, and the JSON listing.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "scep/scep_certs.h"
#include "scep/scep_pki.h"
#include "scep/scep_store.h"
#include "tests/unit/scep_test_ca.h"


typedef struct {
    char        dir[64];
    EVP_PKEY   *ca_key, *ra_key, *key;
    X509       *ca, *ra_sign, *ra_enc, *cert;
} fixture_t;


static fixture_t  fx;


static int
setup(void **state)
{
    (void) state;

    fx.ca_key = test_ca_key(2048);
    fx.ra_key = test_ca_key(2048);
    fx.key = test_ca_key(2048);

    fx.ca = test_ca_root(fx.ca_key, "O=acme,CN=Issuing CA");
    fx.ra_sign = test_ca_leaf(fx.ca, fx.ca_key, fx.ra_key, "CN=RA sign",
                              "critical,digitalSignature");
    fx.ra_enc = test_ca_leaf(fx.ca, fx.ca_key, fx.ra_key, "CN=RA encrypt",
                             "critical,keyEncipherment");
    fx.cert = test_ca_leaf(fx.ca, fx.ca_key, fx.key,
                           "O=acme,CN=vpn \"gw\" 01",
                           "critical,digitalSignature");

    return fx.cert != NULL ? 0 : -1;
}


static int
teardown(void **state)
{
    (void) state;

    X509_free(fx.ca);
    X509_free(fx.ra_sign);
    X509_free(fx.ra_enc);
    X509_free(fx.cert);
    EVP_PKEY_free(fx.ca_key);
    EVP_PKEY_free(fx.ra_key);
    EVP_PKEY_free(fx.key);

    return 0;
}


/* Each test gets an empty store, removed afterwards with its files. */
static int
make_store(void **state)
{
    (void) state;

    snprintf(fx.dir, sizeof(fx.dir), "/tmp/scep-store-XXXXXX");

    return mkdtemp(fx.dir) != NULL ? 0 : -1;
}


static int
remove_store(void **state)
{
    DIR            *d;
    char            path[PATH_MAX];
    struct dirent  *de;

    (void) state;

    d = opendir(fx.dir);

    while (d != NULL && (de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.' || strncmp(de->d_name, ".tmp", 4) == 0) {
            snprintf(path, sizeof(path), "%s/%s", fx.dir, de->d_name);
            unlink(path);
        }
    }

    if (d != NULL) {
        closedir(d);
    }

    return rmdir(fx.dir);
}


static scep_ca_t *
ndes_ca(void)
{
    scep_ca_t       *ca;
    scep_error_t     err;
    STACK_OF(X509)  *certs;

    certs = sk_X509_new_null();
    X509_up_ref(fx.ca);
    sk_X509_push(certs, fx.ca);
    X509_up_ref(fx.ra_sign);
    sk_X509_push(certs, fx.ra_sign);
    X509_up_ref(fx.ra_enc);
    sk_X509_push(certs, fx.ra_enc);

    ca = scep_ca_select(certs, "http://ndes.example/", &err);
    assert_non_null(ca);

    ca->caps = SCEP_CAP_AES | SCEP_CAP_SHA256 | SCEP_CAP_POST_PKI_OPERATION;

    return ca;
}


static int
file_mode(const char *file)
{
    char         path[PATH_MAX];
    struct stat  st;

    snprintf(path, sizeof(path), "%s/%s", fx.dir, file);

    if (stat(path, &st) != 0) {
        return -1;
    }

    return (int) (st.st_mode & 0777);
}


static int
count_pem_certs(const char *file)
{
    int    n;
    FILE  *f;
    X509  *cert;
    char   path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", fx.dir, file);

    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }

    for (n = 0; (cert = PEM_read_X509(f, NULL, NULL, NULL)) != NULL; n++) {
        X509_free(cert);
    }

    ERR_clear_error();
    fclose(f);

    return n;
}


static void
profile_for(scep_profile_t *p, const char *name, X509 *pinned, int fips)
{
    memset(p, 0, sizeof(scep_profile_t));
    p->name = name;
    p->fips = fips;

    if (pinned != NULL) {
        scep_cert_fingerprint(pinned, 32, p->ca_fingerprint);
        p->ca_fingerprint_len = 32;
    }
}


static void
test_ca_round_trip(void **state)
{
    scep_ca_t       *ca, *back;
    scep_error_t     err;
    scep_profile_t   p;

    (void) state;

    ca = ndes_ca();
    assert_int_equal(scep_store_save_ca(fx.dir, "corp", ca, &err), 0);

    assert_int_equal(file_mode("ca-corp.pem"), 0644);
    assert_int_equal(file_mode("ra-corp.pem"), 0644);
    assert_int_equal(file_mode("caps-corp.txt"), 0644);
    assert_int_equal(count_pem_certs("ca-corp.pem"), 1);
    assert_int_equal(count_pem_certs("ra-corp.pem"), 2);

    /* pinned on the RA encryption certificate, as NDES admins often do */
    profile_for(&p, "corp", fx.ra_enc, 0);
    back = scep_store_load_ca(fx.dir, &p, &err);
    assert_non_null(back);

    assert_int_equal(X509_cmp(back->ca, fx.ca), 0);
    assert_int_equal(X509_cmp(back->recipient, fx.ra_enc), 0);
    assert_int_equal(X509_cmp(back->verifier, fx.ra_sign), 0);
    assert_int_equal(back->caps, ca->caps);
    assert_int_equal(back->algs.cipher, SCEP_CIPHER_AES_256_CBC);
    assert_int_equal(back->algs.digest, SCEP_DIGEST_SHA256);
    assert_int_equal(back->algs.post, 1);

    scep_ca_free(back);
    scep_ca_free(ca);
}


static void
test_ca_load_checks_like_a_fetch(void **state)
{
    scep_ca_t       *ca;
    scep_error_t     err;
    scep_profile_t   p;

    (void) state;

    ca = ndes_ca();
    ca->caps = SCEP_CAP_DES3 | SCEP_CAP_SHA256;
    assert_int_equal(scep_store_save_ca(fx.dir, "corp", ca, &err), 0);
    scep_ca_free(ca);

    profile_for(&p, "corp", fx.cert, 0);
    assert_null(scep_store_load_ca(fx.dir, &p, &err));
    assert_int_equal(err.code, SCEP_ERR_CA_FINGERPRINT);
    assert_non_null(strstr(err.message, "the store (corp)"));

    profile_for(&p, "corp", NULL, 1);
    assert_null(scep_store_load_ca(fx.dir, &p, &err));
    assert_int_equal(err.code, SCEP_ERR_PROTOCOL);
    assert_string_equal(err.field, "fips");

    profile_for(&p, "other", NULL, 0);
    assert_null(scep_store_load_ca(fx.dir, &p, &err));
    assert_int_equal(err.code, SCEP_ERR_FILE);
    assert_string_equal(err.field, "missing");
}


/* A new worker starts from the stored copy, checked as a fetch is. */

static void
test_pki_starts_from_the_stored_ca(void **state)
{
    scep_ca_t       *ca;
    scep_pki_t      *pki;
    scep_error_t     err;
    scep_pki_ca_t   *ref;
    scep_profile_t   p;

    (void) state;

    ca = ndes_ca();
    assert_int_equal(scep_store_save_ca(fx.dir, "corp", ca, &err), 0);
    scep_ca_free(ca);

    profile_for(&p, "corp", fx.ra_enc, 0);
    pki = scep_pki_create(&p, fx.dir, &err);
    assert_non_null(pki);

    assert_null(scep_pki_ca_acquire(pki, &err));
    assert_int_equal(scep_pki_use_stored(pki), 1);

    ref = scep_pki_ca_acquire(pki, &err);
    assert_non_null(ref);
    assert_int_equal(X509_cmp(ref->ca->ca, fx.ca), 0);
    scep_pki_ca_release(pki, ref);

    /* once there is a CA, the stored copy is not read again */
    assert_int_equal(scep_pki_use_stored(pki), 0);
    scep_pki_destroy(pki);

    /* a copy the pinned fingerprint does not match is not used */
    profile_for(&p, "corp", fx.cert, 0);
    pki = scep_pki_create(&p, fx.dir, &err);
    assert_int_equal(scep_pki_use_stored(pki), 0);
    assert_null(scep_pki_ca_acquire(pki, &err));
    scep_pki_destroy(pki);

    /* nor is anything without a store */
    profile_for(&p, "corp", NULL, 0);
    pki = scep_pki_create(&p, NULL, &err);
    assert_int_equal(scep_pki_use_stored(pki), 0);
    scep_pki_destroy(pki);
}


static void
test_single_ca_replaces_ra_file(void **state)
{
    scep_ca_t       *ca, *single;
    scep_error_t     err;
    STACK_OF(X509)  *certs;

    (void) state;

    ca = ndes_ca();
    assert_int_equal(scep_store_save_ca(fx.dir, "corp", ca, &err), 0);
    scep_ca_free(ca);

    certs = sk_X509_new_null();
    X509_up_ref(fx.ca);
    sk_X509_push(certs, fx.ca);
    single = scep_ca_select(certs, "http://pki.example/", &err);

    assert_int_equal(scep_store_save_ca(fx.dir, "corp", single, &err), 0);
    assert_int_equal(file_mode("ra-corp.pem"), -1);
    assert_int_equal(count_pem_certs("ca-corp.pem"), 1);

    scep_ca_free(single);
}


static void
test_named_certificate(void **state)
{
    FILE            *f;
    char             path[PATH_MAX], meta[64];
    EVP_PKEY        *read_back;
    scep_error_t     err;
    STACK_OF(X509)  *chain;

    (void) state;

    chain = sk_X509_new_null();
    sk_X509_push(chain, fx.ca);

    assert_int_equal(scep_store_save_cert(fx.dir, "gw-01.vpn_b", "corp",
                                          fx.cert, chain, fx.key, &err), 0);

    assert_int_equal(file_mode("cert-gw-01.vpn_b.pem"), 0644);
    assert_int_equal(file_mode("key-gw-01.vpn_b.pem"), 0600);
    assert_int_equal(count_pem_certs("cert-gw-01.vpn_b.pem"), 2);

    snprintf(path, sizeof(path), "%s/key-gw-01.vpn_b.pem", fx.dir);
    f = fopen(path, "r");
    read_back = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_int_equal(EVP_PKEY_eq(read_back, fx.key), 1);
    EVP_PKEY_free(read_back);

    snprintf(path, sizeof(path), "%s/meta-gw-01.vpn_b.txt", fx.dir);
    f = fopen(path, "r");
    assert_non_null(fgets(meta, sizeof(meta), f));
    fclose(f);
    assert_string_equal(meta, "profile=corp\n");

    /* a name is never reused */
    assert_int_equal(scep_store_save_cert(fx.dir, "gw-01.vpn_b", "corp",
                                          fx.cert, NULL, fx.key, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_INPUT);
    assert_non_null(strstr(err.message, "already in the store"));

    /* the key must be the certificate's */
    assert_int_equal(scep_store_save_cert(fx.dir, "gw-02", "corp", fx.cert,
                                          NULL, fx.ca_key, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_INPUT);

    sk_X509_free(chain);
}


static void
test_names(void **state)
{
    char          longest[SCEP_STORE_NAME_MAX + 2];
    scep_error_t  err;

    (void) state;

    assert_int_equal(scep_store_name_valid("a"), 1);
    assert_int_equal(scep_store_name_valid("Gw_01.vpn-x"), 1);
    assert_int_equal(scep_store_name_valid(""), 0);
    assert_int_equal(scep_store_name_valid("two words"), 0);
    assert_int_equal(scep_store_name_valid("../etc"), 0);
    assert_int_equal(scep_store_name_valid("a\tb"), 0);
    assert_int_equal(scep_store_name_valid("caf\xc3\xa9"), 0);

    memset(longest, 'n', sizeof(longest) - 1);
    longest[SCEP_STORE_NAME_MAX] = '\0';
    assert_int_equal(scep_store_name_valid(longest), 1);
    longest[SCEP_STORE_NAME_MAX] = 'n';
    longest[SCEP_STORE_NAME_MAX + 1] = '\0';
    assert_int_equal(scep_store_name_valid(longest), 0);

    assert_int_equal(scep_store_save_cert(fx.dir, "my cert", "corp",
                                          fx.cert, NULL, fx.key, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_INPUT);
    assert_string_equal(err.field, "name");
    assert_non_null(strstr(err.message, "no spaces"));

    assert_int_equal(file_mode("key-my cert.pem"), -1);
}


static void
test_listing(void **state)
{
    char           *json, expected[1024], serial[64];
    size_t          len;
    BIGNUM         *bn;
    scep_ca_t      *ca;
    scep_error_t    err;
    char           *hex;

    (void) state;

    ca = ndes_ca();
    assert_int_equal(scep_store_save_ca(fx.dir, "corp", ca, &err), 0);
    scep_ca_free(ca);

    assert_int_equal(scep_store_save_cert(fx.dir, "gw-01", "corp", fx.cert,
                                          NULL, fx.key, &err), 0);

    assert_int_equal(scep_store_list(fx.dir, &json, &len, &err), 0);
    assert_int_equal(len, strlen(json));

    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(fx.cert), NULL);
    hex = BN_bn2hex(bn);
    snprintf(serial, sizeof(serial), "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);

    /* sorted by name: "corp" (ca, ra, ra), then "gw-01" */
    assert_true(strncmp(json, "[{\"kind\":\"ca\",\"name\":\"corp\","
                              "\"profile\":\"corp\",\"subject\":\"CN=Issuing "
                              "CA,O=acme\"", 69) == 0);
    assert_non_null(strstr(json, "},{\"kind\":\"ra\",\"name\":\"corp\","
                                 "\"profile\":\"corp\",\"subject\":\"CN=RA "
                                 "sign\""));
    assert_non_null(strstr(json, "{\"kind\":\"ra\",\"name\":\"corp\","
                                 "\"profile\":\"corp\",\"subject\":\"CN=RA "
                                 "encrypt\""));

    /* the quotes of the subject are escaped for JSON */
    snprintf(expected, sizeof(expected),
             "{\"kind\":\"certificate\",\"name\":\"gw-01\","
             "\"profile\":\"corp\","
             "\"subject\":\"CN=vpn \\\\\\\"gw\\\\\\\" 01,O=acme\","
             "\"issuer\":\"CN=Issuing CA,O=acme\",\"serial\":\"%s\","
             "\"not_before\":\"", serial);
    if (strstr(json, expected) == NULL) {
        fail_msg("%s\nnot in\n%s", expected, json);
    }

    assert_non_null(strstr(json, "Z\"}]"));
    assert_non_null(strstr(json, "\"not_after\":\"20"));

    free(json);
}


static void
test_listing_of_a_missing_store(void **state)
{
    char          *json;
    size_t         len;
    scep_error_t   err;

    (void) state;

    assert_int_equal(scep_store_list("/nonexistent/store", &json, &len,
                                     &err), -1);
    assert_int_equal(err.code, SCEP_ERR_FILE);

    assert_int_equal(scep_store_list(fx.dir, &json, &len, &err), 0);
    assert_string_equal(json, "[]");
    free(json);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_ca_round_trip, make_store,
                                        remove_store),
        cmocka_unit_test_setup_teardown(test_ca_load_checks_like_a_fetch,
                                        make_store, remove_store),
        cmocka_unit_test_setup_teardown(test_pki_starts_from_the_stored_ca,
                                        make_store, remove_store),
        cmocka_unit_test_setup_teardown(test_single_ca_replaces_ra_file,
                                        make_store, remove_store),
        cmocka_unit_test_setup_teardown(test_named_certificate, make_store,
                                        remove_store),
        cmocka_unit_test_setup_teardown(test_names, make_store,
                                        remove_store),
        cmocka_unit_test_setup_teardown(test_listing, make_store,
                                        remove_store),
        cmocka_unit_test_setup_teardown(test_listing_of_a_missing_store,
                                        make_store, remove_store),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
