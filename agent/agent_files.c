#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "agent_files.h"
#include "agent_signal.h"


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
    agent_pem_t what, const agent_credentials_t *c, int *slot,
    scep_error_t *err);
static int agent_files_pem(int fd, agent_pem_t what,
    const agent_credentials_t *c);
static int agent_files_commit(char *tmp, const char *path,
    scep_error_t *err);
static int agent_files_keep_previous(const char *path, char *prev,
    scep_error_t *err);


/* the directory this run created, while it may still be empty */
static char  agent_files_created[PATH_MAX];

/* the slot of each temporary file with the signal handler */
static int   agent_files_slots[3] = { -1, -1, -1 };


int
agent_files_write(const char *dir, const agent_credentials_t *c,
    agent_paths_t *paths, scep_error_t *err)
{
    int   rc, i;
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
                               AGENT_PEM_KEY, c, &agent_files_slots[0], err);

    if (rc == 0) {
        rc = agent_files_write_one(paths->cert, tmp_cert, AGENT_CERT_MODE,
                                   AGENT_PEM_CERT, c, &agent_files_slots[1],
                                   err);
    }

    if (rc == 0 && paths->has_ca) {
        rc = agent_files_write_one(paths->ca, tmp_ca, AGENT_CERT_MODE,
                                   AGENT_PEM_CHAIN, c, &agent_files_slots[2],
                                   err);
    }

    /* the pair being replaced stays, as .prev, until the next time */
    if (rc == 0 && access(paths->cert, F_OK) == 0) {
        rc = agent_files_keep_previous(paths->key, paths->key_prev, err);

        if (rc == 0) {
            rc = agent_files_keep_previous(paths->cert, paths->cert_prev,
                                           err);
        }

        paths->has_prev = (rc == 0);
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

    for (i = 0; i < 3; i++) {
        agent_signal_untrack(agent_files_slots[i]);
        agent_files_slots[i] = -1;
    }

    /* the directory holds a certificate now: it is no longer ours to drop */
    if (rc == 0) {
        agent_files_created[0] = '\0';
        agent_signal_created_dir("");
    }

    return rc;
}


/*
 * path.prev becomes a second name of path (so path never goes missing),
 * through a temporary name, as every file here is replaced.
 */
static int
agent_files_keep_previous(const char *path, char *prev, scep_error_t *err)
{
    char  tmp[PATH_MAX];

    snprintf(prev, PATH_MAX, "%s.prev", path);
    snprintf(tmp, sizeof(tmp), "%s.prev.%ld.tmp", path, (long) getpid());

    if (access(path, F_OK) != 0) {
        prev[0] = '\0';
        return 0;
    }

    (void) unlink(tmp);

    if (link(path, tmp) != 0) {
        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot keep the "
                              "previous %s: %s", path, strerror(errno));
    }

    if (rename(tmp, prev) != 0) {
        (void) unlink(tmp);
        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot keep the "
                              "previous %s: %s", path, strerror(errno));
    }

    return 0;
}


int
agent_files_prepare(const char *dir, scep_error_t *err)
{
    struct stat  st;

    if (mkdir(dir, 0700) == 0) {
        if (strlen(dir) < sizeof(agent_files_created)) {
            memcpy(agent_files_created, dir, strlen(dir) + 1);
            agent_signal_created_dir(dir);
        }

    } else if (errno != EEXIST) {
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
    agent_pem_t what, const agent_credentials_t *c, int *slot,
    scep_error_t *err)
{
    int   fd, rc;
    char  name[PATH_MAX];

    snprintf(name, sizeof(name), "%s.%ld.tmp", path, (long) getpid());

    if (unlink(name) != 0 && errno != ENOENT) {
        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot remove the "
                              "stale %s: %s", name, strerror(errno));
    }

    /* before it exists: a signal between open() and here leaves nothing */
    *slot = agent_signal_track(name);

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


void
agent_files_abandon(void)
{
    if (agent_files_created[0] != '\0') {
        /* fails, as it should, when something is in it */
        (void) rmdir(agent_files_created);
        agent_files_created[0] = '\0';
        agent_signal_created_dir("");
    }
}


int
agent_files_lock(const char *dir, scep_error_t *err)
{
    int  fd;

    /*
     * The directory itself, not a file in it: a run that gives up leaves
     * nothing behind.  Kept open: the lock lasts as long as the process.
     */
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot open %s: %s",
                              dir, strerror(errno));
    }

    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);

        if (errno == EWOULDBLOCK) {
            return scep_error_set(err, SCEP_ERR_FILE, "lock", "another "
                                  "scep-agent is working in %s; try again "
                                  "when it is done", dir);
        }

        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot lock %s: %s",
                              dir, strerror(errno));
    }

    return 0;
}


