#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "scep_caps.h"
#include "scep_certs.h"
#include "scep_store.h"
#include "scep_store_file.h"


/* "cert-" + name + ".pem" and the like */
#define SCEP_STORE_FILE_NAME  (SCEP_STORE_NAME_MAX + 16)


int
scep_store_name_valid(const char *name)
{
    size_t  i;
    char    c;

    for (i = 0; name[i] != '\0'; i++) {
        c = name[i];

        if (i == SCEP_STORE_NAME_MAX
            || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                 || (c >= '0' && c <= '9') || c == '.' || c == '_'
                 || c == '-'))
        {
            return 0;
        }
    }

    return i > 0;
}


static int
scep_store_check_name(const char *name, const char *what, scep_error_t *err)
{
    if (scep_store_name_valid(name)) {
        return 0;
    }

    return scep_error_set(err, SCEP_ERR_INPUT, what,
                          "a %s in the store is 1 to %d characters of "
                          "letters, digits, '.', '_' and '-' (no spaces)",
                          what, SCEP_STORE_NAME_MAX);
}


/* Writes certificates as PEM into a memory BIO, then to the store. */
static int
scep_store_write_certs(const char *dir, const char *file, X509 *first,
    STACK_OF(X509) *more, int replace, scep_error_t *err)
{
    int    i, rc, ok;
    BIO   *bio;
    char  *data;
    long   len;

    bio = BIO_new(BIO_s_mem());
    ok = (bio != NULL);

    if (ok && first != NULL) {
        ok = PEM_write_bio_X509(bio, first);
    }

    for (i = 0; ok && i < sk_X509_num(more); i++) {
        ok = PEM_write_bio_X509(bio, sk_X509_value(more, i));
    }

    if (!ok) {
        BIO_free(bio);
        return scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                              "cannot encode certificates for %s", file);
    }

    len = BIO_get_mem_data(bio, &data);
    rc = scep_store_write(dir, file, data, (size_t) len, 0644, replace,
                          err);

    BIO_free(bio);

    return rc;
}


int
scep_store_save_ca(const char *dir, const char *profile_name,
    const scep_ca_t *ca, scep_error_t *err)
{
    int              rc;
    char             file[SCEP_STORE_FILE_NAME], caps[SCEP_CAPS_TEXT_LEN];
    size_t           caps_len;
    STACK_OF(X509)  *others;

    if (scep_store_check_name(profile_name, "profile", err) != 0) {
        return -1;
    }

    others = scep_ca_others(ca);
    if (others == NULL) {
        return scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
    }

    snprintf(file, sizeof(file), "ra-%s.pem", profile_name);

    if (sk_X509_num(others) > 0) {
        rc = scep_store_write_certs(dir, file, NULL, others, 1, err);

    } else {
        rc = scep_store_remove(dir, file, err);
    }

    sk_X509_free(others);

    if (rc != 0) {
        return -1;
    }

    caps_len = scep_caps_format(ca->caps, caps, sizeof(caps));
    snprintf(file, sizeof(file), "caps-%s.txt", profile_name);

    if (scep_store_write(dir, file, caps, caps_len, 0644, 1, err) != 0) {
        return -1;
    }

    /* the CA file last: its presence means the set is complete */
    snprintf(file, sizeof(file), "ca-%s.pem", profile_name);

    return scep_store_write_certs(dir, file, ca->ca, NULL, 1, err);
}


