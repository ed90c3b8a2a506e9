#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agent-proto/gp_buf.h"
#include "agent_log.h"


#define AGENT_LOG_LINE_MAX  2048


static int  agent_verbose;


void
agent_log_set_verbose(int verbose)
{
    agent_verbose = verbose;
}


/*
 * Messages often quote what the portal or the PKI said: every one is
 * printed as untrusted text.
 */
static void
agent_log_print(const char *prefix, const char *fmt, va_list ap)
{
    char  line[AGENT_LOG_LINE_MAX];

    vsnprintf(line, sizeof(line), fmt, ap);

    fputs(prefix, stderr);
    agent_log_untrusted(stderr, line);
    fputc('\n', stderr);
}


void
agent_log_error(const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    agent_log_print(AGENT_PROGRAM ": ", fmt, ap);
    va_end(ap);
}


void
agent_log_warn(const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    agent_log_print(AGENT_PROGRAM ": warning: ", fmt, ap);
    va_end(ap);
}


void
agent_log_verbose(const char *fmt, ...)
{
    va_list  ap;

    if (!agent_verbose) {
        return;
    }

    va_start(ap, fmt);
    agent_log_print(AGENT_PROGRAM ": ", fmt, ap);
    va_end(ap);
}


void
agent_log_untrusted(FILE *f, const char *s)
{
    size_t    len, n;
    uint32_t  cp;

    len = strlen(s);

    while (len > 0) {
        n = gp_utf8_next(s, len, &cp);

        if (cp == GP_UTF8_INVALID || cp < 0x20 || cp == 0x7f
            || (cp >= 0x80 && cp < 0xa0) || cp == 0xfffe || cp == 0xffff)
        {
            fputc('?', f);

        } else {
            fwrite(s, 1, n, f);
        }

        s += n;
        len -= n;
    }
}
