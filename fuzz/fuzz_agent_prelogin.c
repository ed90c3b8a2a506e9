/*
 * agent_prelogin_parse: the reference agent reading a prelogin.esp
 * answer.
 */

#include "agent/agent_answer.h"
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
    scep_error_t      err;
    agent_prelogin_t  p;

    memset(&err, 0, sizeof(err));

    if (agent_prelogin_parse((const char *) data, size, &p, &err) != 0) {
        if (err.code == SCEP_OK) {
            abort();
        }

        return 0;
    }

    agent_prelogin_free(&p);

    return 0;
}
