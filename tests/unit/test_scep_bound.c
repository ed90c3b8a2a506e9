/*
 * Bound challenges (scep/scep_bound.c, scep_bound_csr.c) and the shared
 * keys (scep_keyring.c): known answers computed by an independent
 * implementation of the format (the vectors below), the round trip,
 * every byte changed, cut or added, rotation, and the CSR's side: what
 * each kind of CSR asks for against what the challenge grants.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/x509v3.h>

#include "scep/scep_base64.h"
#include "scep/scep_bound.h"
#include "scep/scep_csr.h"
#include "tests/unit/scep_test_ca.h"


#define NOW      1799999000LL
#define EXPIRES  1800000000LL

/*
 * The vectors: the key's secret is the bytes 00 01 .. 1f; the subject
 * "O=Example,OU=VPN,CN=bob"; the SAN dNSName vpn.example.org; both key
 * usages; 2048 bits; profile "staff"; nonce a0 a1 .. af; expiry
 * 1800000000.  Computed with Python's hashlib and hmac from the layout
 * in scep_bound.h, not with this code: tests/unit/data/bound/kat.py.
 */
static const char  kat_key_id[] = "ba953a84";
static const char  kat_subject[] =
    "f487e3e82e88407959281135b18f24a2258eb76f0f9a83bf99ddfce3baf18d59";
static const char  kat_san_dns[] =
    "d5f086516f64d9b26ebd3e81f7071ac4bb2e1a227fa21aabe2ca6534ccfc2208";
static const char  kat_san_none[] =
    "bc8525313ec50a5fce38bd61e2850f15544f41193e87a85597b738c2068aed45";
static const char  kat_challenge[] =
    "AbqVOoQAAAAAa0nSAKChoqOkpaanqKmqq6ytrq/0h+PoLohAeVkoETWxjySiJY63bw+a"
    "g7+Z3fzjuvGNWdXwhlFvZNmybr0+gfcHGsS7Lhoif6Iaq+LKZTTM/CIIAwgABXN0YWZm"
    "qqFECI6eLf5D4fmZbVEUOQ";

static EVP_PKEY        *key2048, *key1024;
static scep_keyring_t   ring, other_ring;


static int
setup(void **state)
{
    size_t         i;
    unsigned char  secret[32];

    (void) state;

    key2048 = test_ca_key(2048);
    key1024 = test_ca_key(1024);

    for (i = 0; i < sizeof(secret); i++) {
        secret[i] = (unsigned char) i;
    }

    scep_keyring_init(&ring);
    scep_keyring_init(&other_ring);

    if (scep_keyring_add_secret(&ring, secret, sizeof(secret), NULL) != 0
        || scep_keyring_add_random(&other_ring, NULL) != 0)
    {
        return -1;
    }

    return (key2048 != NULL && key1024 != NULL) ? 0 : -1;
}


static int
teardown(void **state)
{
    (void) state;

    EVP_PKEY_free(key2048);
    EVP_PKEY_free(key1024);
    scep_keyring_wipe(&ring);
    scep_keyring_wipe(&other_ring);

    return 0;
}


static void
hex(const unsigned char *b, size_t len, char *out)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        sprintf(out + 2 * i, "%02x", b[i]);
    }
}


static void
profile_for(scep_profile_t *p, scep_san_type_t san, const char *value)
{
    scep_profile_init(p, "staff");

    p->sans[0].type = san;
    p->sans[0].value = value;
    p->nsans = (san != SCEP_SAN_NONE);
}


/* The names a profile of static ones makes, as the portal renders them. */
static void
sans_of(const scep_profile_t *p, scep_sans_t *sans)
{
    size_t  i;

    memset(sans, 0, sizeof(scep_sans_t));

    for (i = 0; i < p->nsans; i++) {
        sans->san[i].type = p->sans[i].type;
        sans->san[i].value = (char *) p->sans[i].value;
    }

    sans->n = p->nsans;
}


