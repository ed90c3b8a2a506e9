/*
 * Form bodies from agents.  One of the values is a password: values are
 * decoded once, straight into their own allocation, moved rather than
 * copied, and wiped before they are freed.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gp_buf.h"
#include "gp_request.h"
#include "scep/scep_syntax.h"


#define GP_STR(x)   GP_STR_(x)
#define GP_STR_(x)  #x


static int gp_error_set(gp_error_t *err, gp_code_t code, const char *field,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int gp_form_add(gp_form_t *form, const char *name, size_t name_len,
    const char *value, size_t value_len, gp_error_t *err);
static int gp_form_decode(const char *src, size_t len, char *dst,
    size_t *dst_len);
static int gp_form_check_name(const char *name, size_t len);
static int gp_login_check_field(const gp_field_t *field, gp_error_t *err);
static void gp_login_take(gp_form_t *form, const char *name, char **value,
    size_t *len);
static void gp_wipe_free(char *s, size_t len);


static const char  *gp_code_names[] = {
    [GP_OK] = "ok",
    [GP_ERR_MALFORMED] = "malformed",
    [GP_ERR_MISSING_FIELD] = "missing_field",
    [GP_ERR_FIELD_TOO_LONG] = "field_too_long",
    [GP_ERR_FIELD_INVALID] = "field_invalid",
    [GP_ERR_TOO_LARGE] = "too_large",
    [GP_ERR_NOMEM] = "nomem",
};


int
gp_code_http_status(gp_code_t code)
{
    switch (code) {
    case GP_OK:
        return 200;
    case GP_ERR_MALFORMED:
    case GP_ERR_MISSING_FIELD:
    case GP_ERR_FIELD_TOO_LONG:
    case GP_ERR_FIELD_INVALID:
        return 400;
    case GP_ERR_TOO_LARGE:
        return 413;
    default:
        return 500;
    }
}


const char *
gp_code_name(gp_code_t code)
{
    if ((size_t) code >= sizeof(gp_code_names) / sizeof(gp_code_names[0])) {
        return "unknown";
    }

    return gp_code_names[code];
}


static int
gp_error_set(gp_error_t *err, gp_code_t code, const char *field,
    const char *fmt, ...)
{
    va_list  ap;

    if (err == NULL) {
        return -1;
    }

    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field);

    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);

    return -1;
}


static void
gp_wipe_free(char *s, size_t len)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, len);
        free(s);
    }
}


int
gp_form_parse(const char *body, size_t len, gp_form_t *form,
    gp_error_t *err)
{
    size_t       npairs;
    const char  *p, *end, *amp, *eq, *name_end, *value;

    memset(form, 0, sizeof(*form));

    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }

    if (len > GP_BODY_MAX) {
        return gp_error_set(err, GP_ERR_TOO_LARGE, "",
                            "the request body is larger than %d bytes",
                            GP_BODY_MAX);
    }

    if (body == NULL || len == 0) {
        return 0;
    }

    p = body;
    end = body + len;
    npairs = 0;

    for ( ;; ) {
        amp = memchr(p, '&', (size_t) (end - p));
        if (amp == NULL) {
            amp = end;
        }

        if (amp != p) {
            if (++npairs > GP_FORM_FIELDS_MAX) {
                gp_form_free(form);
                return gp_error_set(err, GP_ERR_MALFORMED, "",
                                    "the request has more than %d form "
                                    "fields", GP_FORM_FIELDS_MAX);
            }

            eq = memchr(p, '=', (size_t) (amp - p));
            name_end = (eq != NULL) ? eq : amp;
            value = (eq != NULL) ? eq + 1 : amp;

            if (gp_form_add(form, p, (size_t) (name_end - p), value,
                            (size_t) (amp - value), err)
                != 0)
            {
                gp_form_free(form);
                return -1;
            }
        }

        if (amp == end) {
            break;
        }

        p = amp + 1;
    }

    return 0;
}


static int
gp_form_add(gp_form_t *form, const char *name, size_t name_len,
    const char *value, size_t value_len, gp_error_t *err)
{
    char        *decoded_name, *decoded_value;
    size_t       n, v;
    gp_field_t  *field;
    char         buf[3 * GP_FIELD_NAME_MAX];

    if (name_len == 0) {
        return gp_error_set(err, GP_ERR_MALFORMED, "",
                            "a form field has no name");
    }

    /* each decoded byte takes at most three encoded ones */
    if (name_len > sizeof(buf)) {
        return gp_error_set(err, GP_ERR_MALFORMED, "",
                            "a form field name is longer than %d bytes",
                            GP_FIELD_NAME_MAX);
    }

    /* a bad name is never quoted: it may be a password sent without "=" */
    if (gp_form_decode(name, name_len, buf, &n) != 0) {
        return gp_error_set(err, GP_ERR_MALFORMED, "",
                            "a form field name holds a bad percent escape");
    }

    if (n > GP_FIELD_NAME_MAX) {
        return gp_error_set(err, GP_ERR_MALFORMED, "",
                            "a form field name is longer than %d bytes",
                            GP_FIELD_NAME_MAX);
    }

    if (gp_form_check_name(buf, n) != 0) {
        return gp_error_set(err, GP_ERR_MALFORMED, "",
                            "a form field name holds characters other than "
                            "letters, digits, '_', '.' and '-'");
    }

    buf[n] = '\0';

    decoded_value = malloc(value_len + 1);
    if (decoded_value == NULL) {
        return gp_error_set(err, GP_ERR_NOMEM, buf,
                            "the portal ran out of memory reading the "
                            "request");
    }

    if (gp_form_decode(value, value_len, decoded_value, &v) != 0) {
        gp_wipe_free(decoded_value, value_len + 1);
        return gp_error_set(err, GP_ERR_MALFORMED, buf,
                            "the \"%s\" field holds a bad percent escape "
                            "(%% must be followed by two hex digits)", buf);
    }

    decoded_value[v] = '\0';

    if (gp_form_get(form, buf, NULL) != NULL) {
        gp_wipe_free(decoded_value, value_len + 1);
        return 0;
    }

    decoded_name = strdup(buf);
    if (decoded_name == NULL) {
        gp_wipe_free(decoded_value, value_len + 1);
        return gp_error_set(err, GP_ERR_NOMEM, buf,
                            "the portal ran out of memory reading the "
                            "request");
    }

    field = &form->fields[form->nfields++];
    field->name = decoded_name;
    field->value = decoded_value;
    field->value_len = v;

    return 0;
}


