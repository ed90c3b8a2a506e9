#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "scep_base64.h"
#include "scep_keyring.h"


/* Each use has a key of its own, derived from the file's. */
#define SCEP_KEY_LABEL_ID         "ngx_scep key id"
#define SCEP_KEY_LABEL_CHALLENGE  "ngx_scep bound challenge v1"
#define SCEP_KEY_LABEL_TICKET     "ngx_scep proxy ticket v1"
#define SCEP_KEY_LABEL_SEAL       "ngx_scep sealed record v1"
#define SCEP_KEY_LABEL_NAME       "ngx_scep record name v1"

#define SCEP_KEY_NEW_LEN          32


static int scep_keyring_read(const char *path, char *buf, size_t size,
    size_t *len, scep_error_t *err);
static int scep_key_derive(const unsigned char *secret, size_t len,
    const char *label, unsigned char *out, size_t outlen);


void
scep_keyring_init(scep_keyring_t *ring)
{
    memset(ring, 0, sizeof(scep_keyring_t));
}


int
scep_keyring_add_file(scep_keyring_t *ring, const char *path,
    scep_error_t *err)
{
    int            rc;
    long           n;
    char           text[SCEP_KEY_FILE_MAX + 1];
    size_t         i, j, len;
    unsigned char  secret[SCEP_KEY_FILE_MAX];

    len = 0;

    if (scep_keyring_read(path, text, sizeof(text), &len, err) != 0) {
        OPENSSL_cleanse(text, sizeof(text));
        return -1;
    }

    /* line breaks and blanks are layout, not key */
    for (i = 0, j = 0; i < len; i++) {
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r'
            && text[i] != '\n')
        {
            text[j++] = text[i];
        }
    }

    n = scep_base64_decode(text, j, secret, sizeof(secret));

    OPENSSL_cleanse(text, sizeof(text));

    if (n < 0) {
        rc = scep_error_set(err, SCEP_ERR_CONFIG, "key_file",
                            "\"%s\" does not hold a key in base64 (make "
                            "one with \"openssl rand -base64 32\")", path);

    } else if (n < SCEP_KEY_SECRET_MIN || n > SCEP_KEY_SECRET_MAX) {
        rc = scep_error_set(err, SCEP_ERR_CONFIG, "key_file",
                            "the key in \"%s\" is %ld bytes long, it must be "
                            "%d to %d", path, n, SCEP_KEY_SECRET_MIN,
                            SCEP_KEY_SECRET_MAX);

    } else {
        rc = scep_keyring_add_secret(ring, secret, (size_t) n, err);
    }

    OPENSSL_cleanse(secret, sizeof(secret));

    return rc;
}


int
scep_keyring_add_secret(scep_keyring_t *ring, const unsigned char *secret,
    size_t len, scep_error_t *err)
{
    size_t       i;
    scep_key_t  *k;

    if (len < SCEP_KEY_SECRET_MIN || len > SCEP_KEY_SECRET_MAX) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_file",
                              "a key is %d to %d bytes long, not %zu",
                              SCEP_KEY_SECRET_MIN, SCEP_KEY_SECRET_MAX, len);
    }

    if (ring->n == SCEP_KEYRING_MAX) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_file",
                              "at most %d keys may be listed",
                              SCEP_KEYRING_MAX);
    }

    k = &ring->keys[ring->n];

    if (scep_key_derive(secret, len, SCEP_KEY_LABEL_ID, k->id,
                        sizeof(k->id)) != 0
        || scep_key_derive(secret, len, SCEP_KEY_LABEL_CHALLENGE,
                           k->challenge, sizeof(k->challenge)) != 0
        || scep_key_derive(secret, len, SCEP_KEY_LABEL_TICKET, k->ticket,
                           sizeof(k->ticket)) != 0
        || scep_key_derive(secret, len, SCEP_KEY_LABEL_SEAL, k->seal,
                           sizeof(k->seal)) != 0
        || scep_key_derive(secret, len, SCEP_KEY_LABEL_NAME, k->name,
                           sizeof(k->name)) != 0)
    {
        OPENSSL_cleanse(k, sizeof(scep_key_t));
        scep_error_set(err, SCEP_ERR_INTERNAL, "key_file",
                       "cannot derive keys");
        scep_error_add_openssl(err);
        return -1;
    }

    /* the same key twice is a mistake, and would hide which one signs */
    for (i = 0; i < ring->n; i++) {
        if (CRYPTO_memcmp(ring->keys[i].challenge, k->challenge,
                          sizeof(k->challenge)) == 0)
        {
            OPENSSL_cleanse(k, sizeof(scep_key_t));
            return scep_error_set(err, SCEP_ERR_CONFIG, "key_file",
                                  "the same key is listed twice (key "
                                  "number %zu)", i + 1);
        }
    }

    ring->n++;

    return 0;
}


