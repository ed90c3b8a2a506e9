#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "scep_base64.h"
#include "scep_bound.h"


#define SCEP_BOUND_KU_DS          0x01
#define SCEP_BOUND_KU_KE          0x02

/* Offsets into the bytes of a challenge (scep_bound.h). */
#define SCEP_BOUND_AT_KEY_ID      1
#define SCEP_BOUND_AT_EXPIRES     5
#define SCEP_BOUND_AT_NONCE       13
#define SCEP_BOUND_AT_SUBJECT     29
#define SCEP_BOUND_AT_SAN         61
#define SCEP_BOUND_AT_KEY_USAGE   93
#define SCEP_BOUND_AT_KEY_BITS    94
#define SCEP_BOUND_AT_PROFILE_LEN 96


static int scep_bound_tag(const scep_key_t *key, const unsigned char *bytes,
    size_t len, unsigned char tag[SCEP_BOUND_TAG_LEN]);


int
scep_bound_mint(const scep_keyring_t *ring, const scep_entitlement_t *e,
    long long expires, char *out, size_t size, scep_error_t *err)
{
    int            rc;
    unsigned char  nonce[SCEP_BOUND_NONCE_LEN];

    if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
        scep_error_set(err, SCEP_ERR_INTERNAL, "challenge",
                       "no random bytes for the challenge's nonce");
        scep_error_add_openssl(err);
        return -1;
    }

    rc = scep_bound_mint_nonce(ring, e, expires, nonce, out, size, err);

    OPENSSL_cleanse(nonce, sizeof(nonce));

    return rc;
}


int
scep_bound_mint_nonce(const scep_keyring_t *ring,
    const scep_entitlement_t *e, long long expires,
    const unsigned char nonce[SCEP_BOUND_NONCE_LEN], char *out, size_t size,
    scep_error_t *err)
{
    int            i;
    size_t         n, plen;
    unsigned char  b[SCEP_BOUND_BYTES_MAX];

    if (ring == NULL || ring->n == 0) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge",
                              "a bound challenge needs a key (scep_key_file)");
    }

    plen = strlen(e->profile);

    if (!scep_bound_profile_valid(e->profile, plen)
        || (e->key_usage & ~(unsigned) (SCEP_KU_DIGITAL_SIGNATURE
                                        | SCEP_KU_KEY_ENCIPHERMENT))
        || e->key_bits < SCEP_KEY_BITS_MIN || e->key_bits > SCEP_KEY_BITS_MAX
        || expires < 0)
    {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "challenge",
                              "the entitlement cannot be put in a bound "
                              "challenge");
    }

    n = SCEP_BOUND_FIXED_LEN + plen;

    if (size < scep_base64_len(n + SCEP_BOUND_TAG_LEN) + 1) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "challenge",
                              "no room for the bound challenge");
    }

    b[0] = SCEP_BOUND_VERSION;
    memcpy(b + SCEP_BOUND_AT_KEY_ID, ring->keys[0].id, SCEP_KEY_ID_LEN);

    for (i = 0; i < 8; i++) {
        b[SCEP_BOUND_AT_EXPIRES + i] =
            (unsigned char) ((unsigned long long) expires >> (56 - 8 * i));
    }

    memcpy(b + SCEP_BOUND_AT_NONCE, nonce, SCEP_BOUND_NONCE_LEN);
    memcpy(b + SCEP_BOUND_AT_SUBJECT, e->subject, SCEP_BOUND_DIGEST_LEN);
    memcpy(b + SCEP_BOUND_AT_SAN, e->san, SCEP_BOUND_DIGEST_LEN);

    b[SCEP_BOUND_AT_KEY_USAGE] =
        ((e->key_usage & SCEP_KU_DIGITAL_SIGNATURE) ? SCEP_BOUND_KU_DS : 0)
        | ((e->key_usage & SCEP_KU_KEY_ENCIPHERMENT) ? SCEP_BOUND_KU_KE : 0);
    b[SCEP_BOUND_AT_KEY_BITS] = (unsigned char) (e->key_bits >> 8);
    b[SCEP_BOUND_AT_KEY_BITS + 1] = (unsigned char) (e->key_bits & 0xff);
    b[SCEP_BOUND_AT_PROFILE_LEN] = (unsigned char) plen;
    memcpy(b + SCEP_BOUND_FIXED_LEN, e->profile, plen);

    if (scep_bound_tag(&ring->keys[0], b, n, b + n) != 0) {
        OPENSSL_cleanse(b, sizeof(b));
        scep_error_set(err, SCEP_ERR_INTERNAL, "challenge",
                       "cannot sign the bound challenge");
        scep_error_add_openssl(err);
        return -1;
    }

    scep_base64_encode(b, n + SCEP_BOUND_TAG_LEN, out);

    OPENSSL_cleanse(b, sizeof(b));

    return 0;
}


