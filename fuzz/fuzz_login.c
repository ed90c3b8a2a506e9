/*
 * gp_login_parse and gp_login_is_plausible: the getconfig.esp login, the
 * first thing the portal reads from anyone on the network.
 */

#include "agent-proto/gp_request.h"
#include "fuzz/fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gp_login_t   login;
    gp_error_t   err;
    const char  *reason;

    if (gp_login_parse((const char *) data, size, &login, &err) != 0) {
        (void) gp_code_http_status(err.code);

        if (login.user != NULL || login.passwd != NULL) {
            abort();
        }

        return 0;
    }

    if (login.user == NULL || login.passwd == NULL) {
        abort();
    }

    reason = NULL;

    if (!gp_login_is_plausible(&login, &reason) && reason == NULL) {
        abort();
    }

    if ((login.host_id != NULL
         && gp_check_device_id("host-id", login.host_id,
                               strlen(login.host_id), GP_HOST_ID_MAX, &err)
            != 0)
        || (login.udid != NULL
            && gp_check_device_id("udid", login.udid, strlen(login.udid),
                                  GP_UDID_MAX, &err)
               != 0))
    {
        /* a device id the parser let through must pass its own check */
        abort();
    }

    gp_login_free(&login);

    return 0;
}
