#include "agent_credentials.h"


void
agent_credentials_free(agent_credentials_t *c)
{
    EVP_PKEY_free(c->key);
    X509_free(c->cert);
    sk_X509_pop_free(c->chain, X509_free);

    c->key = NULL;
    c->cert = NULL;
    c->chain = NULL;
}
