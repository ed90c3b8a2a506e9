#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent_log.h"
#include "agent_signal.h"


static char                   agent_tracked[AGENT_SIGNAL_SLOTS][PATH_MAX];
static volatile sig_atomic_t  agent_tracked_on[AGENT_SIGNAL_SLOTS];
static char                   agent_dir[PATH_MAX];
static volatile sig_atomic_t  agent_dir_on;
static char                   agent_note[PATH_MAX + 128];
static volatile sig_atomic_t  agent_note_on;


static void agent_signal_handler(int signo);
static void agent_signal_write(const char *s);


void
agent_signal_init(void)
{
    struct sigaction  sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = agent_signal_handler;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);

    (void) sigaction(SIGINT, &sa, NULL);
    (void) sigaction(SIGTERM, &sa, NULL);
    (void) sigaction(SIGHUP, &sa, NULL);
}


int
agent_signal_track(const char *path)
{
    int  i;

    if (strlen(path) >= PATH_MAX) {
        return -1;
    }

    for (i = 0; i < AGENT_SIGNAL_SLOTS; i++) {
        if (!agent_tracked_on[i]) {
            memcpy(agent_tracked[i], path, strlen(path) + 1);
            agent_tracked_on[i] = 1;
            return i;
        }
    }

    return -1;
}


void
agent_signal_untrack(int slot)
{
    if (slot >= 0 && slot < AGENT_SIGNAL_SLOTS) {
        agent_tracked_on[slot] = 0;
    }
}


void
agent_signal_created_dir(const char *path)
{
    agent_dir_on = 0;

    if (path[0] != '\0' && strlen(path) < PATH_MAX) {
        memcpy(agent_dir, path, strlen(path) + 1);
        agent_dir_on = 1;
    }
}


void
agent_signal_note(const char *note)
{
    agent_note_on = 0;

    if (note != NULL) {
        snprintf(agent_note, sizeof(agent_note), "%s", note);
        agent_note_on = 1;
    }
}


static void
agent_signal_handler(int signo)
{
    int          i;
    const char  *name;

    for (i = 0; i < AGENT_SIGNAL_SLOTS; i++) {
        if (agent_tracked_on[i]) {
            (void) unlink(agent_tracked[i]);
        }
    }

    /* fails, as it should, unless the directory is still empty */
    if (agent_dir_on) {
        (void) rmdir(agent_dir);
    }

    name = (signo == SIGINT) ? "SIGINT" : (signo == SIGTERM) ? "SIGTERM"
                                                             : "SIGHUP";

    agent_signal_write("\n" AGENT_PROGRAM ": interrupted by ");
    agent_signal_write(name);
    agent_signal_write("; no file was left half-written");

    if (agent_note_on) {
        agent_signal_write("; ");
        agent_signal_write(agent_note);
    }

    agent_signal_write("\n");

    _exit(128 + signo);
}


static void
agent_signal_write(const char *s)
{
    size_t   len;
    ssize_t  n;

    len = strlen(s);

    while (len > 0) {
        n = write(STDERR_FILENO, s, len);
        if (n <= 0) {
            return;
        }

        s += n;
        len -= (size_t) n;
    }
}
