
/*
 * scep_profile NAME { ... }: one PKI and the certificates asked of it.
 * The values are judged by the validators of the SCEP core, so that the
 * portal, the agent and the tests accept exactly the same profiles.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_scep_module.h"
#include "scep/scep_store.h"


static char *ngx_http_scep_profile_word(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_http_scep_sub_t *sub, void *conf);
static char *ngx_http_scep_profile_san(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_http_scep_sub_t *sub, void *conf);
static char *ngx_http_scep_profile_key_usage(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_http_scep_sub_t *sub, void *conf);
static char *ngx_http_scep_profile_password_file(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_http_scep_sub_t *sub, void *conf);
static char *ngx_http_scep_profile_check(ngx_conf_t *cf,
    ngx_http_scep_profile_t *prof);
static void ngx_http_scep_profile_cleanup(void *data);


static ngx_http_scep_sub_t  ngx_http_scep_profile_subs[] = {

    { ngx_string("mode"), 1, 1, 0, 0,
      ngx_http_scep_profile_word, 0 },

    { ngx_string("challenge"), 1, 1, 0, 0,
      ngx_http_scep_profile_word, 0 },

    { ngx_string("challenge_password"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_profile_t,
                                profile.challenge_password) },

    { ngx_string("challenge_password_file"), 1, 1, 0, 0,
      ngx_http_scep_profile_password_file,
      ngx_http_scep_checked_offset(ngx_http_scep_profile_t,
                                   profile.challenge_password,
                                   const char *) },

    { ngx_string("challenge_url"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_profile_t,
                                profile.challenge_url) },

    { ngx_string("challenge_username"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_profile_t,
                                profile.challenge_username) },

    { ngx_string("challenge_auth"), 1, 1, 0, 0,
      ngx_http_scep_profile_word, 0 },

    { ngx_string("challenge_lifetime"), 1, 1, 0, 0,
      ngx_http_scep_sec_slot(ngx_http_scep_profile_t,
                             profile.challenge_lifetime_s) },

    { ngx_string("server_url"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_profile_t,
                                profile.server_url) },

    { ngx_string("ca_ident"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_profile_t,
                                profile.ca_ident) },

    { ngx_string("subject"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_profile_t,
                                profile.subject) },

    { ngx_string("subject_alt_name"), 1, 2, 1, 0,
      ngx_http_scep_profile_san, 0 },

    { ngx_string("key_bits"), 1, 1, 0, 0,
      ngx_http_scep_profile_word, 0 },

    { ngx_string("digest"), 1, 1, 0, 0,
      ngx_http_scep_profile_word, 0 },

    { ngx_string("key_usage"), 1, 2, 0, 0,
      ngx_http_scep_profile_key_usage, 0 },

    { ngx_string("ca_fingerprint"), 1, 1, 0, 0,
      ngx_http_scep_profile_word, 0 },

    { ngx_string("insecure_trust_any_ca"), 1, 1, 0, 0,
      ngx_http_scep_flag_slot(ngx_http_scep_profile_t,
                              profile.insecure_trust_any_ca) },

    { ngx_string("tls_trusted_certificate"), 1, 1, 0, 0,
      ngx_http_scep_path_slot(ngx_http_scep_profile_t,
                              profile.trusted_ca) },

    { ngx_string("tls_certificate"), 1, 1, 0, 0,
      ngx_http_scep_path_slot(ngx_http_scep_profile_t,
                              profile.client_cert) },

    { ngx_string("tls_certificate_key"), 1, 1, 0, 0,
      ngx_http_scep_path_slot(ngx_http_scep_profile_t,
                              profile.client_key) },

    { ngx_string("fips"), 1, 1, 0, 0,
      ngx_http_scep_flag_slot(ngx_http_scep_profile_t,
                              profile.fips) },

    { ngx_string("connect_timeout"), 1, 1, 0, 0,
      ngx_http_scep_msec_slot(ngx_http_scep_profile_t,
                              profile.connect_timeout_ms) },

    { ngx_string("timeout"), 1, 1, 0, 0,
      ngx_http_scep_msec_slot(ngx_http_scep_profile_t,
                              profile.timeout_ms) },

    { ngx_string("proxy_url"), 1, 1, 0, 0,
      ngx_http_scep_string_slot(ngx_http_scep_profile_t,
                                profile.proxy_url) },

    { ngx_string("ticket_lifetime"), 1, 1, 0, NGX_HTTP_SCEP_FOR_PROXY,
      ngx_http_scep_sec_slot(ngx_http_scep_profile_t,
                             profile.ticket_lifetime_s) },

    { ngx_string("key_pool"), 1, 1, 0, NGX_HTTP_SCEP_FOR_ENROLL,
      ngx_http_scep_size_slot(ngx_http_scep_profile_t,
                              profile.key_pool) },

    { ngx_string("poll_interval"), 1, 1, 0, NGX_HTTP_SCEP_FOR_ENROLL,
      ngx_http_scep_msec_slot(ngx_http_scep_profile_t,
                              profile.poll_interval_ms) },

    { ngx_string("poll_wait"), 1, 1, 0, NGX_HTTP_SCEP_FOR_ENROLL,
      ngx_http_scep_msec_slot(ngx_http_scep_profile_t,
                              profile.poll_wait_ms) },

    { ngx_string("poll_retry"), 1, 1, 0, NGX_HTTP_SCEP_FOR_ENROLL,
      ngx_http_scep_sec_slot(ngx_http_scep_profile_t,
                             profile.poll_retry_s) },

    { ngx_null_string, 0, 0, 0, 0, NULL, 0 }
};


char *
ngx_http_scep_profile_block(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_scep_main_conf_t *smcf = conf;

    char                      *rv;
    ngx_str_t                 *value;
    scep_error_t               err;
    ngx_pool_cleanup_t        *cln;
    ngx_http_scep_profile_t   *prof, **profp;

    value = cf->args->elts;

    rv = ngx_http_scep_block_name(cf, "scep_profile", &smcf->profiles,
                                  &value[1]);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    prof = ngx_pcalloc(cf->pool, sizeof(ngx_http_scep_profile_t));
    if (prof == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_scep_profile_cleanup;
    cln->data = prof;

    scep_profile_init(&prof->profile, (char *) value[1].data);

    prof->block.kind = "scep_profile";
    prof->block.name = value[1];
    prof->block.subs = ngx_http_scep_profile_subs;
    prof->block.conf = prof;

    rv = ngx_http_scep_block_parse(cf, &prof->block);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (scep_profile_validate(&prof->profile, &err) != 0) {
        return ngx_http_scep_block_error(cf, &prof->block,
                                         err.field[0] ? err.field : NULL,
                                         err.message);
    }

    rv = ngx_http_scep_profile_check(cf, prof);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    profp = ngx_array_push(&smcf->profiles);
    if (profp == NULL) {
        return NGX_CONF_ERROR;
    }

    prof->index = smcf->profiles.nelts - 1;
    *profp = prof;

    return NGX_CONF_OK;
}


/* Directives that take one word judged by a parser of the SCEP core. */

