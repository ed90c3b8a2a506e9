#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agent_log.h"
#include "agent_password.h"


static int agent_password_from_file(const char *path, char *buf,
    size_t size);
static int agent_password_from_env(const char *value, char *buf,
    size_t size);
static int agent_password_from_tty(const char *user, char *buf,
    size_t size);
static int agent_password_read_line(int fd, char *buf, size_t size,
    size_t *len);
static int agent_password_check(const char *source, const char *buf,
    size_t len, int complete);


int
agent_password_obtain(const agent_options_t *o, char *buf, size_t size)
{
    char  *env;

    env = getenv(AGENT_PASSWORD_ENV);

    if (o->password_file != NULL) {
        return agent_password_from_file(o->password_file, buf, size);
    }

    if (env != NULL) {
        return agent_password_from_env(env, buf, size);
    }

    if (isatty(STDIN_FILENO)) {
        return agent_password_from_tty(o->user, buf, size);
    }

    agent_log_error("no password: give --password-file FILE, set "
                    AGENT_PASSWORD_ENV ", or run on a terminal to be asked");
    return -1;
}


int
agent_password_available(const agent_options_t *o)
{
    return o->password_file != NULL || getenv(AGENT_PASSWORD_ENV) != NULL
           || isatty(STDIN_FILENO);
}


static int
agent_password_from_file(const char *path, char *buf, size_t size)
{
    int          fd, rc, complete;
    size_t       len;
    struct stat  st;

    /*
     * The path is never shown: "--password-file SECRET", the password
     * typed where its file goes, must not come back on the screen.
     */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        agent_log_error("cannot open the file given with --password-file "
                        "(its name is not shown): %s", strerror(errno));
        return -1;
    }

    if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
        agent_log_warn("the file given with --password-file can be read by "
                       "%s (mode %04o): make it its owner's alone "
                       "(chmod 600)", (st.st_mode & 007) ? "anyone"
                                                         : "its group",
                       (unsigned) (st.st_mode & 07777));
    }

    complete = agent_password_read_line(fd, buf, size, &len);
    close(fd);

    if (complete < 0) {
        agent_log_error("cannot read the file given with --password-file: "
                        "%s", strerror(errno));
        OPENSSL_cleanse(buf, size);
        return -1;
    }

    rc = agent_password_check("the password file", buf, len, complete);
    if (rc != 0) {
        OPENSSL_cleanse(buf, size);
    }

    return rc;
}


/*
 * The variable's value is wiped where the process keeps it, so that it
 * no longer shows in /proc/<pid>/environ, and then removed.
 */
static int
agent_password_from_env(const char *value, char *buf, size_t size)
{
    int     rc;
    size_t  len;

    len = strlen(value);

    if (len < size) {
        memcpy(buf, value, len + 1);
    }

    OPENSSL_cleanse((char *) value, len);
    unsetenv(AGENT_PASSWORD_ENV);

    rc = agent_password_check(AGENT_PASSWORD_ENV, buf, len, len < size);
    if (rc != 0) {
        OPENSSL_cleanse(buf, size);
    }

    return rc;
}


static int
agent_password_from_tty(const char *user, char *buf, size_t size)
{
    int             rc, complete, echo_off;
    size_t          len;
    struct termios  saved, quiet;

    fprintf(stderr, "Password for %s: ", user);
    fflush(stderr);

    echo_off = 0;

    if (tcgetattr(STDIN_FILENO, &saved) == 0) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t) (ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        echo_off = (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0);
    }

    if (!echo_off) {
        fputc('\n', stderr);
        agent_log_error("cannot turn off the echo of the terminal; give "
                        "--password-file FILE or set " AGENT_PASSWORD_ENV);
        return -1;
    }

    complete = agent_password_read_line(STDIN_FILENO, buf, size, &len);

    (void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    fputc('\n', stderr);

    if (complete < 0) {
        agent_log_error("cannot read the password: %s", strerror(errno));
        OPENSSL_cleanse(buf, size);
        return -1;
    }

    rc = agent_password_check("the password typed", buf, len, complete);
    if (rc != 0) {
        OPENSSL_cleanse(buf, size);
    }

    return rc;
}


/*
 * Reads up to the first line feed, byte by byte so that nothing of the
 * password stays in a stdio buffer.  Returns 1 when the line fitted in
 * buf (NUL-terminated, without its CR LF or LF), 0 when it did not, -1 on
 * a read error.
 */
static int
agent_password_read_line(int fd, char *buf, size_t size, size_t *len)
{
    char     c;
    size_t   n;
    ssize_t  got;

    n = 0;

    for ( ;; ) {
        got = read(fd, &c, 1);

        if (got == -1 && errno == EINTR) {
            continue;
        }

        if (got == -1) {
            return -1;
        }

        if (got == 0 || c == '\n') {
            break;
        }

        if (n + 1 >= size) {
            OPENSSL_cleanse(&c, sizeof(c));
            *len = n;
            return 0;
        }

        buf[n++] = c;
    }

    OPENSSL_cleanse(&c, sizeof(c));

    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }

    buf[n] = '\0';
    *len = n;

    return 1;
}


static int
agent_password_check(const char *source, const char *buf, size_t len,
    int complete)
{
    if (!complete || len > AGENT_PASSWORD_MAX) {
        agent_log_error("the password from %s is longer than %d bytes",
                        source, AGENT_PASSWORD_MAX);
        return -1;
    }

    if (len == 0) {
        agent_log_error("the password from %s is empty", source);
        return -1;
    }

    if (memchr(buf, '\0', len) != NULL) {
        agent_log_error("the password from %s holds a NUL byte", source);
        return -1;
    }

    return 0;
}
