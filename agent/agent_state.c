#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "agent_files.h"
#include "agent_state.h"


typedef enum {
    AGENT_FIELD_TEXT = 0,          /* printable text, no control bytes */
    AGENT_FIELD_FLAG,              /* yes | no */
    AGENT_FIELD_NUMBER,            /* decimal, >= 0 */
    AGENT_FIELD_MODE,
    AGENT_FIELD_DIGEST,
    AGENT_FIELD_KEY_USAGE,         /* words joined with ',' */
    AGENT_FIELD_FINGERPRINT,
    AGENT_FIELD_PENDING,
    AGENT_FIELD_VERSION
} agent_field_type_t;

typedef struct {
    const char          *name;
    agent_field_type_t   type;
    size_t               offset;
    size_t               size;     /* of a text field's buffer */
} agent_field_t;

#define AGENT_TEXT(name, member)                                             \
    { name, AGENT_FIELD_TEXT, offsetof(agent_state_t, member),               \
      sizeof(((agent_state_t *) 0)->member) }

#define AGENT_OTHER(name, type, member)                                      \
    { name, type, offsetof(agent_state_t, member), 0 }


/* In the order they are written. */
static const agent_field_t  agent_fields[] = {
    { "version", AGENT_FIELD_VERSION, 0, 0 },
    AGENT_TEXT("portal", portal),
    AGENT_TEXT("portal-ca-file", portal_ca_file),
    AGENT_OTHER("insecure", AGENT_FIELD_FLAG, insecure),
    AGENT_TEXT("user", user),
    AGENT_TEXT("host-id", host_id),
    AGENT_TEXT("udid", udid),
    AGENT_TEXT("profile", profile),
    AGENT_OTHER("mode", AGENT_FIELD_MODE, mode),
    AGENT_TEXT("server-url", server_url),
    AGENT_TEXT("ca-ident", ca_ident),
    AGENT_OTHER("ca-fingerprint", AGENT_FIELD_FINGERPRINT, ca_fingerprint),
    AGENT_OTHER("next-ca-fingerprint", AGENT_FIELD_FINGERPRINT,
                next_ca_fingerprint),
    AGENT_TEXT("pki-ca-file", pki_ca_file),
    AGENT_OTHER("key-bits", AGENT_FIELD_NUMBER, key_bits),
    AGENT_OTHER("digest", AGENT_FIELD_DIGEST, digest),
    AGENT_OTHER("key-usage", AGENT_FIELD_KEY_USAGE, key_usage),
    AGENT_OTHER("pending", AGENT_FIELD_PENDING, pending),
    AGENT_TEXT("pending-transaction", pending_id),
    AGENT_OTHER("pending-since", AGENT_FIELD_NUMBER, pending_since),
    { NULL, 0, 0, 0 }
};


static int agent_state_line(const char *line, size_t len, agent_state_t *s,
    unsigned *seen, scep_error_t *err);
static int agent_state_value(const agent_field_t *f, const char *value,
    agent_state_t *s, scep_error_t *err);
static int agent_state_number(const char *value, long max, long *out);
static int agent_state_text_ok(const char *value);
static size_t agent_state_put_value(const agent_field_t *f,
    const agent_state_t *s, char *buf, size_t size);
static size_t *agent_state_fingerprint_len(agent_state_t *s,
    const agent_field_t *f);


void
agent_state_init(agent_state_t *s)
{
    memset(s, 0, sizeof(agent_state_t));

    s->mode = SCEP_MODE_PUSH;
    s->key_bits = 2048;
    s->digest = SCEP_DIGEST_SHA256;
    s->key_usage = SCEP_KU_DIGITAL_SIGNATURE | SCEP_KU_KEY_ENCIPHERMENT;
    s->pending = AGENT_PENDING_NONE;
}


