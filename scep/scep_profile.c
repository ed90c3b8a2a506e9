/*
 * A profile as a whole: its defaults, and the rules its settings must
 * keep together (challenge, URLs, SAN, keys, TLS, FIPS, each mode).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scep_profile.h"
#include "scep_syntax.h"


static int scep_profile_check_challenge(scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_lifetime(scep_profile_t *p, const char *kind,
    scep_error_t *err);
static int scep_profile_check_login(const scep_profile_t *p,
    const char *kind, scep_error_t *err);
static int scep_profile_check_secret(const char *field, const char *value,
    const char *kind, const char *needed, scep_error_t *err);
static int scep_profile_not_for(const char *field, const char *kind,
    const char *used_by, scep_error_t *err);
static int scep_profile_check_server(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_key(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_tls(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_timeouts(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_polling(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_proxy(const scep_profile_t *p,
    scep_error_t *err);
static int scep_profile_check_trust(const scep_profile_t *p,
    scep_error_t *err);


void
scep_profile_init(scep_profile_t *p, const char *name)
{
    memset(p, 0, sizeof(scep_profile_t));

    p->name = name;
    p->mode = SCEP_MODE_PUSH;
    p->challenge = SCEP_CHALLENGE_NONE;
    p->challenge_auth = SCEP_HTTP_AUTH_BASIC;
    p->challenge_lifetime_s = -1;
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
    scep_san_tpl_t      *san;
    scep_subject_tpl_t  *tpl;

    scep_profile_release(p);

    if ((unsigned) p->mode > SCEP_MODE_PROXY) {
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

    san = scep_san_parse(p->sans, p->nsans, err);
    if (san == NULL) {
        scep_subject_free(tpl);
        return -1;
    }

    if (scep_profile_check_key(p, err) != 0
        || scep_profile_check_tls(p, err) != 0
        || scep_profile_check_timeouts(p, err) != 0
        || scep_profile_check_polling(p, err) != 0
        || scep_profile_check_proxy(p, err) != 0
        || scep_profile_check_trust(p, err) != 0)
    {
        scep_san_tpl_free(san);
        scep_subject_free(tpl);
        return -1;
    }

    p->subject_tpl = tpl;
    p->san_tpl = san;

    return 0;
}


void
scep_profile_release(scep_profile_t *p)
{
    if (p->subject_tpl != NULL) {
        scep_subject_free(p->subject_tpl);
        p->subject_tpl = NULL;
    }

    if (p->san_tpl != NULL) {
        scep_san_tpl_free(p->san_tpl);
        p->san_tpl = NULL;
    }
}


/*
 * The challenge settings, each in the order the product's guide lists
 * them.  A setting that the chosen kind of challenge would not use is an
 * error: ignored silently, it would hide a mistake.
 */
static int
scep_profile_check_challenge(scep_profile_t *p, scep_error_t *err)
{
    int          password_set;
    const char  *kind, *password_field;

    if ((unsigned) p->challenge > SCEP_CHALLENGE_BOUND) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge",
                              "challenge has an unknown value %d",
                              (int) p->challenge);
    }

    kind = scep_challenge_name(p->challenge);

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

    if (scep_profile_check_lifetime(p, kind, err) != 0) {
        return -1;
    }

    if (p->challenge == SCEP_CHALLENGE_NONE
        || p->challenge == SCEP_CHALLENGE_BOUND)
    {
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

    if ((unsigned) p->challenge_auth > SCEP_HTTP_AUTH_ANY) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge_auth",
                              "challenge_auth has an unknown value %d",
                              (int) p->challenge_auth);
    }

    return 0;
}


/*
 * A bound challenge's lifetime: unset (-1) is the default.  The
 * verifier keeps a used challenge until it expires, so it is bounded.
 */
static int
scep_profile_check_lifetime(scep_profile_t *p, const char *kind,
    scep_error_t *err)
{
    if (p->challenge != SCEP_CHALLENGE_BOUND) {
        if (p->challenge_lifetime_s != -1) {
            return scep_profile_not_for("challenge_lifetime", kind, "bound",
                                        err);
        }

        return 0;
    }

    if (p->challenge_lifetime_s == -1) {
        p->challenge_lifetime_s = SCEP_CHALLENGE_LIFETIME_DEFAULT_S;
    }

    if (p->challenge_lifetime_s <= 0
        || p->challenge_lifetime_s > SCEP_CHALLENGE_LIFETIME_MAX_S)
    {
        return scep_error_set(err, SCEP_ERR_CONFIG, "challenge_lifetime",
                              "challenge_lifetime must be 1 s to %d s",
                              SCEP_CHALLENGE_LIFETIME_MAX_S);
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
scep_profile_check_key(const scep_profile_t *p, scep_error_t *err)
{
    if (scep_check_key_bits(p->key_bits, p->fips, err) != 0) {
        return -1;
    }

    if ((unsigned) p->digest > SCEP_DIGEST_SHA384) {
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

    /*
     * Agents get the URL with "/<ticket>" appended: stock SCEP clients
     * keep the path they are given, and add a query of their own.
     */
    if (strchr(p->proxy_url, '?') != NULL
        || p->proxy_url[strlen(p->proxy_url) - 1] == '/')
    {
        return scep_error_set(err, SCEP_ERR_CONFIG, "proxy_url",
                              "proxy_url cannot have a query or end with "
                              "\"/\": agents get \"/<ticket>\" appended to "
                              "it, such as https://vpn.example.org/"
                              "scep-proxy");
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


/*
 * The agent checks the CA certificate it gets from the server URL (the
 * proxy's in proxy mode) against ca_fingerprint; the portal does the
 * same with server_url.  Over plain http without a fingerprint anyone on
 * the path could hand over a CA of their own: the whole enrollment would
 * then serve them.  Only an explicit, loud setting allows it.
 */
static int
scep_profile_check_trust(const scep_profile_t *p, scep_error_t *err)
{
    const char  *field;

    field = NULL;

    if (!scep_is_https(p->server_url)) {
        field = "server_url";

    } else if (p->mode == SCEP_MODE_PROXY && !scep_is_https(p->proxy_url)) {
        field = "proxy_url";
    }

    if (p->insecure_trust_any_ca) {
        if (p->ca_fingerprint_len != 0 || field == NULL) {
            return scep_error_set(err, SCEP_ERR_CONFIG,
                                  "insecure_trust_any_ca",
                                  "insecure_trust_any_ca has no effect: %s; "
                                  "remove it",
                                  p->ca_fingerprint_len != 0
                                  ? "ca_fingerprint pins the CA"
                                  : "every URL is https://");
        }

        return 0;
    }

    if (field == NULL || p->ca_fingerprint_len != 0) {
        return 0;
    }

    return scep_error_set(err, SCEP_ERR_CONFIG, field,
                          "%s is http:// and no ca_fingerprint is set: "
                          "whatever CA certificate comes back over plain "
                          "http would be trusted; set ca_fingerprint (the "
                          "CA certificate's SHA-256), or use https://",
                          field);
}
