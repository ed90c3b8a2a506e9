#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "scep_pending.h"
#include "scep_seal.h"
#include "scep_store_file.h"


#define SCEP_PENDING_CONTEXT  "pending\n"
#define SCEP_PENDING_TMP      ".tmp-"


static char *scep_pending_context(const char *key, scep_error_t *err);
static int scep_pending_name_of(const scep_key_t *k, const char *context,
    char name[SCEP_PENDING_NAME_LEN + 1]);
static int scep_pending_is_name(const char *name);
static int scep_pending_sweep_one(const scep_pending_store_t *st,
    const char *name, time_t now, scep_error_t *err);


int
scep_pending_name(const scep_keyring_t *ring, size_t i, const char *key,
    char name[SCEP_PENDING_NAME_LEN + 1])
{
    int    rc;
    char  *context;

    if (i >= ring->n) {
        return -1;
    }

    context = scep_pending_context(key, NULL);
    if (context == NULL) {
        return -1;
    }

    rc = scep_pending_name_of(&ring->keys[i], context, name);

    free(context);

    return rc;
}


int
scep_pending_get(const scep_pending_store_t *st, const char *key, time_t now,
    unsigned char **data, size_t *len, scep_error_t *err)
{
    int            rc;
    char          *context, *rec, name[SCEP_PENDING_NAME_LEN + 1];
    size_t         i, rec_len;
    scep_error_t   e;

    *data = NULL;
    *len = 0;

    context = scep_pending_context(key, err);
    if (context == NULL) {
        return -1;
    }

    rc = 0;

    for (i = 0; i < st->keys->n; i++) {
        if (scep_pending_name_of(&st->keys->keys[i], context, name) != 0) {
            rc = scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                                "cannot name a pending record");
            continue;
        }

        scep_error_clear(&e);

        if (scep_store_read(st->dir, name, &rec, &rec_len, &e) != 0) {
            if (strcmp(e.field, "missing") != 0) {
                rc = scep_error_set(err, e.code, e.field, "%s", e.message);
            }

            continue;
        }

        if (scep_seal_open(st->keys, context, now, (unsigned char *) rec,
                           rec_len, data, len, &e)
            == 0)
        {
            free(rec);
            free(context);
            return 1;
        }

        free(rec);

        if (strcmp(e.field, "expired") == 0) {
            (void) scep_store_shred(st->dir, name, NULL);
            continue;
        }

        scep_error_set(err, e.code, e.field, "pending record %.16s... in "
                       "%.128s: %s", name, st->dir, e.message);
        rc = -1;
    }

    free(context);

    return rc;
}


int
scep_pending_put(const scep_pending_store_t *st, const char *key, time_t now,
    const unsigned char *data, size_t len, scep_error_t *err)
{
    int             rc;
    char           *context, name[SCEP_PENDING_NAME_LEN + 1];
    size_t          i, rec_len;
    unsigned char  *rec;

    context = scep_pending_context(key, err);
    if (context == NULL) {
        return -1;
    }

    if (st->keys->n == 0
        || scep_pending_name_of(&st->keys->keys[0], context, name) != 0)
    {
        free(context);
        return scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                              "cannot name a pending record");
    }

    if (scep_seal(st->keys, context, now + st->ttl, data, len, &rec,
                  &rec_len, err)
        != 0)
    {
        free(context);
        return -1;
    }

    if (mkdir(st->dir, 0700) != 0 && errno != EEXIST) {
        rc = scep_error_set(err, SCEP_ERR_FILE, "store",
                            "cannot make the directory %.128s: %s", st->dir,
                            strerror(errno));

    } else {
        rc = scep_store_write(st->dir, name, rec, rec_len, 0600, 1, err);
    }

    free(rec);

    /* what older keys named is stale now */
    for (i = 1; rc == 0 && i < st->keys->n; i++) {
        if (scep_pending_name_of(&st->keys->keys[i], context, name) == 0) {
            (void) scep_store_shred(st->dir, name, NULL);
        }
    }

    free(context);

    return rc;
}


