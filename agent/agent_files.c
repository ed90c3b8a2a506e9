#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "agent_files.h"


#define AGENT_KEY_MODE   0600
#define AGENT_CERT_MODE  0644


typedef enum {
    AGENT_PEM_KEY = 0,
    AGENT_PEM_CERT,
    AGENT_PEM_CHAIN
} agent_pem_t;


static int agent_files_path(char *buf, const char *dir, const char *name,
    scep_error_t *err);
static int agent_files_write_one(const char *path, char *tmp, mode_t mode,
    agent_pem_t what, const agent_credentials_t *c, scep_error_t *err);
static int agent_files_pem(int fd, agent_pem_t what,
    const agent_credentials_t *c);
static int agent_files_commit(char *tmp, const char *path,
    scep_error_t *err);


int
agent_files_write(const char *dir, const agent_credentials_t *c,
    agent_paths_t *paths, scep_error_t *err)
{
    int   rc;
    char  tmp_key[PATH_MAX], tmp_cert[PATH_MAX], tmp_ca[PATH_MAX];

    memset(paths, 0, sizeof(*paths));
    tmp_key[0] = tmp_cert[0] = tmp_ca[0] = '\0';

    paths->has_ca = (c->chain != NULL && sk_X509_num(c->chain) > 0);

    if (agent_files_prepare(dir, err) != 0
        || agent_files_path(paths->key, dir, "key.pem", err) != 0
        || agent_files_path(paths->cert, dir, "cert.pem", err) != 0
        || agent_files_path(paths->ca, dir, "ca.pem", err) != 0)
    {
        return -1;
    }

    rc = agent_files_write_one(paths->key, tmp_key, AGENT_KEY_MODE,
                               AGENT_PEM_KEY, c, err);

    if (rc == 0) {
        rc = agent_files_write_one(paths->cert, tmp_cert, AGENT_CERT_MODE,
                                   AGENT_PEM_CERT, c, err);
    }

    if (rc == 0 && paths->has_ca) {
        rc = agent_files_write_one(paths->ca, tmp_ca, AGENT_CERT_MODE,
                                   AGENT_PEM_CHAIN, c, err);
    }

    /* all written: now they replace the old ones, the key first */
    if (rc == 0) {
        rc = agent_files_commit(tmp_key, paths->key, err);
    }

    if (rc == 0) {
        rc = agent_files_commit(tmp_cert, paths->cert, err);
    }

    if (rc == 0 && paths->has_ca) {
        rc = agent_files_commit(tmp_ca, paths->ca, err);
    }

    /* an old ca.pem would not be the CA of the new certificate */
    if (rc == 0 && !paths->has_ca && unlink(paths->ca) != 0
        && errno != ENOENT)
    {
        rc = scep_error_set(err, SCEP_ERR_FILE, "", "cannot remove the old "
                            "%s: %s", paths->ca, strerror(errno));
    }

    if (rc != 0) {
        if (tmp_key[0] != '\0') {
            (void) unlink(tmp_key);
        }

        if (tmp_cert[0] != '\0') {
            (void) unlink(tmp_cert);
        }

        if (tmp_ca[0] != '\0') {
            (void) unlink(tmp_ca);
        }
    }

    return rc;
}


int
agent_files_prepare(const char *dir, scep_error_t *err)
{
    struct stat  st;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return scep_error_set(err, SCEP_ERR_FILE, "out-dir",
                              "cannot create the directory %s: %s", dir,
                              strerror(errno));
    }

    if (stat(dir, &st) != 0) {
        return scep_error_set(err, SCEP_ERR_FILE, "out-dir",
                              "cannot use the directory %s: %s", dir,
                              strerror(errno));
    }

    if (!S_ISDIR(st.st_mode)) {
        return scep_error_set(err, SCEP_ERR_FILE, "out-dir",
                              "%s is not a directory", dir);
    }

    if (access(dir, W_OK | X_OK) != 0) {
        return scep_error_set(err, SCEP_ERR_FILE, "out-dir",
                              "cannot write in the directory %s: %s", dir,
                              strerror(errno));
    }

    return 0;
}


static int
agent_files_path(char *buf, const char *dir, const char *name,
    scep_error_t *err)
{
    int  n;

    n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

    if (n < 0 || n >= PATH_MAX - 32) {
        return scep_error_set(err, SCEP_ERR_FILE, "out-dir",
                              "the path of %s in %s is too long", name, dir);
    }

    return 0;
}


/*
 * Writes path's content to a temporary file of its own, created with its
 * final mode: O_EXCL never opens a file (or a link) that someone else
 * prepared.  tmp receives the temporary name once the file exists.
 */
static int
agent_files_write_one(const char *path, char *tmp, mode_t mode,
    agent_pem_t what, const agent_credentials_t *c, scep_error_t *err)
{
    int   fd, rc;
    char  name[PATH_MAX];

    snprintf(name, sizeof(name), "%s.%ld.tmp", path, (long) getpid());

    if (unlink(name) != 0 && errno != ENOENT) {
        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot remove the "
                              "stale %s: %s", name, strerror(errno));
    }

    fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              mode);
    if (fd == -1) {
        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot create %s: %s",
                              name, strerror(errno));
    }

    memcpy(tmp, name, strlen(name) + 1);

    rc = agent_files_pem(fd, what, c);

    if (rc != 0) {
        scep_error_set(err, SCEP_ERR_FILE, "", "cannot write %s", name);
        scep_error_add_openssl(err);

    } else if (fsync(fd) != 0) {
        rc = scep_error_set(err, SCEP_ERR_FILE, "", "cannot write %s: %s",
                            name, strerror(errno));
    }

    if (close(fd) != 0 && rc == 0) {
        rc = scep_error_set(err, SCEP_ERR_FILE, "", "cannot write %s: %s",
                            name, strerror(errno));
    }

    return rc;
}


/* Straight to the file: the PEM of the key is never in a buffer of ours. */
static int
agent_files_pem(int fd, agent_pem_t what, const agent_credentials_t *c)
{
    int   i, ok;
    BIO  *bio;

    bio = BIO_new_fd(fd, BIO_NOCLOSE);
    if (bio == NULL) {
        return -1;
    }

    switch (what) {

    case AGENT_PEM_KEY:
        ok = PEM_write_bio_PrivateKey(bio, c->key, NULL, NULL, 0, NULL,
                                      NULL);
        break;

    case AGENT_PEM_CERT:
        ok = PEM_write_bio_X509(bio, c->cert);
        break;

    default:
        ok = 1;

        for (i = 0; ok && i < sk_X509_num(c->chain); i++) {
            ok = PEM_write_bio_X509(bio, sk_X509_value(c->chain, i));
        }

        break;
    }

    if (ok && BIO_flush(bio) != 1) {
        ok = 0;
    }

    BIO_free(bio);

    return ok ? 0 : -1;
}


/* Renames tmp over path; tmp is emptied once it no longer exists. */
static int
agent_files_commit(char *tmp, const char *path, scep_error_t *err)
{
    if (rename(tmp, path) != 0) {
        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot rename %s to "
                              "%s: %s", tmp, path, strerror(errno));
    }

    tmp[0] = '\0';

    return 0;
}
