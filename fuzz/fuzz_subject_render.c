/*
 * scep_subject_render: a template filled with hostile user values (the
 * username and mail from the directory, host-id and UDID from the agent).
 * A value must never add an attribute to the name, whatever it holds.
 *
 * Input: "flags template NUL username NUL email NUL hostid NUL udid NUL
 * sid NUL upn"; flags bit i set: value i is NULL.
 */

#include "scep/scep_subject.h"
#include "fuzz/fuzz.h"


static int
fuzz_cn_holds(X509_NAME *name, const char *value)
{
    int               i, n;
    X509_NAME_ENTRY  *e;
    const char       *cn;

    /* the CN is the only entry with a user's text in it */
    n = 0;

    for (i = 0; i < X509_NAME_entry_count(name); i++) {
        e = X509_NAME_get_entry(name, i);

        if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) == NID_commonName) {
            cn = (const char *)
                 ASN1_STRING_get0_data(X509_NAME_ENTRY_get_data(e));
            n++;

            if (value != NULL && value[0] != '\0'
                && strstr(cn, value) == NULL)
            {
                return 0;
            }
        }
    }

    return n == 1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     i;
    char                   *tpl_text, *v[6], buf[2048];
    unsigned                flags, tokens;
    X509_NAME              *name;
    scep_error_t            err;
    fuzz_reader_t           r;
    scep_subject_tpl_t     *tpl;
    scep_subject_values_t   values;

    fuzz_reader_init(&r, data, size);

    flags = fuzz_byte(&r);
    tpl_text = fuzz_field(&r, '\0', NULL);

    for (i = 0; i < 6; i++) {
        v[i] = fuzz_field(&r, '\0', NULL);
    }

    tpl = scep_subject_parse(tpl_text, &err);

    if (tpl == NULL) {
        goto done;
    }

    tokens = scep_subject_tokens(tpl);

    values.username = (flags & 1) ? NULL : v[0];
    values.email = (flags & 2) ? NULL : v[1];
    values.hostid = (flags & 4) ? NULL : v[2];
    values.udid = (flags & 8) ? NULL : v[3];
    values.sid = (flags & 16) ? NULL : v[4];
    values.upn = (flags & 32) ? NULL : v[5];

    for (i = 0; i < 6; i++) {
        (void) scep_subject_check_value(v[i], strlen(v[i]), &err);
    }

    memset(&err, 0, sizeof(err));
    name = scep_subject_render(tpl, &values, &err);

    if (name == NULL) {
        if (err.code != SCEP_ERR_SUBJECT && err.code != SCEP_ERR_NOMEM) {
            abort();
        }

        goto done;
    }

    if ((size_t) X509_NAME_entry_count(name) != scep_subject_rdn_count(tpl)
        || !fuzz_cn_holds(name, (tokens & SCEP_TOKEN_USERNAME)
                                ? values.username : NULL))
    {
        abort();
    }

    (void) scep_name_to_text(name, buf, sizeof(buf));

    X509_NAME_free(name);

done:

    scep_subject_free(tpl);
    free(tpl_text);

    for (i = 0; i < 6; i++) {
        free(v[i]);
    }

    return 0;
}
