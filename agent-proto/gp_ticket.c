/*
 * Enrollment tickets: issued by the portal, checked by its SCEP proxy.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "agent-proto/gp_ticket.h"


#define GP_TICKET_NAME_MAX  256


static size_t gp_b64url_encode(const unsigned char *in, size_t len,
    char *out);
static int gp_b64url_decode(const char *in, size_t len, char *out,
    size_t size, size_t *outlen);
static int gp_ticket_mac(const scep_key_t *key, const char *text,
    size_t len, char *out);


static const char  gp_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


int
gp_ticket_issue(const scep_keyring_t *keys, const char *profile,
    const char *user, time_t expires, char *out, size_t size)
{
    char    buf[GP_TICKET_MAX];
    size_t  n, plen, ulen;

    plen = strlen(profile);
    ulen = strlen(user);

    if (plen > GP_TICKET_NAME_MAX || ulen > GP_TICKET_NAME_MAX
        || keys == NULL || keys->n == 0)
    {
        return -1;
    }

    n = (size_t) snprintf(buf, sizeof(buf), "1.%lld.", (long long) expires);
    n += gp_b64url_encode((const unsigned char *) profile, plen, buf + n);
    buf[n++] = '.';
    n += gp_b64url_encode((const unsigned char *) user, ulen, buf + n);

    buf[n] = '.';

    if (gp_ticket_mac(&keys->keys[0], buf, n, buf + n + 1) != 0) {
        return -1;
    }

    n = strlen(buf);

    if (n + 1 > size) {
        return -1;
    }

    memcpy(out, buf, n + 1);

    return 0;
}


gp_ticket_status_t
gp_ticket_check(const scep_keyring_t *keys, const char *ticket, size_t len,
    const char *profile, time_t now, char *user, size_t size)
{
    int           match;
    char          mac[64], name[GP_TICKET_NAME_MAX + 1], *end;
    size_t        i, k, dots[4], nd, n;
    long long     expires;

    if (ticket == NULL || len == 0) {
        return GP_TICKET_MISSING;
    }

    if (len < 2 || len >= GP_TICKET_MAX
        || ticket[0] != '1' || ticket[1] != '.')
    {
        return GP_TICKET_MALFORMED;
    }

    nd = 0;

    for (i = 0; i < len; i++) {
        if (ticket[i] == '.') {
            if (nd == 4) {
                return GP_TICKET_MALFORMED;
            }

            dots[nd++] = i;
        }
    }

    if (nd != 4) {
        return GP_TICKET_MALFORMED;
    }

    /* the MAC first: nothing of a forged ticket is read */

    match = 0;

    for (k = 0; keys != NULL && k < keys->n && !match; k++) {
        if (gp_ticket_mac(&keys->keys[k], ticket, dots[3], mac) != 0) {
            return GP_TICKET_MALFORMED;
        }

        n = strlen(mac);

        match = (len - dots[3] - 1 == n
                 && CRYPTO_memcmp(mac, ticket + dots[3] + 1, n) == 0);
    }

    if (!match) {
        return GP_TICKET_FORGED;
    }

    expires = strtoll(ticket + dots[0] + 1, &end, 10);

    if (end != ticket + dots[1]) {
        return GP_TICKET_MALFORMED;
    }

    if ((long long) now > expires) {
        return GP_TICKET_EXPIRED;
    }

    if (gp_b64url_decode(ticket + dots[1] + 1, dots[2] - dots[1] - 1, name,
                         sizeof(name), &n) != 0)
    {
        return GP_TICKET_MALFORMED;
    }

    if (n != strlen(profile) || memcmp(name, profile, n) != 0) {
        return GP_TICKET_OTHER_PROFILE;
    }

    if (gp_b64url_decode(ticket + dots[2] + 1, dots[3] - dots[2] - 1, name,
                         sizeof(name), &n) != 0)
    {
        return GP_TICKET_MALFORMED;
    }

    if (size > 0) {
        n = (n < size - 1) ? n : size - 1;
        memcpy(user, name, n);
        user[n] = '\0';
    }

    return GP_TICKET_OK;
}


