/*
 * scep_subject_parse: the subject templates admins write in nginx.conf
 * (and that the agent reads from the portal), then a render with plain
 * values and the name printed back.
 */

#include "scep/scep_subject.h"
#include "fuzz/fuzz.h"


static const scep_subject_values_t  fuzz_values = {
    "alice", "alice@example.org", "host-1", "0000-1111",
    "S-1-5-21-1-2-3-1105", "alice@corp.example"
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  n;
    char                *text, buf[2048];
    X509_NAME           *name;
    scep_error_t         err;
    scep_subject_tpl_t  *tpl;

    text = fuzz_strndup(data, size);

    memset(&err, 0, sizeof(err));
    tpl = scep_subject_parse(text, &err);

    if (tpl == NULL) {
        if (err.code != SCEP_ERR_CONFIG && err.code != SCEP_ERR_NOMEM) {
            abort();
        }

        free(text);
        return 0;
    }

    if (scep_subject_rdn_count(tpl) == 0
        || scep_subject_rdn_count(tpl) > SCEP_SUBJECT_MAX_RDNS)
    {
        abort();
    }

    (void) scep_subject_tokens(tpl);
    (void) scep_subject_find_token(text);

    name = scep_subject_render(tpl, &fuzz_values, &err);

    if (name != NULL) {
        /* one entry per attribute of the template, no more */
        if ((size_t) X509_NAME_entry_count(name)
            != scep_subject_rdn_count(tpl))
        {
            abort();
        }

        n = scep_name_to_text(name, buf, sizeof(buf));

        if (n >= 0 && (size_t) n != strlen(buf)) {
            abort();
        }

        (void) scep_name_to_text(name, buf, 4);
        X509_NAME_free(name);
    }

    scep_subject_free(tpl);
    free(text);

    return 0;
}
