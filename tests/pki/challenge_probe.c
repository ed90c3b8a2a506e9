/*
 * challenge_probe: fills a SCEP profile from its arguments, asks for one
 * challenge password and says how that went, for the integration tests.
 *
 *   challenge_probe --challenge none|fixed|dynamic [--url URL]
 *       [--user NAME] [--password-env VAR] [--auth basic|ntlm|any]
 *       [--trusted-ca PEM] [--client-cert PEM] [--client-key PEM]
 *       [--fips] [--connect-timeout-ms N] [--timeout-ms N]
 *
 * The account's password is read from the environment variable named by
 * --password-env (default SCEP_PROBE_PASSWORD), not from the command line
 * where any process could read it.
 *
 * Prints "ok len=N sha256=HEX" (the SHA-256 of the password names its
 * file in the test OTP store; the password itself is never printed) and
 * exits 0, or prints "error CODE field=FIELD: MESSAGE" and exits 1; bad
 * arguments exit 2.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "scep/scep_challenge.h"
#include "scep/scep_http.h"


static int probe_parse_args(int argc, char **argv, scep_profile_t *p);
static void probe_usage(void);


int
main(int argc, char **argv)
{
    size_t          i, len;
    char            password[SCEP_CHALLENGE_MAX];
    unsigned char   digest[SHA256_DIGEST_LENGTH];
    scep_error_t    err;
    scep_profile_t  profile;

    if (probe_parse_args(argc, argv, &profile) != 0) {
        probe_usage();
        return 2;
    }

    scep_error_clear(&err);

    if (scep_http_global_init(&err) != 0
        || scep_challenge_obtain(&profile, NULL, NULL, password,
                                 sizeof(password), &err)
           != 0)
    {
        printf("error %s field=%s: %s\n", scep_code_name(err.code),
               err.field, err.message);
        return 1;
    }

    len = strlen(password);
    SHA256((const unsigned char *) password, len, digest);
    OPENSSL_cleanse(password, sizeof(password));

    printf("ok len=%zu sha256=", len);

    for (i = 0; i < sizeof(digest); i++) {
        printf("%02x", digest[i]);
    }

    printf("\n");

    return 0;
}


static int
probe_parse_args(int argc, char **argv, scep_profile_t *p)
{
    int          c;
    const char  *password_env;

    static const struct option  options[] = {
        { "challenge",          required_argument, NULL, 'c' },
        { "url",                required_argument, NULL, 'u' },
        { "user",               required_argument, NULL, 'U' },
        { "password-env",       required_argument, NULL, 'P' },
        { "auth",               required_argument, NULL, 'a' },
        { "trusted-ca",         required_argument, NULL, 'T' },
        { "client-cert",        required_argument, NULL, 'C' },
        { "client-key",         required_argument, NULL, 'K' },
        { "fips",               no_argument,       NULL, 'f' },
        { "connect-timeout-ms", required_argument, NULL, 'o' },
        { "timeout-ms",         required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 }
    };

    /* only the fields the challenge path reads; the rest stay zero */
    memset(p, 0, sizeof(*p));
    p->name = "probe";
    password_env = "SCEP_PROBE_PASSWORD";

    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {

        case 'c':
            if (strcmp(optarg, "none") == 0) {
                p->challenge = SCEP_CHALLENGE_NONE;
            } else if (strcmp(optarg, "fixed") == 0) {
                p->challenge = SCEP_CHALLENGE_FIXED;
            } else if (strcmp(optarg, "dynamic") == 0) {
                p->challenge = SCEP_CHALLENGE_DYNAMIC;
            } else {
                return -1;
            }
            break;

        case 'a':
            if (strcmp(optarg, "basic") == 0) {
                p->challenge_auth = SCEP_HTTP_AUTH_BASIC;
            } else if (strcmp(optarg, "ntlm") == 0) {
                p->challenge_auth = SCEP_HTTP_AUTH_NTLM;
            } else if (strcmp(optarg, "any") == 0) {
                p->challenge_auth = SCEP_HTTP_AUTH_ANY;
            } else {
                return -1;
            }
            break;

        case 'u':
            p->challenge_url = optarg;
            break;
        case 'U':
            p->challenge_username = optarg;
            break;
        case 'P':
            password_env = optarg;
            break;
        case 'T':
            p->trusted_ca = optarg;
            break;
        case 'C':
            p->client_cert = optarg;
            break;
        case 'K':
            p->client_key = optarg;
            break;
        case 'f':
            p->fips = 1;
            break;
        case 'o':
            p->connect_timeout_ms = strtol(optarg, NULL, 10);
            break;
        case 't':
            p->timeout_ms = strtol(optarg, NULL, 10);
            break;

        default:
            return -1;
        }
    }

    if (optind != argc) {
        return -1;
    }

    p->challenge_password = getenv(password_env);

    return 0;
}


static void
probe_usage(void)
{
    fprintf(stderr,
            "usage: challenge_probe --challenge none|fixed|dynamic "
            "[--url URL] [--user NAME]\n"
            "       [--password-env VAR] [--auth basic|ntlm|any] "
            "[--trusted-ca PEM]\n"
            "       [--client-cert PEM] [--client-key PEM] [--fips]\n"
            "       [--connect-timeout-ms N] [--timeout-ms N]\n");
}
