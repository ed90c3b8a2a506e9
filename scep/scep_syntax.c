/*
 * The syntax of URLs, host names, mailboxes and URIs in a profile.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scep_settings.h"
#include "scep_syntax.h"


static int scep_url_check_host(const char *field, const char *host,
    size_t len, scep_error_t *err);


/*
 * A refused word, fit to be repeated in a message and a log line:
 * anything but printable ASCII becomes '?', and long words are cut.
 */
const char *
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
 * https_why: NULL when http:// is acceptable; else https:// is required
 * and the text completes "... must use https://".
 */
int
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


int
scep_is_https(const char *url)
{
    return url != NULL && strncasecmp(url, "https://", 8) == 0;
}


/* RFC 1123 labels; "*." first when wildcard is allowed. */
int
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
int
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
int
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
int
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


int
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
