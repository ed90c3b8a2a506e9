#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scep_profile.h"


/* How much of a refused word an error message repeats. */
#define SCEP_SHOW_MAX  32


typedef struct {
    const char  *name;
    int          value;
} scep_word_t;


static int scep_parse_word(const scep_word_t *words, const char *s,
    int *out, const char *field, const char *what, const char *accepted,
    scep_error_t *err);
static const char *scep_word_name(const scep_word_t *words, int value);
static const char *scep_show(char *buf, size_t size, const char *s);

static int scep_profile_check_challenge(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_login(const scep_profile_t *p,
    const char *kind, scep_error_t *err);
static int scep_profile_check_secret(const char *field, const char *value,
    const char *kind, const char *needed, scep_error_t *err);
static int scep_profile_not_for(const char *field, const char *kind,
    const char *used_by, scep_error_t *err);
static int scep_profile_check_server(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_san(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_key(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_key_bits(long bits, int fips,
    scep_error_t *err);
static int scep_profile_check_tls(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_timeouts(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_polling(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_proxy(const scep_profile_t *p,
    scep_error_t *err);

static int scep_url_check(const char *field, const char *url,
    const char *https_why, scep_error_t *err);
static int scep_url_check_host(const char *field, const char *host,
    size_t len, scep_error_t *err);
static int scep_is_https(const char *url);
static int scep_is_host_name(const char *s, size_t len, int wildcard);
static int scep_is_mailbox(const char *s);
static int scep_is_uri(const char *s);
static int scep_has_dollar_word(const char *s);
static int scep_hex_value(int c);


static const scep_word_t  scep_modes[] = {
    { "push", SCEP_MODE_PUSH },
    { "enroll", SCEP_MODE_ENROLL },
    { "proxy", SCEP_MODE_PROXY },
    { NULL, 0 }
};

static const scep_word_t  scep_challenges[] = {
    { "none", SCEP_CHALLENGE_NONE },
    { "fixed", SCEP_CHALLENGE_FIXED },
    { "dynamic", SCEP_CHALLENGE_DYNAMIC },
    { NULL, 0 }
};

static const scep_word_t  scep_http_auths[] = {
    { "basic", SCEP_HTTP_AUTH_BASIC },
    { "ntlm", SCEP_HTTP_AUTH_NTLM },
    { "any", SCEP_HTTP_AUTH_ANY },
    { NULL, 0 }
};

static const scep_word_t  scep_san_types[] = {
    { "none", SCEP_SAN_NONE },
    { "rfc822", SCEP_SAN_RFC822 },
    { "dns", SCEP_SAN_DNS },
    { "uri", SCEP_SAN_URI },
    { NULL, 0 }
};

static const scep_word_t  scep_digests[] = {
    { "sha1", SCEP_DIGEST_SHA1 },
    { "sha256", SCEP_DIGEST_SHA256 },
    { "sha384", SCEP_DIGEST_SHA384 },
    { NULL, 0 }
};

static const scep_word_t  scep_key_usages[] = {
    { "digital_signature", SCEP_KU_DIGITAL_SIGNATURE },
    { "key_encipherment", SCEP_KU_KEY_ENCIPHERMENT },
    { NULL, 0 }
};


void
scep_profile_init(scep_profile_t *p, const char *name)
{
    memset(p, 0, sizeof(scep_profile_t));

    p->name = name;
    p->mode = SCEP_MODE_PUSH;
    p->challenge = SCEP_CHALLENGE_NONE;
    p->challenge_auth = SCEP_HTTP_AUTH_BASIC;
    p->san_type = SCEP_SAN_NONE;
    p->key_bits = SCEP_KEY_BITS_DEFAULT;
    p->digest = SCEP_DIGEST_SHA256;
    p->key_usage = SCEP_KU_DIGITAL_SIGNATURE | SCEP_KU_KEY_ENCIPHERMENT;
    p->fips = 0;
    p->connect_timeout_ms = SCEP_CONNECT_TIMEOUT_DEFAULT_MS;
    p->timeout_ms = SCEP_TIMEOUT_DEFAULT_MS;
    p->ticket_lifetime_s = 600;
    p->key_pool = 0;
    p->poll_interval_ms = 1000;
    p->poll_wait_ms = 10000;
    p->poll_retry_s = 60;
}


int
scep_profile_validate(scep_profile_t *p, scep_error_t *err)
{
    scep_subject_tpl_t  *tpl;

    scep_profile_release(p);

    if (scep_word_name(scep_modes, p->mode) == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "mode",
                              "mode has an unknown value %d", (int) p->mode);
    }

    if (scep_profile_check_challenge(p, err) != 0
        || scep_profile_check_server(p, err) != 0)
    {
        return -1;
    }

    if (p->subject == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject",
                              "subject is required, such as "
                              "O=acme,CN=$USERNAME");
    }

    tpl = scep_subject_parse(p->subject, err);
    if (tpl == NULL) {
        return -1;
    }

    if (scep_profile_check_san(p, err) != 0
        || scep_profile_check_key(p, err) != 0
        || scep_profile_check_tls(p, err) != 0
        || scep_profile_check_timeouts(p, err) != 0
        || scep_profile_check_polling(p, err) != 0
        || scep_profile_check_proxy(p, err) != 0)
    {
        scep_subject_free(tpl);
        return -1;
    }

    p->subject_tpl = tpl;

    return 0;
}


void
scep_profile_release(scep_profile_t *p)
{
    if (p->subject_tpl != NULL) {
        scep_subject_free(p->subject_tpl);
        p->subject_tpl = NULL;
    }
}


int
scep_parse_mode(const char *s, scep_mode_t *out, scep_error_t *err)
{
    int  v;

    if (scep_parse_word(scep_modes, s, &v, "mode", "mode",
                        "push, enroll or proxy", err)
        != 0)
    {
        return -1;
    }

    *out = (scep_mode_t) v;

    return 0;
}


int
scep_parse_challenge(const char *s, scep_challenge_type_t *out,
    scep_error_t *err)
{
    int  v;

    if (scep_parse_word(scep_challenges, s, &v, "challenge", "challenge",
                        "none, fixed or dynamic", err)
        != 0)
    {
        return -1;
    }

    *out = (scep_challenge_type_t) v;

    return 0;
}


int
scep_parse_http_auth(const char *s, scep_http_auth_t *out,
    scep_error_t *err)
{
    int  v;

    if (scep_parse_word(scep_http_auths, s, &v, "challenge_auth",
                        "challenge_auth", "basic, ntlm or any", err)
        != 0)
    {
        return -1;
    }

    *out = (scep_http_auth_t) v;

    return 0;
}


int
scep_parse_san_type(const char *s, scep_san_type_t *out, scep_error_t *err)
{
    int  v;

    if (scep_parse_word(scep_san_types, s, &v, "subject_alt_name",
                        "subject_alt_name type", "none, rfc822, dns or uri",
                        err)
        != 0)
    {
        return -1;
    }

    *out = (scep_san_type_t) v;

    return 0;
}


int
scep_parse_digest(const char *s, scep_digest_t *out, scep_error_t *err)
{
    int  v;

    if (scep_parse_word(scep_digests, s, &v, "digest", "digest",
                        "sha1, sha256 or sha384", err)
        != 0)
    {
        return -1;
    }

    *out = (scep_digest_t) v;

    return 0;
}


int
scep_parse_key_usage(const char *s, unsigned *usage, scep_error_t *err)
{
    int  v;

    if (scep_parse_word(scep_key_usages, s, &v, "key_usage", "key_usage",
                        "digital_signature and/or key_encipherment", err)
        != 0)
    {
        return -1;
    }

    *usage |= (unsigned) v;

    return 0;
}


int
scep_parse_key_bits(const char *s, int *out, scep_error_t *err)
{
    char    show[SCEP_SHOW_MAX + 8];
    long    bits;
    size_t  i;

    bits = 0;

    for (i = 0; s != NULL && s[i] >= '0' && s[i] <= '9'; i++) {
        /* saturate: any longer number is simply out of range */
        if (bits <= SCEP_KEY_BITS_MAX) {
            bits = bits * 10 + (s[i] - '0');
        }
    }

    if (s == NULL || i == 0 || s[i] != '\0') {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_bits",
                              "key_bits \"%s\" is not a number of bits "
                              "such as 2048",
                              scep_show(show, sizeof(show), s));
    }

    if (bits < SCEP_KEY_BITS_MIN || bits > SCEP_KEY_BITS_MAX) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_bits",
                              "key_bits must be between %d and %d, not %s",
                              SCEP_KEY_BITS_MIN, SCEP_KEY_BITS_MAX,
                              scep_show(show, sizeof(show), s));
    }

    if (scep_profile_check_key_bits(bits, 0, err) != 0) {
        return -1;
    }

    *out = (int) bits;

    return 0;
}


int
scep_parse_fingerprint(const char *s, unsigned char *out, size_t *len,
    scep_error_t *err)
{
    int     colons, hi, lo;
    size_t  i, n, digits;

    /* the longest acceptable form: 32 colon-separated pairs */

    n = (s == NULL) ? 0 : strnlen(s, 3 * SCEP_FINGERPRINT_MAX + 1);

    if (n == 0 || n > 3 * SCEP_FINGERPRINT_MAX - 1) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "ca_fingerprint",
                              "ca_fingerprint must be 40 (SHA-1) or 64 "
                              "(SHA-256) hex digits, plain or in "
                              "colon-separated pairs such as AB:CD:...");
    }

    colons = (strchr(s, ':') != NULL);

    for (i = 0; i < n; i++) {
        if (colons && i % 3 == 2) {
            if (s[i] != ':') {
                break;
            }

            continue;
        }

        if (scep_hex_value((unsigned char) s[i]) >= 0) {
            continue;
        }

        if (s[i] == ':') {
            break;
        }

        if (s[i] > 0x20 && s[i] < 0x7f) {
            return scep_error_set(err, SCEP_ERR_CONFIG, "ca_fingerprint",
                                  "ca_fingerprint contains \"%c\", which is "
                                  "not a hex digit", s[i]);
        }

        return scep_error_set(err, SCEP_ERR_CONFIG, "ca_fingerprint",
                              "ca_fingerprint contains the byte 0x%02x, "
                              "which is not a hex digit",
                              (unsigned char) s[i]);
    }

    if (i < n || (colons && n % 3 != 2)) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "ca_fingerprint",
                              "ca_fingerprint has a misplaced colon: write "
                              "the hex digits plain, or in pairs separated "
                              "by single colons such as AB:CD:...");
    }

    digits = colons ? (n + 1) / 3 * 2 : n;

    if (digits != 40 && digits != 64) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "ca_fingerprint",
                              "ca_fingerprint has %zu hex digits; expected "
                              "40 (SHA-1) or 64 (SHA-256)", digits);
    }

    for (i = 0; i < digits / 2; i++) {
        hi = scep_hex_value((unsigned char) s[colons ? 3 * i : 2 * i]);
        lo = scep_hex_value((unsigned char) s[colons ? 3 * i + 1 : 2 * i + 1]);
        out[i] = (unsigned char) (hi << 4 | lo);
    }

    *len = digits / 2;

    return 0;
}