static void
entitlement(scep_entitlement_t *e, const scep_profile_t *p,
    const char *subject_text)
{
    X509_NAME     *subject;
    scep_sans_t    sans;
    scep_error_t   err;

    subject = test_ca_name(subject_text);
    assert_non_null(subject);
    sans_of(p, &sans);
    assert_int_equal(scep_bound_entitlement(e, p, subject, &sans, &err), 0);
    X509_NAME_free(subject);
}


/* A CSR as the agent makes it, read back from DER as a CA reads it. */
static X509_REQ *
csr_of(const scep_profile_t *p, EVP_PKEY *key, const char *subject_text,
    const char *challenge)
{
    size_t                len;
    X509_REQ             *req, *parsed;
    X509_NAME            *subject;
    scep_sans_t           sans;
    scep_error_t          err;
    unsigned char        *der;
    const unsigned char  *cp;

    subject = test_ca_name(subject_text);
    assert_non_null(subject);

    sans_of(p, &sans);
    req = scep_csr_build(p, key, subject, &sans, challenge, &err);
    assert_non_null(req);
    assert_int_equal(scep_csr_der(req, &der, &len, &err), 0);

    cp = der;
    parsed = d2i_X509_REQ(NULL, &cp, (long) len);
    assert_non_null(parsed);

    OPENSSL_clear_free(der, len);
    scep_csr_free(req);
    X509_NAME_free(subject);

    return parsed;
}


static scep_bound_status_t
judge(const char *challenge, X509_REQ *req, long long now)
{
    scep_bound_t         b;
    scep_error_t         err;
    scep_csr_facts_t     f;
    scep_bound_status_t  st;

    st = scep_bound_open(&ring, challenge, strlen(challenge), &b);
    if (st != SCEP_BOUND_OK) {
        return st;
    }

    assert_int_equal(scep_bound_csr_facts(req, &f, &err), 0);
    assert_true(f.signature_ok);

    return scep_bound_check(&b, &f, now);
}


static void
test_known_answers(void **state)
{
    char                text[SCEP_BOUND_TEXT_MAX], h[65];
    scep_error_t        err;
    scep_profile_t      p;
    scep_entitlement_t  e;
    unsigned char       nonce[SCEP_BOUND_NONCE_LEN];
    size_t              i;

    (void) state;

    scep_key_id_hex(ring.keys[0].id, h);
    assert_string_equal(h, kat_key_id);

    profile_for(&p, SCEP_SAN_NONE, NULL);
    entitlement(&e, &p, "O=Example,OU=VPN,CN=bob");
    hex(e.subject, sizeof(e.subject), h);
    assert_string_equal(h, kat_subject);
    hex(e.san, sizeof(e.san), h);
    assert_string_equal(h, kat_san_none);

    profile_for(&p, SCEP_SAN_DNS, "vpn.example.org");
    entitlement(&e, &p, "O=Example,OU=VPN,CN=bob");
    hex(e.san, sizeof(e.san), h);
    assert_string_equal(h, kat_san_dns);

    for (i = 0; i < sizeof(nonce); i++) {
        nonce[i] = (unsigned char) (0xa0 + i);
    }

    assert_int_equal(scep_bound_mint_nonce(&ring, &e, EXPIRES, nonce, text,
                                           sizeof(text), &err), 0);
    assert_string_equal(text, kat_challenge);
}