/* dst has room for len bytes: decoding never lengthens. */
static int
gp_form_decode(const char *src, size_t len, char *dst, size_t *dst_len)
{
    int     hi, lo;
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (src[i] == '+') {
            dst[n++] = ' ';

        } else if (src[i] == '%') {
            if (len - i < 3) {
                return -1;
            }

            hi = scep_hex_value(src[i + 1]);
            lo = scep_hex_value(src[i + 2]);

            if (hi < 0 || lo < 0) {
                return -1;
            }

            dst[n++] = (char) (hi << 4 | lo);
            i += 2;

        } else {
            dst[n++] = src[i];
        }
    }

    *dst_len = n;

    return 0;
}


static int
gp_form_check_name(const char *name, size_t len)
{
    char    c;
    size_t  i;

    for (i = 0; i < len; i++) {
        c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
        {
            return -1;
        }
    }

    return 0;
}


const char *
gp_form_get(const gp_form_t *form, const char *name, size_t *len)
{
    size_t  i;

    for (i = 0; i < form->nfields; i++) {
        if (strcmp(form->fields[i].name, name) == 0) {
            if (len != NULL) {
                *len = form->fields[i].value_len;
            }

            return form->fields[i].value;
        }
    }

    return NULL;
}


void
gp_form_free(gp_form_t *form)
{
    size_t  i;

    for (i = 0; i < form->nfields; i++) {
        gp_wipe_free(form->fields[i].value, form->fields[i].value_len + 1);
        free(form->fields[i].name);
    }

    memset(form, 0, sizeof(*form));
}


int
gp_check_device_id(const char *field, const char *value, size_t len,
    size_t max, gp_error_t *err)
{
    char    c;
    size_t  i;

    if (len == 0) {
        return gp_error_set(err, GP_ERR_FIELD_INVALID, field,
                            "the \"%s\" field is empty", field);
    }

    if (len > max) {
        return gp_error_set(err, GP_ERR_FIELD_TOO_LONG, field,
                            "the \"%s\" field is longer than %zu characters",
                            field, max);
    }

    for (i = 0; i < len; i++) {
        c = value[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':'
              || c == '{' || c == '}' || c == '-'))
        {
            return gp_error_set(err, GP_ERR_FIELD_INVALID, field,
                                "the \"%s\" field may hold only letters, "
                                "digits and . _ : { } -", field);
        }
    }

    return 0;
}


