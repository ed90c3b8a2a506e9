/*
 * Bound challenges: a challenge password that entitles its holder to one
 * certificate, the one the portal rendered for the user who logged in,
 * and that the CA's verifier (scep-verify) checks against the CSR it
 * arrives in, with no word from the portal.
 *
 * The portal mints it under a key it shares with the verifier
 * (scep_keyring.h).  It carries the profile, an expiry, a nonce (the
 * verifier keeps used ones until they expire: single use) and digests of
 * what the CSR must ask for: the subject and the subject alternative
 * names, with the key usages and the least RSA key size in clear.  The
 * verifier computes the same digests from the CSR.
 *
 * The text is base64 (RFC 4648, no padding; a PrintableString) of
 *
 *   offset  size
 *        0     1  version, 1
 *        1     4  key id (scep_keyring.h): which key signed
 *        5     8  expiry, Unix seconds, big-endian
 *       13    16  nonce
 *       29    32  SHA-256 of the subject (scep_bound_subject_digest)
 *       61    32  SHA-256 of the subject alternative names
 *       93     1  key usages: bit 0 digitalSignature, bit 1 keyEncipherment
 *       94     2  least RSA key size in bits, big-endian
 *       96     1  n, the length of the profile's name, 1 to 64
 *       97     n  the profile's name
 *     97+n    16  HMAC-SHA-256 of every byte before it, under the key's
 *                 challenge key, cut to 16 bytes
 *
 * at most 177 bytes, 236 characters: within the 255 of a PKCS#9
 * challengePassword.
 */

#ifndef SCEP_BOUND_H
#define SCEP_BOUND_H

#include <stddef.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scep_error.h"
#include "scep_keyring.h"
#include "scep_profile.h"


#define SCEP_BOUND_VERSION      1
#define SCEP_BOUND_NONCE_LEN    16
#define SCEP_BOUND_DIGEST_LEN   32
#define SCEP_BOUND_TAG_LEN      16
#define SCEP_BOUND_PROFILE_MAX  64
#define SCEP_BOUND_FIXED_LEN    97
#define SCEP_BOUND_BYTES_MAX    \
    (SCEP_BOUND_FIXED_LEN + SCEP_BOUND_PROFILE_MAX + SCEP_BOUND_TAG_LEN)

/* The longest text, with room for its NUL. */
#define SCEP_BOUND_TEXT_MAX     240


/* What one challenge lets its holder ask for. */
typedef struct {
    char           profile[SCEP_BOUND_PROFILE_MAX + 1];
    unsigned char  subject[SCEP_BOUND_DIGEST_LEN];
    unsigned char  san[SCEP_BOUND_DIGEST_LEN];
    unsigned       key_usage;     /* SCEP_KU_* */
    int            key_bits;      /* at least */
} scep_entitlement_t;

/* A challenge, read. */
typedef struct {
    scep_entitlement_t  grant;
    long long           expires;
    unsigned char       nonce[SCEP_BOUND_NONCE_LEN];
    unsigned char       key_id[SCEP_KEY_ID_LEN];
} scep_bound_t;

/* What a CSR asks for, in the same terms. */
typedef struct {
    unsigned char  subject[SCEP_BOUND_DIGEST_LEN];
    unsigned char  san[SCEP_BOUND_DIGEST_LEN];
    int            has_key_usage;
    unsigned       key_usage;     /* SCEP_KU_* */
    int            other_key_usage;   /* a usage beyond those two */
    int            key_rsa;
    int            key_bits;
    int            signature_ok;
    char           extension[80]; /* one the challenge cannot grant, or "" */
} scep_csr_facts_t;

typedef enum {
    SCEP_BOUND_OK = 0,
    SCEP_BOUND_MALFORMED,
    SCEP_BOUND_UNKNOWN_KEY,
    SCEP_BOUND_FORGED,
    SCEP_BOUND_EXPIRED,
    SCEP_BOUND_OTHER_SUBJECT,
    SCEP_BOUND_OTHER_SAN,
    SCEP_BOUND_OTHER_KEY_USAGE,
    SCEP_BOUND_WEAK_KEY,
    SCEP_BOUND_EXTENSION
} scep_bound_status_t;


/*
 * The portal's side: what the profile grants the user whose subject and
 * subject alternative names (sans, NULL for none) were rendered, then
 * the challenge for it, good until expires.
 */
int scep_bound_entitlement(scep_entitlement_t *e, const scep_profile_t *p,
    const X509_NAME *subject, const scep_sans_t *sans, scep_error_t *err);

int scep_bound_mint(const scep_keyring_t *ring, const scep_entitlement_t *e,
    long long expires, char *out, size_t size, scep_error_t *err);

/* The same with a given nonce: for known-answer tests. */
int scep_bound_mint_nonce(const scep_keyring_t *ring,
    const scep_entitlement_t *e, long long expires,
    const unsigned char nonce[SCEP_BOUND_NONCE_LEN], char *out, size_t size,
    scep_error_t *err);

/*
 * The verifier's side.  scep_bound_open() reads a challenge and checks
 * its signature under the ring's key of its id: nothing of it is
 * believed before.  scep_bound_decode() reads the bytes of one whose
 * signature was checked.
 */
scep_bound_status_t scep_bound_open(const scep_keyring_t *ring,
    const char *text, size_t len, scep_bound_t *out);

int scep_bound_decode(const unsigned char *bytes, size_t len,
    scep_bound_t *out);

/*
 * The facts of a CSR; -1 when a part the decision needs cannot be read
 * (err says which).  The signature is checked, not judged: see
 * f->signature_ok.
 */
int scep_bound_csr_facts(X509_REQ *req, scep_csr_facts_t *f,
    scep_error_t *err);

/*
 * The CSR's challengePassword, as UTF-8 text and a NUL: 0, 1 when it has
 * none, -1 when it is not one string or longer than size - 1.  The
 * caller wipes out.
 */
int scep_bound_csr_challenge(X509_REQ *req, char *out, size_t size);

/*
 * Does the CSR ask for exactly what the challenge grants, before it
 * expires?  A CSR that asks for no key usage is left to the CA's
 * template; one that asks for any asks for exactly those granted.
 */
scep_bound_status_t scep_bound_check(const scep_bound_t *b,
    const scep_csr_facts_t *f, long long now);

/*
 * A profile name a challenge can carry: 1 to SCEP_BOUND_PROFILE_MAX
 * characters of A-Z a-z 0-9 . _ -, as scep_store names profiles (they
 * name files there).
 */
int scep_bound_profile_valid(const char *name, size_t len);

/* A sentence for the refusal; never quotes the challenge. */
const char *scep_bound_status_text(scep_bound_status_t status);

/* The digests both sides compute. */
int scep_bound_subject_digest(const X509_NAME *name,
    unsigned char out[SCEP_BOUND_DIGEST_LEN], scep_error_t *err);

int scep_bound_san_digest(const GENERAL_NAMES *names,
    unsigned char out[SCEP_BOUND_DIGEST_LEN], scep_error_t *err);


#endif /* SCEP_BOUND_H */