int
agent_state_parse(const char *text, size_t len, agent_state_t *s,
    scep_error_t *err)
{
    size_t       i, start;
    unsigned     seen;

    agent_state_init(s);

    if (len > AGENT_STATE_MAX_LEN) {
        return scep_error_set(err, SCEP_ERR_INPUT, "state",
                              "the state file is longer than %d bytes",
                              AGENT_STATE_MAX_LEN);
    }

    seen = 0;
    start = 0;

    for (i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n') {
            continue;
        }

        if (agent_state_line(text + start, i - start, s, &seen, err) != 0) {
            return -1;
        }

        start = i + 1;
    }

    if (!(seen & 1)) {
        return scep_error_set(err, SCEP_ERR_INPUT, "version",
                              "the state file has no version line");
    }

    if ((s->pending != AGENT_PENDING_NONE) != (s->pending_id[0] != '\0')) {
        return scep_error_set(err, SCEP_ERR_INPUT, "pending",
                              "the state file names a pending request "
                              "without its transaction, or the reverse");
    }

    return 0;
}


/* One line: blank, a comment, or "name = value" as format writes it. */
static int
agent_state_line(const char *line, size_t len, agent_state_t *s,
    unsigned *seen, scep_error_t *err)
{
    char                 name[32], value[AGENT_STATE_URL_MAX + 1];
    size_t               i, n, v;
    const agent_field_t *f;

    if (len > 0 && line[len - 1] == '\r') {
        len--;
    }

    for (i = 0; i < len && line[i] == ' '; i++) { /* void */ }

    if (i == len || line[i] == '#') {
        return 0;
    }

    for (n = 0; i < len && line[i] != ' ' && line[i] != '='; i++) {
        if (n == sizeof(name) - 1) {
            return scep_error_set(err, SCEP_ERR_INPUT, "state",
                                  "the state file has a line that is not "
                                  "\"name = value\"");
        }

        name[n++] = line[i];
    }

    name[n] = '\0';

    for ( /* void */ ; i < len && line[i] == ' '; i++) { /* void */ }

    if (n == 0 || i == len || line[i] != '=') {
        return scep_error_set(err, SCEP_ERR_INPUT, "state",
                              "the state file has a line that is not "
                              "\"name = value\"");
    }

    /* one space after '=': the rest, spaces too, is the value */
    i++;

    if (i < len && line[i] == ' ') {
        i++;
    }

    v = len - i;

    if (v >= sizeof(value)) {
        return scep_error_set(err, SCEP_ERR_INPUT, "state",
                              "a value in the state file is longer than %zu "
                              "bytes", sizeof(value) - 1);
    }

    memcpy(value, line + i, v);
    value[v] = '\0';

    if (memchr(value, '\0', v) != NULL || !agent_state_text_ok(value)) {
        return scep_error_set(err, SCEP_ERR_INPUT, "state",
                              "the state file holds a control character");
    }

    for (f = agent_fields; f->name != NULL; f++) {
        if (strcmp(f->name, name) != 0) {
            continue;
        }

        if (*seen & (1U << (f - agent_fields))) {
            return scep_error_set(err, SCEP_ERR_INPUT, "state",
                                  "the state file names \"%s\" twice",
                                  f->name);
        }

        *seen |= 1U << (f - agent_fields);

        return agent_state_value(f, value, s, err);
    }

    /*
     * Written by earlier agents, which renewed with these names; a
     * renewal now asks for the names of the certificate it renews.
     */
    if (strcmp(name, "san-type") == 0 || strcmp(name, "san-value") == 0) {
        return 0;
    }

    return scep_error_set(err, SCEP_ERR_INPUT, "state",
                          "the state file has an unknown line \"%.31s\"",
                          name);
}


