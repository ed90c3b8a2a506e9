#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "dir_error.h"
#include "dir_tcp.h"


static long
dir_tcp_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* strerror() is not required to be thread-safe; these are the usual. */
static const char *
dir_tcp_reason(int error)
{
    switch (error) {

    case ECONNREFUSED:
        return "connection refused";

    case EHOSTUNREACH:
        return "no route to host";

    case ENETUNREACH:
        return "network unreachable";

    case ECONNRESET:
        return "connection reset";

    case EADDRNOTAVAIL:
        return "address not available";

    case EMFILE:
    case ENFILE:
        return "too many open files";

    default:
        return "connection failed";
    }
}


/* Returns 0 when connected, else an errno value. */
static int
dir_tcp_try(const struct addrinfo *ai, long deadline, int *fdp)
{
    int            fd, rc, error;
    long           left;
    socklen_t      len;
    struct pollfd  pfd;

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ai->ai_protocol);
    if (fd == -1) {
        return errno;
    }

    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        *fdp = fd;
        return 0;
    }

    if (errno != EINPROGRESS) {
        error = errno;
        close(fd);
        return error;
    }

    pfd.fd = fd;
    pfd.events = POLLOUT;

    do {
        left = deadline - dir_tcp_now_ms();
        rc = poll(&pfd, 1, left > 0 ? (int) left : 0);
    } while (rc == -1 && errno == EINTR);

    if (rc == 0) {
        close(fd);
        return ETIMEDOUT;
    }

    error = (rc == -1) ? errno : 0;
    len = sizeof(error);

    if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1) {
        error = errno;
    }

    if (error != 0) {
        close(fd);
        return error;
    }

    *fdp = fd;

    return 0;
}


int
dir_tcp_connect(const char *url, const char *host, int port,
    long timeout_ms, int *fdp, dir_error_t *err)
{
    int               rc, error;
    long              deadline;
    char              service[16];
    struct addrinfo   hints, *res, *ai;

    *fdp = -1;

    snprintf(service, sizeof(service), "%d", port);

    memset(&hints, 0, sizeof(struct addrinfo));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;

    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        return dir_error_set(err, DIR_ERR_UNAVAILABLE, url,
                             "LDAP server %s: the host name does not "
                             "resolve: %s", url, gai_strerror(rc));
    }

    deadline = dir_tcp_now_ms() + timeout_ms;
    error = ECONNREFUSED;

    for (ai = res; ai != NULL; ai = ai->ai_next) {
        error = dir_tcp_try(ai, deadline, fdp);

        if (error == 0 || error == ETIMEDOUT) {
            break;
        }
    }

    freeaddrinfo(res);

    if (error == 0) {
        return 0;
    }

    if (error == ETIMEDOUT) {
        return dir_error_set(err, DIR_ERR_TIMEOUT, url,
                             "LDAP server %s did not accept a connection "
                             "within %ld ms", url, timeout_ms);
    }

    return dir_error_set(err, DIR_ERR_UNAVAILABLE, url,
                         "LDAP server %s cannot be reached: %s", url,
                         dir_tcp_reason(error));
}
