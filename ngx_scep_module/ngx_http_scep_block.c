
/*
 * The parser shared by the "scep_profile" and "scep_directory" blocks,
 * and small helpers for their values.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_scep_module.h"


/* A secret read from a file is never longer than this. */
#define NGX_HTTP_SCEP_SECRET_MAX  4096


static char *ngx_http_scep_block_directive(ngx_conf_t *cf,
    ngx_command_t *dummy, void *conf);
static ngx_uint_t ngx_http_scep_block_line(ngx_http_scep_block_t *block,
    const char *directive);
static void ngx_http_scep_secret_cleanup(void *data);


typedef struct {
    u_char  *data;
    size_t   len;
} ngx_http_scep_secret_t;


/*
 * The start of a named block: a name, unique among the blocks of its
 * kind.  blocks holds pointers to structures that begin with their
 * ngx_http_scep_block_t (ngx_http_scep_profile_t and _directory_t).
 */

char *
ngx_http_scep_block_name(ngx_conf_t *cf, const char *kind,
    ngx_array_t *blocks, ngx_str_t *name)
{
    ngx_uint_t               i;
    ngx_http_scep_block_t  **other;

    if (name->len == 0 || ngx_http_scep_conf_cstr(name) == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s needs a name", kind);
        return NGX_CONF_ERROR;
    }

    other = blocks->elts;

    for (i = 0; i < blocks->nelts; i++) {
        if (other[i]->name.len == name->len
            && ngx_strncmp(other[i]->name.data, name->data, name->len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s \"%V\" is duplicate, the first is in "
                               "%V:%ui", kind, name, &other[i]->file,
                               other[i]->line);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


char *
ngx_http_scep_block_parse(ngx_conf_t *cf, ngx_http_scep_block_t *block)
{
    char        *rv;
    ngx_uint_t   n;
    ngx_conf_t   save;

    for (n = 0; block->subs[n].name.len; n++) { /* void */ }

    block->lines = ngx_pcalloc(cf->pool, n * sizeof(ngx_uint_t));
    if (block->lines == NULL) {
        return NGX_CONF_ERROR;
    }

    block->file = cf->conf_file->file.name;
    block->line = cf->conf_file->line;

    save = *cf;
    cf->handler = ngx_http_scep_block_directive;
    cf->handler_conf = (char *) block;

    rv = ngx_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}


static char *
ngx_http_scep_block_directive(ngx_conf_t *cf, ngx_command_t *dummy, void *conf)
{
    ngx_http_scep_block_t  *block = (ngx_http_scep_block_t *) conf;

    ngx_str_t            *value;
    ngx_uint_t            i, nargs;
    ngx_http_scep_sub_t  *sub;

    value = cf->args->elts;
    nargs = cf->args->nelts - 1;

    for (i = 0; block->subs[i].name.len; i++) {
        sub = &block->subs[i];

        if (sub->name.len != value[0].len
            || ngx_strncmp(sub->name.data, value[0].data, value[0].len) != 0)
        {
            continue;
        }

        if (nargs < sub->nargs_min || nargs > sub->nargs_max) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s \"%V\": invalid number of arguments "
                               "in \"%V\"",
                               block->kind, &block->name, &value[0]);
            return NGX_CONF_ERROR;
        }

        if (block->lines[i] && !sub->repeat) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s \"%V\": \"%V\" is duplicate",
                               block->kind, &block->name, &value[0]);
            return NGX_CONF_ERROR;
        }

        block->lines[i] = cf->conf_file->line;

        return sub->set(cf, block, sub, block->conf);
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "%s \"%V\": unknown directive \"%V\"",
                       block->kind, &block->name, &value[0]);

    return NGX_CONF_ERROR;
}


/*
 * Reports a mistake found after the block was read, at the line of the
 * directive at fault, or at the block's own line when that directive is
 * missing.
 */

