/*
 * agent_state_parse: the agent's state file as it reads it back from its
 * directory, where a crash, a full disk or a person's editor may have
 * left anything.  What is accepted must format and read back the same.
 */

#include "agent/agent_state.h"
#include "fuzz/fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char           buf[AGENT_STATE_MAX_LEN];
    size_t         len;
    scep_error_t   err;
    agent_state_t  s, back;

    if (agent_state_parse((const char *) data, size, &s, &err) != 0) {
        if (err.message[0] == '\0') {
            abort();
        }

        return 0;
    }

    len = agent_state_format(&s, buf, sizeof(buf));

    /* what was read fits: every value is bounded below the file's size */
    if (len == 0 || agent_state_parse(buf, len, &back, &err) != 0
        || memcmp(&s, &back, sizeof(s)) != 0)
    {
        abort();
    }

    return 0;
}
