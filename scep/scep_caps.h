/*
 * GetCACaps (RFC 8894, section 3.5.2): what a SCEP server says it
 * supports, and the algorithms the client picks from that.
 */

#ifndef SCEP_CAPS_H
#define SCEP_CAPS_H

#include <stddef.h>

#include <openssl/evp.h>

#include "scep_error.h"
#include "scep_profile.h"


#define SCEP_CAP_AES                 0x0001
#define SCEP_CAP_DES3                0x0002
#define SCEP_CAP_GET_NEXT_CA_CERT    0x0004
#define SCEP_CAP_POST_PKI_OPERATION  0x0008
#define SCEP_CAP_RENEWAL             0x0010
#define SCEP_CAP_SHA1                0x0020
#define SCEP_CAP_SHA256              0x0040
#define SCEP_CAP_SHA512              0x0080
#define SCEP_CAP_SCEP_STANDARD       0x0100

/* Real answers are a few lines; anything longer is not a caps list. */
#define SCEP_CAPS_MAX_LEN            4096

/* Enough for every keyword above, one per line. */
#define SCEP_CAPS_TEXT_LEN           160


typedef enum {
    SCEP_CIPHER_AES_256_CBC = 0,
    SCEP_CIPHER_DES3_CBC
} scep_cipher_t;

/* What the client uses with one CA. */
typedef struct {
    scep_cipher_t   cipher;    /* pkcsPKIEnvelope content encryption */
    scep_digest_t   digest;    /* pkiMessage signature: SHA1 or SHA256 */
    int             post;      /* PKIOperation by POST, else by GET */
} scep_algs_t;


/*
 * Reads a GetCACaps body: one keyword a line, any case, LF or CRLF.
 * Unknown keywords are ignored, as RFC 8894 asks.  An empty body is an
 * empty set (a server from before GetCACaps).
 */
int scep_caps_parse(const char *text, size_t len, unsigned *caps,
    scep_error_t *err);

/* Writes the keywords of a set, one a line; returns the length. */
size_t scep_caps_format(unsigned caps, char *buf, size_t len);

/*
 * AES-256-CBC if the server has AES (or SCEPStandard) else DES3; SHA-256
 * if it has SHA-256, SHA-512 or SCEPStandard else SHA-1; POST if it has
 * POSTPKIOperation or SCEPStandard.  Under FIPS, DES3 and SHA-1 are
 * refused.  url (display form) names the server in the message.
 */
int scep_caps_choose(unsigned caps, int fips, const char *url,
    scep_algs_t *algs, scep_error_t *err);

const EVP_CIPHER *scep_cipher_evp(scep_cipher_t cipher);
const char *scep_cipher_label(scep_cipher_t cipher);

/* The digest of a profile setting or of a chosen algorithm set. */
const EVP_MD *scep_digest_evp(scep_digest_t digest);


#endif /* SCEP_CAPS_H */
