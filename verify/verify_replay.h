/*
 * Single use: the nonce of every challenge accepted is recorded in a
 * directory until the challenge expires, one file per nonce, named by
 * the nonce in hex and holding
 *
 *     1 <expiry, Unix seconds> <profile>\n
 *
 * A record is written whole under a temporary name (".tmp-...") and
 * link(2)ed to its name: the link fails if the name exists, so of two
 * verifiers racing with one challenge, exactly one wins, and no reader
 * ever sees half a record.  Records are pruned a minute after their
 * challenge expires (the expiry is checked before the record, so a
 * pruned challenge is refused as expired anyway).
 */

#ifndef VERIFY_REPLAY_H
#define VERIFY_REPLAY_H

#include <stddef.h>

#include "scep/scep_bound.h"


/* Bytes of a record file that are read; a longer one is refused. */
#define VERIFY_REPLAY_RECORD_MAX  128

/* Seconds a record outlives its challenge. */
#define VERIFY_REPLAY_MARGIN      60


typedef enum {
    VERIFY_REPLAY_FIRST = 0,    /* recorded now */
    VERIFY_REPLAY_USED,         /* recorded before: a replay */
    VERIFY_REPLAY_ERROR         /* cannot tell: refuse */
} verify_replay_t;


/*
 * Records the challenge's nonce in dir, unless it is there already.  On
 * VERIFY_REPLAY_ERROR, why says what failed (size bytes).
 */
verify_replay_t verify_replay_record(const char *dir, const scep_bound_t *b,
    char *why, size_t size);

/* Removes the records of challenges expired before now; how many. */
int verify_replay_prune(const char *dir, long long now);

/*
 * Reads a record's content: 0 and its expiry, or -1.  The content is
 * untrusted (anyone with write access to the directory wrote it).
 */
int verify_replay_parse(const char *buf, size_t len, long long *expires);


#endif /* VERIFY_REPLAY_H */
