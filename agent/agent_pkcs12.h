/*
 * Enroll mode: the portal made the key and obtained the certificate; the
 * agent opens the PKCS#12 it received with the passphrase beside it.
 */

#ifndef AGENT_PKCS12_H
#define AGENT_PKCS12_H

#include "scep/scep_error.h"
#include "agent_answer.h"
#include "agent_credentials.h"


/*
 * Decodes and opens c->pkcs12 with c->passphrase, and checks that key
 * and certificate belong together.  The CA certificates are those of
 * <ca-chain> when the portal sent it, else those of the PKCS#12.  The
 * decoded PKCS#12 is wiped.  Returns 0 with out filled, or -1 with err
 * set.
 */
int agent_pkcs12_open(const agent_certificate_t *c, agent_credentials_t *out,
    scep_error_t *err);


#endif /* AGENT_PKCS12_H */
