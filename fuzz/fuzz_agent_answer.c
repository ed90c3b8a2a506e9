/*
 * agent_answer_parse: the reference agent reading a getconfig.esp answer
 * (libxml2, then its own checks of every setting), as a hostile or
 * broken portal could send it; then, for settings, the subject built
 * from the portal's <subject-rdn> list as agent_push.c does next.
 */

#include "agent/agent_answer.h"
#include "agent/agent_subject.h"
#include "agent/agent_xml.h"
#include "fuzz/fuzz.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    return agent_xml_init() == 0 ? 0 : -1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char            text[512];
    X509_NAME      *name;
    agent_answer_t  a;
    scep_error_t    err;

    memset(&err, 0, sizeof(err));

    if (agent_answer_parse((const char *) data, size, &a, &err) != 0) {
        if (err.code == SCEP_OK) {
            abort();
        }

        return 0;
    }

    if (a.kind == AGENT_ANSWER_SETTINGS) {
        if (a.settings.nrdns > SCEP_SUBJECT_MAX_RDNS) {
            abort();
        }

        name = agent_subject_build(a.settings.rdns, a.settings.nrdns, &err);

        if (name != NULL) {
            (void) agent_subject_text(name, text, sizeof(text));
            (void) agent_subject_text(name, text, 8);
            X509_NAME_free(name);
        }
    }

    agent_answer_free(&a);

    return 0;
}
