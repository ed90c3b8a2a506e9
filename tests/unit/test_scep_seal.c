/*
 * Sealed records (scep/scep_seal.c) and the pending store that keeps
 * them on disk (scep/scep_pending.c): a record made by an independent
 * implementation of the format opens (known answers), the round trip,
 * every byte changed, cut or added, a wrong key, a wrong user, expiry,
 * rotation; the store's file names, modes, replacement, removal, expiry
 * on read, a sweep, records changed or moved on disk.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/crypto.h>

#include "scep/scep_pending.h"
#include "scep/scep_seal.h"


#define NOW      1799999000LL
#define EXPIRES  1800000000LL

#define CONTEXT  "pending\nstaff\ncarol"
#define KEY      "staff\ncarol"
#define DATA     "a pending transaction"

/*
 * The vectors: the key's secret is the bytes 00 01 .. 1f; context
 * "pending\nstaff\ncarol"; nonce c0 c1 .. cb; expiry 1800000000; the
 * data "a pending transaction".  Computed with Python's hmac and
 * python3-cryptography's AESGCM from the layout in scep_seal.h:
 * tests/unit/data/pending/kat.py.
 */
static const char  kat_name[] =
    "925a5a4559810fffc3a1b2f95fa7b011f08a245bfa9b018d0ebb41456c7e47ee";
static const char  kat_record[] =
    "5343505201ba953a84000000006b49d200c0c1c2c3c4c5c6c7c8c9cacb778a0c8c61a9"
    "b4749aeeaba4bbb491e2591dead3a0eff17c768d473f8089a05faa15b8a484";

static scep_keyring_t  ring_a;        /* the vectors' key */
static scep_keyring_t  ring_b;        /* another key */
static scep_keyring_t  ring_ba;       /* b signs, a verifies */

static char            dir[64];       /* the store of a test */
static char            pending[80];   /* dir/pending */


static int
setup(void **state)
{
    size_t         i;
    unsigned char  secret[32];

    (void) state;

    for (i = 0; i < sizeof(secret); i++) {
        secret[i] = (unsigned char) i;
    }

    scep_keyring_init(&ring_a);
    scep_keyring_init(&ring_b);

    if (scep_keyring_add_secret(&ring_a, secret, sizeof(secret), NULL) != 0
        || scep_keyring_add_random(&ring_b, NULL) != 0)
    {
        return -1;
    }

    ring_ba = ring_b;
    ring_ba.keys[1] = ring_a.keys[0];
    ring_ba.n = 2;

    return 0;
}


static int
make_store(void **state)
{
    (void) state;

    snprintf(dir, sizeof(dir), "/tmp/scep-pending-XXXXXX");

    if (mkdtemp(dir) == NULL) {
        return -1;
    }

    snprintf(pending, sizeof(pending), "%s/pending", dir);

    return 0;
}


static void
remove_all(const char *path)
{
    DIR            *d;
    char            file[PATH_MAX];
    struct dirent  *de;

    d = opendir(path);

    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
            unlink(file);
        }
    }

    if (d != NULL) {
        closedir(d);
    }
}


static int
remove_store(void **state)
{
    (void) state;

    remove_all(pending);
    rmdir(pending);

    return rmdir(dir);
}


static size_t
unhex(const char *hex, unsigned char *out, size_t size)
{
    size_t        i, n;
    unsigned int  byte;

    n = strlen(hex) / 2;
    assert_true(n <= size);

    for (i = 0; i < n; i++) {
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &byte), 1);
        out[i] = (unsigned char) byte;
    }

    return n;
}


static void
seal_data(const scep_keyring_t *ring, unsigned char **rec, size_t *len)
{
    scep_error_t  err;

    assert_int_equal(scep_seal(ring, CONTEXT, EXPIRES,
                               (const unsigned char *) DATA, strlen(DATA),
                               rec, len, &err), 0);
    assert_int_equal(*len, SCEP_SEAL_OVERHEAD + strlen(DATA));
}