static int
agent_state_value(const agent_field_t *f, const char *value,
    agent_state_t *s, scep_error_t *err)
{
    long           n;
    char           word[32], *p;
    size_t         len, *fp_len;
    unsigned       usage;
    const char    *w, *end;
    scep_error_t   why;

    p = (char *) s + f->offset;
    len = strlen(value);

    switch (f->type) {

    case AGENT_FIELD_VERSION:
        if (agent_state_number(value, 1000, &n) != 0
            || n != AGENT_STATE_VERSION)
        {
            return scep_error_set(err, SCEP_ERR_INPUT, f->name,
                                  "the state file is of another version "
                                  "than %d", AGENT_STATE_VERSION);
        }

        return 0;

    case AGENT_FIELD_TEXT:
        if (len >= f->size) {
            return scep_error_set(err, SCEP_ERR_INPUT, f->name,
                                  "%s in the state file is longer than %zu "
                                  "bytes", f->name, f->size - 1);
        }

        memcpy(p, value, len + 1);
        return 0;

    case AGENT_FIELD_FLAG:
        if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
            *(int *) p = (value[0] == 'y');
            return 0;
        }

        break;

    case AGENT_FIELD_NUMBER:
        if (agent_state_number(value, 0x7fffffffL, &n) != 0) {
            break;
        }

        if (f->offset == offsetof(agent_state_t, key_bits)) {
            if (scep_parse_key_bits(value, &s->key_bits, &why) != 0) {
                break;
            }

        } else {
            *(time_t *) p = (time_t) n;
        }

        return 0;

    case AGENT_FIELD_MODE:
        if (scep_parse_mode(value, &s->mode, &why) == 0) {
            return 0;
        }

        break;

    case AGENT_FIELD_DIGEST:
        if (scep_parse_digest(value, &s->digest, &why) == 0) {
            return 0;
        }

        break;

    case AGENT_FIELD_KEY_USAGE:
        usage = 0;

        if (len == 0 || value[len - 1] == ',') {
            break;
        }

        for (w = value; *w != '\0'; w = (*end == ',') ? end + 1 : end) {
            end = strchr(w, ',');
            if (end == NULL) {
                end = w + strlen(w);
            }

            if ((size_t) (end - w) >= sizeof(word) || end == w) {
                usage = 0;
                break;
            }

            memcpy(word, w, (size_t) (end - w));
            word[end - w] = '\0';

            if (scep_parse_key_usage(word, &usage, &why) != 0) {
                usage = 0;
                break;
            }
        }

        if (usage != 0) {
            s->key_usage = usage;
            return 0;
        }

        break;

    case AGENT_FIELD_FINGERPRINT:
        fp_len = agent_state_fingerprint_len(s, f);

        if (len == 0) {
            *fp_len = 0;
            return 0;
        }

        if (scep_parse_fingerprint(value, (unsigned char *) p, fp_len, &why)
            == 0)
        {
            return 0;
        }

        break;

    case AGENT_FIELD_PENDING:
        if (strcmp(value, "none") == 0) {
            s->pending = AGENT_PENDING_NONE;
            return 0;
        }

        if (strcmp(value, "enroll") == 0) {
            s->pending = AGENT_PENDING_ENROLL;
            return 0;
        }

        if (strcmp(value, "renewal") == 0) {
            s->pending = AGENT_PENDING_RENEWAL;
            return 0;
        }

        break;
    }

    return scep_error_set(err, SCEP_ERR_INPUT, f->name,
                          "the state file's %s is not a value the agent "
                          "writes", f->name);
}


static int
agent_state_number(const char *value, long max, long *out)
{
    long   n;
    char  *end;

    if (value[0] < '0' || value[0] > '9' || strlen(value) > 12) {
        return -1;
    }

    errno = 0;
    n = strtol(value, &end, 10);

    if (*end != '\0' || errno != 0 || n < 0 || n > max) {
        return -1;
    }

    *out = n;

    return 0;
}


/* No control characters: a value is one line of printable text. */
static int
agent_state_text_ok(const char *value)
{
    const unsigned char  *p;

    for (p = (const unsigned char *) value; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }
    }

    return 1;
}


size_t
agent_state_format(const agent_state_t *s, char *buf, size_t size)
{
    int                   n;
    size_t                used, v;
    const agent_field_t  *f;

    n = snprintf(buf, size, "# scep-agent state: written by scep-agent, "
                            "read by its renew and status commands\n");
    if (n < 0 || (size_t) n >= size) {
        return 0;
    }

    used = (size_t) n;

    for (f = agent_fields; f->name != NULL; f++) {
        n = snprintf(buf + used, size - used, "%s = ", f->name);
        if (n < 0 || (size_t) n >= size - used) {
            return 0;
        }

        used += (size_t) n;

        v = agent_state_put_value(f, s, buf + used, size - used);
        if (v == 0 || v + 1 >= size - used) {
            return 0;
        }

        used += v - 1;          /* v counts the NUL */
        buf[used++] = '\n';
        buf[used] = '\0';
    }

    return used;
}


