#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dir_cache.h"
#include "dir_strings.h"


typedef struct dir_cache_entry_s  dir_cache_entry_t;

struct dir_cache_entry_s {
    dir_cache_entry_t   *chain;         /* next in the same bucket */
    dir_cache_entry_t   *older;
    dir_cache_entry_t   *newer;
    size_t               hash;
    long                 expires;
    char                *dn;
    char               **groups;
    size_t               ngroups;
    char               **mails;
    size_t               nmails;
};

struct dir_cache_s {
    pthread_mutex_t      mutex;
    long                 ttl;
    size_t               max_entries;
    size_t               count;
    dir_clock_pt         clock;
    dir_cache_entry_t  **buckets;
    size_t               nbuckets;      /* a power of two */
    dir_cache_entry_t   *oldest;
    dir_cache_entry_t   *newest;
};


static long
dir_cache_monotonic_clock(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long) ts.tv_sec;
}


/* FNV-1a */
static size_t
dir_cache_hash(const char *dn)
{
    size_t  h;

    h = (size_t) 2166136261u;

    while (*dn != '\0') {
        h ^= (unsigned char) *dn++;
        h *= (size_t) 16777619u;
    }

    return h;
}


dir_cache_t *
dir_cache_create(long ttl_s, size_t max_entries, dir_clock_pt clock)
{
    dir_cache_t  *cache;

    if (ttl_s <= 0 || max_entries == 0) {
        return NULL;
    }

    cache = calloc(1, sizeof(dir_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    /* about one entry a bucket when full */
    cache->nbuckets = 16;
    while (cache->nbuckets < max_entries) {
        cache->nbuckets *= 2;
    }

    cache->buckets = calloc(cache->nbuckets, sizeof(dir_cache_entry_t *));
    if (cache->buckets == NULL) {
        free(cache);
        return NULL;
    }

    if (pthread_mutex_init(&cache->mutex, NULL) != 0) {
        free(cache->buckets);
        free(cache);
        return NULL;
    }

    cache->ttl = ttl_s;
    cache->max_entries = max_entries;
    cache->clock = clock != NULL ? clock : dir_cache_monotonic_clock;

    return cache;
}


static void
dir_cache_entry_free(dir_cache_entry_t *entry)
{
    dir_strings_array_free(entry->groups, entry->ngroups);
    dir_strings_array_free(entry->mails, entry->nmails);
    free(entry->dn);
    free(entry);
}


void
dir_cache_destroy(dir_cache_t *cache)
{
    dir_cache_entry_t  *entry, *newer;

    if (cache == NULL) {
        return;
    }

    for (entry = cache->oldest; entry != NULL; entry = newer) {
        newer = entry->newer;
        dir_cache_entry_free(entry);
    }

    pthread_mutex_destroy(&cache->mutex);
    free(cache->buckets);
    free(cache);
}


static dir_cache_entry_t *
dir_cache_find(dir_cache_t *cache, const char *dn, size_t hash)
{
    dir_cache_entry_t  *entry;

    entry = cache->buckets[hash & (cache->nbuckets - 1)];

    while (entry != NULL) {
        if (entry->hash == hash && strcmp(entry->dn, dn) == 0) {
            return entry;
        }

        entry = entry->chain;
    }

    return NULL;
}


static void
dir_cache_unlink(dir_cache_t *cache, dir_cache_entry_t *entry)
{
    dir_cache_entry_t  **slot;

    slot = &cache->buckets[entry->hash & (cache->nbuckets - 1)];

    while (*slot != entry) {
        slot = &(*slot)->chain;
    }

    *slot = entry->chain;

    if (entry->older != NULL) {
        entry->older->newer = entry->newer;

    } else {
        cache->oldest = entry->newer;
    }

    if (entry->newer != NULL) {
        entry->newer->older = entry->older;

    } else {
        cache->newest = entry->older;
    }

    cache->count--;
}


static void
dir_cache_link(dir_cache_t *cache, dir_cache_entry_t *entry)
{
    dir_cache_entry_t  **slot;

    slot = &cache->buckets[entry->hash & (cache->nbuckets - 1)];
    entry->chain = *slot;
    *slot = entry;

    entry->older = cache->newest;
    entry->newer = NULL;

    if (cache->newest != NULL) {
        cache->newest->newer = entry;

    } else {
        cache->oldest = entry;
    }

    cache->newest = entry;
    cache->count++;
}


/*
 * Every entry lives the same ttl, so the oldest is also the first to
 * expire and pruning stops at the first live one.
 */
static void
dir_cache_prune(dir_cache_t *cache, long now)
{
    dir_cache_entry_t  *entry;

    while (cache->oldest != NULL && cache->oldest->expires <= now) {
        entry = cache->oldest;
        dir_cache_unlink(cache, entry);
        dir_cache_entry_free(entry);
    }
}


int
dir_cache_get(dir_cache_t *cache, const char *dn, dir_user_t *user)
{
    int                 rc;
    size_t              hash;
    dir_strings_t          groups, mails;
    dir_cache_entry_t  *entry;

    memset(&groups, 0, sizeof(dir_strings_t));
    memset(&mails, 0, sizeof(dir_strings_t));

    hash = dir_cache_hash(dn);
    rc = 0;

    pthread_mutex_lock(&cache->mutex);

    dir_cache_prune(cache, cache->clock());

    entry = dir_cache_find(cache, dn, hash);

    if (entry != NULL) {
        rc = 1;

        if (dir_strings_copy(&groups, entry->groups, entry->ngroups) != 0
            || dir_strings_copy(&mails, entry->mails, entry->nmails) != 0)
        {
            rc = -1;
        }
    }

    pthread_mutex_unlock(&cache->mutex);

    if (rc != 1) {
        dir_strings_free(&groups);
        dir_strings_free(&mails);
        return rc;
    }

    user->groups = dir_strings_release(&groups, &user->ngroups);
    user->mails = dir_strings_release(&mails, &user->nmails);

    return 1;
}


int
dir_cache_put(dir_cache_t *cache, const char *dn, const dir_user_t *user)
{
    long                now;
    dir_strings_t          groups, mails;
    dir_cache_entry_t  *entry, *old;

    memset(&groups, 0, sizeof(dir_strings_t));
    memset(&mails, 0, sizeof(dir_strings_t));

    entry = calloc(1, sizeof(dir_cache_entry_t));
    if (entry == NULL) {
        return -1;
    }

    entry->dn = strdup(dn);

    if (entry->dn == NULL
        || dir_strings_copy(&groups, user->groups, user->ngroups) != 0
        || dir_strings_copy(&mails, user->mails, user->nmails) != 0)
    {
        dir_strings_free(&groups);
        dir_cache_entry_free(entry);
        return -1;
    }

    entry->groups = dir_strings_release(&groups, &entry->ngroups);
    entry->mails = dir_strings_release(&mails, &entry->nmails);
    entry->hash = dir_cache_hash(dn);

    pthread_mutex_lock(&cache->mutex);

    now = cache->clock();
    entry->expires = now + cache->ttl;

    dir_cache_prune(cache, now);

    old = dir_cache_find(cache, dn, entry->hash);
    if (old != NULL) {
        dir_cache_unlink(cache, old);
        dir_cache_entry_free(old);
    }

    if (cache->count >= cache->max_entries) {
        old = cache->oldest;
        dir_cache_unlink(cache, old);
        dir_cache_entry_free(old);
    }

    dir_cache_link(cache, entry);

    pthread_mutex_unlock(&cache->mutex);

    return 0;
}


size_t
dir_cache_count(dir_cache_t *cache)
{
    size_t  count;

    pthread_mutex_lock(&cache->mutex);
    count = cache->count;
    pthread_mutex_unlock(&cache->mutex);

    return count;
}
