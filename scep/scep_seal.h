/*
 * Sealed records: data the portal keeps outside its own memory (a
 * pending enrollment with its private key, in a directory that other
 * portals share), encrypted and authenticated under the keyring
 * (scep_keyring.h), so that only a portal holding one of the keys can
 * read it, and no one can change a byte of it unnoticed.
 *
 *   offset  size  field
 *        0     4  "SCPR"
 *        4     1  version: 1
 *        5     4  key id: the scep_key_t that sealed it
 *        9     8  expires: seconds since 1970, unsigned, big-endian
 *       17    12  nonce: random, one per record
 *       29     n  the data, encrypted: AES-256-GCM
 *     29+n    16  GCM tag
 *
 * The key is the key's seal (HMAC-SHA-256 of its secret and "ngx_scep
 * sealed record v1"); the additional authenticated data is the 29 bytes
 * of the header followed by the record's context, a string that names
 * what the record is for (which user's pending request): a record moved
 * under another name does not open.  The expiry is in the clear, so that
 * a sweep needs no key, but authenticated: a record opens only before it.
 *
 * Any key of the ring opens a record it sealed (rotation); keys[0] seals.
 */

#ifndef SCEP_SEAL_H
#define SCEP_SEAL_H

#include <stddef.h>
#include <time.h>

#include "scep_error.h"
#include "scep_keyring.h"


#define SCEP_SEAL_MAGIC       "SCPR"
#define SCEP_SEAL_VERSION     1
#define SCEP_SEAL_NONCE_LEN   12
#define SCEP_SEAL_TAG_LEN     16
#define SCEP_SEAL_HEADER_LEN  29
#define SCEP_SEAL_OVERHEAD    (SCEP_SEAL_HEADER_LEN + SCEP_SEAL_TAG_LEN)

/* What a record may hold: a pending transaction is a few kilobytes. */
#define SCEP_SEAL_DATA_MAX    (64 * 1024)


/*
 * Seals data under ring->keys[0], good until expires.  *out is malloc'd
 * (SCEP_SEAL_OVERHEAD + len bytes); it holds no secret in the clear.
 */
int scep_seal(const scep_keyring_t *ring, const char *context,
    time_t expires, const unsigned char *data, size_t len,
    unsigned char **out, size_t *outlen, scep_error_t *err);

/*
 * Opens a record sealed for context by any key of the ring, if now is
 * before its expiry.  *out is malloc'd; the caller wipes it
 * (OPENSSL_cleanse) before free().  Refusals are SCEP_ERR_INPUT with
 * err->field "expired" (the record was good, its time is over), "key"
 * (sealed with a key the ring does not list) or "record" (not a record,
 * or changed, or sealed for another context).
 */
int scep_seal_open(const scep_keyring_t *ring, const char *context,
    time_t now, const unsigned char *rec, size_t len, unsigned char **out,
    size_t *outlen, scep_error_t *err);

/*
 * The expiry a record's header claims, read without a key (a sweep of
 * expired records); -1 when rec is not a record's header.  Only
 * scep_seal_open() says whether the claim is true.
 */
int scep_seal_expires(const unsigned char *rec, size_t len,
    time_t *expires);


#endif /* SCEP_SEAL_H */