/* Opens rec with ring at now; the error's field, or "" when it opened. */
static const char *
open_field(const scep_keyring_t *ring, const char *context, time_t now,
    const unsigned char *rec, size_t len)
{
    size_t               n;
    unsigned char       *data;
    static scep_error_t  err;

    scep_error_clear(&err);

    if (scep_seal_open(ring, context, now, rec, len, &data, &n, &err)
        == 0)
    {
        assert_int_equal(n, strlen(DATA));
        assert_memory_equal(data, DATA, n);
        OPENSSL_cleanse(data, n);
        free(data);
        return "";
    }

    assert_null(data);
    assert_int_equal(err.code, SCEP_ERR_INPUT);

    return err.field;
}


/* -- sealed records ------------------------------------------------------ */

static void
test_known_answer(void **state)
{
    size_t         len;
    unsigned char  rec[256];

    (void) state;

    len = unhex(kat_record, rec, sizeof(rec));

    assert_string_equal(open_field(&ring_a, CONTEXT, NOW, rec, len), "");

    /* its header, read without a key */
    {
        time_t  expires;

        assert_int_equal(scep_seal_expires(rec, len, &expires), 0);
        assert_int_equal(expires, EXPIRES);
    }
}


static void
test_round_trip(void **state)
{
    size_t          len, n;
    scep_error_t    err;
    unsigned char  *rec, *data, *other;

    (void) state;

    seal_data(&ring_a, &rec, &len);

    /* the layout: magic, version, the sealing key's id, the expiry */
    assert_memory_equal(rec, "SCPR\x01", 5);
    assert_memory_equal(rec + 5, ring_a.keys[0].id, SCEP_KEY_ID_LEN);
    assert_memory_equal(rec + 9, "\x00\x00\x00\x00\x6b\x49\xd2\x00", 8);

    /* the data is not in the clear */
    assert_null(memmem(rec, len, "pending", 7));

    assert_int_equal(scep_seal_open(&ring_a, CONTEXT, NOW, rec, len, &data,
                                    &n, &err), 0);
    assert_int_equal(n, strlen(DATA));
    assert_memory_equal(data, DATA, n);
    free(data);

    /* a fresh nonce each time: the same data seals differently */
    seal_data(&ring_a, &other, &n);
    assert_memory_not_equal(rec + 17, other + 17, SCEP_SEAL_NONCE_LEN);
    assert_memory_not_equal(rec + 29, other + 29, strlen(DATA));

    /* nothing sealed is fine too */
    free(other);
    assert_int_equal(scep_seal(&ring_a, CONTEXT, EXPIRES, NULL, 0, &other,
                               &n, &err), 0);
    assert_int_equal(n, SCEP_SEAL_OVERHEAD);
    assert_int_equal(scep_seal_open(&ring_a, CONTEXT, NOW, other, n, &data,
                                    &len, &err), 0);
    assert_int_equal(len, 0);
    free(data);
    free(other);
    free(rec);
}


static void
test_wrong_key_or_user(void **state)
{
    size_t          len;
    unsigned char  *rec;

    (void) state;

    seal_data(&ring_a, &rec, &len);

    assert_string_equal(open_field(&ring_b, CONTEXT, NOW, rec, len), "key");
    assert_string_equal(open_field(NULL, CONTEXT, NOW, rec, len), "key");

    /* carol's record under dave's name, or for another profile */
    assert_string_equal(open_field(&ring_a, "pending\nstaff\ndave", NOW,
                                   rec, len), "record");
    assert_string_equal(open_field(&ring_a, "pending\nadmins\ncarol", NOW,
                                   rec, len), "record");

    /* a key with the same id but other bytes: the tag gives it away */
    {
        scep_keyring_t  forged;

        forged = ring_b;
        memcpy(forged.keys[0].id, ring_a.keys[0].id, SCEP_KEY_ID_LEN);
        assert_string_equal(open_field(&forged, CONTEXT, NOW, rec, len),
                            "record");
        OPENSSL_cleanse(&forged, sizeof(forged));
    }

    free(rec);
}


