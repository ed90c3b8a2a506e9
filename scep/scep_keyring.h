/*
 * The keys the portal shares with the CA's verifier (scep-verify): they
 * sign the bound challenges the portal hands out and the admission
 * tickets of proxy mode.  Several may be configured for rotation: the
 * first signs, every one verifies.
 *
 * A key file holds the key in base64 (line breaks allowed), 32 to 64
 * bytes once decoded, as "openssl rand -base64 32" or "scep-verify
 * --new-key FILE" make it.  What signs is never the file's key itself
 * but keys derived from it, one per use (HMAC-SHA-256 of a label), so
 * that a ticket can never pass for a challenge, nor a sealed record's
 * key reveal anything of the others.
 */

#ifndef SCEP_KEYRING_H
#define SCEP_KEYRING_H

#include <stddef.h>

#include "scep_error.h"


#define SCEP_KEYRING_MAX       16      /* keys listed at once */
#define SCEP_KEY_SECRET_MIN    32      /* bytes, decoded */
#define SCEP_KEY_SECRET_MAX    64
#define SCEP_KEY_FILE_MAX      1024    /* bytes of base64 text */
#define SCEP_KEY_ID_LEN        4
#define SCEP_KEY_DERIVED_LEN   32

typedef struct {
    unsigned char  id[SCEP_KEY_ID_LEN];             /* names it in logs */
    unsigned char  challenge[SCEP_KEY_DERIVED_LEN]; /* bound challenges */
    unsigned char  ticket[SCEP_KEY_DERIVED_LEN];    /* proxy tickets */
    unsigned char  seal[SCEP_KEY_DERIVED_LEN];      /* sealed records */
    unsigned char  name[SCEP_KEY_DERIVED_LEN];      /* their file names */
} scep_key_t;

typedef struct {
    scep_key_t     keys[SCEP_KEYRING_MAX];
    size_t         n;                               /* keys[0] signs */
} scep_keyring_t;


/* An empty ring. */
void scep_keyring_init(scep_keyring_t *ring);

/*
 * Appends the key of a file (base64 text, see above).  Messages name
 * the file, never its content; every copy of the secret is wiped.
 */
int scep_keyring_add_file(scep_keyring_t *ring, const char *path,
    scep_error_t *err);

/* Appends a key given as its secret bytes (32 to 64). */
int scep_keyring_add_secret(scep_keyring_t *ring,
    const unsigned char *secret, size_t len, scep_error_t *err);

/* Appends a fresh random key (the portal's key when none is configured). */
int scep_keyring_add_random(scep_keyring_t *ring, scep_error_t *err);

/* The key whose id this is, or NULL. */
const scep_key_t *scep_keyring_find(const scep_keyring_t *ring,
    const unsigned char id[SCEP_KEY_ID_LEN]);

/* The id as 8 lower-case hex digits and a NUL. */
void scep_key_id_hex(const unsigned char id[SCEP_KEY_ID_LEN], char out[9]);

/* Overwrites every key with zeros; the ring is empty after it. */
void scep_keyring_wipe(scep_keyring_t *ring);

/*
 * Writes a new random key to path as base64 text, mode 0600; an
 * existing file is never replaced.
 */
int scep_keyring_new_file(const char *path, scep_error_t *err);


#endif /* SCEP_KEYRING_H */