static void
test_round_trip(void **state)
{
    char                text[SCEP_BOUND_TEXT_MAX];
    char                again[SCEP_BOUND_TEXT_MAX];
    scep_bound_t        b, b2;
    scep_error_t        err;
    scep_profile_t      p;
    scep_entitlement_t  e;
    X509_REQ           *req;

    (void) state;

    profile_for(&p, SCEP_SAN_RFC822, "vpn@example.org");
    p.key_usage = SCEP_KU_DIGITAL_SIGNATURE;
    p.key_bits = 2048;
    entitlement(&e, &p, "O=Example,OU=VPN,CN=bob");

    assert_int_equal(scep_bound_mint(&ring, &e, EXPIRES, text, sizeof(text),
                                     &err), 0);

    /* opaque, and fit for a PrintableString */
    assert_true(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
                             "uvwxyz0123456789+/") == strlen(text));

    assert_int_equal(scep_bound_open(&ring, text, strlen(text), &b),
                     SCEP_BOUND_OK);
    assert_string_equal(b.grant.profile, "staff");
    assert_int_equal(b.expires, EXPIRES);
    assert_int_equal(b.grant.key_usage, SCEP_KU_DIGITAL_SIGNATURE);
    assert_int_equal(b.grant.key_bits, 2048);
    assert_memory_equal(b.grant.subject, e.subject, sizeof(e.subject));
    assert_memory_equal(b.grant.san, e.san, sizeof(e.san));
    assert_memory_equal(b.key_id, ring.keys[0].id, SCEP_KEY_ID_LEN);

    /* the CSR the agent builds from the same settings asks for just that */
    req = csr_of(&p, key2048, "O=Example,OU=VPN,CN=bob", text);
    assert_int_equal(judge(text, req, NOW), SCEP_BOUND_OK);

    /* good up to and including its expiry second */
    assert_int_equal(judge(text, req, EXPIRES), SCEP_BOUND_OK);
    assert_int_equal(judge(text, req, EXPIRES + 1), SCEP_BOUND_EXPIRED);
    X509_REQ_free(req);

    /* another challenge for the same entitlement: another nonce */
    assert_int_equal(scep_bound_mint(&ring, &e, EXPIRES, again,
                                     sizeof(again), &err), 0);
    assert_string_not_equal(again, text);
    assert_int_equal(scep_bound_open(&ring, again, strlen(again), &b2),
                     SCEP_BOUND_OK);
    assert_memory_not_equal(b2.nonce, b.nonce, SCEP_BOUND_NONCE_LEN);
}


static void
test_longest_fits_a_challenge_password(void **state)
{
    char                text[SCEP_BOUND_TEXT_MAX], name[65], longer[66];
    X509_NAME          *subject;
    scep_bound_t        b;
    scep_error_t        err;
    scep_profile_t      p;
    scep_entitlement_t  e;

    (void) state;

    memset(&e, 0, sizeof(e));
    memset(name, 'p', 64);
    name[64] = '\0';
    memcpy(e.profile, name, 65);
    e.key_bits = 8192;
    e.key_usage = SCEP_KU_DIGITAL_SIGNATURE | SCEP_KU_KEY_ENCIPHERMENT;

    assert_int_equal(scep_bound_mint(&ring, &e, EXPIRES, text, sizeof(text),
                                     &err), 0);
    assert_int_equal(strlen(text), 236);
    assert_true(strlen(text) <= SCEP_CHALLENGE_MAX_LEN);
    assert_int_equal(scep_bound_open(&ring, text, strlen(text), &b),
                     SCEP_BOUND_OK);
    assert_string_equal(b.grant.profile, name);

    /* a profile name of 65 has no entitlement */
    memset(longer, 'p', 65);
    longer[65] = '\0';
    scep_profile_init(&p, longer);
    subject = test_ca_name("CN=bob");
    assert_int_equal(scep_bound_entitlement(&e, &p, subject, NULL, &err),
                     -1);
    X509_NAME_free(subject);

    /* nor into a buffer too small */
    memcpy(e.profile, "staff", 6);
    assert_int_equal(scep_bound_mint(&ring, &e, EXPIRES, text, 100, &err),
                     -1);
}


