/*
 * One SCEP enrollment from PKCSReq to the certificate: the request's key,
 * the transient self-signed certificate that signs our messages (RFC 8894,
 * section 2.3: a client without a certificate signs with one made from
 * the request key), the transactionID derived from the key, the subject,
 * and the CA's name, which CertPoll repeats.
 *
 * A PENDING transaction can be resumed later, in another process, from
 * its serialized form.  That form holds the private key in clear: keep it
 * only in memory that is not swapped or shared, or in a file only the
 * portal can read, and release it with OPENSSL_clear_free().
 */

#ifndef SCEP_TRANSACTION_H
#define SCEP_TRANSACTION_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep_error.h"
#include "scep_message.h"


/*
 * Lifetime of the transient signer certificate; a transaction left
 * PENDING longer than this may be refused by the CA when polled.
 */
#define SCEP_SIGNER_VALIDITY_DAYS    30

/* Tolerated clock difference with the CA, taken off notBefore. */
#define SCEP_SIGNER_BACKDATE_SECONDS 3600

/* A serialized transaction with an 8192-bit key stays below this. */
#define SCEP_TRANSACTION_MAX_LEN     (32 * 1024)


typedef struct {
    char        id[SCEP_TRANSACTION_ID_MAX + 1];
    EVP_PKEY   *key;        /* signs our messages and opens the CertRep */
    X509       *signer;     /* transient, self-signed with key; or, for a
                             * renewal, the certificate being renewed */
    X509_NAME  *subject;
    X509_NAME  *issuer;     /* the CA's subject */

    /*
     * RenewalReq (RFC 8894, section 3.3.1.2): the request is signed with
     * the current certificate and its key, and the CSR may carry a new
     * key: request_key then holds it (NULL: the request is for key).
     */
    int         renewal;
    EVP_PKEY   *request_key;

    X509       *issued;     /* the certificate, once the CA has issued it */
} scep_transaction_t;


/*
 * Starts a transaction for key (up-ref'd, not copied): the transactionID
 * is the hex SHA-256 of the public key, the signer certificate carries
 * subject and is signed with md.
 */
scep_transaction_t *scep_transaction_create(EVP_PKEY *key,
    const X509_NAME *subject, const X509_NAME *issuer, const EVP_MD *md,
    scep_error_t *err);

/*
 * Starts a renewal: the messages are signed with current and its key
 * current_key (both up-ref'd), the CSR is for new_key (up-ref'd; NULL or
 * current_key: the same key again), and the transactionID is that of the
 * requested key.  subject is the CSR's, which CertPoll repeats.
 */
scep_transaction_t *scep_transaction_renewal(X509 *current,
    EVP_PKEY *current_key, EVP_PKEY *new_key, const X509_NAME *subject,
    const X509_NAME *issuer, scep_error_t *err);

/* The key the certificate is requested for. */
EVP_PKEY *scep_transaction_request_key(const scep_transaction_t *t);

void scep_transaction_free(scep_transaction_t *t);

/* *buf is OPENSSL_malloc'd and holds the private key: see above. */
int scep_transaction_serialize(const scep_transaction_t *t,
    unsigned char **buf, size_t *len, scep_error_t *err);

/* Reads a serialized transaction, checking that its parts belong together. */
scep_transaction_t *scep_transaction_deserialize(const unsigned char *buf,
    size_t len, scep_error_t *err);

/* The transactionID of a key: 64 upper-case hex digits and a NUL. */
int scep_transaction_id_of(EVP_PKEY *key, char *id, size_t len);


#endif /* SCEP_TRANSACTION_H */