int
scep_check_url(const char *url, int https_only, scep_error_t *err)
{
    return scep_url_check("url", url, https_only ? "" : NULL, err);
}


const char *
scep_mode_name(scep_mode_t mode)
{
    const char  *name;

    name = scep_word_name(scep_modes, mode);

    return name != NULL ? name : "unknown";
}


const char *
scep_challenge_name(scep_challenge_type_t c)
{
    const char  *name;

    name = scep_word_name(scep_challenges, c);

    return name != NULL ? name : "unknown";
}


const char *
scep_san_type_name(scep_san_type_t t)
{
    const char  *name;

    name = scep_word_name(scep_san_types, t);

    return name != NULL ? name : "unknown";
}


const char *
scep_digest_name(scep_digest_t d)
{
    const char  *name;

    name = scep_word_name(scep_digests, d);

    return name != NULL ? name : "unknown";
}


static int
scep_parse_word(const scep_word_t *words, const char *s, int *out,
    const char *field, const char *what, const char *accepted,
    scep_error_t *err)
{
    char    show[SCEP_SHOW_MAX + 8];
    size_t  i;

    for (i = 0; s != NULL && words[i].name != NULL; i++) {
        if (strcasecmp(words[i].name, s) == 0) {
            *out = words[i].value;
            return 0;
        }
    }

    return scep_error_set(err, SCEP_ERR_CONFIG, field,
                          "unknown %s \"%s\": use %s",
                          what, scep_show(show, sizeof(show), s), accepted);
}