const char *
gp_ticket_status_text(gp_ticket_status_t status)
{
    switch (status) {

    case GP_TICKET_OK:
        return "valid ticket";

    case GP_TICKET_MISSING:
        return "no enrollment ticket: log in to the portal first";

    case GP_TICKET_MALFORMED:
        return "the enrollment ticket is malformed";

    case GP_TICKET_FORGED:
        return "the enrollment ticket was not issued by this portal";

    case GP_TICKET_EXPIRED:
        return "the enrollment ticket has expired: log in to the portal "
               "again";

    case GP_TICKET_OTHER_PROFILE:
        return "the enrollment ticket is for another profile";
    }

    return "invalid enrollment ticket";
}


int
gp_ticket_shaped(const char *s, size_t len)
{
    size_t  i;

    if (len < 2 || len >= GP_TICKET_MAX || s[0] != '1' || s[1] != '.') {
        return 0;
    }

    for (i = 2; i < len; i++) {
        if (s[i] != '.' && s[i] != '-' && s[i] != '_'
            && !(s[i] >= '0' && s[i] <= '9')
            && !(s[i] >= 'A' && s[i] <= 'Z')
            && !(s[i] >= 'a' && s[i] <= 'z'))
        {
            return 0;
        }
    }

    return 1;
}


int
gp_ticket_in_path(const char *uri, size_t len, size_t *at, size_t *n)
{
    size_t  i, end, start;

    for (end = 0; end < len && uri[end] != '?'; end++) {
        /* void */
    }

    start = end;

    for (i = end; i > 0; i--) {
        if (uri[i - 1] == '/') {
            start = i;
            break;
        }
    }

    if (start == end || i == 0 || !gp_ticket_shaped(uri + start, end - start))
    {
        return 0;
    }

    *at = start;
    *n = end - start;

    return 1;
}


/* base64url without padding of HMAC-SHA-256: 43 characters and a NUL. */

static int
gp_ticket_mac(const scep_key_t *key, const char *text, size_t len,
    char *out)
{
    unsigned int   mdlen;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (HMAC(EVP_sha256(), key->ticket, SCEP_KEY_DERIVED_LEN,
             (const unsigned char *) text, len, md, &mdlen)
        == NULL)
    {
        return -1;
    }

    out[gp_b64url_encode(md, mdlen, out)] = '\0';

    OPENSSL_cleanse(md, sizeof(md));

    return 0;
}


static size_t
gp_b64url_encode(const unsigned char *in, size_t len, char *out)
{
    size_t    i, n;
    unsigned  v;

    n = 0;

    for (i = 0; i + 2 < len; i += 3) {
        v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8 | in[i + 2];
        out[n++] = gp_b64url[v >> 18 & 63];
        out[n++] = gp_b64url[v >> 12 & 63];
        out[n++] = gp_b64url[v >> 6 & 63];
        out[n++] = gp_b64url[v & 63];
    }

    if (len - i == 1) {
        v = (unsigned) in[i] << 16;
        out[n++] = gp_b64url[v >> 18 & 63];
        out[n++] = gp_b64url[v >> 12 & 63];

    } else if (len - i == 2) {
        v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8;
        out[n++] = gp_b64url[v >> 18 & 63];
        out[n++] = gp_b64url[v >> 12 & 63];
        out[n++] = gp_b64url[v >> 6 & 63];
    }

    return n;
}


static int
gp_b64url_decode(const char *in, size_t len, char *out, size_t size,
    size_t *outlen)
{
    size_t       i, n;
    unsigned     v, bits;
    const char  *p;

    n = 0;
    v = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        p = (in[i] != '\0') ? strchr(gp_b64url, in[i]) : NULL;
        if (p == NULL) {
            return -1;
        }

        v = (v << 6) | (unsigned) (p - gp_b64url);
        bits += 6;

        if (bits >= 8) {
            bits -= 8;

            if (n + 1 >= size) {
                return -1;
            }

            out[n++] = (char) (v >> bits & 0xff);
        }
    }

    if (len % 4 == 1) {
        return -1;
    }

    out[n] = '\0';
    *outlen = n;

    return 0;
}