static char *
ngx_http_scep_profile_word(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    ngx_http_scep_profile_t  *prof = conf;

    int              rc;
    char            *word;
    ngx_str_t       *value;
    scep_error_t     err;
    scep_profile_t  *p;

    value = cf->args->elts;
    p = &prof->profile;

    scep_error_clear(&err);

    word = ngx_http_scep_conf_cstr(&value[1]);
    if (word == NULL) {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "the value holds a NUL byte");
    }

    if (ngx_strcmp(sub->name.data, "mode") == 0) {
        rc = scep_parse_mode(word, &p->mode, &err);

    } else if (ngx_strcmp(sub->name.data, "challenge") == 0) {
        rc = scep_parse_challenge(word, &p->challenge, &err);

    } else if (ngx_strcmp(sub->name.data, "challenge_auth") == 0) {
        rc = scep_parse_http_auth(word, &p->challenge_auth, &err);

    } else if (ngx_strcmp(sub->name.data, "key_bits") == 0) {
        rc = scep_parse_key_bits(word, &p->key_bits, &err);

    } else if (ngx_strcmp(sub->name.data, "digest") == 0) {
        rc = scep_parse_digest(word, &p->digest, &err);

    } else {
        rc = scep_parse_fingerprint(word, p->ca_fingerprint,
                                    &p->ca_fingerprint_len, &err);
    }

    if (rc != 0) {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         err.message);
    }

    return NGX_CONF_OK;
}


