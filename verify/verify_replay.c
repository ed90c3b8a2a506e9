#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "verify_replay.h"


/* Temporary files and unreadable records older than this go too. */
#define VERIFY_REPLAY_STALE  (2 * 86400)


static void verify_replay_name(const scep_bound_t *b, char *out);
static int verify_replay_is_name(const char *name);
static void verify_replay_prune_one(int dirfd, const char *name,
    long long now, int *removed);


verify_replay_t
verify_replay_record(const char *dir, const scep_bound_t *b, char *why,
    size_t size)
{
    int      dirfd, fd, rc, e;
    char     name[2 * SCEP_BOUND_NONCE_LEN + 1], tmp[96], text[128];
    size_t   n;
    ssize_t  w;

    verify_replay_name(b, name);

    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd == -1) {
        snprintf(why, size, "cannot open the replay directory \"%s\": %s",
                 dir, strerror(errno));
        return VERIFY_REPLAY_ERROR;
    }

    n = (size_t) snprintf(text, sizeof(text), "1 %lld %s\n", b->expires,
                          b->grant.profile);
    snprintf(tmp, sizeof(tmp), ".tmp-%s-%ld", name, (long) getpid());

    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
                            | O_NOFOLLOW, 0600);
    if (fd == -1) {
        snprintf(why, size, "cannot write in the replay directory \"%s\": "
                 "%s", dir, strerror(errno));
        close(dirfd);
        return VERIFY_REPLAY_ERROR;
    }

    w = write(fd, text, n);
    e = errno;

    if (w != (ssize_t) n || fsync(fd) != 0) {
        snprintf(why, size, "cannot write in the replay directory \"%s\": "
                 "%s", dir, w < 0 ? strerror(e) : "short write");
        close(fd);
        unlinkat(dirfd, tmp, 0);
        close(dirfd);
        return VERIFY_REPLAY_ERROR;
    }

    close(fd);

    /* the one step that decides: link(2) never replaces a name */
    rc = linkat(dirfd, tmp, dirfd, name, 0);
    e = errno;

    unlinkat(dirfd, tmp, 0);

    if (rc == 0) {
        fsync(dirfd);
        close(dirfd);
        return VERIFY_REPLAY_FIRST;
    }

    close(dirfd);

    if (e == EEXIST) {
        return VERIFY_REPLAY_USED;
    }

    snprintf(why, size, "cannot record the challenge in \"%s\": %s", dir,
             strerror(e));

    return VERIFY_REPLAY_ERROR;
}


int
verify_replay_prune(const char *dir, long long now)
{
    int             dirfd, removed;
    DIR            *d;
    struct dirent  *de;

    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd == -1) {
        return 0;
    }

    d = fdopendir(dup(dirfd));
    if (d == NULL) {
        close(dirfd);
        return 0;
    }

    removed = 0;

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        verify_replay_prune_one(dirfd, de->d_name, now, &removed);
    }

    closedir(d);
    close(dirfd);

    return removed;
}


int
verify_replay_parse(const char *buf, size_t len, long long *expires)
{
    size_t     i;
    long long  v;

    /* "1 " */
    if (len < 4 || buf[0] != '1' || buf[1] != ' ') {
        return -1;
    }

    v = 0;

    for (i = 2; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
        if (i - 2 >= 18) {
            return -1;
        }

        v = v * 10 + (buf[i] - '0');
    }

    if (i == 2 || i == len || (buf[i] != ' ' && buf[i] != '\n')) {
        return -1;
    }

    /* the rest is the profile's name, for people; it ends the line */
    for (; i < len; i++) {
        if (buf[i] == '\n') {
            break;
        }

        if (buf[i] < 0x20 || buf[i] > 0x7e) {
            return -1;
        }
    }

    if (i != len - 1) {
        return -1;
    }

    *expires = v;

    return 0;
}


static void
verify_replay_name(const scep_bound_t *b, char *out)
{
    size_t             i;
    static const char  hex[] = "0123456789abcdef";

    for (i = 0; i < SCEP_BOUND_NONCE_LEN; i++) {
        out[2 * i] = hex[b->nonce[i] >> 4];
        out[2 * i + 1] = hex[b->nonce[i] & 0x0f];
    }

    out[2 * SCEP_BOUND_NONCE_LEN] = '\0';
}


static int
verify_replay_is_name(const char *name)
{
    size_t  i;

    for (i = 0; name[i] != '\0'; i++) {
        if (!((name[i] >= '0' && name[i] <= '9')
              || (name[i] >= 'a' && name[i] <= 'f')))
        {
            return 0;
        }
    }

    return i == 2 * SCEP_BOUND_NONCE_LEN;
}


/*
 * A record goes when its challenge expired more than the margin ago;
 * what is not a readable record (a temporary file a verifier left when
 * it was killed, say) goes when it is old.  Other names are left alone.
 */
static void
verify_replay_prune_one(int dirfd, const char *name, long long now,
    int *removed)
{
    int          fd, stale;
    char         buf[VERIFY_REPLAY_RECORD_MAX + 1];
    ssize_t      n;
    long long    expires;
    struct stat  st;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0
        || !S_ISREG(st.st_mode))
    {
        return;
    }

    stale = ((long long) st.st_mtime < now - VERIFY_REPLAY_STALE);

    if (strncmp(name, ".tmp-", 5) == 0) {
        if (stale && unlinkat(dirfd, name, 0) == 0) {
            (*removed)++;
        }

        return;
    }

    if (!verify_replay_is_name(name)) {
        return;
    }

    fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1) {
        return;
    }

    n = read(fd, buf, sizeof(buf));
    close(fd);

    if (n < 0 || n > VERIFY_REPLAY_RECORD_MAX
        || verify_replay_parse(buf, (size_t) n, &expires) != 0)
    {
        if (stale && unlinkat(dirfd, name, 0) == 0) {
            (*removed)++;
        }

        return;
    }

    if (now > expires + VERIFY_REPLAY_MARGIN
        && unlinkat(dirfd, name, 0) == 0)
    {
        (*removed)++;
    }
}
