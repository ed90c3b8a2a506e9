
/*
 * Enrollments the CA left PENDING, kept in shared memory until the user
 * logs in again (through any worker): the serialized transaction, with
 * its private key, found by a hash of profile and username.  A reload
 * keeps them, a restart does not, and no other portal sees them: with
 * scep_store and scep_key_file they are kept sealed on disk instead
 * (ngx_http_scep_pending_store.c), and this zone is not made.
 *
 * Only the event loop touches this memory.  Entries expire, the oldest
 * make room for new ones, and every entry is wiped before it is freed.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_scep_module.h"


#define NGX_HTTP_SCEP_PENDING_SIZE  (1024 * 1024)
#define NGX_HTTP_SCEP_PENDING_MAX   (64 * 1024)


typedef struct {
    ngx_rbtree_node_t        node;      /* key: the hash's first bytes */
    ngx_queue_t              queue;     /* oldest first */
    u_char                   hash[32];
    time_t                   expires;
    size_t                   len;
    u_char                   data[1];
} ngx_http_scep_pending_node_t;

typedef struct {
    ngx_rbtree_t             rbtree;
    ngx_rbtree_node_t        sentinel;
    ngx_queue_t              queue;
} ngx_http_scep_pending_sh_t;

struct ngx_http_scep_pending_s {
    ngx_http_scep_pending_sh_t  *sh;
    ngx_slab_pool_t             *shpool;
    time_t                       ttl;
};


static ngx_int_t ngx_http_scep_pending_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_scep_pending_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_http_scep_pending_node_t *ngx_http_scep_pending_find(
    ngx_http_scep_pending_t *pending, u_char *hash);
static void ngx_http_scep_pending_free(ngx_http_scep_pending_t *pending,
    ngx_http_scep_pending_node_t *pn);
static void ngx_http_scep_pending_expire(ngx_http_scep_pending_t *pending,
    ngx_uint_t force);
static ngx_int_t ngx_http_scep_pending_hash(const char *key, u_char *hash);


/* scep_pending_cache size [ttl]; */

