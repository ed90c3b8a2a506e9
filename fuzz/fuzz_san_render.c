/*
 * scep_san_render: subject alternative name templates filled with
 * hostile user values (the directory's username, mail, SID and UPN, the
 * agent's host-id and UDID).  Whatever a value holds, a template makes
 * one name of its type or none: checked besides the sanitizers, the name
 * passes its type's check and encodes as one GeneralName.
 *
 * Input: "type template NUL username NUL email NUL hostid NUL udid NUL
 * sid NUL upn"; type's low bits choose rfc822, dns, uri or upn; bit 4
 * set: every value is NULL.
 */

#include "scep/scep_san.h"
#include "fuzz/fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     i;
    char                   *tpl_text, *v[6];
    unsigned                flags;
    scep_sans_t             sans;
    scep_error_t            err;
    fuzz_reader_t           r;
    GENERAL_NAMES          *gens;
    scep_san_conf_t         conf;
    scep_san_tpl_t         *tpl;
    scep_subject_values_t   values;

    fuzz_reader_init(&r, data, size);

    flags = fuzz_byte(&r);
    tpl_text = fuzz_field(&r, '\0', NULL);

    for (i = 0; i < 6; i++) {
        v[i] = fuzz_field(&r, '\0', NULL);
    }

    conf.type = (scep_san_type_t) (SCEP_SAN_RFC822 + (flags & 3));
    conf.value = tpl_text;

    memset(&err, 0, sizeof(err));
    tpl = scep_san_parse(&conf, 1, &err);

    if (tpl == NULL) {
        goto done;
    }

    if (flags & 16) {
        memset(&values, 0, sizeof(values));

    } else {
        values.username = v[0];
        values.email = v[1];
        values.hostid = v[2];
        values.udid = v[3];
        values.sid = v[4];
        values.upn = v[5];
    }

    if (scep_san_render(tpl, &values, &sans, &err) != 0) {
        if (sans.n != 0
            || (err.code != SCEP_ERR_SUBJECT && err.code != SCEP_ERR_NOMEM))
        {
            abort();
        }

        goto free_tpl;
    }

    if (sans.n != 1 || sans.san[0].type != conf.type
        || scep_san_check(conf.type, sans.san[0].value,
                          strlen(sans.san[0].value), SCEP_ERR_INPUT, &err)
           != 0)
    {
        abort();
    }

    gens = scep_sans_encode(&sans, &err);

    if (gens == NULL || sk_GENERAL_NAME_num(gens) != 1) {
        abort();
    }

    GENERAL_NAMES_free(gens);
    scep_sans_free(&sans);

free_tpl:

    scep_san_tpl_free(tpl);

done:

    free(tpl_text);

    for (i = 0; i < 6; i++) {
        free(v[i]);
    }

    return 0;
}