int
scep_keyring_add_random(scep_keyring_t *ring, scep_error_t *err)
{
    int            rc;
    unsigned char  secret[SCEP_KEY_NEW_LEN];

    if (RAND_bytes(secret, sizeof(secret)) != 1) {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "no random bytes for a key");
        scep_error_add_openssl(err);
        return -1;
    }

    rc = scep_keyring_add_secret(ring, secret, sizeof(secret), err);

    OPENSSL_cleanse(secret, sizeof(secret));

    return rc;
}


const scep_key_t *
scep_keyring_find(const scep_keyring_t *ring,
    const unsigned char id[SCEP_KEY_ID_LEN])
{
    size_t  i;

    for (i = 0; i < ring->n; i++) {
        if (memcmp(ring->keys[i].id, id, SCEP_KEY_ID_LEN) == 0) {
            return &ring->keys[i];
        }
    }

    return NULL;
}


void
scep_key_id_hex(const unsigned char id[SCEP_KEY_ID_LEN], char out[9])
{
    size_t             i;
    static const char  hex[] = "0123456789abcdef";

    for (i = 0; i < SCEP_KEY_ID_LEN; i++) {
        out[2 * i] = hex[id[i] >> 4];
        out[2 * i + 1] = hex[id[i] & 0x0f];
    }

    out[2 * SCEP_KEY_ID_LEN] = '\0';
}


void
scep_keyring_wipe(scep_keyring_t *ring)
{
    OPENSSL_cleanse(ring, sizeof(scep_keyring_t));
}


int
scep_keyring_new_file(const char *path, scep_error_t *err)
{
    int            fd, rc;
    char           text[scep_base64_len(SCEP_KEY_NEW_LEN) + 4];
    size_t         n;
    ssize_t        w;
    unsigned char  secret[SCEP_KEY_NEW_LEN];

    if (RAND_bytes(secret, sizeof(secret)) != 1) {
        scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                       "no random bytes for a key");
        scep_error_add_openssl(err);
        return -1;
    }

    n = scep_base64_encode(secret, sizeof(secret), text);
    OPENSSL_cleanse(secret, sizeof(secret));

    /* padded, as openssl rand -base64 writes it */
    while (n % 4 != 0) {
        text[n++] = '=';
    }

    text[n++] = '\n';

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
              0600);
    if (fd == -1) {
        OPENSSL_cleanse(text, sizeof(text));
        return scep_error_set(err, SCEP_ERR_FILE, "key_file",
                              "cannot create \"%s\": %s%s", path,
                              strerror(errno),
                              errno == EEXIST ? " (a key file is never "
                              "replaced: remove it first)" : "");
    }

    w = write(fd, text, n);
    OPENSSL_cleanse(text, sizeof(text));

    rc = 0;

    if (w != (ssize_t) n || fsync(fd) != 0) {
        rc = scep_error_set(err, SCEP_ERR_FILE, "key_file",
                            "cannot write \"%s\": %s", path,
                            w < 0 ? strerror(errno) : "short write");
    }

    if (close(fd) != 0 && rc == 0) {
        rc = scep_error_set(err, SCEP_ERR_FILE, "key_file",
                            "cannot write \"%s\": %s", path,
                            strerror(errno));
    }

    if (rc != 0) {
        (void) unlink(path);
    }

    return rc;
}


static int
scep_keyring_read(const char *path, char *buf, size_t size, size_t *len,
    scep_error_t *err)
{
    int          fd;
    ssize_t      n;
    struct stat  st;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return scep_error_set(err, SCEP_ERR_FILE, "key_file",
                              "cannot read \"%s\": %s", path,
                              strerror(errno));
    }

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return scep_error_set(err, SCEP_ERR_FILE, "key_file",
                              "\"%s\" is not a regular file", path);
    }

    if ((size_t) st.st_size >= size) {
        close(fd);
        return scep_error_set(err, SCEP_ERR_FILE, "key_file",
                              "\"%s\" is larger than %zu bytes: it is not "
                              "a key file", path, size - 1);
    }

    *len = 0;

    do {
        n = read(fd, buf + *len, size - 1 - *len);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n < 0) {
            scep_error_set(err, SCEP_ERR_FILE, "key_file",
                           "cannot read \"%s\": %s", path, strerror(errno));
            close(fd);
            return -1;
        }

        *len += (size_t) n;

    } while (n > 0 && *len < size - 1);

    close(fd);

    buf[*len] = '\0';

    return 0;
}


static int
scep_key_derive(const unsigned char *secret, size_t len, const char *label,
    unsigned char *out, size_t outlen)
{
    unsigned int   mdlen;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (HMAC(EVP_sha256(), secret, (int) len, (const unsigned char *) label,
             strlen(label), md, &mdlen) == NULL
        || mdlen < outlen)
    {
        return -1;
    }

    memcpy(out, md, outlen);
    OPENSSL_cleanse(md, sizeof(md));

    return 0;
}
