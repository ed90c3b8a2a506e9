/*
 * The pkiMessage (RFC 8894, section 3): a CMS SignedData whose signed
 * attributes carry the SCEP header and whose content, when there is one,
 * is the pkcsPKIEnvelope, a CMS EnvelopedData.
 *
 * One codec serves both directions: the client builds PKCSReq and
 * CertPoll and reads CertRep; the test responder reads requests and
 * builds CertRep with the same code, so each side is checked against
 * independent peers (micromdm's scepserver and scepclient).
 */

#ifndef SCEP_MESSAGE_H
#define SCEP_MESSAGE_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep_error.h"


#define SCEP_NONCE_LEN            16
#define SCEP_TRANSACTION_ID_MAX   128
#define SCEP_FAIL_TEXT_MAX        128

/* Far above a CertRep with a chain; a bound on what a peer may send. */
#define SCEP_MESSAGE_MAX_LEN      (256 * 1024)


typedef enum {
    SCEP_MSG_CERT_REP = 3,
    SCEP_MSG_RENEWAL_REQ = 17,
    SCEP_MSG_PKCS_REQ = 19,
    SCEP_MSG_CERT_POLL = 20,
    SCEP_MSG_GET_CERT = 21,
    SCEP_MSG_GET_CRL = 22
} scep_msg_type_t;

typedef enum {
    SCEP_STATUS_SUCCESS = 0,
    SCEP_STATUS_FAILURE = 2,
    SCEP_STATUS_PENDING = 3
} scep_pki_status_t;

typedef enum {
    SCEP_FAIL_BAD_ALG = 0,
    SCEP_FAIL_BAD_MESSAGE_CHECK = 1,
    SCEP_FAIL_BAD_REQUEST = 2,
    SCEP_FAIL_BAD_TIME = 3,
    SCEP_FAIL_BAD_CERT_ID = 4
} scep_fail_info_t;


/* The SCEP header of one message: its signed attributes. */
typedef struct {
    scep_msg_type_t     type;
    char                transaction_id[SCEP_TRANSACTION_ID_MAX + 1];
    int                 has_sender_nonce;
    unsigned char       sender_nonce[SCEP_NONCE_LEN];
    int                 has_recipient_nonce;
    unsigned char       recipient_nonce[SCEP_NONCE_LEN];
    scep_pki_status_t   status;             /* CertRep */
    scep_fail_info_t    fail_info;          /* CertRep, FAILURE */
    char                fail_text[SCEP_FAIL_TEXT_MAX + 1];  /* optional */
} scep_msg_t;

/* Who signs the message, and who alone can read its content. */
typedef struct {
    X509               *signer_cert;
    EVP_PKEY           *signer_key;
    const EVP_MD       *md;
    X509               *recipient;          /* unused without content */
    const EVP_CIPHER   *cipher;
} scep_msg_keys_t;


/*
 * Encrypts content (when not NULL) to keys->recipient and signs the
 * result with the header as signed attributes, the signer certificate
 * included.  *der is OPENSSL_malloc'd.
 */
int scep_msg_build(const scep_msg_t *msg, const scep_msg_keys_t *keys,
    const unsigned char *content, size_t content_len, unsigned char **der,
    size_t *der_len, scep_error_t *err);

/*
 * Parses a pkiMessage and checks its signature.  With a verifier, the
 * message must be signed by that certificate and no other (the
 * certificates it carries are not trusted); without one, by the
 * certificate it carries, which a responder needs for self-signed
 * requests: *signer (when signer is not NULL) then receives it, up-ref'd.
 * *envelope receives the pkcsPKIEnvelope (OPENSSL_malloc'd), or NULL
 * when the message has no content; scep_envelope_open() decrypts it.
 */
int scep_msg_parse(const unsigned char *der, size_t len, X509 *verifier,
    scep_msg_t *msg, X509 **signer, unsigned char **envelope,
    size_t *envelope_len, scep_error_t *err);

/* 16 random bytes. */
int scep_nonce_generate(unsigned char *nonce, scep_error_t *err);

/* "PKCSReq", "CertPoll", "CertRep"... or "unknown". */
const char *scep_msg_type_name(scep_msg_type_t type);

/* "badAlg"... or "unknown". */
const char *scep_fail_info_name(scep_fail_info_t info);

/* What a failInfo usually means, for the person reading the error. */
const char *scep_fail_info_reason(scep_fail_info_t info);


#endif /* SCEP_MESSAGE_H */
