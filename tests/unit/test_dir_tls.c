/*
 * dir_tls_explain_cert(): why a server's certificate was refused, for
 * certificates made here with OpenSSL.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ldap/dir_tls.h"


typedef struct {
    EVP_PKEY  *ca_key;
    X509      *ca;
    char       ca_file[64];
    char       other_ca_file[64];
} tls_state_t;


static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
    const char *san, int ca)
{
    X509            *x;
    X509V3_CTX       v3;
    X509_EXTENSION  *ext;

    x = X509_new();
    assert_non_null(x);

    ASN1_INTEGER_set(X509_get_serialNumber(x), 1 + (long) (random() % 1000));
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                               (const unsigned char *) cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer)
                                           : X509_get_subject_name(x));

    X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);

    if (ca) {
        ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                                  "critical,CA:TRUE");
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }

    if (san != NULL) {
        ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
        assert_non_null(ext);
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }

    assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : key,
                          EVP_sha256()) > 0);

    return x;
}


static void
write_pem(const char *path, X509 *x)
{
    FILE  *f;

    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, x), 1);
    fclose(f);
}


static int
setup(void **state)
{
    int           fd;
    X509         *other;
    EVP_PKEY     *other_key;
    tls_state_t  *s;

    s = calloc(1, sizeof(tls_state_t));
    assert_non_null(s);

    s->ca_key = EVP_EC_gen("P-256");
    assert_non_null(s->ca_key);
    s->ca = make_cert(s->ca_key, "Test CA", NULL, NULL, NULL, 1);

    snprintf(s->ca_file, sizeof(s->ca_file), "/tmp/dir-tls-ca.XXXXXX");
    fd = mkstemp(s->ca_file);
    assert_true(fd >= 0);
    close(fd);
    write_pem(s->ca_file, s->ca);

    other_key = EVP_EC_gen("P-256");
    other = make_cert(other_key, "Other CA", NULL, NULL, NULL, 1);

    snprintf(s->other_ca_file, sizeof(s->other_ca_file),
             "/tmp/dir-tls-other.XXXXXX");
    fd = mkstemp(s->other_ca_file);
    assert_true(fd >= 0);
    close(fd);
    write_pem(s->other_ca_file, other);

    X509_free(other);
    EVP_PKEY_free(other_key);

    *state = s;

    return 0;
}


static int
teardown(void **state)
{
    tls_state_t  *s = *state;

    unlink(s->ca_file);
    unlink(s->other_ca_file);
    X509_free(s->ca);
    EVP_PKEY_free(s->ca_key);
    free(s);

    return 0;
}


/* A server certificate from the test CA, as DER, explained for host. */
static int
explain(tls_state_t *s, const char *san, const char *host,
    const char *ca_file, char *msg, size_t size)
{
    int             rc, len;
    X509           *x;
    EVP_PKEY       *key;
    unsigned char  *der;

    key = EVP_EC_gen("P-256");
    x = make_cert(key, "dc1.corp.example.test", s->ca, s->ca_key, san, 0);

    der = NULL;
    len = i2d_X509(x, &der);
    assert_true(len > 0);

    rc = dir_tls_explain_cert(der, (size_t) len, host, ca_file, msg, size);

    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(key);

    return rc;
}


static void
test_names_the_host(void **state)
{
    char          msg[400];
    tls_state_t  *s = *state;
    const char   *san = "IP:127.0.0.1,DNS:dc1.corp.example.test";

    assert_int_equal(explain(s, san, "127.0.0.1", s->ca_file, msg,
                             sizeof(msg)), 0);
    assert_string_equal(msg, "");
    assert_int_equal(explain(s, san, "DC1.corp.example.test", s->ca_file,
                             msg, sizeof(msg)), 0);
}


static void
test_does_not_name_the_host(void **state)
{
    char          msg[400];
    tls_state_t  *s = *state;
    const char   *san = "IP:127.0.0.1,DNS:dc1.corp.example.test";

    assert_int_equal(explain(s, san, "ldap.example.org", s->ca_file, msg,
                             sizeof(msg)), -1);
    assert_string_equal(msg, "its TLS certificate does not name the host "
                        "\"ldap.example.org\": the certificate names "
                        "127.0.0.1, dc1.corp.example.test");

    assert_int_equal(explain(s, san, "127.0.0.2", s->ca_file, msg,
                             sizeof(msg)), -1);

    /* no subjectAltName: the common name is what it names */
    assert_int_equal(explain(s, NULL, "127.0.0.1", s->ca_file, msg,
                             sizeof(msg)), -1);
    assert_string_equal(msg, "its TLS certificate does not name the host "
                        "\"127.0.0.1\": the certificate names "
                        "dc1.corp.example.test");
}


/* libldap checks the machine's own name for "localhost": so is it told */
static void
test_localhost(void **state)
{
    char          msg[400], self[128];
    tls_state_t  *s = *state;

    assert_int_equal(gethostname(self, sizeof(self)), 0);

    if (strcmp(self, "localhost") == 0) {
        skip();
    }

    assert_int_equal(explain(s, "DNS:localhost,IP:127.0.0.1", "localhost",
                             s->ca_file, msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "does not name the host \"localhost\" "
                                "(libldap checks this machine's name"));
    assert_non_null(strstr(msg, self));
}


static void
test_does_not_verify(void **state)
{
    char          msg[400];
    tls_state_t  *s = *state;

    assert_int_equal(explain(s, "IP:127.0.0.1", "127.0.0.1",
                             s->other_ca_file, msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "its TLS certificate, issued by \"Test "
                                "CA\", does not verify with "
                                "tls_trusted_certificate"));
    assert_non_null(strstr(msg, s->other_ca_file));

    assert_int_equal(explain(s, "IP:127.0.0.1", "127.0.0.1",
                             "/nonexistent/ca.pem", msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "the CA file cannot be read"));
}


static void
test_garbage(void **state)
{
    char  msg[200];

    (void) state;

    assert_int_equal(dir_tls_explain_cert((const unsigned char *) "\x30\x03",
                                          2, "x", NULL, msg, sizeof(msg)),
                     -1);
    assert_string_equal(msg, "it sent a TLS certificate that cannot be "
                        "read");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_names_the_host),
        cmocka_unit_test(test_does_not_name_the_host),
        cmocka_unit_test(test_localhost),
        cmocka_unit_test(test_does_not_verify),
        cmocka_unit_test(test_garbage),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