/* Appends every PEM certificate of dir/file to certs. */
static int
scep_store_read_certs(const char *dir, const char *file,
    STACK_OF(X509) *certs, int optional, scep_error_t *err)
{
    int      n;
    BIO     *bio;
    X509    *cert;
    char    *data;
    size_t   len;

    if (scep_store_read(dir, file, &data, &len, err) != 0) {
        return (optional && strcmp(err->field, "missing") == 0) ? 0 : -1;
    }

    n = 0;
    bio = BIO_new_mem_buf(data, (int) len);

    while (bio != NULL && n <= SCEP_CERTS_MAX
           && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
    {
        if (!sk_X509_push(certs, cert)) {
            X509_free(cert);
            break;
        }

        n++;
    }

    /* the end of the data shows as an error of its own: forget it */
    ERR_clear_error();

    BIO_free(bio);
    free(data);

    if (n == 0 || n > SCEP_CERTS_MAX) {
        return scep_error_set(err, SCEP_ERR_FILE, "store",
                              "%.64s in the store %.128s holds %d "
                              "certificates, expected 1 to %d", file, dir,
                              n, SCEP_CERTS_MAX);
    }

    return 0;
}


static int
scep_store_load_caps(const char *dir, const scep_profile_t *profile,
    scep_ca_t *ca, const char *url, scep_error_t *err)
{
    int      rc;
    char     file[SCEP_STORE_FILE_NAME], *data;
    size_t   len;

    snprintf(file, sizeof(file), "caps-%s.txt", profile->name);

    if (scep_store_read(dir, file, &data, &len, err) != 0) {
        return -1;
    }

    rc = scep_caps_parse(data, len, &ca->caps, err);
    free(data);

    if (rc != 0) {
        return -1;
    }

    return scep_caps_choose(ca->caps, profile->fips, url, &ca->algs, err);
}


scep_ca_t *
scep_store_load_ca(const char *dir, const scep_profile_t *profile,
    scep_error_t *err)
{
    char             file[SCEP_STORE_FILE_NAME], shown[SCEP_STORE_FILE_NAME];
    scep_ca_t       *ca;
    scep_error_t     local;
    STACK_OF(X509)  *certs;

    /* the missing-file test below reads err */
    if (err == NULL) {
        err = &local;
    }

    if (scep_store_check_name(profile->name, "profile", err) != 0) {
        return NULL;
    }

    certs = sk_X509_new_null();
    if (certs == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    snprintf(file, sizeof(file), "ca-%s.pem", profile->name);

    if (scep_store_read_certs(dir, file, certs, 0, err) != 0) {
        scep_certs_free(certs);
        return NULL;
    }

    snprintf(file, sizeof(file), "ra-%s.pem", profile->name);

    if (scep_store_read_certs(dir, file, certs, 1, err) != 0) {
        scep_certs_free(certs);
        return NULL;
    }

    /* messages name the stored copy rather than the server */
    snprintf(shown, sizeof(shown), "the store (%s)", profile->name);

    ca = scep_ca_select(certs, shown, err);
    if (ca == NULL) {
        return NULL;
    }

    if (scep_ca_check_fingerprint(ca, profile->ca_fingerprint,
                                  profile->ca_fingerprint_len, shown, err)
        != 0
        || scep_store_load_caps(dir, profile, ca, shown, err) != 0)
    {
        scep_ca_free(ca);
        return NULL;
    }

    return ca;
}


static int
scep_store_write_key(const char *dir, const char *name, EVP_PKEY *key,
    scep_error_t *err)
{
    int    rc;
    BIO   *bio;
    char   file[SCEP_STORE_FILE_NAME], *data;
    long   len;

    /* secure memory: the PEM is wiped when the BIO is freed */
    bio = BIO_new(BIO_s_secmem());

    if (bio == NULL
        || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
    {
        BIO_free(bio);
        return scep_error_set(err, SCEP_ERR_INTERNAL, NULL,
                              "cannot encode the private key of %s", name);
    }

    snprintf(file, sizeof(file), "key-%s.pem", name);
    len = BIO_get_mem_data(bio, &data);

    rc = scep_store_write(dir, file, data, (size_t) len, 0600, 0, err);

    BIO_free(bio);

    return rc;
}


int
scep_store_save_cert(const char *dir, const char *name,
    const char *profile_name, X509 *cert, STACK_OF(X509) *chain,
    EVP_PKEY *key, scep_error_t *err)
{
    int   n;
    char  file[SCEP_STORE_FILE_NAME], meta[SCEP_STORE_NAME_MAX + 16];

    if (scep_store_check_name(name, "name", err) != 0
        || scep_store_check_name(profile_name, "profile", err) != 0)
    {
        return -1;
    }

    if (X509_check_private_key(cert, key) != 1) {
        return scep_error_set(err, SCEP_ERR_INPUT, "name",
                              "the key to save as %s is not the "
                              "certificate's", name);
    }

    /* key first: a certificate in the store always has its key */
    if (scep_store_write_key(dir, name, key, err) != 0) {
        return -1;
    }

    n = snprintf(meta, sizeof(meta), "profile=%s\n", profile_name);
    snprintf(file, sizeof(file), "meta-%s.txt", name);

    if (scep_store_write(dir, file, meta, (size_t) n, 0644, 1, err) != 0) {
        return -1;
    }

    snprintf(file, sizeof(file), "cert-%s.pem", name);

    return scep_store_write_certs(dir, file, cert, chain, 0, err);
}
