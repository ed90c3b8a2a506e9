#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scep_store.h"
#include "scep_store_file.h"


static int
scep_store_path(char *buf, size_t size, const char *dir, const char *file,
    scep_error_t *err)
{
    int  n;

    n = snprintf(buf, size, "%s/%s", dir, file);

    if (n < 0 || (size_t) n >= size) {
        return scep_error_set(err, SCEP_ERR_FILE, "store",
                              "the store path %.64s/%.64s is too long",
                              dir, file);
    }

    return 0;
}


static int
scep_store_write_all(int fd, const unsigned char *data, size_t len)
{
    ssize_t  n;

    while (len > 0) {
        n = write(fd, data, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            return -1;
        }

        data += n;
        len -= (size_t) n;
    }

    return 0;
}


/* Makes a rename in dir survive a crash. */
static void
scep_store_sync_dir(const char *dir)
{
    int  fd;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        (void) fsync(fd);
        close(fd);
    }
}


static int
scep_store_publish(const char *tmp, const char *path, int replace)
{
    if (replace) {
        return rename(tmp, path);
    }

    /* link() fails on an existing name, which rename() would replace */
    if (link(tmp, path) != 0) {
        return -1;
    }

    unlink(tmp);

    return 0;
}


int
scep_store_write(const char *dir, const char *file, const void *data,
    size_t len, mode_t mode, int replace, scep_error_t *err)
{
    int   fd, saved;
    char  path[PATH_MAX], tmp[PATH_MAX];

    if (scep_store_path(path, sizeof(path), dir, file, err) != 0
        || scep_store_path(tmp, sizeof(tmp), dir, ".tmp-XXXXXX", err) != 0)
    {
        return -1;
    }

    /* mkstemp creates the file 0600: a key is never readable by others */
    fd = mkstemp(tmp);

    if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        saved = errno;

        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }

        return scep_error_set(err, SCEP_ERR_FILE, "store",
                              "cannot create a file in the store %.128s: "
                              "%s", dir, strerror(saved));
    }

    if (fchmod(fd, mode) != 0
        || scep_store_write_all(fd, data, len) != 0
        || fsync(fd) != 0)
    {
        saved = errno;
        close(fd);
        unlink(tmp);
        return scep_error_set(err, SCEP_ERR_FILE, "store",
                              "cannot write %.64s in the store %.128s: %s",
                              file, dir, strerror(saved));
    }

    if (close(fd) != 0 || scep_store_publish(tmp, path, replace) != 0) {
        saved = errno;
        unlink(tmp);

        if (saved == EEXIST) {
            return scep_error_set(err, SCEP_ERR_INPUT, "name",
                                  "%.64s is already in the store %.128s; "
                                  "choose another name", file, dir);
        }

        return scep_error_set(err, SCEP_ERR_FILE, "store",
                              "cannot put %.64s in the store %.128s: %s",
                              file, dir, strerror(saved));
    }

    scep_store_sync_dir(dir);

    return 0;
}


int
scep_store_read(const char *dir, const char *file, char **data, size_t *len,
    scep_error_t *err)
{
    int          fd, saved;
    char        *buf, path[PATH_MAX];
    size_t       used;
    ssize_t      n;
    struct stat  st;

    *data = NULL;
    *len = 0;

    if (scep_store_path(path, sizeof(path), dir, file, err) != 0) {
        return -1;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        saved = errno;
        return scep_error_set(err, SCEP_ERR_FILE,
                              saved == ENOENT ? "missing" : "store",
                              "cannot open %.64s in the store %.128s: %s",
                              file, dir, strerror(saved));
    }

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)
        || st.st_size > SCEP_STORE_FILE_MAX)
    {
        close(fd);
        return scep_error_set(err, SCEP_ERR_FILE, "store",
                              "%.64s in the store %.128s is not a regular "
                              "file of at most %d bytes", file, dir,
                              SCEP_STORE_FILE_MAX);
    }

    buf = malloc((size_t) st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
    }

    used = 0;

    while (used < (size_t) st.st_size) {
        n = read(fd, buf + used, (size_t) st.st_size - used);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            break;
        }

        used += (size_t) n;
    }

    close(fd);

    buf[used] = '\0';
    *data = buf;
    *len = used;

    return 0;
}


int
scep_store_remove(const char *dir, const char *file, scep_error_t *err)
{
    char  path[PATH_MAX];

    if (scep_store_path(path, sizeof(path), dir, file, err) != 0) {
        return -1;
    }

    if (unlink(path) != 0 && errno != ENOENT) {
        return scep_error_set(err, SCEP_ERR_FILE, "store",
                              "cannot remove %.64s from the store %.128s: "
                              "%s", file, dir, strerror(errno));
    }

    return 0;
}


int
scep_store_shred(const char *dir, const char *file, scep_error_t *err)
{
    int            fd, rc, saved;
    char           path[PATH_MAX];
    off_t          at;
    size_t         n;
    ssize_t        w;
    struct stat    st;
    unsigned char  zeros[4096];

    if (scep_store_path(path, sizeof(path), dir, file, err) != 0) {
        return -1;
    }

    fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT) {
            return 0;
        }

        /* not ours to overwrite (a link, say): removed all the same */
        return scep_store_remove(dir, file, err);
    }

    /* the name goes first: no reader opens the zeros by it */
    rc = 0;

    if (unlink(path) != 0 && errno != ENOENT) {
        saved = errno;
        rc = scep_error_set(err, SCEP_ERR_FILE, "store",
                            "cannot remove %.64s from the store %.128s: %s",
                            file, dir, strerror(saved));
    }

    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
        && st.st_size <= SCEP_STORE_FILE_MAX)
    {
        memset(zeros, 0, sizeof(zeros));

        for (at = 0; at < st.st_size; at += (off_t) n) {
            n = sizeof(zeros);

            if ((off_t) n > st.st_size - at) {
                n = (size_t) (st.st_size - at);
            }

            w = pwrite(fd, zeros, n, at);

            if (w < 0 && errno == EINTR) {
                n = 0;
                continue;
            }

            if (w <= 0) {
                break;
            }

            n = (size_t) w;
        }

        (void) fdatasync(fd);
    }

    close(fd);

    return rc;
}