int
agent_files_read(const char *dir, const char *name, size_t max,
    unsigned char **data, size_t *len, scep_error_t *err)
{
    int             fd;
    char            path[PATH_MAX];
    size_t          used;
    ssize_t         n;
    struct stat     st;
    unsigned char  *buf;

    *data = NULL;
    *len = 0;

    if (agent_files_path(path, dir, name, err) != 0) {
        return -1;
    }

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) {
        if (errno == ENOENT) {
            return 1;
        }

        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot open %s: %s",
                              path, strerror(errno));
    }

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)
        || (size_t) st.st_size > max)
    {
        close(fd);
        return scep_error_set(err, SCEP_ERR_FILE, "", "%s is not a file of "
                              "at most %zu bytes", path, max);
    }

    buf = malloc((size_t) st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return scep_error_set(err, SCEP_ERR_NOMEM, "", "out of memory");
    }

    used = 0;

    while (used < (size_t) st.st_size) {
        n = read(fd, buf + used, (size_t) st.st_size - used);
        if (n <= 0) {
            break;
        }

        used += (size_t) n;
    }

    close(fd);

    if (used != (size_t) st.st_size) {
        OPENSSL_cleanse(buf, (size_t) st.st_size + 1);
        free(buf);
        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot read %s",
                              path);
    }

    buf[used] = '\0';
    *data = buf;
    *len = used;

    return 0;
}


int
agent_files_put(const char *dir, const char *name, const unsigned char *data,
    size_t len, mode_t mode, scep_error_t *err)
{
    int      fd, rc, slot;
    char     path[PATH_MAX], tmp[PATH_MAX + 32];
    size_t   done;
    ssize_t  n;

    if (agent_files_path(path, dir, name, err) != 0) {
        return -1;
    }

    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long) getpid());
    (void) unlink(tmp);

    slot = agent_signal_track(tmp);

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              mode);
    if (fd == -1) {
        agent_signal_untrack(slot);
        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot create %s: %s",
                              tmp, strerror(errno));
    }

    rc = 0;

    for (done = 0; done < len; done += (size_t) n) {
        n = write(fd, data + done, len - done);
        if (n <= 0) {
            rc = scep_error_set(err, SCEP_ERR_FILE, "", "cannot write %s: "
                                "%s", tmp, strerror(errno));
            break;
        }
    }

    if (rc == 0 && fsync(fd) != 0) {
        rc = scep_error_set(err, SCEP_ERR_FILE, "", "cannot write %s: %s",
                            tmp, strerror(errno));
    }

    if (close(fd) != 0 && rc == 0) {
        rc = scep_error_set(err, SCEP_ERR_FILE, "", "cannot write %s: %s",
                            tmp, strerror(errno));
    }

    if (rc == 0 && rename(tmp, path) != 0) {
        rc = scep_error_set(err, SCEP_ERR_FILE, "", "cannot rename %s to %s: "
                            "%s", tmp, path, strerror(errno));
    }

    if (rc != 0) {
        (void) unlink(tmp);
    }

    agent_signal_untrack(slot);

    return rc;
}


