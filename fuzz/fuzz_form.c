/*
 * gp_form_parse: the form bodies (and query strings) agents send to
 * prelogin.esp, getconfig.esp and the admin endpoint.
 */

#include "agent-proto/gp_request.h"
#include "fuzz/fuzz.h"


static const char  *fuzz_names[] = {
    "user", "passwd", "host-id", "udid", "clientos", "os-version",
    "computer", "clientVer", "name", "profile", "",
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t       i, len;
    gp_form_t    form;
    gp_error_t   err;
    const char  *v;

    if (gp_form_parse((const char *) data, size, &form, &err) != 0) {
        (void) gp_code_http_status(err.code);
        (void) gp_code_name(err.code);

        /* a refused form is left empty */
        if (form.nfields != 0) {
            abort();
        }

        return 0;
    }

    if (form.nfields > GP_FORM_FIELDS_MAX) {
        abort();
    }

    for (i = 0; i < form.nfields; i++) {
        if (strlen(form.fields[i].name) > GP_FIELD_NAME_MAX
            || form.fields[i].value[form.fields[i].value_len] != '\0')
        {
            abort();
        }
    }

    for (i = 0; i < sizeof(fuzz_names) / sizeof(fuzz_names[0]); i++) {
        v = gp_form_get(&form, fuzz_names[i], &len);

        if (v != NULL && v[len] != '\0') {
            abort();
        }
    }

    gp_form_free(&form);

    return 0;
}