static const char *
scep_word_name(const scep_word_t *words, int value)
{
    size_t  i;

    for (i = 0; words[i].name != NULL; i++) {
        if (words[i].value == value) {
            return words[i].name;
        }
    }

    return NULL;
}


/*
 * A refused word, fit to be repeated in a message and a log line:
 * anything but printable ASCII becomes '?', and long words are cut.
 */
static const char *
scep_show(char *buf, size_t size, const char *s)
{
    size_t  i, n;

    if (s == NULL) {
        return "";
    }

    n = 0;

    for (i = 0; s[i] != '\0' && n + 4 < size; i++) {
        if (i == SCEP_SHOW_MAX) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }

        buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    }

    buf[n] = '\0';

    return buf;
}


/*
 * The challenge settings, each in the order the product's guide lists
 * them.  A setting that the chosen kind of challenge would not use is an
 * error: ignored silently, it would hide a mistake.
 */
static int
scep_profile_check_challenge(const scep_profile_t *p, scep_error_t *err)
{
    int          password_set;
    const char  *kind, *password_field;

    kind = scep_word_name(scep_challenges, p->challenge);

    if (kind == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge",
                              "challenge has an unknown value %d",
                              (int) p->challenge);
    }

    password_field = (p->challenge_password_file != NULL)
                     ? "challenge_password_file" : "challenge_password";
    password_set = (p->challenge_password != NULL
                    || p->challenge_password_file != NULL);

    if (p->challenge == SCEP_CHALLENGE_DYNAMIC) {
        if (scep_profile_check_login(p, kind, err) != 0) {
            return -1;
        }

    } else if (p->challenge_username != NULL) {
        return scep_profile_not_for("challenge_username", kind, "dynamic",
                                    err);
    }

    if (p->challenge == SCEP_CHALLENGE_NONE) {
        if (password_set) {
            return scep_profile_not_for(password_field, kind,
                                        "fixed or dynamic", err);
        }

    } else if (scep_profile_check_secret(password_field,
                                         p->challenge_password, kind,
                                         "challenge_password or "
                                         "challenge_password_file", err)
               != 0)
    {
        return -1;
    }

    if (p->challenge != SCEP_CHALLENGE_DYNAMIC) {

        if (p->challenge_url != NULL) {
            return scep_profile_not_for("challenge_url", kind, "dynamic",
                                        err);
        }

        if (p->challenge_auth != SCEP_HTTP_AUTH_BASIC) {
            return scep_profile_not_for("challenge_auth", kind, "dynamic",
                                        err);
        }

        return 0;
    }

    if (p->challenge_url == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge_url",
                              "challenge dynamic needs challenge_url, the "
                              "page that hands out one-time passwords");
    }

    if (scep_url_check("challenge_url", p->challenge_url,
                       p->fips ? " when fips is on" : NULL, err)
        != 0)
    {
        return -1;
    }

    if (scep_word_name(scep_http_auths, p->challenge_auth) == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge_auth",
                              "challenge_auth has an unknown value %d",
                              (int) p->challenge_auth);
    }

    return 0;
}


