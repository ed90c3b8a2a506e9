/*
 * scep_transaction_deserialize: a PENDING transaction saved by the portal
 * and read back when the agent comes again.
 */

#include "scep/scep_transaction.h"
#include "fuzz/fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t               len;
    scep_error_t         err;
    unsigned char       *der;
    scep_transaction_t  *t;

    t = scep_transaction_deserialize(data, size, &err);
    if (t == NULL) {
        return 0;
    }

    if (t->key == NULL || t->signer == NULL || t->subject == NULL
        || t->issuer == NULL || strlen(t->id) == 0)
    {
        abort();
    }

    /* what was read is written again */
    if (scep_transaction_serialize(t, &der, &len, &err) != 0) {
        abort();
    }

    OPENSSL_clear_free(der, len);
    scep_transaction_free(t);

    return 0;
}