/* Each byte changed in turn, then re-encoded: never accepted. */
static void
test_every_byte_tampered(void **state)
{
    char                 text[SCEP_BOUND_TEXT_MAX], c;
    long                 n;
    size_t               i, bit;
    scep_bound_t         b;
    unsigned char        bytes[SCEP_BOUND_BYTES_MAX];
    scep_bound_status_t  st;

    (void) state;

    n = scep_base64_decode(kat_challenge, strlen(kat_challenge), bytes,
                           sizeof(bytes));
    assert_int_equal(n, SCEP_BOUND_FIXED_LEN + 5 + SCEP_BOUND_TAG_LEN);

    for (i = 0; i < (size_t) n; i++) {
        for (bit = 0; bit < 8; bit++) {
            bytes[i] ^= (unsigned char) (1u << bit);
            scep_base64_encode(bytes, (size_t) n, text);

            st = scep_bound_open(&ring, text, strlen(text), &b);

            if (i == 0) {
                assert_int_equal(st, SCEP_BOUND_MALFORMED);

            } else if (i < 5) {
                assert_int_equal(st, SCEP_BOUND_UNKNOWN_KEY);

            } else {
                assert_int_equal(st, SCEP_BOUND_FORGED);
            }

            bytes[i] ^= (unsigned char) (1u << bit);
        }
    }

    /* and every character of the text */
    memcpy(text, kat_challenge, sizeof(kat_challenge));

    for (i = 0; text[i] != '\0'; i++) {
        c = text[i];
        text[i] = (c == 'A') ? 'B' : 'A';
        assert_int_not_equal(scep_bound_open(&ring, text, strlen(text), &b),
                             SCEP_BOUND_OK);
        text[i] = c;
    }

    assert_int_equal(scep_bound_open(&ring, text, strlen(text), &b),
                     SCEP_BOUND_OK);
}


static void
test_truncated_oversized_and_odd(void **state)
{
    char          text[600];
    size_t        i, len;
    scep_bound_t  b;

    (void) state;

    len = strlen(kat_challenge);

    for (i = 0; i < len; i++) {
        assert_int_not_equal(scep_bound_open(&ring, kat_challenge, i, &b),
                             SCEP_BOUND_OK);
    }

    /* anything appended */
    memcpy(text, kat_challenge, len);
    memcpy(text + len, "AAAA", 4);
    assert_int_not_equal(scep_bound_open(&ring, text, len + 4, &b),
                         SCEP_BOUND_OK);
    assert_int_not_equal(scep_bound_open(&ring, text, len + 1, &b),
                         SCEP_BOUND_OK);

    memset(text, 'A', sizeof(text));
    assert_int_equal(scep_bound_open(&ring, text, sizeof(text), &b),
                     SCEP_BOUND_MALFORMED);

    /* padding is tolerated, other characters are not */
    memcpy(text, kat_challenge, len);
    memcpy(text + len, "==", 3);
    assert_int_equal(scep_bound_open(&ring, text, len + 2, &b),
                     SCEP_BOUND_OK);

    text[10] = '-';
    assert_int_equal(scep_bound_open(&ring, text, len, &b),
                     SCEP_BOUND_MALFORMED);

    /* the last character with bits no byte takes: another text, refused */
    memcpy(text, kat_challenge, len);
    text[len - 1] = 'R';
    assert_int_equal(scep_bound_open(&ring, text, len, &b),
                     SCEP_BOUND_MALFORMED);

    /* an NDES-style one-time password is not a bound challenge */
    assert_int_equal(scep_bound_open(&ring, "6B1D0E4F2A9C8735", 16, &b),
                     SCEP_BOUND_MALFORMED);
    assert_int_equal(scep_bound_open(&ring, "", 0, &b),
                     SCEP_BOUND_MALFORMED);
}