static int
scep_profile_check_login(const scep_profile_t *p, const char *kind,
    scep_error_t *err)
{
    if (scep_profile_check_secret("challenge_username",
                                  p->challenge_username, kind,
                                  "challenge_username, the account allowed "
                                  "to fetch one-time passwords", err)
        != 0)
    {
        return -1;
    }

    /* Basic authentication joins user and password with a colon */

    if (p->challenge_auth != SCEP_HTTP_AUTH_NTLM
        && strchr(p->challenge_username, ':') != NULL)
    {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge_username",
                              "challenge_username cannot contain \":\" "
                              "with Basic authentication; use "
                              "challenge_auth ntlm");
    }

    return 0;
}


/*
 * A password or login: present, bounded, and free of control characters
 * (a password file's trailing newline is the usual one).  The value
 * itself never appears in a message.
 */
static int
scep_profile_check_secret(const char *field, const char *value,
    const char *kind, const char *needed, scep_error_t *err)
{
    size_t  i, len;

    if (value == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, field,
                              "challenge %s needs %s", kind, needed);
    }

    if (value[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_CONFIG, field, "%s is empty",
                              field);
    }

    len = strnlen(value, SCEP_CHALLENGE_MAX_LEN + 1);

    if (len > SCEP_CHALLENGE_MAX_LEN) {
        return scep_error_set(err, SCEP_ERR_CONFIG, field,
                              "%s is longer than %d bytes", field,
                              SCEP_CHALLENGE_MAX_LEN);
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) value[i] < 0x20 || value[i] == 0x7f) {
            return scep_error_set(err, SCEP_ERR_CONFIG, field,
                                  "%s contains a control character at "
                                  "byte %zu%s", field, i + 1,
                                  (i + 1 == len && value[i] == '\n')
                                  ? " (a trailing newline?)" : "");
        }
    }

    return 0;
}