char *
ngx_http_scep_block_error(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    const char *directive, const char *message)
{
    if (directive == NULL) {
        return ngx_http_scep_block_error_at(cf, block, NULL, message);
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0, "%s \"%V\": %s: %s in %V:%ui",
                  block->kind, &block->name, directive, message,
                  &block->file, ngx_http_scep_block_line(block, directive));

    return NGX_CONF_ERROR;
}


/* The same, for a message that names the directive itself. */

char *
ngx_http_scep_block_error_at(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    const char *directive, const char *message)
{
    ngx_log_error(NGX_LOG_EMERG, cf->log, 0, "%s \"%V\": %s in %V:%ui",
                  block->kind, &block->name, message, &block->file,
                  ngx_http_scep_block_line(block, directive));

    return NGX_CONF_ERROR;
}


/*
 * Advice about a block that nginx accepts: a message that names its
 * directive, logged at the line of that directive (or of the block).
 */

void
ngx_http_scep_block_warn(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    const char *message)
{
    ngx_log_error(NGX_LOG_WARN, cf->log, 0, "%s \"%V\": %s in %V:%ui",
                  block->kind, &block->name, message, &block->file,
                  ngx_http_scep_block_line(block, message));
}


/*
 * The line a directive was set on; the block's line when it was not set
 * (or directive is NULL).  directive may be followed by more text: the
 * name ends at a space or a colon, as in "user_filter must contain %u".
 */

static ngx_uint_t
ngx_http_scep_block_line(ngx_http_scep_block_t *block, const char *directive)
{
    size_t      len;
    ngx_uint_t  i;

    if (directive == NULL) {
        return block->line;
    }

    len = strcspn(directive, " :");

    for (i = 0; block->subs[i].name.len; i++) {
        if (block->subs[i].name.len == len
            && ngx_strncmp(block->subs[i].name.data, directive, len) == 0
            && block->lines[i])
        {
            return block->lines[i];
        }
    }

    return block->line;
}


ngx_int_t
ngx_http_scep_block_is_set(ngx_http_scep_block_t *block, const char *directive)
{
    size_t      len;
    ngx_uint_t  i;

    len = ngx_strlen(directive);

    for (i = 0; block->subs[i].name.len; i++) {
        if (block->subs[i].name.len == len
            && ngx_strncmp(block->subs[i].name.data, directive, len) == 0)
        {
            return block->lines[i] != 0;
        }
    }

    return 0;
}


/*
 * The core takes NUL-terminated strings; nginx's argument strings are
 * terminated already, but a NUL byte inside one would silently cut it.
 */

char *
ngx_http_scep_conf_cstr(ngx_str_t *value)
{
    if (ngx_strlchr(value->data, value->data + value->len, '\0') != NULL) {
        return NULL;
    }

    return (char *) value->data;
}


/*
 * Settings that apply to some modes only: given for another mode they
 * would be silently ignored, so they are refused.
 */

char *
ngx_http_scep_block_check_modes(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_uint_t mode)
{
    u_char                *p, *last;
    u_char                 text[128];
    ngx_uint_t             i, m;
    ngx_http_scep_sub_t   *sub;

    for (i = 0; block->subs[i].name.len; i++) {
        sub = &block->subs[i];

        if (sub->modes == 0 || block->lines[i] == 0
            || (sub->modes & (1 << mode)))
        {
            continue;
        }

        p = text;
        last = text + sizeof(text) - 1;

        for (m = SCEP_MODE_PUSH; m <= SCEP_MODE_PROXY; m++) {
            if (sub->modes & (1 << m)) {
                p = ngx_slprintf(p, last, "%s%s", p == text ? "" : " or ",
                                 scep_mode_name((scep_mode_t) m));
            }
        }

        *p = '\0';

        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "%s \"%V\": %V: applies to mode %s only in %V:%ui",
                      block->kind, &block->name, &sub->name, text,
                      &block->file, block->lines[i]);

        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * Slot setters: each stores its arguments into the block's struct at the
 * sub-directive's offset, as nginx's ngx_conf_set_*_slot() functions do;
 * the ngx_http_scep_*_slot() macros check the field's type.  Two
 * sub-directives may fill the same slot (a password inline or from a
 * file): the second one is refused.
 */

static char *
ngx_http_scep_sub_store(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf, const char *s)
{
    ngx_uint_t            i;
    ngx_http_scep_sub_t  *other;

    for (i = 0; block->subs[i].name.len; i++) {
        other = &block->subs[i];

        if (other != sub && other->offset && other->offset == sub->offset
            && other->set != NULL && block->lines[i])
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s \"%V\": \"%V\" and \"%V\" set the same "
                               "value, give only one of them",
                               block->kind, &block->name, &other->name,
                               &sub->name);
            return NGX_CONF_ERROR;
        }
    }

    *(const char **) ((char *) conf + sub->offset) = s;

    return NGX_CONF_OK;
}


