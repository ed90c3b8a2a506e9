
/*
 * ngx_http_scep_module: shared configuration types of the nginx glue.
 */


#ifndef _NGX_HTTP_SCEP_MODULE_H_INCLUDED_
#define _NGX_HTTP_SCEP_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "agent-proto/gp_ticket.h"
#include "ldap/dir.h"
#include "portal/portal.h"
#include "portal/portal_admin.h"
#include "scep/scep_keyring.h"
#include "scep/scep_pending.h"
#include "scep/scep_pki.h"
#include "scep/scep_profile.h"


/*
 * "scep_profile" and "scep_directory" blocks share one parser: a table of
 * sub-directives, each remembered with the line it was set on, so that an
 * error found when the block is checked as a whole still points at the
 * line to fix.
 */

/* A login is answered within this, whatever the queue and backends do. */
#define NGX_HTTP_SCEP_LOGIN_TIMEOUT  30000

/* How long a pending enrollment is kept, in seconds (scep_pending_cache). */
#define NGX_HTTP_SCEP_PENDING_TTL    (24 * 3600)


typedef struct ngx_http_scep_block_s  ngx_http_scep_block_t;

typedef struct ngx_http_scep_sub_s  ngx_http_scep_sub_t;

typedef char *(*ngx_http_scep_sub_set_pt)(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_http_scep_sub_t *sub, void *conf);

/* Which profile modes a sub-directive applies to; 0: every mode. */
#define NGX_HTTP_SCEP_FOR_PUSH    (1 << SCEP_MODE_PUSH)
#define NGX_HTTP_SCEP_FOR_ENROLL  (1 << SCEP_MODE_ENROLL)
#define NGX_HTTP_SCEP_FOR_PROXY   (1 << SCEP_MODE_PROXY)

struct ngx_http_scep_sub_s {
    ngx_str_t                  name;
    ngx_uint_t                 nargs_min;
    ngx_uint_t                 nargs_max;
    ngx_uint_t                 repeat;     /* may be given more than once */
    ngx_uint_t                 modes;      /* NGX_HTTP_SCEP_FOR_*, or 0 */
    ngx_http_scep_sub_set_pt   set;
    size_t                     offset;     /* into the block's struct */
};

/*
 * A sub-directive's setter and the offset of the field it writes, with
 * the field's type checked at compile time against what the setter
 * writes: a table row cannot pair a setter with a field of another type.
 */
#define ngx_http_scep_checked_offset(type, field, ftype)                      \
    (offsetof(type, field)                                                    \
     + 0 * sizeof(char [__builtin_types_compatible_p(                         \
                            __typeof__(((type *) 0)->field), ftype) ? 1 : -1]))

#define ngx_http_scep_string_slot(type, field)                                \
    ngx_http_scep_sub_string,                                                 \
    ngx_http_scep_checked_offset(type, field, const char *)

#define ngx_http_scep_path_slot(type, field)                                  \
    ngx_http_scep_sub_path,                                                   \
    ngx_http_scep_checked_offset(type, field, const char *)

#define ngx_http_scep_secret_file_slot(type, field)                           \
    ngx_http_scep_sub_secret_file,                                            \
    ngx_http_scep_checked_offset(type, field, const char *)

#define ngx_http_scep_msec_slot(type, field)                                  \
    ngx_http_scep_sub_msec,                                                   \
    ngx_http_scep_checked_offset(type, field, long)

#define ngx_http_scep_sec_slot(type, field)                                   \
    ngx_http_scep_sub_sec,                                                    \
    ngx_http_scep_checked_offset(type, field, long)

#define ngx_http_scep_int_slot(type, field)                                   \
    ngx_http_scep_sub_int,                                                    \
    ngx_http_scep_checked_offset(type, field, int)

#define ngx_http_scep_size_slot(type, field)                                  \
    ngx_http_scep_sub_size,                                                   \
    ngx_http_scep_checked_offset(type, field, size_t)