scep_bound_status_t
scep_bound_open(const scep_keyring_t *ring, const char *text, size_t len,
    scep_bound_t *out)
{
    long               n;
    unsigned char      b[SCEP_BOUND_BYTES_MAX], tag[SCEP_BOUND_TAG_LEN];
    const scep_key_t  *key;

    memset(out, 0, sizeof(scep_bound_t));

    if (len >= SCEP_BOUND_TEXT_MAX) {
        return SCEP_BOUND_MALFORMED;
    }

    n = scep_base64_decode(text, len, b, sizeof(b));

    if (n < SCEP_BOUND_FIXED_LEN + 1 + SCEP_BOUND_TAG_LEN
        || b[0] != SCEP_BOUND_VERSION)
    {
        return SCEP_BOUND_MALFORMED;
    }

    memcpy(out->key_id, b + SCEP_BOUND_AT_KEY_ID, SCEP_KEY_ID_LEN);

    key = scep_keyring_find(ring, out->key_id);
    if (key == NULL) {
        return SCEP_BOUND_UNKNOWN_KEY;
    }

    n -= SCEP_BOUND_TAG_LEN;

    if (scep_bound_tag(key, b, (size_t) n, tag) != 0
        || CRYPTO_memcmp(tag, b + n, SCEP_BOUND_TAG_LEN) != 0)
    {
        return SCEP_BOUND_FORGED;
    }

    if (scep_bound_decode(b, (size_t) n, out) != 0) {
        return SCEP_BOUND_MALFORMED;
    }

    return SCEP_BOUND_OK;
}


int
scep_bound_decode(const unsigned char *b, size_t len, scep_bound_t *out)
{
    int                 i;
    size_t              plen;
    unsigned long long  expires;

    memset(out, 0, sizeof(scep_bound_t));

    if (len < SCEP_BOUND_FIXED_LEN + 1 || b[0] != SCEP_BOUND_VERSION) {
        return -1;
    }

    plen = b[SCEP_BOUND_AT_PROFILE_LEN];

    if (len != SCEP_BOUND_FIXED_LEN + plen
        || !scep_bound_profile_valid((const char *) b + SCEP_BOUND_FIXED_LEN,
                                     plen))
    {
        return -1;
    }

    expires = 0;

    for (i = 0; i < 8; i++) {
        expires = expires << 8 | b[SCEP_BOUND_AT_EXPIRES + i];
    }

    if (expires > (unsigned long long) 1 << 62) {
        return -1;
    }

    if (b[SCEP_BOUND_AT_KEY_USAGE] & ~(SCEP_BOUND_KU_DS | SCEP_BOUND_KU_KE)) {
        return -1;
    }

    out->grant.key_bits = b[SCEP_BOUND_AT_KEY_BITS] << 8
                          | b[SCEP_BOUND_AT_KEY_BITS + 1];

    if (out->grant.key_bits < SCEP_KEY_BITS_MIN
        || out->grant.key_bits > SCEP_KEY_BITS_MAX)
    {
        return -1;
    }

    out->expires = (long long) expires;
    memcpy(out->key_id, b + SCEP_BOUND_AT_KEY_ID, SCEP_KEY_ID_LEN);
    memcpy(out->nonce, b + SCEP_BOUND_AT_NONCE, SCEP_BOUND_NONCE_LEN);
    memcpy(out->grant.subject, b + SCEP_BOUND_AT_SUBJECT,
           SCEP_BOUND_DIGEST_LEN);
    memcpy(out->grant.san, b + SCEP_BOUND_AT_SAN, SCEP_BOUND_DIGEST_LEN);

    out->grant.key_usage =
        ((b[SCEP_BOUND_AT_KEY_USAGE] & SCEP_BOUND_KU_DS)
         ? SCEP_KU_DIGITAL_SIGNATURE : 0)
        | ((b[SCEP_BOUND_AT_KEY_USAGE] & SCEP_BOUND_KU_KE)
           ? SCEP_KU_KEY_ENCIPHERMENT : 0);

    memcpy(out->grant.profile, b + SCEP_BOUND_FIXED_LEN, plen);
    out->grant.profile[plen] = '\0';

    return 0;
}