/*
 * One name per line, in order: "subject_alt_name upn $UPN;"; the
 * templates are parsed with the whole profile.
 */

static char *
ngx_http_scep_profile_san(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    ngx_http_scep_profile_t  *prof = conf;

    char             *word;
    ngx_str_t        *value;
    scep_error_t      err;
    scep_profile_t   *p;
    scep_san_conf_t  *san;

    value = cf->args->elts;
    p = &prof->profile;

    if (p->nsans == SCEP_SANS_MAX) {
        return ngx_http_scep_block_error(cf, block, "subject_alt_name",
                                         "at most 8 names are allowed");
    }

    san = &p->sans[p->nsans];

    scep_error_clear(&err);

    word = ngx_http_scep_conf_cstr(&value[1]);

    if (word == NULL || scep_parse_san_type(word, &san->type, &err) != 0) {
        return ngx_http_scep_block_error(cf, block, "subject_alt_name",
                                         word ? err.message
                                         : "the value holds a NUL byte");
    }

    san->value = NULL;

    if (cf->args->nelts == 3) {
        san->value = ngx_http_scep_conf_cstr(&value[2]);

        if (san->value == NULL) {
            return ngx_http_scep_block_error(cf, block, "subject_alt_name",
                                             "the value holds a NUL byte");
        }
    }

    p->nsans++;

    return NGX_CONF_OK;
}


static char *
ngx_http_scep_profile_key_usage(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    ngx_http_scep_profile_t  *prof = conf;

    char            *word;
    ngx_str_t       *value;
    ngx_uint_t       i;
    scep_error_t     err;
    scep_profile_t  *p;

    value = cf->args->elts;
    p = &prof->profile;

    scep_error_clear(&err);

    /* the directive replaces the default set of usages */
    p->key_usage = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        word = ngx_http_scep_conf_cstr(&value[i]);

        if (word == NULL
            || scep_parse_key_usage(word, &p->key_usage, &err) != 0)
        {
            return ngx_http_scep_block_error(cf, block, "key_usage",
                                             word ? err.message
                                             : "the value holds a NUL byte");
        }
    }

    return NGX_CONF_OK;
}


/*
 * What the module adds to the core's rules: the name becomes a file name
 * in the certificate store, and settings of another mode would be
 * silently ignored.
 */

static char *
ngx_http_scep_profile_check(ngx_conf_t *cf, ngx_http_scep_profile_t *prof)
{
    if (!scep_store_name_valid(prof->profile.name)) {
        return ngx_http_scep_block_error_at(cf, &prof->block, NULL,
                                            "the name must be 1 to 64 "
                                            "characters of A-Z a-z 0-9 . _ -, "
                                            "it names files in scep_store");
    }

    return ngx_http_scep_block_check_modes(cf, &prof->block,
                                           prof->profile.mode);
}


/* The core names the file, not the password, in its messages. */

static char *
ngx_http_scep_profile_password_file(ngx_conf_t *cf,
    ngx_http_scep_block_t *block, ngx_http_scep_sub_t *sub, void *conf)
{
    ngx_http_scep_profile_t  *prof = conf;

    char       *rv;
    ngx_str_t  *value;

    rv = ngx_http_scep_sub_secret_file(cf, block, sub, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    value = cf->args->elts;
    prof->profile.challenge_password_file = (char *) value[1].data;

    return NGX_CONF_OK;
}


static void
ngx_http_scep_profile_cleanup(void *data)
{
    ngx_http_scep_profile_t  *prof = data;

    scep_profile_release(&prof->profile);

    /*
     * An inline challenge_password lives in nginx's copy of the
     * configuration text, which is not ours to wipe; one read from
     * challenge_password_file is wiped by its own pool cleanup.
     */
}