/* The bytes after the signature check are read strictly too. */
static void
test_decode_refuses_what_no_portal_mints(void **state)
{
    long           n;
    scep_bound_t   b;
    unsigned char  bytes[SCEP_BOUND_BYTES_MAX];

    (void) state;

    n = scep_base64_decode(kat_challenge, strlen(kat_challenge), bytes,
                           sizeof(bytes));
    n -= SCEP_BOUND_TAG_LEN;

    assert_int_equal(scep_bound_decode(bytes, (size_t) n, &b), 0);
    assert_string_equal(b.grant.profile, "staff");

    bytes[96] = 6;                          /* profile length */
    assert_int_equal(scep_bound_decode(bytes, (size_t) n, &b), -1);
    bytes[96] = 5;

    bytes[97] = '/';                        /* profile character */
    assert_int_equal(scep_bound_decode(bytes, (size_t) n, &b), -1);
    bytes[97] = 's';

    bytes[93] = 0x04;                       /* unknown key usage */
    assert_int_equal(scep_bound_decode(bytes, (size_t) n, &b), -1);
    bytes[93] = 0x03;

    bytes[94] = 0x00;                       /* 8 bits */
    assert_int_equal(scep_bound_decode(bytes, (size_t) n, &b), -1);
    bytes[94] = 0x08;

    bytes[5] = 0xff;                        /* an expiry past 2^62 */
    assert_int_equal(scep_bound_decode(bytes, (size_t) n, &b), -1);
    bytes[5] = 0x00;

    assert_int_equal(scep_bound_decode(bytes, (size_t) n - 1, &b), -1);
    assert_int_equal(scep_bound_decode(bytes, 10, &b), -1);
    assert_int_equal(scep_bound_decode(bytes, (size_t) n, &b), 0);
}


static void
test_rotation(void **state)
{
    char                text[SCEP_BOUND_TEXT_MAX];
    scep_bound_t        b;
    scep_error_t        err;
    scep_profile_t      p;
    scep_keyring_t      both, only_new;
    scep_entitlement_t  e;

    (void) state;

    profile_for(&p, SCEP_SAN_NONE, NULL);
    entitlement(&e, &p, "O=Example,CN=bob");

    /* minted under the old key, before the new one was added */
    assert_int_equal(scep_bound_mint(&ring, &e, EXPIRES, text, sizeof(text),
                                     &err), 0);

    /* the new key first: it signs; the old one still verifies */
    both = other_ring;
    both.keys[1] = ring.keys[0];
    both.n = 2;
    assert_int_equal(scep_bound_open(&both, text, strlen(text), &b),
                     SCEP_BOUND_OK);

    only_new = other_ring;
    assert_int_equal(scep_bound_open(&only_new, text, strlen(text), &b),
                     SCEP_BOUND_UNKNOWN_KEY);

    /* what the new list mints is signed by the new key */
    assert_int_equal(scep_bound_mint(&both, &e, EXPIRES, text, sizeof(text),
                                     &err), 0);
    assert_int_equal(scep_bound_open(&only_new, text, strlen(text), &b),
                     SCEP_BOUND_OK);
    assert_int_equal(scep_bound_open(&ring, text, strlen(text), &b),
                     SCEP_BOUND_UNKNOWN_KEY);

    scep_keyring_wipe(&both);
    scep_keyring_wipe(&only_new);
}