int
scep_pending_delete(const scep_pending_store_t *st, const char *key,
    scep_error_t *err)
{
    int     rc;
    char   *context, name[SCEP_PENDING_NAME_LEN + 1];
    size_t  i;

    context = scep_pending_context(key, err);
    if (context == NULL) {
        return -1;
    }

    rc = 0;

    for (i = 0; i < st->keys->n; i++) {
        if (scep_pending_name_of(&st->keys->keys[i], context, name) != 0
            || scep_store_shred(st->dir, name, err) != 0)
        {
            rc = -1;
        }
    }

    free(context);

    return rc;
}


int
scep_pending_sweep(const scep_pending_store_t *st, time_t now,
    size_t *removed, scep_error_t *err)
{
    int             rc;
    DIR            *d;
    struct dirent  *de;

    *removed = 0;

    d = opendir(st->dir);

    if (d == NULL) {
        if (errno == ENOENT) {
            return 0;
        }

        return scep_error_set(err, SCEP_ERR_FILE, "store",
                              "cannot read the directory %.128s: %s",
                              st->dir, strerror(errno));
    }

    rc = 0;

    while ((de = readdir(d)) != NULL) {
        switch (scep_pending_sweep_one(st, de->d_name, now, err)) {
        case 1:
            (*removed)++;
            break;
        case -1:
            rc = -1;
            break;
        }
    }

    closedir(d);

    return rc;
}


/* 1: removed, 0: kept, -1: could not tell or could not remove. */

static int
scep_pending_sweep_one(const scep_pending_store_t *st, const char *name,
    time_t now, scep_error_t *err)
{
    int            fd;
    char           path[PATH_MAX];
    time_t         expires;
    ssize_t        n;
    struct stat    sb;
    unsigned char  header[SCEP_SEAL_HEADER_LEN];

    if (snprintf(path, sizeof(path), "%s/%s", st->dir, name)
        >= (int) sizeof(path))
    {
        return 0;
    }

    if (strncmp(name, SCEP_PENDING_TMP, sizeof(SCEP_PENDING_TMP) - 1) == 0) {
        if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode)
            || sb.st_mtime + SCEP_PENDING_TMP_AGE > now)
        {
            return 0;
        }

        return scep_store_shred(st->dir, name, err) == 0 ? 1 : -1;
    }

    if (!scep_pending_is_name(name)) {
        return 0;
    }

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        /* removed meanwhile, by a login or another portal's sweep */
        return 0;
    }

    n = read(fd, header, sizeof(header));
    close(fd);

    /* a file of another kind is left alone: get() reports it */
    if (n != (ssize_t) sizeof(header)
        || scep_seal_expires(header, sizeof(header), &expires) != 0
        || expires > now)
    {
        return 0;
    }

    return scep_store_shred(st->dir, name, err) == 0 ? 1 : -1;
}


static char *
scep_pending_context(const char *key, scep_error_t *err)
{
    char    *context;
    size_t   len;

    len = sizeof(SCEP_PENDING_CONTEXT) + strlen(key);

    context = malloc(len);
    if (context == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    snprintf(context, len, "%s%s", SCEP_PENDING_CONTEXT, key);

    return context;
}


static int
scep_pending_name_of(const scep_key_t *k, const char *context,
    char name[SCEP_PENDING_NAME_LEN + 1])
{
    size_t             i;
    unsigned int       len;
    unsigned char      md[EVP_MAX_MD_SIZE];
    static const char  hex[] = "0123456789abcdef";

    if (HMAC(EVP_sha256(), k->name, SCEP_KEY_DERIVED_LEN,
             (const unsigned char *) context, strlen(context), md, &len)
        == NULL
        || len * 2 != SCEP_PENDING_NAME_LEN)
    {
        return -1;
    }

    for (i = 0; i < len; i++) {
        name[2 * i] = hex[md[i] >> 4];
        name[2 * i + 1] = hex[md[i] & 0x0f];
    }

    name[SCEP_PENDING_NAME_LEN] = '\0';

    return 0;
}


static int
scep_pending_is_name(const char *name)
{
    size_t  i;

    for (i = 0; i < SCEP_PENDING_NAME_LEN; i++) {
        if (!((name[i] >= '0' && name[i] <= '9')
              || (name[i] >= 'a' && name[i] <= 'f')))
        {
            return 0;
        }
    }

    return name[SCEP_PENDING_NAME_LEN] == '\0';
}