static int
scep_profile_not_for(const char *field, const char *kind,
    const char *used_by, scep_error_t *err)
{
    return scep_error_set(err, SCEP_ERR_CONFIG, field,
                          "%s has no effect with challenge %s (only "
                          "challenge %s uses it): remove it, or change "
                          "challenge", field, kind, used_by);
}


static int
scep_profile_check_server(const scep_profile_t *p, scep_error_t *err)
{
    size_t  i, len;

    if (p->server_url == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "server_url",
                              "server_url is required: the SCEP service, "
                              "such as http://pki.example.com/certsrv/"
                              "mscep/mscep.dll");
    }

    if (scep_url_check("server_url", p->server_url,
                       p->fips ? " when fips is on" : NULL, err)
        != 0)
    {
        return -1;
    }

    if (p->ca_ident == NULL || p->ca_ident[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_CONFIG, "ca_ident",
                              "ca_ident is required: 1 to %d characters "
                              "naming the CA to the SCEP service",
                              SCEP_CA_IDENT_MAX);
    }

    len = strnlen(p->ca_ident, SCEP_CA_IDENT_MAX + 1);

    if (len > SCEP_CA_IDENT_MAX) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "ca_ident",
                              "ca_ident is longer than %d characters",
                              SCEP_CA_IDENT_MAX);
    }

    for (i = 0; i < len; i++) {
        if (p->ca_ident[i] < 0x20 || p->ca_ident[i] >= 0x7f) {
            return scep_error_set(err, SCEP_ERR_CONFIG, "ca_ident",
                                  "ca_ident must be printable ASCII; byte "
                                  "%zu is not", i + 1);
        }
    }

    return 0;
}


static int
scep_profile_check_san(const scep_profile_t *p, scep_error_t *err)
{
    const char  *type, *v;

    type = scep_word_name(scep_san_types, p->san_type);
    v = p->san_value;

    if (type == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                              "subject_alt_name has an unknown type %d",
                              (int) p->san_type);
    }

    if (p->san_type == SCEP_SAN_NONE) {
        if (v != NULL) {
            return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                                  "subject_alt_name none takes no value");
        }

        return 0;
    }

    if (v == NULL || v[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                              "subject_alt_name %s needs a value", type);
    }

    if (strnlen(v, SCEP_SAN_MAX_LEN + 1) > SCEP_SAN_MAX_LEN) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                              "subject_alt_name is longer than %d bytes",
                              SCEP_SAN_MAX_LEN);
    }

    if (scep_has_dollar_word(v)) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                              "subject_alt_name takes static values only: "
                              "tokens such as $USERNAME are not allowed");
    }

    switch (p->san_type) {

    case SCEP_SAN_RFC822:
        if (!scep_is_mailbox(v)) {
            return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                                  "subject_alt_name rfc822 must be an email "
                                  "address such as vpn@example.com");
        }

        break;

    case SCEP_SAN_DNS:
        if (!scep_is_host_name(v, strlen(v), 1)) {
            return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                                  "subject_alt_name dns must be a host name "
                                  "of letters, digits, \"-\" and \".\", "
                                  "optionally starting with \"*.\"");
        }

        break;

    default: /* SCEP_SAN_URI */
        if (!scep_is_uri(v)) {
            return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                                  "subject_alt_name uri must start with a "
                                  "scheme such as https: or urn: and hold "
                                  "no spaces or non-ASCII characters");
        }

        break;
    }

    return 0;
}