#define ngx_http_scep_flag_slot(type, field)                                  \
    ngx_http_scep_sub_flag,                                                   \
    ngx_http_scep_checked_offset(type, field, int)

#define ngx_http_scep_list_slot(type, field)                                  \
    ngx_http_scep_sub_list,                                                   \
    ngx_http_scep_checked_offset(type, field, ngx_array_t)

struct ngx_http_scep_block_s {
    const char                *kind;       /* "scep_profile" */
    ngx_str_t                  name;
    ngx_str_t                  file;
    ngx_uint_t                 line;
    ngx_http_scep_sub_t       *subs;
    ngx_uint_t                *lines;      /* per sub-directive, 0: unset */
    void                      *conf;       /* the struct offsets are into */
};


/*
 * The blocks as configured: read-only once the configuration is loaded.
 * What a worker process makes of them when it starts (a profile's CA
 * certificate and key pool, a directory's connections) is its own, found
 * by the block's index (ngx_http_scep_worker.c).
 */

typedef struct {
    ngx_http_scep_block_t      block;
    scep_profile_t             profile;
    ngx_uint_t                 index;      /* in the main conf's profiles */
} ngx_http_scep_profile_t;


typedef struct {
    ngx_http_scep_block_t      block;
    dir_config_t               config;
    ngx_array_t                urls;       /* of char * */
    ngx_array_t                mail_attrs; /* of char * */
    ngx_array_t                domains;    /* of char * */
    ngx_uint_t                 index;      /* in the main conf's directories */
} ngx_http_scep_directory_t;


/* A name used in a location, resolved once every block is known. */
typedef struct {
    ngx_str_t                  name;
    ngx_str_t                  file;
    ngx_uint_t                 line;
    const char                *directive;
    void                     **target;
    ngx_uint_t                 directory;  /* 1: a directory, 0: a profile */
} ngx_http_scep_ref_t;


typedef struct ngx_http_scep_pending_s  ngx_http_scep_pending_t;
typedef struct ngx_http_scep_status_conf_s  ngx_http_scep_status_conf_t;

typedef struct {
    ngx_array_t                profiles;     /* ngx_http_scep_profile_t * */
    ngx_array_t                directories;  /* ngx_http_scep_directory_t * */
    ngx_array_t                refs;         /* ngx_http_scep_ref_t */

    /* the locations of scep_portal, scep_admin and scep_proxy */
    ngx_array_t                portal_locations;  /* loc conf * */
    ngx_array_t                admin_locations;   /* loc conf * */
    ngx_array_t                proxy_locations;   /* loc conf * */

    ngx_path_t                *store;        /* scep_store */
    ngx_thread_pool_t         *thread_pool;  /* background work */

    ssize_t                    pending_size; /* scep_pending_cache */
    time_t                     pending_ttl;

    /* where pending enrollments are kept: one of them, or neither */
    ngx_http_scep_pending_t   *pending;       /* shared memory */
    scep_pending_store_t      *pending_store; /* sealed, in scep_store */

    /*
     * scep_key_file: shared with the CA's verifier and other portals;
     * without it, one key made anew with each configuration, for proxy
     * mode's tickets only.  Wiped when the configuration is released.
     */
    scep_keyring_t             keys;
    ngx_uint_t                 keys_from_files;

    ssize_t                    status_size;  /* scep_status_zone */
    ngx_uint_t                 status_used;  /* a scep_status location */
    ngx_http_scep_status_conf_t  *status;
} ngx_http_scep_main_conf_t;


typedef struct {
    ngx_str_t                  group;
    ngx_http_scep_profile_t   *profile;
} ngx_http_scep_group_profile_t;


