/*
 * The verifier's readers of what a stranger sends it (scep-verify): the
 * bound challenge (scep_bound_open, scep_bound_decode) and the CSR
 * (scep_bound_csr_facts, scep_bound_csr_challenge).  The first byte picks
 * how the rest is used:
 *
 *   0  a challenge as it arrives: nobody without the key makes one that
 *      opens;
 *   1  the bytes of a challenge before its tag, which the target signs
 *      (HMAC written here, independently), so that the fields read after
 *      the signature check are reached too; what opens is minted again
 *      to the very same text;
 *   2  those bytes handed to scep_bound_decode directly;
 *   3  a DER CSR: its facts, and its challengePassword;
 *   4  an entitlement (profile NUL the rest), minted and opened again.
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz/fuzz.h"
#include "scep/scep_base64.h"
#include "scep/scep_bound.h"


#define FUZZ_NOW  1700000000LL


static const unsigned char  fuzz_secret[32] = {
    0x5a, 0x17, 0xc2, 0x8e, 0x31, 0x4d, 0xf0, 0x69,
    0x0b, 0x92, 0x7e, 0x25, 0xd4, 0x46, 0xa3, 0x18,
    0xec, 0x50, 0x3f, 0x81, 0x2a, 0xb7, 0x64, 0x0d,
    0x99, 0xc8, 0x13, 0x76, 0xe5, 0x2c, 0x4b, 0xfa,
};

static scep_keyring_t  fuzz_ring;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    scep_keyring_init(&fuzz_ring);

    if (scep_keyring_add_secret(&fuzz_ring, fuzz_secret, sizeof(fuzz_secret),
                                NULL)
        != 0)
    {
        abort();
    }

    return 0;
}


static void
fuzz_open(const char *text, size_t len)
{
    char                 *copy;
    scep_bound_t          b;
    scep_bound_status_t   st;

    copy = fuzz_memdup(text, len);
    st = scep_bound_open(&fuzz_ring, copy, len, &b);
    free(copy);

    (void) scep_bound_status_text(st);

    if (st == SCEP_BOUND_OK) {
        /* nobody without the key makes a challenge */
        abort();
    }
}


/* The bytes signed as the portal would, encoded, opened. */
static void
fuzz_signed(const uint8_t *data, size_t size)
{
    char                 text[SCEP_BOUND_TEXT_MAX + 8];
    char                 again[SCEP_BOUND_TEXT_MAX];
    size_t               n;
    scep_bound_t         b;
    unsigned int         mdlen;
    scep_error_t         err;
    unsigned char        bytes[SCEP_BOUND_BYTES_MAX + 64];
    unsigned char        md[EVP_MAX_MD_SIZE];
    scep_bound_status_t  st;

    if (size + SCEP_BOUND_TAG_LEN > sizeof(bytes)) {
        return;
    }

    memcpy(bytes, data, size);

    /* the tag: only possible with the key, for the key id it names */
    if (size >= 5) {
        memcpy(bytes + 1, fuzz_ring.keys[0].id, SCEP_KEY_ID_LEN);
    }

    if (HMAC(EVP_sha256(), fuzz_ring.keys[0].challenge, SCEP_KEY_DERIVED_LEN,
             bytes, size, md, &mdlen) == NULL)
    {
        abort();
    }

    memcpy(bytes + size, md, SCEP_BOUND_TAG_LEN);
    n = size + SCEP_BOUND_TAG_LEN;

    if (scep_base64_len(n) >= sizeof(text)) {
        return;
    }

    scep_base64_encode(bytes, n, text);

    st = scep_bound_open(&fuzz_ring, text, strlen(text), &b);

    if (st != SCEP_BOUND_OK) {
        return;
    }

    /* what opens is what the portal would mint: same text again */
    if (scep_bound_mint_nonce(&fuzz_ring, &b.grant, b.expires, b.nonce,
                              again, sizeof(again), &err)
        != 0
        || strcmp(again, text) != 0)
    {
        abort();
    }
}


static void
fuzz_csr(const uint8_t *data, size_t size)
{
    char                  challenge[SCEP_CHALLENGE_MAX_LEN + 2];
    X509_REQ             *req;
    scep_error_t          err;
    scep_csr_facts_t      f;
    const unsigned char  *p;

    p = data;
    req = d2i_X509_REQ(NULL, &p, (long) size);

    if (req == NULL) {
        return;
    }

    if (scep_bound_csr_facts(req, &f, &err) == 0
        && strnlen(f.extension, sizeof(f.extension)) == sizeof(f.extension))
    {
        abort();
    }

    if (scep_bound_csr_challenge(req, challenge, sizeof(challenge)) == 0) {
        fuzz_open(challenge, strlen(challenge));
    }

    (void) scep_bound_csr_challenge(req, challenge, 3);

    X509_REQ_free(req);
}


static void
fuzz_roundtrip(fuzz_reader_t *r)
{
    char                 text[SCEP_BOUND_TEXT_MAX], *profile, *rest;
    size_t               plen, rlen;
    scep_bound_t         b;
    scep_error_t         err;
    scep_entitlement_t   e;

    memset(&e, 0, sizeof(e));

    profile = fuzz_field(r, '\0', &plen);
    rest = fuzz_rest(r, &rlen);

    if (plen <= SCEP_BOUND_PROFILE_MAX) {
        memcpy(e.profile, profile, plen + 1);
    }

    memcpy(e.subject, rest, rlen < sizeof(e.subject) ? rlen : 0);
    e.key_usage = rlen > 0 ? (unsigned) rest[0] & 3 : 0;
    e.key_bits = 1024 + 256 * (int) (rlen % 29);

    if (scep_bound_mint(&fuzz_ring, &e, FUZZ_NOW, text, sizeof(text), &err)
        == 0)
    {
        if (scep_bound_open(&fuzz_ring, text, strlen(text), &b)
            != SCEP_BOUND_OK
            || strcmp(b.grant.profile, e.profile) != 0
            || b.expires != FUZZ_NOW
            || b.grant.key_bits != e.key_bits
            || b.grant.key_usage != e.key_usage
            || memcmp(b.grant.subject, e.subject, sizeof(e.subject)) != 0)
        {
            abort();
        }
    }

    free(profile);
    free(rest);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned        mode;
    scep_bound_t    b;
    unsigned char  *copy;
    fuzz_reader_t   r;

    fuzz_reader_init(&r, data, size);
    mode = fuzz_byte(&r) % 5;

    switch (mode) {

    case 0:
        fuzz_open((const char *) r.p, (size_t) (r.end - r.p));
        break;

    case 1:
        fuzz_signed(r.p, (size_t) (r.end - r.p));
        break;

    case 2:
        copy = (unsigned char *) fuzz_memdup(r.p, (size_t) (r.end - r.p));
        (void) scep_bound_decode(copy, (size_t) (r.end - r.p), &b);
        free(copy);
        break;

    case 3:
        fuzz_csr(r.p, (size_t) (r.end - r.p));
        break;

    default:
        fuzz_roundtrip(&r);
        break;
    }

    return 0;
}
