/*
 * GetCACert (RFC 8894, section 4.2): the CA's certificate, alone, or with
 * the RA certificates of a registration authority as NDES sends them, and
 * the choice of which certificate does which job.
 */

#ifndef SCEP_CACERT_H
#define SCEP_CACERT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "scep_caps.h"
#include "scep_error.h"


/* A CA with RA certificates and a chain is a few kilobytes. */
#define SCEP_CACERT_MAX_LEN  (64 * 1024)


/*
 * One SCEP service as the client sees it.  certs owns the certificates;
 * ca, recipient and verifier point into it.  Read-only once built, so
 * several threads may use one scep_ca_t at the same time.
 */
typedef struct {
    STACK_OF(X509)  *certs;        /* as GetCACert returned them */
    X509            *ca;           /* the CA that issues our certificates */
    X509            *recipient;    /* pkcsPKIEnvelope is encrypted to it */
    X509            *verifier;     /* CertRep must be signed by it */
    unsigned         caps;         /* SCEP_CAP_* from GetCACaps */
    scep_algs_t      algs;         /* chosen from caps */
} scep_ca_t;


/*
 * Reads a GetCACert answer according to its content type:
 * application/x-x509-ca-cert is one DER certificate,
 * application/x-x509-ca-ra-cert a certs-only PKCS#7.  url (display form)
 * names the server in messages.
 */
STACK_OF(X509) *scep_cacert_parse(const char *content_type,
    const unsigned char *body, size_t len, const char *url,
    scep_error_t *err);

/*
 * Picks the jobs.  The CA is the CA certificate (basicConstraints) that
 * issued the RA certificates, or, without RA certificates, the one at the
 * bottom of the chain.  The recipient is an RA certificate whose key usage
 * allows keyEncipherment, else the CA; the verifier an RA certificate
 * allowing digitalSignature, else the recipient.  RA certificates in use
 * must carry the CA's signature.  Takes certs in every case.
 */
scep_ca_t *scep_ca_select(STACK_OF(X509) *certs, const char *url,
    scep_error_t *err);

/*
 * A pinned fingerprint (20 bytes: SHA-1, 32: SHA-256; len 0: none) must
 * be that of the CA or of an RA certificate in use; as those carry the
 * CA's signature, pinning any of them pins all.
 */
int scep_ca_check_fingerprint(const scep_ca_t *ca,
    const unsigned char *expected, size_t len, const char *url,
    scep_error_t *err);

/*
 * The certificates other than the CA: the RA certificates and any chain.
 * The stack borrows them: free it with sk_X509_free().
 */
STACK_OF(X509) *scep_ca_others(const scep_ca_t *ca);

void scep_ca_free(scep_ca_t *ca);


#endif /* SCEP_CACERT_H */