typedef struct {
    ngx_http_scep_directory_t *directory;    /* scep_portal */
    ngx_str_t                  portal_name;
    ngx_str_t                  portal_version;
    ngx_http_scep_profile_t   *default_profile;
    ngx_array_t               *group_profiles;
    ngx_array_t               *allow_groups; /* of char * */
    ngx_array_t               *gateways;     /* of gp_gateway_t */
    ngx_array_t               *internal_gateways;
    gp_host_detection_t       *host_detection;
    ngx_thread_pool_t         *thread_pool;
    ngx_str_t                  thread_pool_name;
    ngx_msec_t                 login_timeout;

    ngx_http_scep_profile_t   *proxy_profile; /* scep_proxy */

    ngx_http_core_loc_conf_t  *core;         /* the portal's location */
    ngx_str_t                  file;         /* where scep_portal is */
    ngx_uint_t                 line;
    unsigned                   portal_set:1;
    unsigned                   admin_set:1;
    unsigned                   proxy_set:1;
    unsigned                   status_set:1;

    portal_t                  *portal;       /* built once names resolve */
} ngx_http_scep_loc_conf_t;


/* A request's context: its jobs, the admin's request, a login's outcome. */
typedef struct {
    void                      *jobs;         /* ngx_http_scep_job.c */
    void                      *admin;        /* ngx_http_scep_admin.c */
    ngx_str_t                  result;       /* $scep_result, or empty */
    ngx_str_t                  user;
    ngx_str_t                  profile;
    ngx_str_t                  serial;
} ngx_http_scep_ctx_t;


extern ngx_module_t  ngx_http_scep_module;


/* ngx_http_scep_block.c */
char *ngx_http_scep_block_name(ngx_conf_t *cf, const char *kind,
    ngx_array_t *blocks, ngx_str_t *name);
char *ngx_http_scep_block_parse(ngx_conf_t *cf, ngx_http_scep_block_t *block);
char *ngx_http_scep_block_error(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    const char *directive, const char *message);
char *ngx_http_scep_block_error_at(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, const char *directive, const char *message);
void ngx_http_scep_block_warn(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    const char *message);
ngx_int_t ngx_http_scep_block_is_set(ngx_http_scep_block_t *block,
    const char *directive);
char *ngx_http_scep_sub_string(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf);
char *ngx_http_scep_sub_path(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf);
char *ngx_http_scep_sub_secret_file(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_http_scep_sub_t *sub, void *conf);
char *ngx_http_scep_sub_msec(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf);
char *ngx_http_scep_sub_sec(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf);
char *ngx_http_scep_sub_int(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf);
char *ngx_http_scep_sub_size(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf);
char *ngx_http_scep_sub_flag(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf);
char *ngx_http_scep_sub_list(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf);
char *ngx_http_scep_block_check_modes(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_uint_t mode);
char *ngx_http_scep_conf_cstr(ngx_str_t *value);