static void
test_every_byte_changed_cut_or_added(void **state)
{
    size_t          len, i;
    const char     *field;
    unsigned char  *rec, *copy;

    (void) state;

    seal_data(&ring_a, &rec, &len);

    copy = malloc(len + 1);
    assert_non_null(copy);

    for (i = 0; i < len; i++) {
        memcpy(copy, rec, len);
        copy[i] ^= 0x01;

        field = open_field(&ring_a, CONTEXT, NOW, copy, len);

        /* the key id changed names a key that is not listed */
        if (i >= 5 && i < 9) {
            assert_string_equal(field, "key");
        } else {
            assert_string_equal(field, "record");
        }
    }

    for (i = 0; i < len; i++) {
        assert_string_equal(open_field(&ring_a, CONTEXT, NOW, rec, i),
                            "record");
    }

    memcpy(copy, rec, len);
    copy[len] = 0;
    assert_string_equal(open_field(&ring_a, CONTEXT, NOW, copy, len + 1),
                        "record");

    free(copy);
    free(rec);
}


static void
test_expired(void **state)
{
    size_t          len;
    unsigned char  *rec;

    (void) state;

    seal_data(&ring_a, &rec, &len);

    assert_string_equal(open_field(&ring_a, CONTEXT, EXPIRES - 1, rec, len),
                        "");
    assert_string_equal(open_field(&ring_a, CONTEXT, EXPIRES, rec, len),
                        "expired");
    assert_string_equal(open_field(&ring_a, CONTEXT, EXPIRES + 86400, rec,
                                   len), "expired");

    /* a later expiry written in: the tag covers it */
    rec[16] ^= 0x80;
    assert_string_equal(open_field(&ring_a, CONTEXT, EXPIRES + 86400, rec,
                                   len), "record");

    free(rec);
}


static void
test_rotation(void **state)
{
    size_t          len, len2;
    unsigned char  *old, *new;

    (void) state;

    /* sealed with a, before b was added */
    seal_data(&ring_a, &old, &len);

    /* b added first: a's records still open, b seals the new ones */
    assert_string_equal(open_field(&ring_ba, CONTEXT, NOW, old, len), "");

    seal_data(&ring_ba, &new, &len2);
    assert_memory_equal(new + 5, ring_b.keys[0].id, SCEP_KEY_ID_LEN);
    assert_string_equal(open_field(&ring_b, CONTEXT, NOW, new, len2), "");

    /* a removed: what it sealed no longer opens */
    assert_string_equal(open_field(&ring_b, CONTEXT, NOW, old, len), "key");

    free(old);
    free(new);
}


