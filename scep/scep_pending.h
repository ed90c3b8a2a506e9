/*
 * Pending enrollments kept on disk, in a directory that several portals
 * may share (scep_store's "pending", on an NFS mount say): one sealed
 * record (scep_seal.h) per user and profile, so that the request
 * survives a restart of the portal and any portal holding the key
 * resumes it.
 *
 *   <dir>/                 mode 0700, made by the first put
 *   <dir>/<64 hex digits>  a record, mode 0600
 *   <dir>/.tmp-XXXXXX      a record being written, renamed into place
 *
 * A record's key is "<profile>\n<username>"; its context (what it is
 * sealed for) is "pending\n" and the key; its file name is the
 * HMAC-SHA-256 of that context under a key's name key, in hex: the
 * directory's listing says nothing of who is waiting.  Each key names
 * differently, so a lookup tries the name under every key of the ring,
 * and a put writes under the first key's name and removes the others
 * (rotation).  When two portals write the same user's record at once,
 * the last rename wins.
 *
 * Every call blocks on the file system: the module makes them in a
 * thread-pool job.
 */

#ifndef SCEP_PENDING_H
#define SCEP_PENDING_H

#include <stddef.h>
#include <time.h>

#include "scep_error.h"
#include "scep_keyring.h"


#define SCEP_PENDING_NAME_LEN  64

/* How long a temporary file may lie before a sweep takes it for lost. */
#define SCEP_PENDING_TMP_AGE   3600


typedef struct {
    const char            *dir;
    const scep_keyring_t  *keys;     /* keys[0] seals, every key opens */
    long                   ttl;      /* seconds a record is kept */
} scep_pending_store_t;


/* The file name of key under ring->keys[i]: 64 hex digits and a NUL. */
int scep_pending_name(const scep_keyring_t *ring, size_t i, const char *key,
    char name[SCEP_PENDING_NAME_LEN + 1]);

/*
 * The record of key.  1: found; *data is malloc'd, and the caller wipes
 * it (OPENSSL_cleanse) before free().  0: none; an expired record is
 * wiped and removed on the way.  -1: a record is there that cannot be
 * read or opened (err says why: changed, or sealed with a key that is
 * no longer listed); there is nothing to resume.
 */
int scep_pending_get(const scep_pending_store_t *st, const char *key,
    time_t now, unsigned char **data, size_t *len, scep_error_t *err);

/* Keeps data as the record of key, good for st->ttl from now. */
int scep_pending_put(const scep_pending_store_t *st, const char *key,
    time_t now, const unsigned char *data, size_t len, scep_error_t *err);

/* Removes and wipes every record of key (under every key's name). */
int scep_pending_delete(const scep_pending_store_t *st, const char *key,
    scep_error_t *err);

/*
 * Removes and wipes the records whose header says they expired by now,
 * whichever key sealed them, and temporary files older than
 * SCEP_PENDING_TMP_AGE (a write that was cut short); *removed counts
 * them.  A missing directory has nothing to sweep.
 */
int scep_pending_sweep(const scep_pending_store_t *st, time_t now,
    size_t *removed, scep_error_t *err);


#endif /* SCEP_PENDING_H */
