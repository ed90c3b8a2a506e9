#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scep_caps.h"


typedef struct {
    const char  *keyword;
    unsigned     bit;
} scep_cap_name_t;


static const scep_cap_name_t  scep_cap_names[] = {
    { "AES",              SCEP_CAP_AES },
    { "DES3",             SCEP_CAP_DES3 },
    { "GetNextCACert",    SCEP_CAP_GET_NEXT_CA_CERT },
    { "POSTPKIOperation", SCEP_CAP_POST_PKI_OPERATION },
    { "Renewal",          SCEP_CAP_RENEWAL },
    { "SHA-1",            SCEP_CAP_SHA1 },
    { "SHA-256",          SCEP_CAP_SHA256 },
    { "SHA-512",          SCEP_CAP_SHA512 },
    { "SCEPStandard",     SCEP_CAP_SCEP_STANDARD },
};

#define SCEP_CAP_NAMES  (sizeof(scep_cap_names) / sizeof(scep_cap_names[0]))

/* No keyword is longer; a longer line is skipped without a copy. */
#define SCEP_CAP_KEYWORD_MAX  32


static int
scep_caps_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}


static unsigned
scep_caps_keyword(const char *word, size_t len)
{
    size_t  i;

    for (i = 0; i < SCEP_CAP_NAMES; i++) {
        if (strlen(scep_cap_names[i].keyword) == len
            && strncasecmp(scep_cap_names[i].keyword, word, len) == 0)
        {
            return scep_cap_names[i].bit;
        }
    }

    return 0;
}


int
scep_caps_parse(const char *text, size_t len, unsigned *caps,
    scep_error_t *err)
{
    size_t       start, end;
    const char  *p;

    *caps = 0;

    if (len > SCEP_CAPS_MAX_LEN) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "GetCACaps",
                              "the GetCACaps answer is %zu bytes long, more "
                              "than the %d a capability list can be",
                              len, SCEP_CAPS_MAX_LEN);
    }

    start = 0;

    while (start < len) {
        p = memchr(text + start, '\n', len - start);
        end = p ? (size_t) (p - text) : len;

        /* trim blanks and the CR of CRLF on both sides of the keyword */
        while (start < end && scep_caps_blank(text[start])) {
            start++;
        }

        while (end > start && scep_caps_blank(text[end - 1])) {
            end--;
        }

        if (end - start <= SCEP_CAP_KEYWORD_MAX) {
            *caps |= scep_caps_keyword(text + start, end - start);
        }

        start = (p != NULL) ? (size_t) (p - text) + 1 : len;
    }

    return 0;
}


size_t
scep_caps_format(unsigned caps, char *buf, size_t len)
{
    size_t  i, used;
    int     n;

    used = 0;

    if (len == 0) {
        return 0;
    }

    buf[0] = '\0';

    for (i = 0; i < SCEP_CAP_NAMES; i++) {
        if (!(caps & scep_cap_names[i].bit)) {
            continue;
        }

        n = snprintf(buf + used, len - used, "%s\n",
                     scep_cap_names[i].keyword);

        if (n < 0 || (size_t) n >= len - used) {
            buf[used] = '\0';
            break;
        }

        used += n;
    }

    return used;
}


int
scep_caps_choose(unsigned caps, int fips, const char *url, scep_algs_t *algs,
    scep_error_t *err)
{
    if (caps & (SCEP_CAP_AES | SCEP_CAP_SCEP_STANDARD)) {
        algs->cipher = SCEP_CIPHER_AES_256_CBC;

    } else if (fips) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "fips",
                              "the SCEP server %s does not offer AES in "
                              "GetCACaps, and FIPS mode refuses its only "
                              "other cipher, DES3", url);

    } else {
        algs->cipher = SCEP_CIPHER_DES3_CBC;
    }

    if (caps & (SCEP_CAP_SHA256 | SCEP_CAP_SHA512 | SCEP_CAP_SCEP_STANDARD)) {
        algs->digest = SCEP_DIGEST_SHA256;

    } else if (fips) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "fips",
                              "the SCEP server %s does not offer SHA-256 "
                              "in GetCACaps, and FIPS mode refuses SHA-1 "
                              "signatures", url);

    } else {
        algs->digest = SCEP_DIGEST_SHA1;
    }

    algs->post = (caps & (SCEP_CAP_POST_PKI_OPERATION
                          | SCEP_CAP_SCEP_STANDARD)) != 0;

    return 0;
}


const EVP_CIPHER *
scep_cipher_evp(scep_cipher_t cipher)
{
    return (cipher == SCEP_CIPHER_DES3_CBC) ? EVP_des_ede3_cbc()
                                            : EVP_aes_256_cbc();
}


const char *
scep_cipher_label(scep_cipher_t cipher)
{
    return (cipher == SCEP_CIPHER_DES3_CBC) ? "DES3-CBC" : "AES-256-CBC";
}


const EVP_MD *
scep_digest_evp(scep_digest_t digest)
{
    switch (digest) {

    case SCEP_DIGEST_SHA1:
        return EVP_sha1();

    case SCEP_DIGEST_SHA384:
        return EVP_sha384();

    default:
        return EVP_sha256();
    }
}
