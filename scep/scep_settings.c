/*
 * A profile's settings one by one, as nginx directives give them: the
 * parsers of words, sizes and fingerprints, and the names of the enums.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scep_settings.h"
#include "scep_syntax.h"


typedef struct {
    const char  *name;
    int          value;
} scep_word_t;


static int scep_parse_word(const scep_word_t *words, const char *s,
    int *out, const char *field, const char *what, const char *accepted,
    scep_error_t *err);
static const char *scep_word_name(const scep_word_t *words, int value);


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
    { "bound", SCEP_CHALLENGE_BOUND },
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
    { "upn", SCEP_SAN_UPN },
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
                        "none, fixed, dynamic or bound", err)
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
                        "subject_alt_name type",
                        "none, rfc822, dns, uri or upn",
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

    if (scep_check_key_bits(bits, 0, err) != 0) {
        return -1;
    }

    *out = (int) bits;

    return 0;
}


/* The key size rule, shared by key_bits and the fips check. */

int
scep_check_key_bits(long bits, int fips, scep_error_t *err)
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
