/*
 * scep_msg_parse without a verifier: a pkiMessage signed by the
 * certificate it carries, as a responder reads a request.
 */

#include "scep/scep_message.h"
#include "fuzz/fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    X509           *signer;
    size_t          env_len;
    scep_msg_t      msg;
    scep_error_t    err;
    unsigned char  *env;

    if (scep_msg_parse(data, size, NULL, &msg, &signer, &env, &env_len, &err)
        != 0)
    {
        if (signer != NULL || env != NULL) {
            abort();
        }

        return 0;
    }

    if (signer == NULL
        || strlen(msg.transaction_id) > SCEP_TRANSACTION_ID_MAX
        || strlen(msg.fail_text) > SCEP_FAIL_TEXT_MAX)
    {
        abort();
    }

    (void) scep_msg_type_name(msg.type);
    (void) scep_fail_info_name(msg.fail_info);
    (void) scep_fail_info_reason(msg.fail_info);

    X509_free(signer);
    OPENSSL_free(env);

    return 0;
}