/* bob's challenge against the CSRs an attacker with it would send */
static void
test_what_a_csr_may_ask(void **state)
{
    char                text[SCEP_BOUND_TEXT_MAX];
    scep_error_t        err;
    scep_profile_t      p, q;
    scep_entitlement_t  e;
    X509_REQ           *req;

    (void) state;

    profile_for(&p, SCEP_SAN_NONE, NULL);
    entitlement(&e, &p, "O=Example,OU=VPN,CN=bob");
    assert_int_equal(scep_bound_mint(&ring, &e, EXPIRES, text, sizeof(text),
                                     &err), 0);

    req = csr_of(&p, key2048, "O=Example,OU=VPN,CN=bob", text);
    assert_int_equal(judge(text, req, NOW), SCEP_BOUND_OK);
    X509_REQ_free(req);

    req = csr_of(&p, key2048, "O=Example,OU=VPN,CN=admin", text);
    assert_int_equal(judge(text, req, NOW), SCEP_BOUND_OTHER_SUBJECT);
    X509_REQ_free(req);

    req = csr_of(&p, key2048, "O=Example,OU=Admins,CN=bob", text);
    assert_int_equal(judge(text, req, NOW), SCEP_BOUND_OTHER_SUBJECT);
    X509_REQ_free(req);

    /* the same attributes in another order are another subject */
    req = csr_of(&p, key2048, "OU=VPN,O=Example,CN=bob", text);
    assert_int_equal(judge(text, req, NOW), SCEP_BOUND_OTHER_SUBJECT);
    X509_REQ_free(req);

    req = csr_of(&p, key2048, "O=Example,OU=VPN,CN=Bob", text);
    assert_int_equal(judge(text, req, NOW), SCEP_BOUND_OTHER_SUBJECT);
    X509_REQ_free(req);

    /* a SAN the profile has not */
    profile_for(&q, SCEP_SAN_DNS, "admin.example.org");
    req = csr_of(&q, key2048, "O=Example,OU=VPN,CN=bob", text);
    assert_int_equal(judge(text, req, NOW), SCEP_BOUND_OTHER_SAN);
    X509_REQ_free(req);

    /* a smaller key */
    req = csr_of(&p, key1024, "O=Example,OU=VPN,CN=bob", text);
    assert_int_equal(judge(text, req, NOW), SCEP_BOUND_WEAK_KEY);
    X509_REQ_free(req);

    /* one usage where two are granted: not what the challenge says */
    q = p;
    q.key_usage = SCEP_KU_DIGITAL_SIGNATURE;
    req = csr_of(&q, key2048, "O=Example,OU=VPN,CN=bob", text);
    assert_int_equal(judge(text, req, NOW), SCEP_BOUND_OTHER_KEY_USAGE);
    X509_REQ_free(req);

    /* no key usage at all: left to the CA's template */
    q.key_usage = 0;
    req = csr_of(&q, key2048, "O=Example,OU=VPN,CN=bob", text);
    assert_int_equal(judge(text, req, NOW), SCEP_BOUND_OK);
    X509_REQ_free(req);
}


/* A CSR with extensions of the caller's choosing, signed by key2048. */
static X509_REQ *
csr_with(const char *subject_text, const char *const *exts, size_t n)
{
    size_t                     i;
    X509_REQ                  *req;
    X509_NAME                 *subject;
    X509V3_CTX                 ctx;
    X509_EXTENSION            *ext;
    STACK_OF(X509_EXTENSION)  *sk;

    req = X509_REQ_new();
    subject = test_ca_name(subject_text);
    sk = sk_X509_EXTENSION_new_null();
    assert_non_null(req);
    assert_non_null(subject);
    assert_non_null(sk);

    X509V3_set_ctx(&ctx, NULL, NULL, req, NULL, 0);

    for (i = 0; i < n; i += 2) {
        ext = X509V3_EXT_conf(NULL, &ctx, exts[i], exts[i + 1]);
        assert_non_null(ext);
        assert_true(sk_X509_EXTENSION_push(sk, ext) > 0);
    }

    assert_true(X509_REQ_set_subject_name(req, subject));
    assert_true(X509_REQ_set_pubkey(req, key2048));

    if (n > 0) {
        assert_true(X509_REQ_add_extensions(req, sk));
    }

    assert_true(X509_REQ_sign(req, key2048, EVP_sha256()) > 0);

    sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
    X509_NAME_free(subject);

    return req;
}