int
agent_files_remove(const char *dir, const char *name, scep_error_t *err)
{
    char  path[PATH_MAX];

    if (agent_files_path(path, dir, name, err) != 0) {
        return -1;
    }

    if (unlink(path) != 0 && errno != ENOENT) {
        return scep_error_set(err, SCEP_ERR_FILE, "", "cannot remove %s: %s",
                              path, strerror(errno));
    }

    return 0;
}


int
agent_files_load(const char *dir, agent_credentials_t *c, scep_error_t *err)
{
    int    rc;
    BIO   *bio;
    char   path[PATH_MAX];
    X509  *x;

    memset(c, 0, sizeof(*c));

    if (agent_files_path(path, dir, "cert.pem", err) != 0) {
        return -1;
    }

    if (access(path, F_OK) != 0 && errno == ENOENT) {
        return 1;
    }

    rc = -1;
    bio = BIO_new_file(path, "r");

    if (bio == NULL || (c->cert = PEM_read_bio_X509(bio, NULL, NULL, NULL))
                       == NULL)
    {
        scep_error_set(err, SCEP_ERR_FILE, "", "cannot read the "
                       "certificate %s", path);
        goto done;
    }

    BIO_free(bio);

    if (agent_files_path(path, dir, "key.pem", err) != 0) {
        bio = NULL;
        goto done;
    }

    bio = BIO_new_file(path, "r");

    if (bio == NULL || (c->key = PEM_read_bio_PrivateKey(bio, NULL, NULL,
                                                         NULL)) == NULL)
    {
        scep_error_set(err, SCEP_ERR_FILE, "", "cannot read the key %s",
                       path);
        goto done;
    }

    if (X509_check_private_key(c->cert, c->key) != 1) {
        scep_error_set(err, SCEP_ERR_FILE, "", "the key %s does not belong "
                       "to the certificate beside it", path);
        goto done;
    }

    BIO_free(bio);
    bio = NULL;

    c->chain = sk_X509_new_null();
    if (c->chain == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, "", "out of memory");
        goto done;
    }

    if (agent_files_path(path, dir, "ca.pem", err) != 0) {
        goto done;
    }

    /* ca.pem is optional: enroll mode may come without a chain */
    bio = BIO_new_file(path, "r");

    while (bio != NULL
           && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
    {
        if (!sk_X509_push(c->chain, x)) {
            X509_free(x);
            scep_error_set(err, SCEP_ERR_NOMEM, "", "out of memory");
            goto done;
        }
    }

    rc = 0;

done:

    BIO_free(bio);
    ERR_clear_error();

    if (rc != 0) {
        agent_credentials_free(c);
    }

    return rc;
}


int
agent_files_dirs(const char *root, char ***dirs, size_t *n,
    scep_error_t *err)
{
    int              i, count;
    char             path[PATH_MAX], **out;
    size_t           found;
    struct stat      st;
    struct dirent  **names;

    *dirs = NULL;
    *n = 0;

    count = scandir(root, &names, NULL, alphasort);
    if (count < 0) {
        return scep_error_set(err, SCEP_ERR_FILE, "root", "cannot list %s: "
                              "%s", root, strerror(errno));
    }

    out = calloc((size_t) count + 1, sizeof(char *));
    found = 0;

    for (i = 0; i < count; i++) {
        if (out != NULL && names[i]->d_name[0] != '.'
            && snprintf(path, sizeof(path), "%s/%s/state", root,
                        names[i]->d_name) < (int) sizeof(path) - 32
            && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
        {
            path[strlen(path) - strlen("/state")] = '\0';
            out[found] = strdup(path);

            if (out[found] != NULL) {
                found++;
            }
        }

        free(names[i]);
    }

    free(names);

    if (out == NULL) {
        return scep_error_set(err, SCEP_ERR_NOMEM, "", "out of memory");
    }

    *dirs = out;
    *n = found;

    return 0;
}


void
agent_files_dirs_free(char **dirs, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(dirs[i]);
    }

    free(dirs);
}
