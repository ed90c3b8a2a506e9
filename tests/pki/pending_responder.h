/*
 * pending_responder: a small SCEP server for tests, with its own CA,
 * built on the project's pkiMessage codec (scep/scep_message.h).
 *
 * It answers GetCACaps, GetCACert (the CA alone, or with --ra the CA and
 * two RA certificates as NDES does: CertRep is then signed with the RA
 * signature certificate and requests are decrypted with the RA encryption
 * key) and PKIOperation by POST and GET.  Each transaction is answered
 * PENDING --pending times (PKCSReq and CertPoll both count), then SUCCESS
 * with a certificate for its CSR; with --fail N every request is answered
 * FAILURE with failInfo N.
 *
 * Files in --dir: ca.pem (and ra-sign.pem, ra-encrypt.pem), csr-N.der
 * for each CSR received, and "port", written last, when it accepts.  One
 * line per operation on stdout: "op=... answer=...", a PKIOperation's
 * with its message type and signer ("signer_serial=HEX signer=
 * issued-by-ca|self-signed|other").  A RenewalReq must be signed by a
 * valid certificate of this CA (or of --previous-ca FILE), else it is
 * answered FAILURE.
 *
 * CA rollover: --next-ca makes a second CA (next-ca.pem, next-ca.key in
 * --dir) and answers GetNextCACert with it, in a SignedData the current
 * CA signs; --ca-dir D takes D's next-ca.pem and next-ca.key as the CA,
 * as the next responder after the switch.
 */

#ifndef PENDING_RESPONDER_H
#define PENDING_RESPONDER_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep/scep_message.h"


#define RESPONDER_TXNS      256
#define RESPONDER_BODY_MAX  (256 * 1024)


typedef struct {
    char            id[SCEP_TRANSACTION_ID_MAX + 1];
    int             answers;          /* PKCSReq and CertPoll seen */
    X509_REQ       *csr;
    X509           *issued;
} responder_txn_t;

typedef struct {
    int               pending;        /* PENDING answers before SUCCESS */
    int               fail_info;      /* -1: no FAILURE mode */
    const char       *fail_text;
    int               ra;             /* NDES shape */
    const char       *caps;           /* GetCACaps answer */
    const char       *challenge;      /* required, or NULL */
    const char       *dir;
    int               next_ca;        /* announce a next CA */
    const char       *ca_dir;         /* take the CA from there */
    const char       *previous_ca_file;

    EVP_PKEY         *ca_key, *ra_key, *next_key;
    X509             *ca, *ra_sign, *ra_enc, *next, *previous;

    responder_txn_t   txns[RESPONDER_TXNS];
    int               ntxns;
    int               csr_seq;
} responder_t;

/* One HTTP answer. */
typedef struct {
    int              status;
    const char      *content_type;
    unsigned char   *body;            /* OPENSSL_malloc'd */
    size_t           len;
} responder_answer_t;


/* Makes the CA (and RA certificates) and writes their PEM files. */
int responder_pki_init(responder_t *r);

void responder_pki_free(responder_t *r);

/*
 * Answers one SCEP operation; message is the decoded "message" parameter
 * of a GET, or the body of a POST.
 */
void responder_handle(responder_t *r, const char *method,
    const char *operation, const unsigned char *message, size_t len,
    responder_answer_t *answer);


#endif /* PENDING_RESPONDER_H */