static int
scep_profile_check_key(const scep_profile_t *p, scep_error_t *err)
{
    if (scep_profile_check_key_bits(p->key_bits, p->fips, err) != 0) {
        return -1;
    }

    if (scep_word_name(scep_digests, p->digest) == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "digest",
                              "digest has an unknown value %d",
                              (int) p->digest);
    }

    if (p->fips && p->digest == SCEP_DIGEST_SHA1) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "digest",
                              "fips on forbids sha1: use sha256 or sha384");
    }

    if (p->key_usage == 0) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_usage",
                              "key_usage needs digital_signature, "
                              "key_encipherment or both");
    }

    if (p->key_usage
        & ~(unsigned) (SCEP_KU_DIGITAL_SIGNATURE | SCEP_KU_KEY_ENCIPHERMENT))
    {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_usage",
                              "key_usage has unknown bits 0x%x",
                              p->key_usage);
    }

    if (p->ca_fingerprint_len != 0 && p->ca_fingerprint_len != 20
        && p->ca_fingerprint_len != 32)
    {
        return scep_error_set(err, SCEP_ERR_CONFIG, "ca_fingerprint",
                              "ca_fingerprint is %zu bytes long; expected "
                              "20 (SHA-1) or 32 (SHA-256)",
                              p->ca_fingerprint_len);
    }

    return 0;
}


static int
scep_profile_check_key_bits(long bits, int fips, scep_error_t *err)
{
    if (bits < SCEP_KEY_BITS_MIN || bits > SCEP_KEY_BITS_MAX) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_bits",
                              "key_bits must be between %d and %d, not %ld",
                              SCEP_KEY_BITS_MIN, SCEP_KEY_BITS_MAX, bits);
    }

    if (bits % SCEP_KEY_BITS_STEP != 0) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_bits",
                              "key_bits must be a multiple of %d, such as "
                              "2048, 3072 or 4096, not %ld",
                              SCEP_KEY_BITS_STEP, bits);
    }

    if (fips && bits < SCEP_KEY_BITS_FIPS_MIN) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_bits",
                              "fips on needs key_bits of at least %d, "
                              "not %ld", SCEP_KEY_BITS_FIPS_MIN, bits);
    }

    return 0;
}


static int
scep_profile_check_tls(const scep_profile_t *p, scep_error_t *err)
{
    const char  *field;

    if (p->client_cert != NULL && p->client_key == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "tls_certificate_key",
                              "tls_certificate is set but "
                              "tls_certificate_key is not: mutual TLS "
                              "needs both");
    }

    if (p->client_key != NULL && p->client_cert == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "tls_certificate",
                              "tls_certificate_key is set but "
                              "tls_certificate is not: mutual TLS needs "
                              "both");
    }

    if (p->trusted_ca == NULL && p->client_cert == NULL) {
        return 0;
    }

    if (scep_is_https(p->server_url)
        || (p->challenge == SCEP_CHALLENGE_DYNAMIC
            && scep_is_https(p->challenge_url)))
    {
        return 0;
    }

    field = (p->trusted_ca != NULL) ? "tls_trusted_certificate"
                                    : "tls_certificate";

    return scep_error_set(err, SCEP_ERR_CONFIG, field,
                          "%s has no effect: neither server_url nor "
                          "challenge_url uses https://", field);
}


static int
scep_profile_check_timeouts(const scep_profile_t *p, scep_error_t *err)
{
    if (p->connect_timeout_ms <= 0
        || p->connect_timeout_ms > SCEP_TIMEOUT_MAX_MS)
    {
        return scep_error_set(err, SCEP_ERR_CONFIG, "connect_timeout",
                              "connect_timeout must be more than 0 and at "
                              "most %d s", SCEP_TIMEOUT_MAX_MS / 1000);
    }

    if (p->timeout_ms <= 0 || p->timeout_ms > SCEP_TIMEOUT_MAX_MS) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "timeout",
                              "timeout must be more than 0 and at most "
                              "%d s", SCEP_TIMEOUT_MAX_MS / 1000);
    }

    if (p->connect_timeout_ms > p->timeout_ms) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "connect_timeout",
                              "connect_timeout (%ld ms) is longer than "
                              "timeout (%ld ms), which bounds the whole "
                              "exchange",
                              p->connect_timeout_ms, p->timeout_ms);
    }

    return 0;
}


/*
 * https_why: NULL when http:// is acceptable; else https:// is required
 * and the text completes "... must use https://".
 */