static void
test_extensions(void **state)
{
    scep_error_t       err;
    scep_csr_facts_t   f;
    X509_REQ          *req;
    const char *const  eku[] = { "extendedKeyUsage", "codeSigning" };
    const char *const  ca[] = { "basicConstraints", "critical,CA:TRUE" };
    const char *const  not_ca[] = { "basicConstraints", "CA:FALSE",
                                    "subjectKeyIdentifier", "hash" };
    const char *const  cert_sign[] = { "keyUsage",
                                       "digitalSignature,keyCertSign" };
    const char *const  two_sans[] = {
        "subjectAltName", "DNS:b.example.org,DNS:a.example.org" };
    const char *const  two_sans_swapped[] = {
        "subjectAltName", "DNS:a.example.org,DNS:b.example.org" };
    unsigned char      san[SCEP_BOUND_DIGEST_LEN];

    (void) state;

    req = csr_with("CN=bob", eku, 2);
    assert_int_equal(scep_bound_csr_facts(req, &f, &err), 0);
    assert_string_equal(f.extension, "extendedKeyUsage (2.5.29.37)");
    X509_REQ_free(req);

    req = csr_with("CN=bob", ca, 2);
    assert_int_equal(scep_bound_csr_facts(req, &f, &err), 0);
    assert_string_equal(f.extension,
                        "basicConstraints (2.5.29.19) with cA true");
    X509_REQ_free(req);

    req = csr_with("CN=bob", not_ca, 4);
    assert_int_equal(scep_bound_csr_facts(req, &f, &err), 0);
    assert_string_equal(f.extension, "");
    assert_false(f.has_key_usage);
    assert_true(f.signature_ok);
    X509_REQ_free(req);

    req = csr_with("CN=bob", cert_sign, 2);
    assert_int_equal(scep_bound_csr_facts(req, &f, &err), 0);
    assert_true(f.has_key_usage);
    assert_true(f.other_key_usage);
    assert_int_equal(f.key_usage, SCEP_KU_DIGITAL_SIGNATURE);
    X509_REQ_free(req);

    /* names are a set: their order does not matter */
    req = csr_with("CN=bob", two_sans, 2);
    assert_int_equal(scep_bound_csr_facts(req, &f, &err), 0);
    memcpy(san, f.san, sizeof(san));
    X509_REQ_free(req);
    req = csr_with("CN=bob", two_sans_swapped, 2);
    assert_int_equal(scep_bound_csr_facts(req, &f, &err), 0);
    assert_memory_equal(san, f.san, sizeof(san));
    X509_REQ_free(req);

    /* a signature that does not verify is told */
    req = csr_with("CN=bob", NULL, 0);
    assert_true(X509_REQ_sign(req, key1024, EVP_sha256()) > 0);
    assert_int_equal(scep_bound_csr_facts(req, &f, &err), 0);
    assert_false(f.signature_ok);
    X509_REQ_free(req);
}