char *
ngx_http_scep_sub_string(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    char       *s;
    ngx_str_t  *value;

    value = cf->args->elts;

    s = ngx_http_scep_conf_cstr(&value[1]);
    if (s == NULL) {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "the value holds a NUL byte");
    }

    return ngx_http_scep_sub_store(cf, block, sub, conf, s);
}


/* A file that must be readable now: a missing CA file is a config error. */

char *
ngx_http_scep_sub_path(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    ngx_str_t  *value, path;

    value = cf->args->elts;
    path = value[1];

    if (ngx_http_scep_conf_cstr(&path) == NULL
        || ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK)
    {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "invalid file name");
    }

    /* ngx_conf_full_name() leaves the name NUL-terminated */

    if (access((char *) path.data, R_OK) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s \"%V\": %V: cannot read \"%V\"",
                           block->kind, &block->name, &sub->name, &path);
        return NGX_CONF_ERROR;
    }

    return ngx_http_scep_sub_store(cf, block, sub, conf, (char *) path.data);
}


/*
 * Reads a password from a file at configuration time.  A single trailing
 * newline is dropped, as editors add one.  The copy is wiped when the
 * configuration is released.
 */

char *
ngx_http_scep_sub_secret_file(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    u_char                  *p;
    ssize_t                  n;
    ngx_fd_t                 fd;
    ngx_err_t                err;
    ngx_str_t               *value, path;
    ngx_file_info_t          fi;
    ngx_pool_cleanup_t      *cln;
    ngx_http_scep_secret_t  *secret;

    value = cf->args->elts;
    path = value[1];

    if (ngx_http_scep_conf_cstr(&path) == NULL
        || ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK)
    {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "invalid file name");
    }

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s \"%V\": %V: cannot read \"%V\"",
                           block->kind, &block->name, &sub->name, &path);
        return NGX_CONF_ERROR;
    }

    p = NULL;
    err = 0;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        err = ngx_errno;
        goto failed;
    }

    if (ngx_file_size(&fi) > NGX_HTTP_SCEP_SECRET_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%V\": %V: \"%V\" is larger than %d bytes, "
                           "it cannot be a password",
                           block->kind, &block->name, &sub->name, &path,
                           NGX_HTTP_SCEP_SECRET_MAX);
        goto close;
    }

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_http_scep_secret_t));
    if (cln == NULL) {
        goto close;
    }

    secret = cln->data;
    secret->data = ngx_pcalloc(cf->pool, NGX_HTTP_SCEP_SECRET_MAX + 1);
    secret->len = NGX_HTTP_SCEP_SECRET_MAX + 1;

    if (secret->data == NULL) {
        goto close;
    }

    cln->handler = ngx_http_scep_secret_cleanup;

    n = ngx_read_fd(fd, secret->data, NGX_HTTP_SCEP_SECRET_MAX);
    if (n == -1) {
        err = ngx_errno;
        goto failed;
    }

    if (n > 0 && secret->data[n - 1] == '\n') {
        n--;
    }

    if (n > 0 && secret->data[n - 1] == '\r') {
        n--;
    }

    secret->data[n] = '\0';

    if (n == 0 || ngx_strlen(secret->data) != (size_t) n) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%V\": %V: \"%V\" holds no usable password "
                           "(it is empty, or has a NUL byte inside)",
                           block->kind, &block->name, &sub->name, &path);
        goto close;
    }

    p = secret->data;

    goto close;

