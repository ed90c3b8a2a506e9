/*
 * What an enrollment leaves the agent with, whichever mode delivered it:
 * the private key, the certificate and the CA certificates.
 */

#ifndef AGENT_CREDENTIALS_H
#define AGENT_CREDENTIALS_H

#include <openssl/evp.h>
#include <openssl/x509.h>


typedef struct {
    EVP_PKEY        *key;
    X509            *cert;
    STACK_OF(X509)  *chain;      /* the CA certificates; may be empty */
} agent_credentials_t;


/* Frees what c holds (OpenSSL clears the key's numbers); c is emptied. */
void agent_credentials_free(agent_credentials_t *c);


#endif /* AGENT_CREDENTIALS_H */