static int
scep_url_check(const char *field, const char *url, const char *https_why,
    scep_error_t *err)
{
    size_t       i, len;
    const char  *host;

    if (url == NULL || url[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_CONFIG, field, "%s is empty",
                              field);
    }

    len = strnlen(url, SCEP_URL_MAX_LEN + 1);

    if (len > SCEP_URL_MAX_LEN) {
        return scep_error_set(err, SCEP_ERR_CONFIG, field,
                              "%s is longer than %d bytes", field,
                              SCEP_URL_MAX_LEN);
    }

    for (i = 0; i < len; i++) {
        if (url[i] <= 0x20 || url[i] >= 0x7f) {
            return scep_error_set(err, SCEP_ERR_CONFIG, field,
                                  "%s has a space, a control character or "
                                  "a non-ASCII byte at byte %zu; "
                                  "percent-encode it", field, i + 1);
        }
    }

    if (strncasecmp(url, "https://", 8) == 0) {
        host = url + 8;

    } else if (strncasecmp(url, "http://", 7) == 0) {
        if (https_why != NULL) {
            return scep_error_set(err, SCEP_ERR_CONFIG, field,
                                  "%s must use https://%s", field,
                                  https_why);
        }

        host = url + 7;

    } else {
        return scep_error_set(err, SCEP_ERR_CONFIG, field,
                              "%s must start with http:// or https://",
                              field);
    }

    if (strchr(url, '#') != NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, field,
                              "%s must not have a #fragment", field);
    }

    return scep_url_check_host(field, host, strcspn(host, "/?"), err);
}


/* host, [v6 address], either with an optional :port; no user@. */
static int
scep_url_check_host(const char *field, const char *host, size_t len,
    scep_error_t *err)
{
    long         port;
    size_t       i, end;
    const char  *colon;

    if (memchr(host, '@', len) != NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, field,
                              "%s must not hold a user name or password "
                              "before the host; use the profile's own "
                              "settings for credentials", field);
    }

    if (len > 0 && host[0] == '[') {
        for (end = 1; end < len && host[end] != ']'; end++) {
            if (scep_hex_value((unsigned char) host[end]) < 0
                && host[end] != ':' && host[end] != '.')
            {
                break;
            }
        }

        if (end == len || host[end] != ']' || end == 1) {
            return scep_error_set(err, SCEP_ERR_CONFIG, field,
                                  "%s has a malformed [IPv6] host", field);
        }

        end++;

    } else {
        colon = memchr(host, ':', len);
        end = (colon != NULL) ? (size_t) (colon - host) : len;

        if (end == 0) {
            return scep_error_set(err, SCEP_ERR_CONFIG, field,
                                  "%s has no host", field);
        }

        for (i = 0; i < end; i++) {
            if (!((host[i] >= 'a' && host[i] <= 'z')
                  || (host[i] >= 'A' && host[i] <= 'Z')
                  || (host[i] >= '0' && host[i] <= '9')
                  || host[i] == '-' || host[i] == '.' || host[i] == '_'))
            {
                return scep_error_set(err, SCEP_ERR_CONFIG, field,
                                      "%s has a character a host name "
                                      "cannot hold at byte %zu of the host",
                                      field, i + 1);
            }
        }
    }

    if (end == len) {
        return 0;
    }

    if (host[end] != ':' || end + 1 == len || len - end - 1 > 5) {
        return scep_error_set(err, SCEP_ERR_CONFIG, field,
                              "%s has a malformed port", field);
    }

    port = 0;

    for (i = end + 1; i < len; i++) {
        if (host[i] < '0' || host[i] > '9') {
            return scep_error_set(err, SCEP_ERR_CONFIG, field,
                                  "%s has a malformed port", field);
        }

        port = port * 10 + (host[i] - '0');
    }

    if (port < 1 || port > 65535) {
        return scep_error_set(err, SCEP_ERR_CONFIG, field,
                              "%s has port %ld; ports run from 1 to 65535",
                              field, port);
    }

    return 0;
}


static int
scep_is_https(const char *url)
{
    return url != NULL && strncasecmp(url, "https://", 8) == 0;
}


/* RFC 1123 labels; "*." first when wildcard is allowed. */
static int
scep_is_host_name(const char *s, size_t len, int wildcard)
{
    size_t  i, label;

    if (wildcard && len > 2 && s[0] == '*' && s[1] == '.') {
        s += 2;
        len -= 2;
    }

    if (len == 0 || len > 253) {
        return 0;
    }

    label = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (label == 0 || s[i - 1] == '-') {
                return 0;
            }

            label = 0;
            continue;
        }

        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9')
              || (s[i] == '-' && label > 0)))
        {
            return 0;
        }

        if (++label > 63) {
            return 0;
        }
    }

    return label > 0 && s[len - 1] != '-';
}


