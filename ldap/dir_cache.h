/*
 * A time-limited cache of the groups and mails of a user, keyed by the
 * user's DN, so that repeated logins do not repeat group searches.  It
 * never holds a password or the outcome of a bind: a login always binds.
 *
 * Entries live ttl seconds; when max_entries are held the oldest goes.
 * All calls may come from several threads at once.
 */

#ifndef DIR_CACHE_H
#define DIR_CACHE_H

#include <stddef.h>

#include "dir.h"


/* Seconds on a clock that never goes back. */
typedef long (*dir_clock_pt)(void);

typedef struct dir_cache_s  dir_cache_t;


/* clock may be NULL for CLOCK_MONOTONIC. */
dir_cache_t *dir_cache_create(long ttl_s, size_t max_entries,
    dir_clock_pt clock);
void dir_cache_destroy(dir_cache_t *cache);

/*
 * On a hit, fills user->groups and user->mails with copies and returns 1;
 * returns 0 on a miss, -1 when memory ran out.
 */
int dir_cache_get(dir_cache_t *cache, const char *dn, dir_user_t *user);

/* Stores copies of user->groups and user->mails; returns 0, or -1. */
int dir_cache_put(dir_cache_t *cache, const char *dn, const dir_user_t *user);

size_t dir_cache_count(dir_cache_t *cache);


#endif /* DIR_CACHE_H */
