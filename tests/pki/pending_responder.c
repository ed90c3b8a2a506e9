/*
 * pending_responder: command line and HTTP for the test SCEP server (see
 * pending_responder.h).  One connection at a time, one request each.
 *
 *   pending_responder --port N --dir D [--pending N] [--fail N]
 *       [--fail-text T] [--ra] [--caps "AES,SHA-256,..."]
 *       [--challenge PW] [--next-ca] [--ca-dir D] [--previous-ca FILE]
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "pending_responder.h"


/* Headers, and a GET PKIOperation's query with them. */
#define RESPONDER_HEAD_MAX  (512 * 1024)

#define RESPONDER_DEFAULT_CAPS                                              \
    "AES\nDES3\nPOSTPKIOperation\nSHA-1\nSHA-256\nSHA-512\nSCEPStandard\n"


typedef struct {
    char            *head;          /* request line and headers, NUL'd */
    unsigned char   *body;
    size_t           body_len;
} responder_request_t;


static int
responder_listen(int port)
{
    int                 fd, on;
    struct sockaddr_in  sin;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }

    on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short) port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (bind(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0
        || listen(fd, 16) != 0)
    {
        close(fd);
        return -1;
    }

    return fd;
}


/* Reads the head, then Content-Length bytes of body; -1 on any fault. */
static int
responder_read(int fd, responder_request_t *req)
{
    char     *end, *cl;
    size_t    used, want, head_len;
    ssize_t   n;

    memset(req, 0, sizeof(responder_request_t));

    req->head = malloc(RESPONDER_HEAD_MAX + 1);
    if (req->head == NULL) {
        return -1;
    }

    used = 0;
    end = NULL;

    while (end == NULL && used < RESPONDER_HEAD_MAX) {
        n = recv(fd, req->head + used, RESPONDER_HEAD_MAX - used, 0);

        if (n <= 0) {
            return -1;
        }

        used += (size_t) n;
        req->head[used] = '\0';
        end = strstr(req->head, "\r\n\r\n");
    }

    if (end == NULL) {
        return -1;
    }

    head_len = (size_t) (end - req->head) + 4;
    *end = '\0';

    cl = strcasestr(req->head, "\r\nContent-Length:");
    want = (cl != NULL) ? strtoul(cl + 17, NULL, 10) : 0;

    if (want > RESPONDER_BODY_MAX) {
        return -1;
    }

    req->body = malloc(want + 1);
    if (req->body == NULL) {
        return -1;
    }

    /* what came with the head already */
    req->body_len = used - head_len < want ? used - head_len : want;
    memcpy(req->body, req->head + head_len, req->body_len);

    while (req->body_len < want) {
        n = recv(fd, req->body + req->body_len, want - req->body_len, 0);

        if (n <= 0) {
            return -1;
        }

        req->body_len += (size_t) n;
    }

    return 0;
}


static int
responder_hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


/* Percent-decodes in place; '+' stays '+' (base64 sent unencoded). */
static void
responder_unescape(char *s)
{
    char  *w;

    for (w = s; *s != '\0'; s++) {
        if (s[0] == '%' && responder_hex(s[1]) >= 0
            && responder_hex(s[2]) >= 0)
        {
            *w++ = (char) (responder_hex(s[1]) * 16 + responder_hex(s[2]));
            s += 2;

        } else {
            *w++ = *s;
        }
    }

    *w = '\0';
}


/* Splits the query in place into the two parameters SCEP uses. */
static void
responder_params(char *query, char **operation, char **message)
{
    char  *param, *save;

    *operation = NULL;
    *message = NULL;

    for (param = strtok_r(query, "&", &save); param != NULL;
         param = strtok_r(NULL, "&", &save))
    {
        if (strncmp(param, "operation=", 10) == 0) {
            *operation = param + 10;
            responder_unescape(*operation);

        } else if (strncmp(param, "message=", 8) == 0) {
            *message = param + 8;
            responder_unescape(*message);
        }
    }
}


static unsigned char *
responder_base64(const char *text, size_t *len)
{
    int             n;
    size_t          tlen, pad;
    unsigned char  *out;

    tlen = strlen(text);
    out = malloc(tlen + 1);

    if (out == NULL) {
        return NULL;
    }

    n = EVP_DecodeBlock(out, (const unsigned char *) text, (int) tlen);

    if (n < 0) {
        free(out);
        return NULL;
    }

    pad = (tlen > 0 && text[tlen - 1] == '=') + (tlen > 1
                                                   && text[tlen - 2] == '=');
    *len = (size_t) n - pad;

    return out;
}


static void
responder_reply(int fd, const responder_answer_t *a)
{
    int   n;
    char  head[256];

    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                 a->status, a->status == 200 ? "OK" : "Error",
                 a->content_type, a->len);

    if (send(fd, head, (size_t) n, MSG_NOSIGNAL) == n && a->len > 0) {
        send(fd, a->body, a->len, MSG_NOSIGNAL);
    }
}


