#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "scep_seal.h"


#define SCEP_SEAL_AT_VERSION  4
#define SCEP_SEAL_AT_KEY_ID   5
#define SCEP_SEAL_AT_EXPIRES  9
#define SCEP_SEAL_AT_NONCE    17


static int scep_seal_crypt(int encrypt, const scep_key_t *key,
    const unsigned char *header, const char *context,
    const unsigned char *in, size_t len, unsigned char *out,
    unsigned char *tag);


int
scep_seal(const scep_keyring_t *ring, const char *context, time_t expires,
    const unsigned char *data, size_t len, unsigned char **out,
    size_t *outlen, scep_error_t *err)
{
    int                i;
    uint64_t           e;
    unsigned char     *rec;
    const scep_key_t  *key;

    *out = NULL;
    *outlen = 0;

    if (ring == NULL || ring->n == 0) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_file",
                              "sealing needs a key (scep_key_file)");
    }

    if (len > SCEP_SEAL_DATA_MAX) {
        return scep_error_set(err, SCEP_ERR_INPUT, "record",
                              "a sealed record holds at most %d bytes, "
                              "not %zu", SCEP_SEAL_DATA_MAX, len);
    }

    if (expires < 0) {
        return scep_error_set(err, SCEP_ERR_INPUT, "expired",
                              "a record cannot expire before 1970");
    }

    key = &ring->keys[0];

    rec = malloc(SCEP_SEAL_OVERHEAD + len);
    if (rec == NULL) {
        return scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
    }

    memcpy(rec, SCEP_SEAL_MAGIC, 4);
    rec[SCEP_SEAL_AT_VERSION] = SCEP_SEAL_VERSION;
    memcpy(rec + SCEP_SEAL_AT_KEY_ID, key->id, SCEP_KEY_ID_LEN);

    e = (uint64_t) expires;

    for (i = 0; i < 8; i++) {
        rec[SCEP_SEAL_AT_EXPIRES + i] = (unsigned char) (e >> (56 - 8 * i));
    }

    if (RAND_bytes(rec + SCEP_SEAL_AT_NONCE, SCEP_SEAL_NONCE_LEN) != 1) {
        free(rec);
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "no random bytes for a record's nonce");
        scep_error_add_openssl(err);
        return -1;
    }

    if (scep_seal_crypt(1, key, rec, context, data, len,
                        rec + SCEP_SEAL_HEADER_LEN,
                        rec + SCEP_SEAL_HEADER_LEN + len)
        != 0)
    {
        OPENSSL_cleanse(rec, SCEP_SEAL_OVERHEAD + len);
        free(rec);
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL, "cannot seal a record");
        scep_error_add_openssl(err);
        return -1;
    }

    *out = rec;
    *outlen = SCEP_SEAL_OVERHEAD + len;

    return 0;
}


int
scep_seal_open(const scep_keyring_t *ring, const char *context, time_t now,
    const unsigned char *rec, size_t len, unsigned char **out,
    size_t *outlen, scep_error_t *err)
{
    char               id[9];
    size_t             n;
    time_t             expires;
    unsigned char     *data, tag[SCEP_SEAL_TAG_LEN];
    const scep_key_t  *key;

    *out = NULL;
    *outlen = 0;

    if (len < SCEP_SEAL_OVERHEAD
        || len - SCEP_SEAL_OVERHEAD > SCEP_SEAL_DATA_MAX
        || scep_seal_expires(rec, len, &expires) != 0)
    {
        return scep_error_set(err, SCEP_ERR_INPUT, "record",
                              "not a sealed record of this version");
    }

    key = (ring != NULL)
          ? scep_keyring_find(ring, rec + SCEP_SEAL_AT_KEY_ID) : NULL;

    if (key == NULL) {
        scep_key_id_hex(rec + SCEP_SEAL_AT_KEY_ID, id);
        return scep_error_set(err, SCEP_ERR_INPUT, "key",
                              "the record was sealed with key %s, which "
                              "scep_key_file does not list", id);
    }

    n = len - SCEP_SEAL_OVERHEAD;

    /* one byte more: malloc(0) may answer NULL */
    data = malloc(n + 1);
    if (data == NULL) {
        return scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
    }

    memcpy(tag, rec + SCEP_SEAL_HEADER_LEN + n, SCEP_SEAL_TAG_LEN);

    if (scep_seal_crypt(0, key, rec, context, rec + SCEP_SEAL_HEADER_LEN, n,
                        data, tag)
        != 0)
    {
        OPENSSL_cleanse(data, n + 1);
        free(data);
        return scep_error_set(err, SCEP_ERR_INPUT, "record",
                              "the record does not open: it was changed, "
                              "or sealed for another user");
    }

    /* checked once the expiry is known to be the one that was sealed */
    if (now >= expires) {
        OPENSSL_cleanse(data, n + 1);
        free(data);
        return scep_error_set(err, SCEP_ERR_INPUT, "expired",
                              "the record expired %lld s ago",
                              (long long) (now - expires));
    }

    *out = data;
    *outlen = n;

    return 0;
}


int
scep_seal_expires(const unsigned char *rec, size_t len, time_t *expires)
{
    int       i;
    uint64_t  e;

    if (len < SCEP_SEAL_HEADER_LEN
        || memcmp(rec, SCEP_SEAL_MAGIC, 4) != 0
        || rec[SCEP_SEAL_AT_VERSION] != SCEP_SEAL_VERSION)
    {
        return -1;
    }

    e = 0;

    for (i = 0; i < 8; i++) {
        e = (e << 8) | rec[SCEP_SEAL_AT_EXPIRES + i];
    }

    /* beyond what time_t holds: no record of ours */
    if (e > (uint64_t) INT64_MAX) {
        return -1;
    }

    *expires = (time_t) e;

    return 0;
}


/*
 * AES-256-GCM over in (len bytes) into out, the header and the context
 * authenticated with it; tag is written (encrypt) or checked (decrypt).
 */

static int
scep_seal_crypt(int encrypt, const scep_key_t *key,
    const unsigned char *header, const char *context,
    const unsigned char *in, size_t len, unsigned char *out,
    unsigned char *tag)
{
    int              ok, n;
    unsigned char    last[16];
    EVP_CIPHER_CTX  *ctx;

    if (len > SCEP_SEAL_DATA_MAX || strlen(context) > SCEP_SEAL_DATA_MAX) {
        return -1;
    }

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL,
                           encrypt) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                                SCEP_SEAL_NONCE_LEN, NULL) == 1
         && EVP_CipherInit_ex(ctx, NULL, NULL, key->seal,
                              header + SCEP_SEAL_AT_NONCE, encrypt) == 1
         && EVP_CipherUpdate(ctx, NULL, &n, header,
                             SCEP_SEAL_HEADER_LEN) == 1
         && EVP_CipherUpdate(ctx, NULL, &n,
                             (const unsigned char *) context,
                             (int) strlen(context)) == 1
         && EVP_CipherUpdate(ctx, out, &n, in, (int) len) == 1;

    if (ok && !encrypt) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
                                 SCEP_SEAL_TAG_LEN, tag) == 1;
    }

    /* GCM is a stream mode: nothing is left for the final call */
    ok = ok && EVP_CipherFinal_ex(ctx, last, &n) == 1 && n == 0;

    if (ok && encrypt) {
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                                 SCEP_SEAL_TAG_LEN, tag) == 1;
    }

    EVP_CIPHER_CTX_free(ctx);

    return ok ? 0 : -1;
}