failed:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, err,
                       "%s \"%V\": %V: cannot read \"%V\"",
                       block->kind, &block->name, &sub->name, &path);

close:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &path);
    }

    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_scep_sub_store(cf, block, sub, conf, (char *) p);
}


static void
ngx_http_scep_secret_cleanup(void *data)
{
    ngx_http_scep_secret_t  *secret = data;

    if (secret->data) {
        OPENSSL_cleanse(secret->data, secret->len);
    }
}


/*
 * Times and counts: the syntax is judged here, the range by the core's
 * validators, which know what each setting may be.
 */

char *
ngx_http_scep_sub_msec(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    long        *slot;
    ngx_msec_t   t;
    ngx_str_t   *value;

    value = cf->args->elts;
    slot = (long *) ((char *) conf + sub->offset);

    t = ngx_parse_time(&value[1], 0);
    if (t == (ngx_msec_t) NGX_ERROR || t > NGX_MAX_INT32_VALUE) {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "invalid time, use e.g. \"500ms\", "
                                         "\"5s\" or \"1m\"");
    }

    *slot = (long) t;

    return NGX_CONF_OK;
}


char *
ngx_http_scep_sub_sec(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    long       *slot;
    time_t      t;
    ngx_str_t  *value;

    value = cf->args->elts;
    slot = (long *) ((char *) conf + sub->offset);

    t = ngx_parse_time(&value[1], 1);
    if (t == (time_t) NGX_ERROR) {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "invalid time, use e.g. \"0\", "
                                         "\"30s\", \"5m\" or \"1d\"");
    }

    *slot = (long) t;

    return NGX_CONF_OK;
}


/* int and size_t counts; the ranges are the core's to judge */

char *
ngx_http_scep_sub_int(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    ngx_int_t   n;
    ngx_str_t  *value;

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);
    if (n == NGX_ERROR || n > NGX_MAX_INT32_VALUE) {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "invalid number");
    }

    *(int *) ((char *) conf + sub->offset) = (int) n;

    return NGX_CONF_OK;
}


char *
ngx_http_scep_sub_size(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    ngx_int_t   n;
    ngx_str_t  *value;

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);
    if (n == NGX_ERROR) {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "invalid number");
    }

    *(size_t *) ((char *) conf + sub->offset) = (size_t) n;

    return NGX_CONF_OK;
}


char *
ngx_http_scep_sub_flag(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    int        *slot;
    ngx_str_t  *value;

    value = cf->args->elts;
    slot = (int *) ((char *) conf + sub->offset);

    if (ngx_strcmp(value[1].data, "on") == 0) {
        *slot = 1;

    } else if (ngx_strcmp(value[1].data, "off") == 0) {
        *slot = 0;

    } else {
        return ngx_http_scep_block_error(cf, block, (char *) sub->name.data,
                                         "use \"on\" or \"off\"");
    }

    return NGX_CONF_OK;
}


/* One or more words, kept in order: "url", "mail_attributes". */

char *
ngx_http_scep_sub_list(ngx_conf_t *cf, ngx_http_scep_block_t *block,
    ngx_http_scep_sub_t *sub, void *conf)
{
    char         **item;
    ngx_str_t     *value;
    ngx_uint_t     i;
    ngx_array_t   *list;

    list = (ngx_array_t *) ((char *) conf + sub->offset);
    value = cf->args->elts;

    if (list->elts == NULL
        && ngx_array_init(list, cf->pool, 4, sizeof(char *)) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        item = ngx_array_push(list);
        if (item == NULL) {
            return NGX_CONF_ERROR;
        }

        *item = ngx_http_scep_conf_cstr(&value[i]);

        if (*item == NULL || value[i].len == 0) {
            return ngx_http_scep_block_error(cf, block,
                                             (char *) sub->name.data,
                                             "an empty value, or one with "
                                             "a NUL byte");
        }
    }

    return NGX_CONF_OK;
}