static void
responder_serve(responder_t *r, int fd)
{
    char                 *target, *query, *operation, *message, *sp;
    size_t                len;
    unsigned char        *decoded;
    responder_request_t   req;
    responder_answer_t    answer;

    decoded = NULL;
    len = 0;

    if (responder_read(fd, &req) != 0) {
        goto done;
    }

    /* "METHOD /path?query HTTP/1.1" */
    target = strchr(req.head, ' ');
    sp = target != NULL ? strchr(target + 1, ' ') : NULL;

    if (sp == NULL) {
        goto done;
    }

    *target++ = '\0';
    *sp = '\0';

    query = strchr(target, '?');
    operation = NULL;
    message = NULL;

    if (query != NULL) {
        responder_params(query + 1, &operation, &message);
    }

    if (strcmp(req.head, "POST") == 0) {
        responder_handle(r, "POST", operation, req.body, req.body_len,
                         &answer);

    } else {
        if (message != NULL && operation != NULL
            && strcmp(operation, "PKIOperation") == 0)
        {
            decoded = responder_base64(message, &len);
        }

        responder_handle(r, "GET", operation, decoded, len, &answer);
    }

    responder_reply(fd, &answer);
    OPENSSL_free(answer.body);

done:

    free(decoded);
    free(req.head);
    free(req.body);
}


static int
responder_write_port(const char *dir, int port)
{
    char   path[4096], tmp[4096];
    FILE  *f;

    /* renamed into place: a reader sees the whole number or nothing */
    snprintf(tmp, sizeof(tmp), "%s/.port", dir);
    snprintf(path, sizeof(path), "%s/port", dir);

    f = fopen(tmp, "w");
    if (f == NULL) {
        return -1;
    }

    fprintf(f, "%d\n", port);

    if (fclose(f) != 0) {
        return -1;
    }

    return rename(tmp, path);
}


static int
responder_options(responder_t *r, int *port, int argc, char **argv)
{
    int    opt;
    char  *p;

    static char                 caps[512];
    static const struct option  options[] = {
        { "port", required_argument, NULL, 'p' },
        { "dir", required_argument, NULL, 'd' },
        { "pending", required_argument, NULL, 'n' },
        { "fail", required_argument, NULL, 'f' },
        { "fail-text", required_argument, NULL, 't' },
        { "ra", no_argument, NULL, 'r' },
        { "caps", required_argument, NULL, 'c' },
        { "challenge", required_argument, NULL, 'C' },
        { "next-ca", no_argument, NULL, 'N' },
        { "ca-dir", required_argument, NULL, 'A' },
        { "previous-ca", required_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 }
    };

    r->fail_info = -1;
    r->caps = RESPONDER_DEFAULT_CAPS;

    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {

        case 'p':
            *port = atoi(optarg);
            break;

        case 'd':
            r->dir = optarg;
            break;

        case 'n':
            r->pending = atoi(optarg);
            break;

        case 'f':
            r->fail_info = atoi(optarg);
            break;

        case 't':
            r->fail_text = optarg;
            break;

        case 'r':
            r->ra = 1;
            break;

        case 'c':
            /* one keyword a line, as servers answer */
            snprintf(caps, sizeof(caps), "%s\n", optarg);

            for (p = caps; *p != '\0'; p++) {
                if (*p == ',') {
                    *p = '\n';
                }
            }

            r->caps = caps;
            break;

        case 'C':
            r->challenge = optarg;
            break;

        case 'N':
            r->next_ca = 1;
            break;

        case 'A':
            r->ca_dir = optarg;
            break;

        case 'P':
            r->previous_ca_file = optarg;
            break;

        default:
            return -1;
        }
    }

    return (*port > 0 && r->dir != NULL) ? 0 : -1;
}


int
main(int argc, char **argv)
{
    int              lfd, fd, port;
    struct timeval   tv;

    static responder_t  r;

    port = 0;

    if (responder_options(&r, &port, argc, argv) != 0) {
        fprintf(stderr, "usage: pending_responder --port N --dir D "
                "[--pending N] [--fail N] [--fail-text T] [--ra] "
                "[--caps LIST] [--challenge PW] [--next-ca] "
                "[--ca-dir D] [--previous-ca FILE]\n");
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);

    if (responder_pki_init(&r) != 0) {
        fprintf(stderr, "pending_responder: cannot make the test PKI\n");
        return 1;
    }

    lfd = responder_listen(port);

    if (lfd < 0 || responder_write_port(r.dir, port) != 0) {
        fprintf(stderr, "pending_responder: cannot listen on port %d: %s\n",
                port, strerror(errno));
        return 1;
    }

    printf("listening port=%d pending=%d fail=%d ra=%d\n", port, r.pending,
           r.fail_info, r.ra);
    fflush(stdout);

    /* a client that stops sending cannot hold the server */
    tv.tv_sec = 5;
    tv.tv_usec = 0;

    for ( ;; ) {
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }

            break;
        }

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        responder_serve(&r, fd);
        close(fd);
    }

    responder_pki_free(&r);
    close(lfd);

    return 1;
}
