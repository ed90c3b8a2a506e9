/*
 * A TCP connection to a directory server within a deadline.
 *
 * libldap 2.5 can bound its own connect, but the same setting makes its
 * TLS handshake spin without end against a server that accepted the
 * connection and then stalled.  So the client connects the socket
 * itself, hands it to libldap, and lets libldap run the handshake in its
 * asynchronous mode, which honours the timeout.
 */

#ifndef DIR_TCP_H
#define DIR_TCP_H

#include "dir.h"


/*
 * Connects to host:port, trying each address the name resolves to, all
 * within timeout_ms; the socket is non-blocking.  Errors name url.
 * Resolving the name is bounded by the system resolver's own timeouts.
 */
int dir_tcp_connect(const char *url, const char *host, int port,
    long timeout_ms, int *fdp, dir_error_t *err);


#endif /* DIR_TCP_H */