scep_bound_status_t
scep_bound_check(const scep_bound_t *b, const scep_csr_facts_t *f,
    long long now)
{
    if (now > b->expires) {
        return SCEP_BOUND_EXPIRED;
    }

    if (CRYPTO_memcmp(f->subject, b->grant.subject, SCEP_BOUND_DIGEST_LEN)
        != 0)
    {
        return SCEP_BOUND_OTHER_SUBJECT;
    }

    if (CRYPTO_memcmp(f->san, b->grant.san, SCEP_BOUND_DIGEST_LEN) != 0) {
        return SCEP_BOUND_OTHER_SAN;
    }

    if (f->has_key_usage
        && (f->other_key_usage || f->key_usage != b->grant.key_usage))
    {
        return SCEP_BOUND_OTHER_KEY_USAGE;
    }

    if (!f->key_rsa || f->key_bits < b->grant.key_bits) {
        return SCEP_BOUND_WEAK_KEY;
    }

    if (f->extension[0] != '\0') {
        return SCEP_BOUND_EXTENSION;
    }

    return SCEP_BOUND_OK;
}


const char *
scep_bound_status_text(scep_bound_status_t status)
{
    switch (status) {

    case SCEP_BOUND_OK:
        return "the CSR asks for what the challenge grants";

    case SCEP_BOUND_MALFORMED:
        return "the challenge password is not a bound challenge (malformed "
               "or truncated)";

    case SCEP_BOUND_UNKNOWN_KEY:
        return "the challenge was signed with a key this verifier does not "
               "hold (removed from the list, or another portal's)";

    case SCEP_BOUND_FORGED:
        return "the challenge does not verify: it was altered or forged";

    case SCEP_BOUND_EXPIRED:
        return "the challenge has expired";

    case SCEP_BOUND_OTHER_SUBJECT:
        return "the CSR's subject is not the one the challenge was issued "
               "for";

    case SCEP_BOUND_OTHER_SAN:
        return "the CSR's subject alternative names are not those the "
               "challenge grants";

    case SCEP_BOUND_OTHER_KEY_USAGE:
        return "the CSR asks for key usages the challenge does not grant";

    case SCEP_BOUND_WEAK_KEY:
        return "the CSR's key is not an RSA key of the size the challenge "
               "requires";

    case SCEP_BOUND_EXTENSION:
        return "the CSR asks for an extension the challenge does not grant";
    }

    return "the challenge is refused";
}


static int
scep_bound_tag(const scep_key_t *key, const unsigned char *bytes, size_t len,
    unsigned char tag[SCEP_BOUND_TAG_LEN])
{
    unsigned int   mdlen;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (HMAC(EVP_sha256(), key->challenge, SCEP_KEY_DERIVED_LEN, bytes, len,
             md, &mdlen)
        == NULL)
    {
        return -1;
    }

    memcpy(tag, md, SCEP_BOUND_TAG_LEN);
    OPENSSL_cleanse(md, sizeof(md));

    return 0;
}


int
scep_bound_profile_valid(const char *name, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || len > SCEP_BOUND_PROFILE_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = name[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}
