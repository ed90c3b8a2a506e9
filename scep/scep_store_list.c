#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "scep_certs.h"
#include "scep_store.h"
#include "scep_store_file.h"


typedef struct {
    const char  *kind;                       /* "ca", "ra", "certificate" */
    const char  *prefix;
    int          all_certs;                  /* else only the first */
    int          named;                      /* a manual CSR's, with meta */
} scep_store_kind_t;

typedef struct {
    const scep_store_kind_t  *kind;
    char                      name[SCEP_STORE_NAME_MAX + 1];
} scep_store_entry_t;

typedef struct {
    char    *data;
    size_t   len;
    size_t   cap;
    int      failed;
} scep_json_t;


static const scep_store_kind_t  scep_store_kinds[] = {
    { "ca",          "ca-",   0, 0 },
    { "ra",          "ra-",   1, 0 },
    { "certificate", "cert-", 0, 1 },
};

#define SCEP_STORE_KINDS                                                     \
    (sizeof(scep_store_kinds) / sizeof(scep_store_kinds[0]))

/* A listing never grows past this: 4096 entries of a few hundred bytes. */
#define SCEP_STORE_JSON_MAX  (8 * 1024 * 1024)


static void
scep_json_append(scep_json_t *js, const char *fmt, ...)
{
    int       n;
    char     *p;
    size_t    cap;
    va_list   ap;

    if (js->failed) {
        return;
    }

    for ( ;; ) {
        va_start(ap, fmt);
        n = vsnprintf(js->data + js->len, js->cap - js->len, fmt, ap);
        va_end(ap);

        if (n < 0) {
            js->failed = 1;
            return;
        }

        if ((size_t) n < js->cap - js->len) {
            js->len += (size_t) n;
            return;
        }

        cap = 2 * js->cap + (size_t) n + 1;

        if (cap > SCEP_STORE_JSON_MAX) {
            js->failed = 1;
            return;
        }

        p = realloc(js->data, cap);
        if (p == NULL) {
            js->failed = 1;
            return;
        }

        js->data = p;
        js->cap = cap;
    }
}


/* A JSON string; the text is ASCII (names print escaped above 127). */
static void
scep_json_string(scep_json_t *js, const char *key, const char *value,
    int last)
{
    const char  *p;

    scep_json_append(js, "\"%s\":\"", key);

    for (p = value; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            scep_json_append(js, "\\%c", *p);

        } else if ((unsigned char) *p < 0x20 || *p == 0x7f) {
            scep_json_append(js, "\\u%04x", (unsigned char) *p);

        } else {
            scep_json_append(js, "%c", *p);
        }
    }

    scep_json_append(js, last ? "\"" : "\",");
}


static void
scep_store_time(const ASN1_TIME *t, char *buf, size_t len)
{
    struct tm  tm;

    if (ASN1_TIME_to_tm(t, &tm) != 1
        || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        snprintf(buf, len, "invalid");
    }
}


static void
scep_store_serial(X509 *cert, char *buf, size_t len)
{
    char    *hex;
    BIGNUM  *bn;

    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    hex = (bn != NULL) ? BN_bn2hex(bn) : NULL;

    snprintf(buf, len, "%s", hex != NULL ? hex : "invalid");

    OPENSSL_free(hex);
    BN_free(bn);
}


static void
scep_store_describe(scep_json_t *js, const scep_store_entry_t *e,
    const char *profile, X509 *cert)
{
    char  text[256], serial[96], nb[32], na[32];

    scep_store_serial(cert, serial, sizeof(serial));
    scep_store_time(X509_get0_notBefore(cert), nb, sizeof(nb));
    scep_store_time(X509_get0_notAfter(cert), na, sizeof(na));

    scep_json_append(js, "%s{", js->len > 1 ? "," : "");

    scep_json_string(js, "kind", e->kind->kind, 0);
    scep_json_string(js, "name", e->name, 0);
    scep_json_string(js, "profile", profile, 0);

    scep_name_text(X509_get_subject_name(cert), text, sizeof(text));
    scep_json_string(js, "subject", text, 0);

    scep_name_text(X509_get_issuer_name(cert), text, sizeof(text));
    scep_json_string(js, "issuer", text, 0);

    scep_json_string(js, "serial", serial, 0);
    scep_json_string(js, "not_before", nb, 0);
    scep_json_string(js, "not_after", na, 1);

    scep_json_append(js, "}");
}