/* The login name and password are judged by the directory, not here. */
static int
gp_login_check_field(const gp_field_t *field, gp_error_t *err)
{
    if (strcmp(field->name, "user") == 0
        || strcmp(field->name, "passwd") == 0)
    {
        return 0;
    }

    /*
     * An empty device id is no device id (some agents send the field
     * whatever they have): whether one is needed is the subject's say.
     */
    if (strcmp(field->name, "host-id") == 0) {
        return field->value_len == 0
               ? 0
               : gp_check_device_id(field->name, field->value,
                                    field->value_len, GP_HOST_ID_MAX, err);
    }

    if (strcmp(field->name, "udid") == 0) {
        return field->value_len == 0
               ? 0
               : gp_check_device_id(field->name, field->value,
                                    field->value_len, GP_UDID_MAX, err);
    }

    if (field->value_len > GP_FIELD_MAX) {
        return gp_error_set(err, GP_ERR_FIELD_TOO_LONG, field->name,
                            "the \"%s\" field is longer than %d bytes",
                            field->name, GP_FIELD_MAX);
    }

    if (!gp_utf8_is_clean_text(field->value, field->value_len)) {
        return gp_error_set(err, GP_ERR_FIELD_INVALID, field->name,
                            "the \"%s\" field is not UTF-8 text without "
                            "control characters", field->name);
    }

    return 0;
}


/* Moves a value out of the form, so that no second copy exists. */
static void
gp_login_take(gp_form_t *form, const char *name, char **value, size_t *len)
{
    size_t  i;

    for (i = 0; i < form->nfields; i++) {
        if (strcmp(form->fields[i].name, name) == 0) {
            *value = form->fields[i].value;

            if (len != NULL) {
                *len = form->fields[i].value_len;
            }

            form->fields[i].value = NULL;
            form->fields[i].value_len = 0;

            return;
        }
    }
}


int
gp_login_parse(const char *body, size_t len, gp_login_t *login,
    gp_error_t *err)
{
    size_t     i, n;
    gp_form_t  form;

    memset(login, 0, sizeof(*login));

    if (gp_form_parse(body, len, &form, err) != 0) {
        return -1;
    }

    if (gp_form_get(&form, "user", NULL) == NULL) {
        gp_error_set(err, GP_ERR_MISSING_FIELD, "user",
                     "the request has no \"user\" field");
        goto failed;
    }

    if (gp_form_get(&form, "passwd", NULL) == NULL) {
        gp_error_set(err, GP_ERR_MISSING_FIELD, "passwd",
                     "the request has no \"passwd\" field");
        goto failed;
    }

    for (i = 0; i < form.nfields; i++) {
        if (gp_login_check_field(&form.fields[i], err) != 0) {
            goto failed;
        }
    }

    gp_login_take(&form, "user", &login->user, &login->user_len);
    gp_login_take(&form, "passwd", &login->passwd, &login->passwd_len);
    if (gp_form_get(&form, "host-id", &n) != NULL && n > 0) {
        gp_login_take(&form, "host-id", &login->host_id, NULL);
    }

    if (gp_form_get(&form, "udid", &n) != NULL && n > 0) {
        gp_login_take(&form, "udid", &login->udid, NULL);
    }

    gp_login_take(&form, "clientos", &login->clientos, NULL);
    gp_login_take(&form, "os-version", &login->os_version, NULL);
    gp_login_take(&form, "computer", &login->computer, NULL);
    gp_login_take(&form, "clientVer", &login->client_ver, NULL);

    gp_form_free(&form);

    return 0;

failed:

    gp_form_free(&form);

    return -1;
}


int
gp_login_is_plausible(const gp_login_t *login, const char **reason)
{
    const char  *why;

    why = NULL;

    if (login->user == NULL || login->user_len == 0) {
        why = "the login name is empty";

    } else if (login->user_len > GP_USER_MAX) {
        why = "the login name is longer than " GP_STR(GP_USER_MAX)
              " bytes";

    } else if (!gp_utf8_is_clean_text(login->user, login->user_len)) {
        why = "the login name is not UTF-8 text without control characters";

    } else if (login->passwd == NULL || login->passwd_len == 0) {
        why = "the password is empty";

    } else if (login->passwd_len > GP_PASSWD_MAX) {
        why = "the password is longer than " GP_STR(GP_PASSWD_MAX)
              " bytes";

    } else if (memchr(login->passwd, '\0', login->passwd_len) != NULL) {
        why = "the password holds a NUL byte";
    }

    if (reason != NULL) {
        *reason = why;
    }

    return why == NULL;
}


/* Values that passed gp_login_check_field() hold no NUL: strlen is exact. */
void
gp_login_free(gp_login_t *login)
{
    size_t   i;
    char    *text[6];

    gp_wipe_free(login->user, login->user_len + 1);
    gp_wipe_free(login->passwd, login->passwd_len + 1);

    text[0] = login->host_id;
    text[1] = login->udid;
    text[2] = login->clientos;
    text[3] = login->os_version;
    text[4] = login->computer;
    text[5] = login->client_ver;

    for (i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
        if (text[i] != NULL) {
            gp_wipe_free(text[i], strlen(text[i]) + 1);
        }
    }

    memset(login, 0, sizeof(*login));
}