static void
test_limits(void **state)
{
    size_t           len;
    scep_error_t     err;
    unsigned char   *rec, *big;
    scep_keyring_t   empty;

    (void) state;

    scep_keyring_init(&empty);
    assert_int_equal(scep_seal(&empty, CONTEXT, EXPIRES,
                               (const unsigned char *) DATA, strlen(DATA),
                               &rec, &len, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_null(rec);

    big = calloc(1, SCEP_SEAL_DATA_MAX + 1);
    assert_non_null(big);
    assert_int_equal(scep_seal(&ring_a, CONTEXT, EXPIRES, big,
                               SCEP_SEAL_DATA_MAX + 1, &rec, &len, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_INPUT);
    assert_int_equal(scep_seal(&ring_a, CONTEXT, EXPIRES, big,
                               SCEP_SEAL_DATA_MAX, &rec, &len, &err), 0);
    free(rec);
    free(big);

    assert_int_equal(scep_seal(&ring_a, CONTEXT, -1,
                               (const unsigned char *) DATA, strlen(DATA),
                               &rec, &len, &err), -1);
    assert_string_equal(err.field, "expired");
}


/* -- the pending store ------------------------------------------------- */

static scep_pending_store_t
store(const scep_keyring_t *ring, long ttl)
{
    scep_pending_store_t  st;

    st.dir = pending;
    st.keys = ring;
    st.ttl = ttl;

    return st;
}


/* The files of the pending directory, sorted, as one string. */
static char *
listing(void)
{
    DIR            *d;
    size_t          n;
    struct dirent  *de;
    static char     text[1024];

    text[0] = '\0';
    n = 0;

    d = opendir(pending);
    if (d == NULL) {
        return text;
    }

    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' && strncmp(de->d_name, ".tmp", 4) != 0) {
            continue;
        }

        n += (size_t) snprintf(text + n, sizeof(text) - n, "%s%s",
                               n ? " " : "", de->d_name);
    }

    closedir(d);

    return text;
}


/* 1 with the data checked, 0 none, -1 refused (field in *why). */
static int
get(const scep_pending_store_t *st, const char *key, time_t now,
    const char *want, char *why)
{
    int             rc;
    size_t          len;
    scep_error_t    err;
    unsigned char  *data;

    scep_error_clear(&err);

    rc = scep_pending_get(st, key, now, &data, &len, &err);

    if (rc == 1) {
        assert_int_equal(len, strlen(want));
        assert_memory_equal(data, want, len);
        OPENSSL_cleanse(data, len);
        free(data);

    } else {
        assert_null(data);
    }

    if (why != NULL) {
        strcpy(why, err.field);
    }

    return rc;
}


static void
put(const scep_pending_store_t *st, const char *key, time_t now,
    const char *data)
{
    scep_error_t  err;

    assert_int_equal(scep_pending_put(st, key, now,
                                      (const unsigned char *) data,
                                      strlen(data), &err), 0);
}


static void
test_store_names(void **state)
{
    char  name[SCEP_PENDING_NAME_LEN + 1], other[SCEP_PENDING_NAME_LEN + 1];

    (void) state;

    assert_int_equal(scep_pending_name(&ring_a, 0, KEY, name), 0);
    assert_string_equal(name, kat_name);

    /* another key names differently: rotation looks under both */
    assert_int_equal(scep_pending_name(&ring_ba, 0, KEY, other), 0);
    assert_string_not_equal(name, other);
    assert_int_equal(scep_pending_name(&ring_ba, 1, KEY, other), 0);
    assert_string_equal(name, other);
    assert_int_equal(scep_pending_name(&ring_ba, 2, KEY, other), -1);
}


static void
test_store_round_trip(void **state)
{
    char                  name[SCEP_PENDING_NAME_LEN + 1], path[PATH_MAX];
    struct stat           sb;
    scep_error_t          err;
    scep_pending_store_t  st;

    (void) state;

    st = store(&ring_a, 600);

    /* nothing yet, not even the directory */
    assert_int_equal(get(&st, KEY, NOW, NULL, NULL), 0);
    assert_int_equal(access(pending, F_OK), -1);

    put(&st, KEY, NOW, DATA);

    assert_int_equal(stat(pending, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);

    /* one file, named by the keyed hash: no user name in the listing */
    assert_int_equal(scep_pending_name(&ring_a, 0, KEY, name), 0);
    assert_string_equal(listing(), name);
    snprintf(path, sizeof(path), "%s/%s", pending, name);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, SCEP_SEAL_OVERHEAD + strlen(DATA));

    assert_int_equal(get(&st, KEY, NOW, DATA, NULL), 1);

    /* others have nothing */
    assert_int_equal(get(&st, "staff\ndave", NOW, NULL, NULL), 0);
    assert_int_equal(get(&st, "admins\ncarol", NOW, NULL, NULL), 0);

    /* a put replaces */
    put(&st, KEY, NOW, "the next one");
    assert_int_equal(get(&st, KEY, NOW, "the next one", NULL), 1);
    assert_string_equal(listing(), name);

    /* delete removes it, and deleting nothing is fine */
    assert_int_equal(scep_pending_delete(&st, KEY, &err), 0);
    assert_string_equal(listing(), "");
    assert_int_equal(get(&st, KEY, NOW, NULL, NULL), 0);
    assert_int_equal(scep_pending_delete(&st, KEY, &err), 0);
}


static void
test_store_expired_on_read(void **state)
{
    scep_pending_store_t  st;

    (void) state;

    st = store(&ring_a, 60);

    put(&st, KEY, NOW, DATA);

    assert_int_equal(get(&st, KEY, NOW + 59, DATA, NULL), 1);

    /* its time is over: not resumed, and gone from the disk */
    assert_int_equal(get(&st, KEY, NOW + 60, NULL, NULL), 0);
    assert_string_equal(listing(), "");
}


static void
test_store_wrong_key_and_rotation(void **state)
{
    char                  why[SCEP_ERROR_FIELD_LEN];
    char                  a_name[SCEP_PENDING_NAME_LEN + 1];
    char                  b_name[SCEP_PENDING_NAME_LEN + 1];
    scep_error_t          err;
    scep_pending_store_t  a, b, ba;

    (void) state;

    a = store(&ring_a, 600);
    b = store(&ring_b, 600);
    ba = store(&ring_ba, 600);

    assert_int_equal(scep_pending_name(&ring_a, 0, KEY, a_name), 0);
    assert_int_equal(scep_pending_name(&ring_b, 0, KEY, b_name), 0);

    put(&a, KEY, NOW, DATA);

    /* a portal without a's key does not even find it */
    assert_int_equal(get(&b, KEY, NOW, NULL, why), 0);

    /* b added first: a's record is resumed */
    assert_int_equal(get(&ba, KEY, NOW, DATA, NULL), 1);

    /* and kept again under b's name only */
    put(&ba, KEY, NOW, "resumed");
    assert_string_equal(listing(), b_name);
    assert_int_equal(get(&b, KEY, NOW, "resumed", NULL), 1);

    /* a record under b's name sealed with a: refused, not resumed */
    put(&a, KEY, NOW, DATA);
    {
        char  from[PATH_MAX], to[PATH_MAX];

        snprintf(from, sizeof(from), "%s/%s", pending, a_name);
        snprintf(to, sizeof(to), "%s/%s", pending, b_name);
        assert_int_equal(rename(from, to), 0);
    }
    assert_int_equal(get(&b, KEY, NOW, NULL, why), -1);
    assert_string_equal(why, "key");

    /* delete removes what every key named */
    put(&a, KEY, NOW, DATA);
    assert_int_equal(scep_pending_delete(&ba, KEY, &err), 0);
    assert_string_equal(listing(), "");
}


/* The record's bytes on disk, changed at offset by xor. */
static void
change_file(const char *name, long offset, unsigned char xor)
{
    FILE  *f;
    int    c;
    char   path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", pending, name);

    f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    c = fgetc(f);
    assert_int_not_equal(c, EOF);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    fputc(c ^ xor, f);
    fclose(f);
}


static void
test_store_tampered_or_moved(void **state)
{
    char                  why[SCEP_ERROR_FIELD_LEN];
    char                  carol[SCEP_PENDING_NAME_LEN + 1];
    char                  dave[SCEP_PENDING_NAME_LEN + 1];
    char                  from[PATH_MAX], to[PATH_MAX];
    scep_pending_store_t  st;

    (void) state;

    st = store(&ring_a, 600);

    assert_int_equal(scep_pending_name(&ring_a, 0, KEY, carol), 0);
    assert_int_equal(scep_pending_name(&ring_a, 0, "staff\ndave", dave), 0);

    /* a byte of the ciphertext changed on disk */
    put(&st, KEY, NOW, DATA);
    change_file(carol, SCEP_SEAL_HEADER_LEN + 3, 0x20);
    assert_int_equal(get(&st, KEY, NOW, NULL, why), -1);
    assert_string_equal(why, "record");

    /* a longer life written into the header */
    put(&st, KEY, NOW, DATA);
    change_file(carol, 15, 0x01);
    assert_int_equal(get(&st, KEY, NOW, NULL, why), -1);
    assert_string_equal(why, "record");

    /* carol's record copied over dave's: dave gets nothing of it */
    put(&st, KEY, NOW, DATA);
    snprintf(from, sizeof(from), "%s/%s", pending, carol);
    snprintf(to, sizeof(to), "%s/%s", pending, dave);
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(get(&st, "staff\ndave", NOW, NULL, why), -1);
    assert_string_equal(why, "record");
    assert_int_equal(get(&st, KEY, NOW, NULL, NULL), 0);

    /* the next put for dave replaces what is there */
    put(&st, "staff\ndave", NOW, "dave's");
    assert_int_equal(get(&st, "staff\ndave", NOW, "dave's", NULL), 1);
}


static void
test_store_sweep(void **state)
{
    int                   fd;
    char                  fresh[SCEP_PENDING_NAME_LEN + 1];
    char                  path[PATH_MAX], old_tmp[PATH_MAX];
    char                  new_tmp[PATH_MAX], want[256];
    size_t                removed;
    scep_error_t          err;
    struct timeval        times[2];
    scep_pending_store_t  short_lived, long_lived, b;

    (void) state;

    /* nothing to sweep before the directory exists */
    short_lived = store(&ring_a, 60);
    assert_int_equal(scep_pending_sweep(&short_lived, NOW, &removed, &err),
                     0);
    assert_int_equal(removed, 0);

    long_lived = store(&ring_a, 3600);
    b = store(&ring_b, 60);

    put(&short_lived, KEY, NOW, DATA);
    put(&long_lived, "staff\ndave", NOW, DATA);
    /* sealed with a key this portal does not list: swept all the same */
    put(&b, "staff\neve", NOW, DATA);

    /* a write cut short an hour ago, and one under way */
    snprintf(old_tmp, sizeof(old_tmp), "%s/.tmp-oldone", pending);
    snprintf(new_tmp, sizeof(new_tmp), "%s/.tmp-newone", pending);
    fd = open(old_tmp, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    fd = open(new_tmp, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    times[0].tv_sec = NOW - SCEP_PENDING_TMP_AGE;
    times[0].tv_usec = 0;
    times[1] = times[0];
    assert_int_equal(utimes(old_tmp, times), 0);
    times[0].tv_sec = NOW;
    times[1] = times[0];
    assert_int_equal(utimes(new_tmp, times), 0);

    /* a file of another kind is left alone */
    snprintf(path, sizeof(path), "%s/README", pending);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);

    /* before any expiry: only the lost temporary file goes */
    assert_int_equal(scep_pending_sweep(&short_lived, NOW + 59, &removed,
                                        &err), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(access(old_tmp, F_OK), -1);

    /* a minute later: carol's and eve's records */
    assert_int_equal(scep_pending_sweep(&short_lived, NOW + 60, &removed,
                                        &err), 0);
    assert_int_equal(removed, 2);

    assert_int_equal(scep_pending_name(&ring_a, 0, "staff\ndave", fresh), 0);
    snprintf(want, sizeof(want), "%s", fresh);
    assert_true(strstr(listing(), want) != NULL);
    assert_true(strstr(listing(), ".tmp-newone") != NULL);
    assert_true(strstr(listing(), "README") != NULL);
    assert_int_equal(get(&long_lived, "staff\ndave", NOW + 60, DATA, NULL),
                     1);
    assert_int_equal(get(&short_lived, KEY, NOW, NULL, NULL), 0);

    unlink(path);
    unlink(new_tmp);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_wrong_key_or_user),
        cmocka_unit_test(test_every_byte_changed_cut_or_added),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_store_names),
        cmocka_unit_test_setup_teardown(test_store_round_trip, make_store,
                                        remove_store),
        cmocka_unit_test_setup_teardown(test_store_expired_on_read,
                                        make_store, remove_store),
        cmocka_unit_test_setup_teardown(test_store_wrong_key_and_rotation,
                                        make_store, remove_store),
        cmocka_unit_test_setup_teardown(test_store_tampered_or_moved,
                                        make_store, remove_store),
        cmocka_unit_test_setup_teardown(test_store_sweep, make_store,
                                        remove_store),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