/* The profile recorded beside a named certificate, or "". */
static void
scep_store_profile_of(const char *dir, const char *name, char *profile,
    size_t len)
{
    char    file[SCEP_STORE_NAME_MAX + 16], *data, *end;
    size_t  n;

    profile[0] = '\0';
    snprintf(file, sizeof(file), "meta-%s.txt", name);

    if (scep_store_read(dir, file, &data, &n, NULL) != 0) {
        return;
    }

    if (strncmp(data, "profile=", 8) == 0) {
        end = strchr(data + 8, '\n');

        if (end != NULL) {
            *end = '\0';
        }

        if (scep_store_name_valid(data + 8)) {
            snprintf(profile, len, "%s", data + 8);
        }
    }

    free(data);
}


static void
scep_store_list_entry(const char *dir, const scep_store_entry_t *e,
    scep_json_t *js)
{
    int       n;
    BIO      *bio;
    X509     *cert;
    char      file[SCEP_STORE_NAME_MAX + 16], *data;
    char      profile[SCEP_STORE_NAME_MAX + 1];
    size_t    len;

    snprintf(file, sizeof(file), "%s%s.pem", e->kind->prefix, e->name);

    if (scep_store_read(dir, file, &data, &len, NULL) != 0) {
        return;
    }

    if (e->kind->named) {
        scep_store_profile_of(dir, e->name, profile, sizeof(profile));

    } else {
        snprintf(profile, sizeof(profile), "%s", e->name);
    }

    n = 0;
    bio = BIO_new_mem_buf(data, (int) len);

    while (bio != NULL && n < SCEP_CERTS_MAX
           && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
    {
        scep_store_describe(js, e, profile, cert);
        X509_free(cert);

        if (!e->kind->all_certs) {
            break;
        }

        n++;
    }

    ERR_clear_error();
    BIO_free(bio);
    free(data);
}


/* Recognises "<prefix><name>.pem" with a valid name. */
static int
scep_store_entry_of(const char *file, scep_store_entry_t *e)
{
    size_t  i, plen, len;

    len = strlen(file);

    for (i = 0; i < SCEP_STORE_KINDS; i++) {
        plen = strlen(scep_store_kinds[i].prefix);

        if (len <= plen + 4 || len - plen - 4 > SCEP_STORE_NAME_MAX
            || strncmp(file, scep_store_kinds[i].prefix, plen) != 0
            || strcmp(file + len - 4, ".pem") != 0)
        {
            continue;
        }

        memcpy(e->name, file + plen, len - plen - 4);
        e->name[len - plen - 4] = '\0';
        e->kind = &scep_store_kinds[i];

        return scep_store_name_valid(e->name);
    }

    return 0;
}


static int
scep_store_entry_cmp(const void *a, const void *b)
{
    int                        rc;
    const scep_store_entry_t  *x, *y;

    x = a;
    y = b;

    rc = strcmp(x->name, y->name);

    return rc != 0 ? rc : strcmp(x->kind->kind, y->kind->kind);
}


static scep_store_entry_t *
scep_store_scan(const char *dir, size_t *count, scep_error_t *err)
{
    DIR                 *d;
    size_t               n;
    struct dirent       *de;
    scep_store_entry_t  *entries;

    d = opendir(dir);
    if (d == NULL) {
        scep_error_set(err, SCEP_ERR_FILE, "store",
                       "cannot read the store directory %.128s", dir);
        return NULL;
    }

    entries = calloc(SCEP_STORE_LIST_MAX, sizeof(scep_store_entry_t));
    if (entries == NULL) {
        closedir(d);
        scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }

    n = 0;

    while (n < SCEP_STORE_LIST_MAX && (de = readdir(d)) != NULL) {
        if (scep_store_entry_of(de->d_name, &entries[n])) {
            n++;
        }
    }

    closedir(d);

    qsort(entries, n, sizeof(scep_store_entry_t), scep_store_entry_cmp);
    *count = n;

    return entries;
}


int
scep_store_list(const char *dir, char **json, size_t *len,
    scep_error_t *err)
{
    size_t               i, n;
    scep_json_t          js;
    scep_store_entry_t  *entries;

    *json = NULL;
    *len = 0;

    entries = scep_store_scan(dir, &n, err);
    if (entries == NULL) {
        return -1;
    }

    memset(&js, 0, sizeof(js));

    js.cap = 4096;
    js.data = malloc(js.cap);
    js.failed = (js.data == NULL);

    scep_json_append(&js, "[");

    for (i = 0; i < n; i++) {
        scep_store_list_entry(dir, &entries[i], &js);
    }

    scep_json_append(&js, "]");
    free(entries);

    if (js.failed) {
        free(js.data);
        return scep_error_set(err, SCEP_ERR_NOMEM, NULL,
                              "the listing of the store %.128s does not "
                              "fit in memory", dir);
    }

    *json = js.data;
    *len = js.len;

    return 0;
}