/* Writes one value and its NUL; returns the bytes written, 0 if no room. */
static size_t
agent_state_put_value(const agent_field_t *f, const agent_state_t *s,
    char *buf, size_t size)
{
    int          n;
    size_t       i, *fp_len;
    const char  *p;

    p = (const char *) s + f->offset;

    switch (f->type) {

    case AGENT_FIELD_VERSION:
        n = snprintf(buf, size, "%d", AGENT_STATE_VERSION);
        break;

    case AGENT_FIELD_TEXT:
        n = snprintf(buf, size, "%s", p);
        break;

    case AGENT_FIELD_FLAG:
        n = snprintf(buf, size, "%s", *(const int *) p ? "yes" : "no");
        break;

    case AGENT_FIELD_NUMBER:
        if (f->offset == offsetof(agent_state_t, key_bits)) {
            n = snprintf(buf, size, "%d", s->key_bits);
        } else {
            n = snprintf(buf, size, "%lld", (long long) s->pending_since);
        }
        break;

    case AGENT_FIELD_MODE:
        n = snprintf(buf, size, "%s", scep_mode_name(s->mode));
        break;

    case AGENT_FIELD_DIGEST:
        n = snprintf(buf, size, "%s", scep_digest_name(s->digest));
        break;

    case AGENT_FIELD_KEY_USAGE:
        n = snprintf(buf, size, "%s%s%s",
                     (s->key_usage & SCEP_KU_DIGITAL_SIGNATURE)
                     ? "digital_signature" : "",
                     (s->key_usage & SCEP_KU_DIGITAL_SIGNATURE)
                     && (s->key_usage & SCEP_KU_KEY_ENCIPHERMENT) ? "," : "",
                     (s->key_usage & SCEP_KU_KEY_ENCIPHERMENT)
                     ? "key_encipherment" : "");
        break;

    case AGENT_FIELD_FINGERPRINT:
        /* "AB:CD:...", as the portal's ca_fingerprint directive takes it */
        fp_len = agent_state_fingerprint_len((agent_state_t *) s, f);

        if (size < *fp_len * 3 + 1) {
            return 0;
        }

        buf[0] = '\0';
        n = 0;

        for (i = 0; i < *fp_len; i++) {
            n += snprintf(buf + n, size - (size_t) n, "%s%02X",
                          i ? ":" : "", (unsigned char) p[i]);
        }

        break;

    default:
        n = snprintf(buf, size, "%s", agent_pending_kind_name(s->pending));
        break;
    }

    if (n < 0 || (size_t) n >= size) {
        return 0;
    }

    return (size_t) n + 1;
}


static size_t *
agent_state_fingerprint_len(agent_state_t *s, const agent_field_t *f)
{
    return (f->offset == offsetof(agent_state_t, ca_fingerprint))
           ? &s->ca_fingerprint_len : &s->next_ca_fingerprint_len;
}


const char *
agent_pending_kind_name(agent_pending_kind_t kind)
{
    switch (kind) {

    case AGENT_PENDING_ENROLL:
        return "enroll";

    case AGENT_PENDING_RENEWAL:
        return "renewal";

    default:
        return "none";
    }
}


int
agent_state_load(const char *dir, agent_state_t *s, scep_error_t *err)
{
    int            rc;
    char          *text;
    size_t         len;
    scep_error_t   why;

    rc = agent_files_read(dir, AGENT_STATE_FILE, AGENT_STATE_MAX_LEN,
                          (unsigned char **) &text, &len, err);
    if (rc != 0) {
        return rc;
    }

    rc = agent_state_parse(text, len, s, &why);
    free(text);

    if (rc != 0) {
        return scep_error_set(err, SCEP_ERR_INPUT, why.field,
                              "%s/" AGENT_STATE_FILE " cannot be used: %s",
                              dir, why.message);
    }

    return 0;
}


int
agent_state_save(const char *dir, const agent_state_t *s, scep_error_t *err)
{
    char    buf[AGENT_STATE_MAX_LEN];
    size_t  len;

    len = agent_state_format(s, buf, sizeof(buf));

    if (len == 0) {
        return scep_error_set(err, SCEP_ERR_INTERNAL, "state",
                              "the state does not fit in %zu bytes",
                              sizeof(buf));
    }

    return agent_files_put(dir, AGENT_STATE_FILE, (unsigned char *) buf,
                           len, 0600, err);
}
