/*
 * Ctrl-C and SIGTERM: the agent stops at once, with a message, and
 * leaves no half-written file behind.  Files being written are
 * registered while they are temporary; the handler removes them (and
 * the directory, when this run created it and it is still empty), says
 * what happened and exits with 128 + the signal's number, as a shell
 * reports a process ended by a signal.
 *
 * Everything the handler does is async-signal-safe: unlink(), rmdir(),
 * write(), _exit().  What was already renamed into place is whole and
 * stays: a pending request saved before the wait is resumed next time.
 */

#ifndef AGENT_SIGNAL_H
#define AGENT_SIGNAL_H


#define AGENT_SIGNAL_SLOTS  8


/* Installs the handlers for SIGINT, SIGTERM and SIGHUP. */
void agent_signal_init(void);

/*
 * Registers a temporary file to remove if a signal comes; returns its
 * slot, or -1 when all are taken (the file is then not registered).
 */
int agent_signal_track(const char *path);

/* The file is renamed or removed: forget it. */
void agent_signal_untrack(int slot);

/*
 * A directory this run created: removed on a signal if still empty
 * ("": none any more).
 */
void agent_signal_created_dir(const char *path);

/*
 * What the handler adds to its message, e.g. "the pending request is
 * kept in DIR"; NULL for nothing.  The text is copied.
 */
void agent_signal_note(const char *note);


#endif /* AGENT_SIGNAL_H */
