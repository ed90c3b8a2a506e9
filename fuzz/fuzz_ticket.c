/*
 * gp_ticket_check: the enrollment ticket an agent presents to the SCEP
 * proxy.  The first byte picks how the rest is used:
 *
 *   0  the ticket as an agent sends it (a forger: the MAC must stop it);
 *   1  the text before the MAC, which the target signs with the portal's
 *      key (derived from a key file's secret, as scep_keyring.c does), so
 *      that what is read after the MAC check is reached too;
 *   2  "profile NUL user": a ticket issued by gp_ticket_issue must be
 *      accepted, for that profile only, with the same user.
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "agent-proto/gp_ticket.h"
#include "fuzz/fuzz.h"


#define FUZZ_NOW      1700000000
#define FUZZ_PROFILE  "corp"


static const unsigned char  fuzz_secret[32] = {
    0x3d, 0x91, 0x0c, 0x55, 0xe2, 0x47, 0x18, 0xa6,
    0x70, 0x2b, 0xc4, 0x9f, 0x01, 0x36, 0xd8, 0x5e,
    0x8a, 0x13, 0x67, 0xf0, 0x29, 0xbc, 0x44, 0x7d,
    0x05, 0xe9, 0x52, 0x1a, 0x93, 0x6c, 0xde, 0x30,
};

/* the portal's keys: the one above, as scep_key_file would give it */
static scep_keyring_t  fuzz_ring;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    scep_keyring_init(&fuzz_ring);

    if (scep_keyring_add_secret(&fuzz_ring, fuzz_secret, sizeof(fuzz_secret),
                                NULL)
        != 0)
    {
        abort();
    }

    return 0;
}


/* base64url without padding of HMAC-SHA-256, written independently. */
static size_t
fuzz_mac(const char *text, size_t len, char *out)
{
    int            n;
    size_t         i;
    unsigned int   mdlen;
    unsigned char  md[EVP_MAX_MD_SIZE], b64[2 * EVP_MAX_MD_SIZE];

    if (HMAC(EVP_sha256(), fuzz_ring.keys[0].ticket, SCEP_KEY_DERIVED_LEN,
             (const unsigned char *) text, len, md, &mdlen) == NULL)
    {
        abort();
    }

    n = EVP_EncodeBlock(b64, md, (int) mdlen);

    for (i = 0; i < (size_t) n && b64[i] != '='; i++) {
        out[i] = (b64[i] == '+') ? '-' : (b64[i] == '/') ? '_' : b64[i];
    }

    return i;
}


static gp_ticket_status_t
fuzz_check(const char *ticket, size_t len, const char *profile, char *user,
    size_t size)
{
    char                *copy;
    gp_ticket_status_t   status;

    /* exact size: the proxy passes a header value and its length */
    copy = fuzz_memdup(ticket, len);
    status = gp_ticket_check(&fuzz_ring, copy, len, profile, FUZZ_NOW, user,
                             size);
    free(copy);

    (void) gp_ticket_status_text(status);

    return status;
}


static void
fuzz_roundtrip(fuzz_reader_t *r)
{
    char    *profile, *user, got[256], ticket[GP_TICKET_MAX];
    size_t   plen, ulen;

    profile = fuzz_field(r, '\0', &plen);
    user = fuzz_rest(r, &ulen);

    if (gp_ticket_issue(&fuzz_ring, profile, user, FUZZ_NOW + 60, ticket,
                        sizeof(ticket)) == 0)
    {
        if (fuzz_check(ticket, strlen(ticket), profile, got, sizeof(got))
            != GP_TICKET_OK
            || strncmp(got, user, sizeof(got) - 1) != 0)
        {
            abort();
        }

        if (strcmp(profile, "other") != 0
            && fuzz_check(ticket, strlen(ticket), "other", got, sizeof(got))
               == GP_TICKET_OK)
        {
            abort();
        }

    } else if (strlen(profile) <= 256 && strlen(user) <= 256) {
        /* names within the documented bound must be accepted */
        abort();
    }

    free(profile);
    free(user);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char           user[64], *buf;
    size_t         n;
    unsigned       mode;
    fuzz_reader_t  r;

    fuzz_reader_init(&r, data, size);
    mode = fuzz_byte(&r) % 3;
    n = (size_t) (r.end - r.p);

    switch (mode) {

    case 0:
        if (fuzz_check((const char *) r.p, n, FUZZ_PROFILE, user,
                       sizeof(user))
            == GP_TICKET_OK)
        {
            /* nobody without the key can make a valid ticket */
            abort();
        }

        break;

    case 1:
        buf = malloc(n + 2 + 2 * EVP_MAX_MD_SIZE);
        if (buf == NULL) {
            abort();
        }

        memcpy(buf, r.p, n);
        buf[n] = '.';
        n += 1 + fuzz_mac(buf, n, buf + n + 1);

        (void) fuzz_check(buf, n, FUZZ_PROFILE, user, sizeof(user));
        (void) fuzz_check(buf, n, FUZZ_PROFILE, user, 1);
        free(buf);
        break;

    default:
        fuzz_roundtrip(&r);
        break;
    }

    return 0;
}
