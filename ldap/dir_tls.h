/*
 * Why a server's TLS certificate was refused, in words an admin can act
 * on.  libldap (GnuTLS in Debian) says "Connect error" for a certificate
 * that does not verify and for one that does not name the host alike.
 */

#ifndef DIR_TLS_H
#define DIR_TLS_H

#include <stddef.h>


/*
 * Checks a certificate (DER) as libldap does: against the CA file
 * (the system's CAs when NULL), then for host, a name or an address
 * (libldap checks the machine's own name for "localhost").  Returns 0
 * when both pass, or -1 with a sentence in msg ("its TLS certificate
 * does not name the host ...").  The chain is the leaf alone: a server
 * that needs intermediates the CA file lacks reads as not verifying.
 */
int dir_tls_explain_cert(const unsigned char *der, size_t len,
    const char *host, const char *ca_file, char *msg, size_t size);


/*
 * The names a certificate (DER) holds, for a message: its DNS names and
 * addresses, or its common name; printable ASCII only.  0, or -1 when
 * the certificate cannot be read.
 */
int dir_tls_cert_names(const unsigned char *der, size_t len, char *out,
    size_t size);


#endif /* DIR_TLS_H */