/* CN=bob as a PrintableString and as a UTF8String: the same subject. */
static void
test_subject_by_meaning(void **state)
{
    X509_NAME      *a, *b, *multi;
    scep_error_t    err;
    unsigned char   da[SCEP_BOUND_DIGEST_LEN], db[SCEP_BOUND_DIGEST_LEN];

    (void) state;

    a = X509_NAME_new();
    b = X509_NAME_new();
    assert_true(X509_NAME_add_entry_by_txt(a, "O", V_ASN1_PRINTABLESTRING,
                (const unsigned char *) "Example", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_txt(a, "CN", V_ASN1_PRINTABLESTRING,
                (const unsigned char *) "bob", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_txt(b, "O", MBSTRING_UTF8,
                (const unsigned char *) "Example", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_txt(b, "CN", MBSTRING_UTF8,
                (const unsigned char *) "bob", -1, -1, 0));

    assert_int_equal(scep_bound_subject_digest(a, da, &err), 0);
    assert_int_equal(scep_bound_subject_digest(b, db, &err), 0);
    assert_memory_equal(da, db, sizeof(da));

    /* but O=Example+CN=bob, one RDN of two, is another name */
    multi = X509_NAME_new();
    assert_true(X509_NAME_add_entry_by_txt(multi, "O", MBSTRING_UTF8,
                (const unsigned char *) "Example", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_txt(multi, "CN", MBSTRING_UTF8,
                (const unsigned char *) "bob", -1, -1, -1));
    assert_int_equal(scep_bound_subject_digest(multi, db, &err), 0);
    assert_memory_not_equal(da, db, sizeof(da));

    X509_NAME_free(a);
    X509_NAME_free(b);
    X509_NAME_free(multi);
}


static void
test_challenge_of_a_csr(void **state)
{
    char            out[SCEP_CHALLENGE_MAX_LEN + 1];
    scep_profile_t  p;
    X509_REQ       *req;

    (void) state;

    profile_for(&p, SCEP_SAN_NONE, NULL);

    req = csr_of(&p, key2048, "CN=bob", kat_challenge);
    assert_int_equal(scep_bound_csr_challenge(req, out, sizeof(out)), 0);
    assert_string_equal(out, kat_challenge);
    assert_int_equal(scep_bound_csr_challenge(req, out, 10), -1);
    X509_REQ_free(req);

    req = csr_of(&p, key2048, "CN=bob", NULL);
    assert_int_equal(scep_bound_csr_challenge(req, out, sizeof(out)), 1);
    X509_REQ_free(req);
}


static void
test_key_files(void **state)
{
    char            dir[] = "/tmp/test_scep_bound.XXXXXX", path[128];
    FILE           *f;
    struct stat     st;
    scep_error_t    err;
    scep_keyring_t  r;

    (void) state;

    assert_non_null(mkdtemp(dir));
    scep_keyring_init(&r);

    /* the vectors' key, as "openssl rand -base64 32" would write it */
    snprintf(path, sizeof(path), "%s/a.key", dir);
    f = fopen(path, "w");
    fputs("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", f);
    fclose(f);
    assert_int_equal(scep_keyring_add_file(&r, path, &err), 0);
    assert_memory_equal(r.keys[0].id, ring.keys[0].id, SCEP_KEY_ID_LEN);

    /* twice is a mistake */
    assert_int_equal(scep_keyring_add_file(&r, path, &err), -1);
    assert_non_null(strstr(err.message, "listed twice"));

    /* too short, not base64; messages name the file, not the key */
    f = fopen(path, "w");
    fputs("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\n", f);
    fclose(f);
    assert_int_equal(scep_keyring_add_file(&r, path, &err), -1);
    assert_non_null(strstr(err.message, "30 bytes long"));
    assert_null(strstr(err.message, "AAEC"));

    f = fopen(path, "w");
    fputs("not a key at all, not base64 either!!\n", f);
    fclose(f);
    assert_int_equal(scep_keyring_add_file(&r, path, &err), -1);
    assert_non_null(strstr(err.message, "does not hold a key in base64"));
    unlink(path);

    assert_int_equal(scep_keyring_add_file(&r, path, &err), -1);
    assert_non_null(strstr(err.message, "cannot read"));

    /* a new key: 0600, never over an existing file, and readable */
    snprintf(path, sizeof(path), "%s/new.key", dir);
    assert_int_equal(scep_keyring_new_file(path, &err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(scep_keyring_new_file(path, &err), -1);
    assert_non_null(strstr(err.message, "never replaced"));
    assert_int_equal(scep_keyring_add_file(&r, path, &err), 0);
    assert_int_equal(r.n, 2);
    unlink(path);
    rmdir(dir);

    scep_keyring_wipe(&r);
    assert_int_equal(r.n, 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_longest_fits_a_challenge_password),
        cmocka_unit_test(test_every_byte_tampered),
        cmocka_unit_test(test_truncated_oversized_and_odd),
        cmocka_unit_test(test_decode_refuses_what_no_portal_mints),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_what_a_csr_may_ask),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_subject_by_meaning),
        cmocka_unit_test(test_challenge_of_a_csr),
        cmocka_unit_test(test_key_files),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
