/*
 * A library preloaded into nginx by tools/shutdown_stress.py --linger: a
 * process that exits lingers LINGER_MS after its atexit handlers, and
 * dlclose() unloads nothing.  A pool thread that is still running when
 * its worker exits then gets the time to touch what the exit freed, and
 * a sanitizer the time to write its whole report with the module's
 * function names, instead of a first line cut by _exit().
 */

#include <stdlib.h>
#include <time.h>


#ifndef LINGER_MS
#define LINGER_MS  1500
#endif


int
dlclose(void *handle)
{
    (void) handle;

    return 0;
}


static void
exit_linger(void)
{
    struct timespec  ts;

    ts.tv_sec = LINGER_MS / 1000;
    ts.tv_nsec = (LINGER_MS % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}


/* registered before nginx's and OpenSSL's: it runs after them */
__attribute__((constructor))
static void
exit_linger_init(void)
{
    atexit(exit_linger);
}