/* ngx_http_scep_profile_conf.c */
char *ngx_http_scep_profile_block(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_scep_directory_conf.c */
char *ngx_http_scep_directory_block(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_scep_portal_conf.c */
char *ngx_http_scep_portal(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_scep_default_profile(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_scep_group_profile(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_scep_allow_group(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_scep_gateway(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_scep_portal_version(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_scep_host_detection(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_scep_portal_build(ngx_conf_t *cf,
    ngx_http_scep_loc_conf_t *slcf);
char *ngx_http_scep_ref_add(ngx_conf_t *cf, ngx_str_t *name,
    ngx_uint_t directory, void **target);
ngx_int_t ngx_http_scep_refs_resolve(ngx_conf_t *cf,
    ngx_http_scep_main_conf_t *smcf);

/* ngx_http_scep_portal.c */
ngx_int_t ngx_http_scep_portal_handler(ngx_http_request_t *r);

/* ngx_http_scep_login.c */
void ngx_http_scep_login_body(ngx_http_request_t *r);

/* ngx_http_scep_worker.c */
ngx_int_t ngx_http_scep_worker_init(ngx_cycle_t *cycle,
    ngx_http_scep_main_conf_t *smcf);
void ngx_http_scep_worker_exit(ngx_http_scep_main_conf_t *smcf);
dir_t *ngx_http_scep_worker_dir(ngx_http_scep_directory_t *directory);
scep_pki_t *ngx_http_scep_worker_pki(ngx_http_scep_main_conf_t *smcf,
    const scep_profile_t *profile);
void ngx_http_scep_worker_keys_refill(ngx_http_scep_main_conf_t *smcf,
    const scep_profile_t *profile);
const portal_admin_profile_t *ngx_http_scep_worker_admin_profiles(void);

/* ngx_http_scep_pki.c */
typedef struct ngx_http_scep_pki_s  ngx_http_scep_pki_t;

ngx_http_scep_pki_t *ngx_http_scep_pki_start(ngx_cycle_t *cycle,
    ngx_http_scep_main_conf_t *smcf, ngx_http_scep_profile_t *prof);
scep_pki_t *ngx_http_scep_pki_state(ngx_http_scep_pki_t *pki);
void ngx_http_scep_pki_keys_refill(ngx_http_scep_pki_t *pki);
void ngx_http_scep_pki_stop(ngx_http_scep_pki_t *pki);

/* ngx_http_scep_pending.c */
char *ngx_http_scep_pending_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_uint_t ngx_http_scep_has_enroll_profile(ngx_http_scep_main_conf_t *smcf);
ngx_int_t ngx_http_scep_pending_init_conf(ngx_conf_t *cf,
    ngx_http_scep_main_conf_t *smcf);
u_char *ngx_http_scep_pending_get(ngx_http_scep_pending_t *pending,
    const char *key, ngx_pool_t *pool, size_t *len);
ngx_int_t ngx_http_scep_pending_put(ngx_http_scep_pending_t *pending,
    const char *key, const u_char *data, size_t len, ngx_log_t *log);
void ngx_http_scep_pending_delete(ngx_http_scep_pending_t *pending,
    const char *key);
ngx_uint_t ngx_http_scep_pending_count(ngx_http_scep_pending_t *pending);

/* ngx_http_scep_pending_store.c */
ngx_int_t ngx_http_scep_pending_store_init_conf(ngx_conf_t *cf,
    ngx_http_scep_main_conf_t *smcf);
ngx_int_t ngx_http_scep_pending_store_start(ngx_cycle_t *cycle,
    ngx_http_scep_main_conf_t *smcf);
void ngx_http_scep_pending_store_keep(ngx_http_scep_main_conf_t *smcf,
    ngx_thread_pool_t *tp, const char *key, const char *user,
    const u_char *data, size_t len, ngx_log_t *log);

/* ngx_http_scep_admin.c */
char *ngx_http_scep_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* ngx_http_scep_proxy.c */
char *ngx_http_scep_proxy(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_scep_proxy_init(ngx_conf_t *cf,
    ngx_http_scep_main_conf_t *smcf);
ngx_int_t ngx_http_scep_proxy_handler(ngx_http_request_t *r);

/* ngx_http_scep_variables.c */
ngx_int_t ngx_http_scep_add_variables(ngx_conf_t *cf);
ngx_http_scep_ctx_t *ngx_http_scep_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_scep_set_outcome(ngx_http_request_t *r,
    portal_result_t *res);
void ngx_http_scep_set_result(ngx_http_request_t *r, const char *result);
ngx_int_t ngx_http_scep_mask_ticket(ngx_pool_t *pool, ngx_str_t *s,
    ngx_uint_t request_line);

/* ngx_http_scep_reply.c */
extern ngx_str_t  ngx_http_scep_xml_type;
ngx_int_t ngx_http_scep_allow(ngx_http_request_t *r, const char *methods);
ngx_int_t ngx_http_scep_agent_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message);
ngx_int_t ngx_http_scep_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, const char *body, size_t len, ngx_uint_t secret);
ngx_int_t ngx_http_scep_retry_after(ngx_http_request_t *r, ngx_uint_t secs);
ngx_int_t ngx_http_scep_reason(ngx_http_request_t *r, ngx_uint_t status,
    const char *message);
ngx_int_t ngx_http_scep_body_copy(ngx_http_request_t *r, ngx_str_t *body,
    size_t max);


#endif /* _NGX_HTTP_SCEP_MODULE_H_INCLUDED_ */
