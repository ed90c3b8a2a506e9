/*
 * The SCEP client (RFC 8894): fetching a CA, enrolling a key, renewing a
 * certificate, polling a pending request.  Used by the enroll mode, the
 * manual CSR and the reference agent.
 *
 * Blocking calls, made for worker threads: each one waits on the network
 * (every exchange bounded by the profile's timeouts) and, when polling,
 * sleeps between attempts.  They share no mutable state, so any number of
 * threads may call them at once, also with the same scep_ca_t.
 *
 * Every failure sets a code and a sentence naming the server's URL
 * (without user information) and what was wrong.
 */

#ifndef SCEP_CLIENT_H
#define SCEP_CLIENT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep_cacert.h"
#include "scep_error.h"
#include "scep_profile.h"
#include "scep_transaction.h"


/* Longest total wait a caller may ask for: one day. */
#define SCEP_POLL_MAX_TOTAL_MS  (24UL * 3600 * 1000)

/*
 * How long to keep asking after PENDING: the first wait, the longest
 * wait (each wait doubles up to it), and the total.  max_total_ms 0
 * returns PENDING at once, leaving the transaction to the caller.
 */
typedef struct {
    unsigned long  initial_ms;
    unsigned long  max_interval_ms;
    unsigned long  max_total_ms;
} scep_poll_t;


/*
 * GetCACert first, then the CA fingerprint check: on a mismatch nothing
 * else is sent to that server.  Then GetCACaps, and the algorithms under
 * the profile's FIPS rule.  Free the result with scep_ca_free().
 */
scep_ca_t *scep_client_fetch_ca(const scep_profile_t *profile,
    scep_error_t *err);

/*
 * Builds the request for key, subject and subject alternative names
 * (sans and challenge may be NULL), sends PKCSReq and, while the CA
 * answers PENDING, polls per poll (NULL: no polling).  Returns the issued
 * certificate.  Otherwise NULL with err set; when err->code is
 * SCEP_ERR_PENDING, *pending receives the transaction to resume with
 * scep_client_poll() (the caller frees it).
 */
X509 *scep_client_enroll(const scep_profile_t *profile, const scep_ca_t *ca,
    EVP_PKEY *key, const X509_NAME *subject, const scep_sans_t *sans,
    const char *challenge, const scep_poll_t *poll,
    scep_transaction_t **pending, scep_error_t *err);

/*
 * RenewalReq (RFC 8894, section 3.3.1.2): the request for new_key (NULL:
 * current_key again) with the subject of current and its subject
 * alternative names (scep_sans_from_cert()), signed with current
 * and current_key, without a challenge; the CA's CertRep is encrypted to
 * current.  Polls and hands over a PENDING transaction as
 * scep_client_enroll() does.  A CA whose GetCACaps lacks Renewal is not
 * asked: SCEP_ERR_INPUT with err->field "renewal".
 */
X509 *scep_client_renew(const scep_profile_t *profile, const scep_ca_t *ca,
    X509 *current, EVP_PKEY *current_key, EVP_PKEY *new_key,
    const scep_poll_t *poll, scep_transaction_t **pending,
    scep_error_t *err);

/*
 * Resumes a pending transaction: sends CertPoll (GetCertInitial) at once,
 * then polls per poll while the CA answers PENDING.  The transaction
 * stays the caller's, whatever the result.
 */
X509 *scep_client_poll(const scep_profile_t *profile, const scep_ca_t *ca,
    const scep_transaction_t *t, const scep_poll_t *poll,
    scep_error_t *err);


#endif /* SCEP_CLIENT_H */