/* local@domain: an RFC 5322 dot-atom, then a host name. */
static int
scep_is_mailbox(const char *s)
{
    size_t       i, local;
    const char  *at;

    at = strchr(s, '@');

    if (at == NULL || strchr(at + 1, '@') != NULL) {
        return 0;
    }

    local = at - s;

    if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.') {
        return 0;
    }

    for (i = 0; i < local; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.') {
                return 0;
            }

            continue;
        }

        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9')
              || strchr("!#$%&'*+/=?^_`{|}~-", s[i]) != NULL))
        {
            return 0;
        }
    }

    return scep_is_host_name(at + 1, strlen(at + 1), 0);
}


/* scheme ":" rest (RFC 3986), in printable ASCII without spaces. */
static int
scep_is_uri(const char *s)
{
    size_t  i;

    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
        return 0;
    }

    for (i = 1; s[i] != ':'; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        {
            return 0;
        }
    }

    if (s[i + 1] == '\0') {
        return 0;
    }

    for (i++; s[i] != '\0'; i++) {
        if (s[i] <= 0x20 || s[i] >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


/*
 * "$" then a letter: the known tokens, and misspelt ones such as
 * $username, which would otherwise land in the certificate verbatim.
 */
static int
scep_has_dollar_word(const char *s)
{
    while ((s = strchr(s, '$')) != NULL) {
        s++;

        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
            || *s == '_')
        {
            return 1;
        }
    }

    return 0;
}


static int
scep_hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


/*
 * Polling holds a worker thread while it waits, so one login may not
 * wait long; beyond poll_wait the agent is told to come back.
 */

static int
scep_profile_check_polling(const scep_profile_t *p, scep_error_t *err)
{
    if (p->key_pool > SCEP_KEY_POOL_MAX) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "key_pool",
                              "key_pool must be 0..%d keys, got %zu",
                              SCEP_KEY_POOL_MAX, p->key_pool);
    }

    if (p->poll_wait_ms < 0 || p->poll_wait_ms > SCEP_POLL_WAIT_MAX_MS) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "poll_wait",
                              "poll_wait must be 0 to %d s",
                              SCEP_POLL_WAIT_MAX_MS / 1000);
    }

    if (p->poll_interval_ms <= 0
        || (p->poll_wait_ms > 0 && p->poll_interval_ms > p->poll_wait_ms))
    {
        return scep_error_set(err, SCEP_ERR_CONFIG, "poll_interval",
                              "poll_interval must be more than 0 and at "
                              "most poll_wait");
    }

    if (p->poll_retry_s <= 0 || p->poll_retry_s > SCEP_POLL_RETRY_MAX_S) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "poll_retry",
                              "poll_retry must be 1 s to %d s",
                              SCEP_POLL_RETRY_MAX_S);
    }

    return 0;
}


/*
 * Proxy mode: agents are told to send their SCEP requests to proxy_url,
 * the portal's own location in front of the PKI.
 */

static int
scep_profile_check_proxy(const scep_profile_t *p, scep_error_t *err)
{
    if (p->mode != SCEP_MODE_PROXY) {
        if (p->proxy_url != NULL) {
            return scep_error_set(err, SCEP_ERR_CONFIG, "proxy_url",
                                  "proxy_url applies to mode proxy only");
        }

        return 0;
    }

    if (p->proxy_url == NULL) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "proxy_url",
                              "mode proxy needs proxy_url, the portal's "
                              "URL that passes SCEP requests to server_url");
    }

    if (scep_url_check("proxy_url", p->proxy_url,
                       p->fips ? "when fips is on" : NULL, err)
        != 0)
    {
        return -1;
    }

    if (p->ticket_lifetime_s <= 0
        || p->ticket_lifetime_s > SCEP_TICKET_LIFETIME_MAX_S)
    {
        return scep_error_set(err, SCEP_ERR_CONFIG, "ticket_lifetime",
                              "ticket_lifetime must be 1 s to %d s",
                              SCEP_TICKET_LIFETIME_MAX_S);
    }

    return 0;
}