char *
ngx_http_scep_pending_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_main_conf_t *smcf = conf;

    ssize_t     size;
    time_t      ttl;
    ngx_str_t  *value;

    if (smcf->pending_size != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[1]);
    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "scep_pending_cache: invalid size \"%V\", "
                           "give at least %uz", &value[1], 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    ttl = NGX_HTTP_SCEP_PENDING_TTL;

    if (cf->args->nelts == 3) {
        ttl = ngx_parse_time(&value[2], 1);
        if (ttl == (time_t) NGX_ERROR || ttl == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "scep_pending_cache: invalid time \"%V\"",
                               &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    smcf->pending_size = size;
    smcf->pending_ttl = ttl;

    return NGX_CONF_OK;
}


/*
 * The zone exists only when a profile enrolls for its users, and they
 * are not kept in scep_store.
 */

/* pending requests exist in enroll mode only */
ngx_uint_t
ngx_http_scep_has_enroll_profile(ngx_http_scep_main_conf_t *smcf)
{
    ngx_uint_t                 i;
    ngx_http_scep_profile_t  **profiles;

    profiles = smcf->profiles.elts;

    for (i = 0; i < smcf->profiles.nelts; i++) {
        if (profiles[i]->profile.mode == SCEP_MODE_ENROLL) {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_scep_pending_init_conf(ngx_conf_t *cf,
    ngx_http_scep_main_conf_t *smcf)
{
    ngx_str_t                  name = ngx_string("scep_pending");
    ngx_uint_t                 enroll;
    ngx_shm_zone_t            *shm_zone;

    enroll = ngx_http_scep_has_enroll_profile(smcf);

    if (!enroll || smcf->pending_store != NULL) {
        return NGX_OK;
    }

    if (smcf->pending_size == NGX_CONF_UNSET) {
        smcf->pending_size = NGX_HTTP_SCEP_PENDING_SIZE;
        smcf->pending_ttl = NGX_HTTP_SCEP_PENDING_TTL;
    }

    smcf->pending = ngx_pcalloc(cf->pool, sizeof(ngx_http_scep_pending_t));
    if (smcf->pending == NULL) {
        return NGX_ERROR;
    }

    smcf->pending->ttl = smcf->pending_ttl;

    shm_zone = ngx_shared_memory_add(cf, &name, smcf->pending_size,
                                     &ngx_http_scep_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_scep_pending_init_zone;
    shm_zone->data = smcf->pending;

    return NGX_OK;
}


static ngx_int_t
ngx_http_scep_pending_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_scep_pending_t  *opending = data;

    ngx_http_scep_pending_t  *pending;

    pending = shm_zone->data;
    pending->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    /* a reload keeps the pending enrollments */
    if (opending) {
        pending->sh = opending->sh;
        return NGX_OK;
    }

    if (shm_zone->shm.exists) {
        pending->sh = pending->shpool->data;
        return NGX_OK;
    }

    pending->sh = ngx_slab_alloc(pending->shpool,
                                 sizeof(ngx_http_scep_pending_sh_t));
    if (pending->sh == NULL) {
        return NGX_ERROR;
    }

    pending->shpool->data = pending->sh;

    ngx_rbtree_init(&pending->sh->rbtree, &pending->sh->sentinel,
                    ngx_http_scep_pending_insert);
    ngx_queue_init(&pending->sh->queue);

    pending->shpool->log_nomem = 0;

    return NGX_OK;
}


/* A copy of the entry in pool, wiped with it; NULL when there is none. */

u_char *
ngx_http_scep_pending_get(ngx_http_scep_pending_t *pending, const char *key,
    ngx_pool_t *pool, size_t *len)
{
    u_char                        *copy, hash[32];
    ngx_http_scep_pending_node_t  *pn;

    if (ngx_http_scep_pending_hash(key, hash) != NGX_OK) {
        return NULL;
    }

    copy = NULL;

    ngx_shmtx_lock(&pending->shpool->mutex);

    ngx_http_scep_pending_expire(pending, 0);

    pn = ngx_http_scep_pending_find(pending, hash);

    if (pn != NULL) {
        copy = ngx_pnalloc(pool, pn->len);
        if (copy != NULL) {
            ngx_memcpy(copy, pn->data, pn->len);
            *len = pn->len;
        }
    }

    ngx_shmtx_unlock(&pending->shpool->mutex);

    return copy;
}


ngx_int_t
ngx_http_scep_pending_put(ngx_http_scep_pending_t *pending, const char *key,
    const u_char *data, size_t len, ngx_log_t *log)
{
    u_char                        hash[32];
    ngx_uint_t                    tries;
    ngx_http_scep_pending_node_t *pn;

    if (len > NGX_HTTP_SCEP_PENDING_MAX
        || ngx_http_scep_pending_hash(key, hash) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&pending->shpool->mutex);

    pn = ngx_http_scep_pending_find(pending, hash);
    if (pn != NULL) {
        ngx_http_scep_pending_free(pending, pn);
    }

    for (tries = 0; /* void */; tries++) {
        pn = ngx_slab_alloc_locked(pending->shpool,
                                   offsetof(ngx_http_scep_pending_node_t,
                                            data)
                                   + len);
        if (pn != NULL || tries == 8) {
            break;
        }

        /* make room: the oldest entries go first */
        ngx_http_scep_pending_expire(pending, 1);
    }

    if (pn == NULL) {
        ngx_shmtx_unlock(&pending->shpool->mutex);

        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "scep_pending_cache is full: a pending enrollment "
                      "cannot be kept, the user's next login starts anew");
        return NGX_ERROR;
    }

    ngx_memcpy(pn->hash, hash, sizeof(hash));
    ngx_memcpy(&pn->node.key, hash, sizeof(ngx_rbtree_key_t));
    pn->expires = ngx_time() + pending->ttl;
    pn->len = len;
    ngx_memcpy(pn->data, data, len);

    ngx_rbtree_insert(&pending->sh->rbtree, &pn->node);
    ngx_queue_insert_tail(&pending->sh->queue, &pn->queue);

    ngx_shmtx_unlock(&pending->shpool->mutex);

    return NGX_OK;
}


void
ngx_http_scep_pending_delete(ngx_http_scep_pending_t *pending,
    const char *key)
{
    u_char                         hash[32];
    ngx_http_scep_pending_node_t  *pn;

    if (ngx_http_scep_pending_hash(key, hash) != NGX_OK) {
        return;
    }

    ngx_shmtx_lock(&pending->shpool->mutex);

    pn = ngx_http_scep_pending_find(pending, hash);
    if (pn != NULL) {
        ngx_http_scep_pending_free(pending, pn);
    }

    ngx_shmtx_unlock(&pending->shpool->mutex);
}


/* For the status page: the entries kept, expired ones removed first. */

ngx_uint_t
ngx_http_scep_pending_count(ngx_http_scep_pending_t *pending)
{
    ngx_uint_t    n;
    ngx_queue_t  *q;

    n = 0;

    ngx_shmtx_lock(&pending->shpool->mutex);

    ngx_http_scep_pending_expire(pending, 0);

    for (q = ngx_queue_head(&pending->sh->queue);
         q != ngx_queue_sentinel(&pending->sh->queue);
         q = ngx_queue_next(q))
    {
        n++;
    }

    ngx_shmtx_unlock(&pending->shpool->mutex);

    return n;
}


static ngx_http_scep_pending_node_t *
ngx_http_scep_pending_find(ngx_http_scep_pending_t *pending, u_char *hash)
{
    ngx_int_t                      rc;
    ngx_rbtree_key_t               key;
    ngx_rbtree_node_t             *node, *sentinel;
    ngx_http_scep_pending_node_t  *pn;

    ngx_memcpy(&key, hash, sizeof(ngx_rbtree_key_t));

    node = pending->sh->rbtree.root;
    sentinel = pending->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (key != node->key) {
            node = (key < node->key) ? node->left : node->right;
            continue;
        }

        pn = (ngx_http_scep_pending_node_t *) node;
        rc = ngx_memcmp(hash, pn->hash, sizeof(pn->hash));

        if (rc == 0) {
            return pn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_scep_pending_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t             **p;
    ngx_http_scep_pending_node_t   *pn, *pnt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            pn = (ngx_http_scep_pending_node_t *) node;
            pnt = (ngx_http_scep_pending_node_t *) temp;

            p = (ngx_memcmp(pn->hash, pnt->hash, sizeof(pn->hash)) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* Removes expired entries; with force, the oldest one in any case. */

static void
ngx_http_scep_pending_expire(ngx_http_scep_pending_t *pending,
    ngx_uint_t force)
{
    time_t                         now;
    ngx_queue_t                   *q;
    ngx_http_scep_pending_node_t  *pn;

    now = ngx_time();

    while (!ngx_queue_empty(&pending->sh->queue)) {
        q = ngx_queue_head(&pending->sh->queue);
        pn = ngx_queue_data(q, ngx_http_scep_pending_node_t, queue);

        if (!force && pn->expires > now) {
            return;
        }

        ngx_http_scep_pending_free(pending, pn);

        if (force) {
            return;
        }
    }
}


static void
ngx_http_scep_pending_free(ngx_http_scep_pending_t *pending,
    ngx_http_scep_pending_node_t *pn)
{
    ngx_rbtree_delete(&pending->sh->rbtree, &pn->node);
    ngx_queue_remove(&pn->queue);

    /* the entry holds a private key */
    OPENSSL_cleanse(pn->data, pn->len);

    ngx_slab_free_locked(pending->shpool, pn);
}


static ngx_int_t
ngx_http_scep_pending_hash(const char *key, u_char *hash)
{
    unsigned int  len;

    if (EVP_Digest(key, ngx_strlen(key), hash, &len, EVP_sha256(), NULL)
        != 1)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
