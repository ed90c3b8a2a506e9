/*
 * SCEP profiles: the single-setting parsers and the whole-profile rules
 * that nginx -t enforces, each with the directive it names and the
 * sentence it prints.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scep/scep_profile.h"
#include "scep/scep_syntax.h"


#define SHA1_HEX    "0123456789abcdef0123456789ABCDEF01234567"
#define SHA256_HEX  "00112233445566778899aabbccddeeff" \
                    "FFEEDDCCBBAA99887766554433221100"


static const unsigned char  sha1_bytes[20] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
    0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67
};

static const unsigned char  sha256_bytes[32] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
    0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00
};


/* The smallest valid profile; each test breaks one thing in it. */
static void
set_san(scep_profile_t *p, scep_san_type_t type, const char *value)
{
    p->sans[0].type = type;
    p->sans[0].value = value;
    p->nsans = 1;
}


static void
base_profile(scep_profile_t *p)
{
    scep_profile_init(p, "corp");

    p->server_url = "http://pki.example.com/certsrv/mscep/mscep.dll";
    p->ca_ident = "corp-ca";
    p->subject = "O=acme,CN=$USERNAME";

    /* plain http: the CA certificate is pinned */
    memcpy(p->ca_fingerprint, sha256_bytes, 32);
    p->ca_fingerprint_len = 32;
}


static void
dynamic_profile(scep_profile_t *p)
{
    base_profile(p);

    p->challenge = SCEP_CHALLENGE_DYNAMIC;
    p->challenge_url = "https://pki.example.com/certsrv/mscep_admin/";
    p->challenge_username = "EXAMPLE\\scepadmin";
    p->challenge_password = "s3cret";
    p->challenge_auth = SCEP_HTTP_AUTH_NTLM;
}


static void
assert_valid(scep_profile_t *p)
{
    scep_error_t  err;

    scep_error_clear(&err);

    if (scep_profile_validate(p, &err) != 0) {
        fail_msg("refused: [%s] %s", err.field, err.message);
    }

    assert_non_null(p->subject_tpl);
    scep_profile_release(p);
    assert_null(p->subject_tpl);
}


static void
assert_invalid(scep_profile_t *p, const char *field, const char *message)
{
    scep_error_t  err;

    scep_error_clear(&err);

    assert_int_equal(scep_profile_validate(p, &err), -1);
    assert_null(p->subject_tpl);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.field, field);
    assert_string_equal(err.message, message);
}


static void
test_defaults(void **state)
{
    scep_profile_t  p;

    (void) state;

    memset(&p, 0x5a, sizeof(p));
    scep_profile_init(&p, "corp");

    assert_string_equal(p.name, "corp");
    assert_int_equal(p.mode, SCEP_MODE_PUSH);
    assert_int_equal(p.challenge, SCEP_CHALLENGE_NONE);
    assert_null(p.challenge_password);
    assert_null(p.challenge_password_file);
    assert_null(p.challenge_url);
    assert_null(p.challenge_username);
    assert_int_equal(p.challenge_auth, SCEP_HTTP_AUTH_BASIC);
    assert_null(p.server_url);
    assert_null(p.ca_ident);
    assert_null(p.subject);
    assert_null(p.subject_tpl);
    assert_int_equal(p.nsans, 0);
    assert_null(p.san_tpl);
    assert_int_equal(p.key_bits, 2048);
    assert_int_equal(p.digest, SCEP_DIGEST_SHA256);
    assert_int_equal(p.key_usage,
                     SCEP_KU_DIGITAL_SIGNATURE | SCEP_KU_KEY_ENCIPHERMENT);
    assert_int_equal(p.ca_fingerprint_len, 0);
    assert_null(p.trusted_ca);
    assert_null(p.client_cert);
    assert_null(p.client_key);
    assert_int_equal(p.fips, 0);
    assert_int_equal(p.connect_timeout_ms, 5000);
    assert_int_equal(p.timeout_ms, 30000);
    assert_int_equal(p.challenge_lifetime_s, -1);
    assert_null(p.keys);
    assert_int_equal(p.insecure_trust_any_ca, 0);
}


static void
test_valid_profiles(void **state)
{
    scep_error_t    err;
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    assert_int_equal(scep_profile_validate(&p, &err), 0);
    assert_int_equal(scep_subject_tokens(p.subject_tpl), SCEP_TOKEN_USERNAME);
    assert_int_equal(scep_subject_rdn_count(p.subject_tpl), 2);

    /* validating again replaces the template without leaking it */
    p.subject = "O=acme,OU=vpn,CN=$HOSTID";
    assert_int_equal(scep_profile_validate(&p, &err), 0);
    assert_int_equal(scep_subject_tokens(p.subject_tpl), SCEP_TOKEN_HOSTID);
    assert_int_equal(scep_subject_rdn_count(p.subject_tpl), 3);
    scep_profile_release(&p);
    scep_profile_release(&p);

    dynamic_profile(&p);
    assert_valid(&p);

    /* everything at once, under fips */
    dynamic_profile(&p);
    p.mode = SCEP_MODE_ENROLL;
    p.fips = 1;
    p.server_url = "https://pki.example.com:8443/scep";
    set_san(&p, SCEP_SAN_DNS, "*.vpn.example.com");
    p.key_bits = 4096;
    p.digest = SCEP_DIGEST_SHA384;
    p.key_usage = SCEP_KU_KEY_ENCIPHERMENT;
    memcpy(p.ca_fingerprint, sha256_bytes, 32);
    p.ca_fingerprint_len = 32;
    p.trusted_ca = "/etc/pki/root.pem";
    p.client_cert = "/etc/pki/portal.pem";
    p.client_key = "/etc/pki/portal.key";
    p.connect_timeout_ms = 1;
    p.timeout_ms = 600000;
    assert_valid(&p);

    base_profile(&p);
    p.challenge = SCEP_CHALLENGE_FIXED;
    p.challenge_password_file = "/etc/nginx/scep.pass";
    p.challenge_password = "from-the-file";
    p.mode = SCEP_MODE_PROXY;
    p.proxy_url = "https://vpn.example.com/scep-proxy";
    p.digest = SCEP_DIGEST_SHA1;
    p.key_bits = 1024;
    assert_valid(&p);
}


static void
test_mode_settings(void **state)
{
    scep_profile_t  p;

    (void) state;

    /* proxy mode: where agents send their SCEP, and tickets' lifetime */
    base_profile(&p);
    p.mode = SCEP_MODE_PROXY;
    assert_invalid(&p, "proxy_url",
                   "mode proxy needs proxy_url, the portal's URL that "
                   "passes SCEP requests to server_url");

    p.proxy_url = "ftp://vpn.example.com/scep-proxy";
    assert_invalid(&p, "proxy_url",
                   "proxy_url must start with http:// or https://");

    p.proxy_url = "https://vpn.example.com/scep-proxy";
    p.ticket_lifetime_s = 0;
    assert_invalid(&p, "ticket_lifetime",
                   "ticket_lifetime must be 1 s to 86400 s");
    p.ticket_lifetime_s = 86401;
    assert_invalid(&p, "ticket_lifetime",
                   "ticket_lifetime must be 1 s to 86400 s");
    p.ticket_lifetime_s = 86400;
    assert_valid(&p);

    base_profile(&p);
    p.proxy_url = "https://vpn.example.com/scep-proxy";
    assert_invalid(&p, "proxy_url", "proxy_url applies to mode proxy only");

    /* enroll mode: the key pool and polling */
    base_profile(&p);
    p.mode = SCEP_MODE_ENROLL;
    p.key_pool = 1024;
    assert_valid(&p);
    p.key_pool = 1025;
    assert_invalid(&p, "key_pool", "key_pool must be 0..1024 keys, got 1025");

    base_profile(&p);
    p.mode = SCEP_MODE_ENROLL;
    p.poll_wait_ms = 600001;
    assert_invalid(&p, "poll_wait", "poll_wait must be 0 to 600 s");
    p.poll_wait_ms = 0;
    assert_valid(&p);
    p.poll_wait_ms = 5000;
    p.poll_interval_ms = 6000;
    assert_invalid(&p, "poll_interval",
                   "poll_interval must be more than 0 and at most "
                   "poll_wait");
    p.poll_interval_ms = 1000;
    p.poll_retry_s = 0;
    assert_invalid(&p, "poll_retry", "poll_retry must be 1 s to 86400 s");
}


static void
test_mode(void **state)
{
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.mode = (scep_mode_t) 7;
    assert_invalid(&p, "mode", "mode has an unknown value 7");
}


static void
test_challenge_none(void **state)
{
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.challenge_password = "x";
    assert_invalid(&p, "challenge_password",
                   "challenge_password has no effect with challenge none "
                   "(only challenge fixed or dynamic uses it): remove it, "
                   "or change challenge");

    base_profile(&p);
    p.challenge_password_file = "/etc/nginx/scep.pass";
    p.challenge_password = "x";
    assert_invalid(&p, "challenge_password_file",
                   "challenge_password_file has no effect with challenge "
                   "none (only challenge fixed or dynamic uses it): remove "
                   "it, or change challenge");

    base_profile(&p);
    p.challenge_url = "https://pki.example.com/";
    assert_invalid(&p, "challenge_url",
                   "challenge_url has no effect with challenge none (only "
                   "challenge dynamic uses it): remove it, or change "
                   "challenge");

    base_profile(&p);
    p.challenge_username = "admin";
    assert_invalid(&p, "challenge_username",
                   "challenge_username has no effect with challenge none "
                   "(only challenge dynamic uses it): remove it, or change "
                   "challenge");

    base_profile(&p);
    p.challenge_auth = SCEP_HTTP_AUTH_ANY;
    assert_invalid(&p, "challenge_auth",
                   "challenge_auth has no effect with challenge none (only "
                   "challenge dynamic uses it): remove it, or change "
                   "challenge");

    base_profile(&p);
    p.challenge = (scep_challenge_type_t) 9;
    assert_invalid(&p, "challenge", "challenge has an unknown value 9");
}


static void
test_challenge_fixed(void **state)
{
    char            long_pw[SCEP_CHALLENGE_MAX_LEN + 2];
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.challenge = SCEP_CHALLENGE_FIXED;
    assert_invalid(&p, "challenge_password",
                   "challenge fixed needs challenge_password or "
                   "challenge_password_file");

    p.challenge_password = "";
    assert_invalid(&p, "challenge_password", "challenge_password is empty");

    p.challenge_password = "secret\n";
    assert_invalid(&p, "challenge_password",
                   "challenge_password contains a control character at "
                   "byte 7 (a trailing newline?)");

    p.challenge_password_file = "/etc/nginx/scep.pass";
    p.challenge_password = "sec\tret";
    assert_invalid(&p, "challenge_password_file",
                   "challenge_password_file contains a control character "
                   "at byte 4");

    p.challenge_password_file = NULL;
    memset(long_pw, 'p', sizeof(long_pw) - 1);
    long_pw[sizeof(long_pw) - 1] = '\0';
    p.challenge_password = long_pw;
    assert_invalid(&p, "challenge_password",
                   "challenge_password is longer than 255 bytes");

    long_pw[SCEP_CHALLENGE_MAX_LEN] = '\0';
    assert_valid(&p);

    p.challenge_password = "secret";
    p.challenge_username = "admin";
    assert_invalid(&p, "challenge_username",
                   "challenge_username has no effect with challenge fixed "
                   "(only challenge dynamic uses it): remove it, or change "
                   "challenge");

    p.challenge_username = NULL;
    p.challenge_url = "https://pki.example.com/";
    assert_invalid(&p, "challenge_url",
                   "challenge_url has no effect with challenge fixed (only "
                   "challenge dynamic uses it): remove it, or change "
                   "challenge");

    p.challenge_url = NULL;
    p.challenge_auth = SCEP_HTTP_AUTH_NTLM;
    assert_invalid(&p, "challenge_auth",
                   "challenge_auth has no effect with challenge fixed (only "
                   "challenge dynamic uses it): remove it, or change "
                   "challenge");
}


static void
test_challenge_dynamic(void **state)
{
    scep_profile_t  p;

    (void) state;

    dynamic_profile(&p);
    p.challenge_username = NULL;
    assert_invalid(&p, "challenge_username",
                   "challenge dynamic needs challenge_username, the account "
                   "allowed to fetch one-time passwords");

    dynamic_profile(&p);
    p.challenge_username = "";
    assert_invalid(&p, "challenge_username", "challenge_username is empty");

    dynamic_profile(&p);
    p.challenge_username = "a:b";
    p.challenge_auth = SCEP_HTTP_AUTH_BASIC;
    assert_invalid(&p, "challenge_username",
                   "challenge_username cannot contain \":\" with Basic "
                   "authentication; use challenge_auth ntlm");

    p.challenge_auth = SCEP_HTTP_AUTH_ANY;
    assert_invalid(&p, "challenge_username",
                   "challenge_username cannot contain \":\" with Basic "
                   "authentication; use challenge_auth ntlm");

    p.challenge_auth = SCEP_HTTP_AUTH_NTLM;
    assert_valid(&p);

    dynamic_profile(&p);
    p.challenge_password = NULL;
    assert_invalid(&p, "challenge_password",
                   "challenge dynamic needs challenge_password or "
                   "challenge_password_file");

    dynamic_profile(&p);
    p.challenge_url = NULL;
    assert_invalid(&p, "challenge_url",
                   "challenge dynamic needs challenge_url, the page that "
                   "hands out one-time passwords");

    dynamic_profile(&p);
    p.challenge_url = "ftp://pki.example.com/";
    assert_invalid(&p, "challenge_url",
                   "challenge_url must start with http:// or https://");

    dynamic_profile(&p);
    p.challenge_url = "http://admin:pw@pki.example.com/";
    assert_invalid(&p, "challenge_url",
                   "challenge_url must not hold a user name or password "
                   "before the host; use the profile's own settings for "
                   "credentials");

    /* http is fine without fips, refused with it */
    dynamic_profile(&p);
    p.challenge_url = "http://pki.example.com/certsrv/mscep_admin/";
    assert_valid(&p);

    p.fips = 1;
    p.server_url = "https://pki.example.com/scep";
    assert_invalid(&p, "challenge_url",
                   "challenge_url must use https:// when fips is on");

    dynamic_profile(&p);
    p.challenge_auth = (scep_http_auth_t) 5;
    assert_invalid(&p, "challenge_auth",
                   "challenge_auth has an unknown value 5");
}


static void
test_server_url(void **state)
{
    size_t          i;
    scep_profile_t  p;

    static const struct {
        const char  *url;
        const char  *message;
    } bad[] = {
        { "", "server_url is empty" },
        { "pki.example.com/scep",
          "server_url must start with http:// or https://" },
        { "ftp://pki.example.com/",
          "server_url must start with http:// or https://" },
        { "http://", "server_url has no host" },
        { "http:///scep", "server_url has no host" },
        { "http://:8080/scep", "server_url has no host" },
        { "http://user:pw@pki/", "server_url must not hold a user name or "
          "password before the host; use the profile's own settings for "
          "credentials" },
        { "http://pki:99999/", "server_url has port 99999; ports run from "
          "1 to 65535" },
        { "http://pki:0/", "server_url has port 0; ports run from 1 to "
          "65535" },
        { "http://pki:/x", "server_url has a malformed port" },
        { "http://pki:8a/", "server_url has a malformed port" },
        { "http://pki:123456/", "server_url has a malformed port" },
        { "http://[::1/scep", "server_url has a malformed [IPv6] host" },
        { "http://[]/scep", "server_url has a malformed [IPv6] host" },
        { "http://[::1]x/scep", "server_url has a malformed port" },
        { "http://pki/ scep", "server_url has a space, a control character "
          "or a non-ASCII byte at byte 12; percent-encode it" },
        { "http://p\xc3\xa9ki/", "server_url has a space, a control "
          "character or a non-ASCII byte at byte 9; percent-encode it" },
        { "http://pki/scep#top", "server_url must not have a #fragment" },
        { "http://pki!/scep", "server_url has a character a host name "
          "cannot hold at byte 4 of the host" },
    };

    static const char  *good[] = {
        "http://pki",
        "HTTP://PKI.Example.COM/certsrv/mscep/mscep.dll",
        "https://pki.example.com:8443/scep?x=1",
        "http://10.200.101.1/certsrv/mscep/",
        "http://[::1]:8080/scep",
        "http://[fe80::1]/",
        "http://pki_1:65535",
    };

    (void) state;

    base_profile(&p);
    p.server_url = NULL;
    assert_invalid(&p, "server_url",
                   "server_url is required: the SCEP service, such as "
                   "http://pki.example.com/certsrv/mscep/mscep.dll");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        base_profile(&p);
        p.server_url = bad[i].url;
        assert_invalid(&p, "server_url", bad[i].message);
    }

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        base_profile(&p);
        p.server_url = good[i];
        assert_valid(&p);
    }

    base_profile(&p);
    p.fips = 1;
    assert_invalid(&p, "server_url",
                   "server_url must use https:// when fips is on");
}


static void
test_check_url(void **state)
{
    char          *big;
    scep_error_t   err;

    (void) state;

    assert_int_equal(scep_check_url("http://pki/", 0, &err), 0);
    assert_int_equal(scep_check_url("https://pki/", 1, &err), 0);

    assert_int_equal(scep_check_url("http://pki/", 1, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_CONFIG);
    assert_string_equal(err.field, "url");
    assert_string_equal(err.message, "url must use https://");

    assert_int_equal(scep_check_url(NULL, 0, &err), -1);
    assert_string_equal(err.message, "url is empty");

    big = malloc(SCEP_URL_MAX_LEN + 2);
    assert_non_null(big);
    memset(big, 'a', SCEP_URL_MAX_LEN + 1);
    memcpy(big, "http://pki/", 11);
    big[SCEP_URL_MAX_LEN] = '\0';
    assert_int_equal(scep_check_url(big, 0, &err), 0);
    big[SCEP_URL_MAX_LEN] = 'a';
    big[SCEP_URL_MAX_LEN + 1] = '\0';
    assert_int_equal(scep_check_url(big, 0, &err), -1);
    assert_string_equal(err.message, "url is longer than 2048 bytes");
    free(big);
}


static void
test_ca_ident(void **state)
{
    char            ident[SCEP_CA_IDENT_MAX + 2];
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.ca_ident = NULL;
    assert_invalid(&p, "ca_ident", "ca_ident is required: 1 to 255 "
                                   "characters naming the CA to the SCEP "
                                   "service");

    p.ca_ident = "";
    assert_invalid(&p, "ca_ident", "ca_ident is required: 1 to 255 "
                                   "characters naming the CA to the SCEP "
                                   "service");

    memset(ident, 'c', sizeof(ident) - 1);
    ident[sizeof(ident) - 1] = '\0';
    p.ca_ident = ident;
    assert_invalid(&p, "ca_ident", "ca_ident is longer than 255 "
                                   "characters");

    ident[SCEP_CA_IDENT_MAX] = '\0';
    assert_valid(&p);

    p.ca_ident = "a";
    assert_valid(&p);

    p.ca_ident = "Corp Issuing CA 1";
    assert_valid(&p);

    p.ca_ident = "ca\x01";
    assert_invalid(&p, "ca_ident", "ca_ident must be printable ASCII; "
                                   "byte 3 is not");

    p.ca_ident = "caf\xc3\xa9";
    assert_invalid(&p, "ca_ident", "ca_ident must be printable ASCII; "
                                   "byte 4 is not");
}


static void
test_subject(void **state)
{
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.subject = NULL;
    assert_invalid(&p, "subject", "subject is required, such as "
                                  "O=acme,CN=$USERNAME");

    p.subject = "O=acme";
    assert_invalid(&p, "subject", "subject must contain exactly one CN, "
                                  "not 0");

    p.subject = "O=$USERNAME,CN=x";
    assert_invalid(&p, "subject", "tokens are allowed only in CN, but the "
                                  "value of O in subject holds "
                                  "\"$USERNAME\"");
}


#define NOT_A_MAILBOX                                                       \
    "subject_alt_name rfc822 must be an email address such as "             \
    "vpn@example.com"
#define NOT_A_HOST                                                          \
    "subject_alt_name dns must be a host name of letters, digits, \"-\" "   \
    "and \".\", optionally starting with \"*.\""
#define NOT_A_URI                                                           \
    "subject_alt_name uri must start with a scheme such as https: or urn: " \
    "and hold no spaces or non-ASCII characters"
#define NOT_A_UPN                                                           \
    "subject_alt_name upn must be a user principal name such as "           \
    "jdoe@corp.example.com"


static void
test_subject_alt_name(void **state)
{
    size_t          i;
    char           *big;
    scep_error_t    err;
    scep_profile_t  p;

    static const struct {
        scep_san_type_t   type;
        const char       *value;
        unsigned          tokens;
    } good[] = {
        { SCEP_SAN_RFC822, "vpn@example.com", 0 },
        { SCEP_SAN_RFC822, "first.last+vpn@mail.example.com", 0 },
        { SCEP_SAN_DNS, "vpn.example.com", 0 },
        { SCEP_SAN_DNS, "*.example.com", 0 },
        { SCEP_SAN_DNS, "localhost", 0 },
        { SCEP_SAN_DNS, "a-1.b2.example", 0 },
        { SCEP_SAN_URI, "https://pki.example.com/enroll", 0 },
        { SCEP_SAN_URI, "urn:uuid:0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7", 0 },
        { SCEP_SAN_URI, "urn:price:$1", 0 },
        { SCEP_SAN_URI, "urn:price:\\$USD", 0 },
        { SCEP_SAN_UPN, "portal@corp.example.com", 0 },
        /* the user's values */
        { SCEP_SAN_RFC822, "$EMAILADDRESS", SCEP_TOKEN_EMAILADDRESS },
        { SCEP_SAN_RFC822, "$USERNAME@example.com", SCEP_TOKEN_USERNAME },
        { SCEP_SAN_DNS, "$HOSTID.devices.example.com", SCEP_TOKEN_HOSTID },
        { SCEP_SAN_URI, "tag:microsoft.com,2022-09-14:sid:$SID",
          SCEP_TOKEN_SID },
        { SCEP_SAN_URI, "urn:udid:$UDID", SCEP_TOKEN_UDID },
        { SCEP_SAN_UPN, "$UPN", SCEP_TOKEN_UPN },
        { SCEP_SAN_UPN, "$USERNAME@corp.example.com", SCEP_TOKEN_USERNAME },
    };

    static const struct {
        scep_san_type_t   type;
        const char       *value;
        const char       *message;
    } bad[] = {
        { SCEP_SAN_RFC822, NULL, "subject_alt_name rfc822 needs a value" },
        { SCEP_SAN_DNS, "", "subject_alt_name dns needs a value" },
        { SCEP_SAN_NONE, "x", "subject_alt_name none takes no value" },
        { SCEP_SAN_URI, "https://x/$username", "unknown token \"$username\" "
          "in subject_alt_name: use $USERNAME, $EMAILADDRESS, $SID, $UPN, "
          "$HOSTID or $UDID (in upper case), or \"\\$\" for a literal "
          "dollar sign" },
        { SCEP_SAN_URI, "urn:a\\b", "unsupported escape in subject_alt_name "
          "uri: a backslash may only precede $ or another backslash" },
        /* tokens that cannot make a name of the type */
        { SCEP_SAN_RFC822, "$USERNAME", NOT_A_MAILBOX "; \"$USERNAME\" does "
          "not make one of a user's values" },
        { SCEP_SAN_DNS, "$UPN", NOT_A_HOST "; \"$UPN\" does not make one of "
          "a user's values" },
        { SCEP_SAN_UPN, "$SID", NOT_A_UPN "; \"$SID\" does not make one of "
          "a user's values" },
        { SCEP_SAN_RFC822, "vpn", NOT_A_MAILBOX },
        { SCEP_SAN_RFC822, "a@b@example.com", NOT_A_MAILBOX },
        { SCEP_SAN_RFC822, "a..b@example.com", NOT_A_MAILBOX },
        { SCEP_SAN_RFC822, ".a@example.com", NOT_A_MAILBOX },
        { SCEP_SAN_RFC822, "@example.com", NOT_A_MAILBOX },
        { SCEP_SAN_RFC822, "a b@example.com", NOT_A_MAILBOX },
        { SCEP_SAN_RFC822, "a@-example.com", NOT_A_MAILBOX },
        { SCEP_SAN_RFC822, "a@*.example.com", NOT_A_MAILBOX },
        { SCEP_SAN_RFC822, "a@b.example,DNS:evil.example", NOT_A_MAILBOX },
        { SCEP_SAN_DNS, "a_b.example.com", NOT_A_HOST },
        { SCEP_SAN_DNS, "-a.example.com", NOT_A_HOST },
        { SCEP_SAN_DNS, "a-.example.com", NOT_A_HOST },
        { SCEP_SAN_DNS, "a..example.com", NOT_A_HOST },
        { SCEP_SAN_DNS, "example.com.", NOT_A_HOST },
        { SCEP_SAN_DNS, "*", NOT_A_HOST },
        { SCEP_SAN_DNS, "x.*.example.com", NOT_A_HOST },
        { SCEP_SAN_DNS, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          "aaaaaaaaaaaa.com", NOT_A_HOST },
        { SCEP_SAN_URI, "no-scheme", NOT_A_URI },
        { SCEP_SAN_URI, "1http://x", NOT_A_URI },
        { SCEP_SAN_URI, "urn:", NOT_A_URI },
        { SCEP_SAN_URI, "https://x/a b", NOT_A_URI },
        { SCEP_SAN_URI, "https://x/\xc3\xa9", NOT_A_URI },
        { SCEP_SAN_UPN, "no-suffix", NOT_A_UPN },
        { SCEP_SAN_UPN, "@corp.example.com", NOT_A_UPN },
        { SCEP_SAN_UPN, "jdoe@corp example", NOT_A_UPN },
        { SCEP_SAN_UPN, "jdoe\x01@corp.example", "subject_alt_name upn is "
          "not UTF-8 text without control characters" },
    };

    (void) state;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        base_profile(&p);
        set_san(&p, good[i].type, good[i].value);
        assert_int_equal(scep_profile_validate(&p, &err), 0);
        assert_int_equal(scep_san_tokens(p.san_tpl), good[i].tokens);
        scep_profile_release(&p);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        base_profile(&p);
        set_san(&p, bad[i].type, bad[i].value);
        assert_invalid(&p, "subject_alt_name", bad[i].message);
    }

    /* a 63-character label is the longest allowed */
    base_profile(&p);
    set_san(&p, SCEP_SAN_DNS, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com");
    assert_valid(&p);

    set_san(&p, (scep_san_type_t) 8, "x");
    assert_invalid(&p, "subject_alt_name",
                   "subject_alt_name has an unknown type 8");

    /* several names, in order; none alone; at most eight */
    base_profile(&p);
    p.sans[0].type = SCEP_SAN_UPN;
    p.sans[0].value = "$UPN";
    p.sans[1].type = SCEP_SAN_URI;
    p.sans[1].value = "tag:microsoft.com,2022-09-14:sid:$SID";
    p.nsans = 2;
    assert_int_equal(scep_profile_validate(&p, &err), 0);
    assert_int_equal(scep_san_tokens(p.san_tpl),
                     SCEP_TOKEN_UPN | SCEP_TOKEN_SID);
    scep_profile_release(&p);

    p.sans[1].type = SCEP_SAN_NONE;
    p.sans[1].value = NULL;
    assert_invalid(&p, "subject_alt_name", "subject_alt_name none cannot be "
                   "given with other subject_alt_name names");

    p.nsans = 1;
    p.sans[0] = p.sans[1];
    assert_valid(&p);

    for (i = 0; i < SCEP_SANS_MAX; i++) {
        p.sans[i].type = SCEP_SAN_DNS;
        p.sans[i].value = "vpn.example.com";
    }

    p.nsans = SCEP_SANS_MAX;
    assert_valid(&p);
    p.nsans = SCEP_SANS_MAX + 1;
    assert_invalid(&p, "subject_alt_name", "subject_alt_name is given 9 "
                   "times, at most 8 names are allowed");

    big = malloc(SCEP_SAN_MAX_LEN + 2);
    assert_non_null(big);
    memset(big, 'a', SCEP_SAN_MAX_LEN + 1);
    memcpy(big, "urn:", 4);
    big[SCEP_SAN_MAX_LEN + 1] = '\0';
    base_profile(&p);
    set_san(&p, SCEP_SAN_URI, big);
    assert_invalid(&p, "subject_alt_name",
                   "subject_alt_name is longer than 1024 bytes");

    big[SCEP_SAN_MAX_LEN] = '\0';
    assert_valid(&p);
    free(big);
}


static void
test_key_settings(void **state)
{
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.key_bits = 512;
    assert_invalid(&p, "key_bits", "key_bits must be between 1024 and "
                                   "8192, not 512");

    p.key_bits = 8448;
    assert_invalid(&p, "key_bits", "key_bits must be between 1024 and "
                                   "8192, not 8448");

    p.key_bits = 2049;
    assert_invalid(&p, "key_bits", "key_bits must be a multiple of 256, "
                                   "such as 2048, 3072 or 4096, not 2049");

    p.key_bits = 8192;
    assert_valid(&p);

    p.key_bits = 3328;
    assert_valid(&p);

    base_profile(&p);
    p.server_url = "https://pki.example.com/scep";
    p.fips = 1;
    p.key_bits = 1792;
    assert_invalid(&p, "key_bits", "fips on needs key_bits of at least "
                                   "2048, not 1792");

    p.key_bits = 2048;
    p.digest = SCEP_DIGEST_SHA1;
    assert_invalid(&p, "digest", "fips on forbids sha1: use sha256 or "
                                 "sha384");

    p.digest = (scep_digest_t) 3;
    assert_invalid(&p, "digest", "digest has an unknown value 3");

    p.digest = SCEP_DIGEST_SHA256;
    p.key_usage = 0;
    assert_invalid(&p, "key_usage", "key_usage needs digital_signature, "
                                    "key_encipherment or both");

    p.key_usage = SCEP_KU_DIGITAL_SIGNATURE | 0x10;
    assert_invalid(&p, "key_usage", "key_usage has unknown bits 0x11");

    p.key_usage = SCEP_KU_DIGITAL_SIGNATURE;
    assert_valid(&p);

    p.ca_fingerprint_len = 16;
    assert_invalid(&p, "ca_fingerprint", "ca_fingerprint is 16 bytes long; "
                                         "expected 20 (SHA-1) or 32 "
                                         "(SHA-256)");

    p.ca_fingerprint_len = 20;
    assert_valid(&p);
}


static void
test_tls(void **state)
{
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.server_url = "https://pki.example.com/scep";
    p.client_cert = "/etc/pki/portal.pem";
    assert_invalid(&p, "tls_certificate_key",
                   "tls_certificate is set but tls_certificate_key is not: "
                   "mutual TLS needs both");

    p.client_cert = NULL;
    p.client_key = "/etc/pki/portal.key";
    assert_invalid(&p, "tls_certificate",
                   "tls_certificate_key is set but tls_certificate is not: "
                   "mutual TLS needs both");

    p.client_cert = "/etc/pki/portal.pem";
    assert_valid(&p);

    /* TLS files with no https anywhere would be silently ignored */
    p.server_url = "http://pki.example.com/scep";
    assert_invalid(&p, "tls_certificate",
                   "tls_certificate has no effect: neither server_url nor "
                   "challenge_url uses https://");

    p.trusted_ca = "/etc/pki/root.pem";
    assert_invalid(&p, "tls_trusted_certificate",
                   "tls_trusted_certificate has no effect: neither "
                   "server_url nor challenge_url uses https://");

    /* an https challenge page is enough */
    dynamic_profile(&p);
    p.trusted_ca = "/etc/pki/root.pem";
    assert_valid(&p);

    dynamic_profile(&p);
    p.challenge_url = "http://pki.example.com/certsrv/mscep_admin/";
    p.trusted_ca = "/etc/pki/root.pem";
    assert_invalid(&p, "tls_trusted_certificate",
                   "tls_trusted_certificate has no effect: neither "
                   "server_url nor challenge_url uses https://");
}


static void
test_timeouts(void **state)
{
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.connect_timeout_ms = 0;
    assert_invalid(&p, "connect_timeout", "connect_timeout must be more "
                                          "than 0 and at most 600 s");

    p.connect_timeout_ms = 600001;
    assert_invalid(&p, "connect_timeout", "connect_timeout must be more "
                                          "than 0 and at most 600 s");

    p.connect_timeout_ms = 5000;
    p.timeout_ms = -1;
    assert_invalid(&p, "timeout", "timeout must be more than 0 and at most "
                                  "600 s");

    p.timeout_ms = 600001;
    assert_invalid(&p, "timeout", "timeout must be more than 0 and at most "
                                  "600 s");

    p.timeout_ms = 4000;
    assert_invalid(&p, "connect_timeout", "connect_timeout (5000 ms) is "
                                          "longer than timeout (4000 ms), "
                                          "which bounds the whole exchange");

    p.timeout_ms = 5000;
    assert_valid(&p);
}


/* Several mistakes at once: the first one in directive order wins. */
static void
test_validation_order(void **state)
{
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.challenge = SCEP_CHALLENGE_FIXED;
    p.server_url = NULL;
    p.ca_ident = NULL;
    p.subject = "O=acme";
    set_san(&p, SCEP_SAN_DNS, NULL);
    p.key_bits = 100;
    p.key_usage = 0;
    p.client_key = "/k";
    p.timeout_ms = 0;

    assert_invalid(&p, "challenge_password",
                   "challenge fixed needs challenge_password or "
                   "challenge_password_file");

    p.challenge_password = "pw";
    assert_invalid(&p, "server_url",
                   "server_url is required: the SCEP service, such as "
                   "http://pki.example.com/certsrv/mscep/mscep.dll");

    p.server_url = "https://pki/";
    assert_invalid(&p, "ca_ident", "ca_ident is required: 1 to 255 "
                                   "characters naming the CA to the SCEP "
                                   "service");

    p.ca_ident = "ca";
    assert_invalid(&p, "subject", "subject must contain exactly one CN, "
                                  "not 0");

    p.subject = "CN=$UDID";
    assert_invalid(&p, "subject_alt_name",
                   "subject_alt_name dns needs a value");

    p.nsans = 0;
    assert_invalid(&p, "key_bits", "key_bits must be between 1024 and "
                                   "8192, not 100");

    p.key_bits = 2048;
    assert_invalid(&p, "key_usage", "key_usage needs digital_signature, "
                                    "key_encipherment or both");

    p.key_usage = SCEP_KU_KEY_ENCIPHERMENT;
    assert_invalid(&p, "tls_certificate",
                   "tls_certificate_key is set but tls_certificate is not: "
                   "mutual TLS needs both");

    p.client_key = NULL;
    assert_invalid(&p, "timeout", "timeout must be more than 0 and at most "
                                  "600 s");

    p.timeout_ms = 30000;
    assert_valid(&p);
}


static void
assert_parse_error(int rc, scep_error_t *err, const char *field,
    const char *message)
{
    assert_int_equal(rc, -1);
    assert_int_equal(err->code, SCEP_ERR_CONFIG);
    assert_string_equal(err->field, field);
    assert_string_equal(err->message, message);
}


static void
test_named_values(void **state)
{
    scep_mode_t            mode;
    scep_error_t           err;
    scep_digest_t          digest;
    scep_san_type_t        san;
    scep_http_auth_t       auth;
    scep_challenge_type_t  challenge;

    (void) state;

    assert_int_equal(scep_parse_mode("push", &mode, &err), 0);
    assert_int_equal(mode, SCEP_MODE_PUSH);
    assert_int_equal(scep_parse_mode("ENROLL", &mode, &err), 0);
    assert_int_equal(mode, SCEP_MODE_ENROLL);
    assert_int_equal(scep_parse_mode("proxy", &mode, &err), 0);
    assert_int_equal(mode, SCEP_MODE_PROXY);
    mode = SCEP_MODE_PROXY;
    assert_parse_error(scep_parse_mode("pull", &mode, &err), &err, "mode",
                       "unknown mode \"pull\": use push, enroll or proxy");
    assert_int_equal(mode, SCEP_MODE_PROXY);
    assert_parse_error(scep_parse_mode(NULL, &mode, &err), &err, "mode",
                       "unknown mode \"\": use push, enroll or proxy");

    assert_int_equal(scep_parse_challenge("none", &challenge, &err), 0);
    assert_int_equal(challenge, SCEP_CHALLENGE_NONE);
    assert_int_equal(scep_parse_challenge("fixed", &challenge, &err), 0);
    assert_int_equal(challenge, SCEP_CHALLENGE_FIXED);
    assert_int_equal(scep_parse_challenge("Dynamic", &challenge, &err), 0);
    assert_int_equal(challenge, SCEP_CHALLENGE_DYNAMIC);
    assert_int_equal(scep_parse_challenge("bound", &challenge, &err), 0);
    assert_int_equal(challenge, SCEP_CHALLENGE_BOUND);
    assert_parse_error(scep_parse_challenge("otp", &challenge, &err), &err,
                       "challenge", "unknown challenge \"otp\": use none, "
                                    "fixed, dynamic or bound");

    assert_int_equal(scep_parse_http_auth("basic", &auth, &err), 0);
    assert_int_equal(auth, SCEP_HTTP_AUTH_BASIC);
    assert_int_equal(scep_parse_http_auth("ntlm", &auth, &err), 0);
    assert_int_equal(auth, SCEP_HTTP_AUTH_NTLM);
    assert_int_equal(scep_parse_http_auth("any", &auth, &err), 0);
    assert_int_equal(auth, SCEP_HTTP_AUTH_ANY);
    assert_parse_error(scep_parse_http_auth("digest", &auth, &err), &err,
                       "challenge_auth", "unknown challenge_auth "
                                         "\"digest\": use basic, ntlm or "
                                         "any");

    assert_int_equal(scep_parse_san_type("none", &san, &err), 0);
    assert_int_equal(san, SCEP_SAN_NONE);
    assert_int_equal(scep_parse_san_type("rfc822", &san, &err), 0);
    assert_int_equal(san, SCEP_SAN_RFC822);
    assert_int_equal(scep_parse_san_type("dns", &san, &err), 0);
    assert_int_equal(san, SCEP_SAN_DNS);
    assert_int_equal(scep_parse_san_type("URI", &san, &err), 0);
    assert_int_equal(san, SCEP_SAN_URI);
    assert_int_equal(scep_parse_san_type("upn", &san, &err), 0);
    assert_int_equal(san, SCEP_SAN_UPN);
    assert_parse_error(scep_parse_san_type("email", &san, &err), &err,
                       "subject_alt_name", "unknown subject_alt_name type "
                                           "\"email\": use none, rfc822, "
                                           "dns, uri or upn");

    assert_int_equal(scep_parse_digest("sha1", &digest, &err), 0);
    assert_int_equal(digest, SCEP_DIGEST_SHA1);
    assert_int_equal(scep_parse_digest("sha256", &digest, &err), 0);
    assert_int_equal(digest, SCEP_DIGEST_SHA256);
    assert_int_equal(scep_parse_digest("SHA384", &digest, &err), 0);
    assert_int_equal(digest, SCEP_DIGEST_SHA384);
    assert_parse_error(scep_parse_digest("md5", &digest, &err), &err,
                       "digest", "unknown digest \"md5\": use sha1, sha256 "
                                 "or sha384");
    assert_parse_error(scep_parse_digest("sha256 ", &digest, &err), &err,
                       "digest", "unknown digest \"sha256 \": use sha1, "
                                 "sha256 or sha384");

    /* refused words are repeated safely: no control bytes, bounded */
    assert_parse_error(scep_parse_digest("md5\n\x1b[31m", &digest, &err),
                       &err, "digest", "unknown digest \"md5??[31m\": use "
                                       "sha1, sha256 or sha384");
    assert_parse_error(scep_parse_digest("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                         "aaaaaaaaaa", &digest, &err),
                       &err, "digest", "unknown digest \"aaaaaaaaaaaaaaaaaa"
                                       "aaaaaaaaaaaaaa...\": use sha1, "
                                       "sha256 or sha384");

    assert_string_equal(scep_mode_name(SCEP_MODE_ENROLL), "enroll");
    assert_string_equal(scep_mode_name((scep_mode_t) 9), "unknown");
    assert_string_equal(scep_challenge_name(SCEP_CHALLENGE_DYNAMIC),
                        "dynamic");
    assert_string_equal(scep_challenge_name(SCEP_CHALLENGE_BOUND), "bound");
    assert_string_equal(scep_san_type_name(SCEP_SAN_RFC822), "rfc822");
    assert_string_equal(scep_digest_name(SCEP_DIGEST_SHA384), "sha384");
    assert_string_equal(scep_digest_name((scep_digest_t) -1), "unknown");
}


static void
test_key_usage_words(void **state)
{
    unsigned      usage;
    scep_error_t  err;

    (void) state;

    usage = 0;
    assert_int_equal(scep_parse_key_usage("digital_signature", &usage, &err),
                     0);
    assert_int_equal(usage, SCEP_KU_DIGITAL_SIGNATURE);
    assert_int_equal(scep_parse_key_usage("key_encipherment", &usage, &err),
                     0);
    assert_int_equal(usage,
                     SCEP_KU_DIGITAL_SIGNATURE | SCEP_KU_KEY_ENCIPHERMENT);

    usage = SCEP_KU_KEY_ENCIPHERMENT;
    assert_int_equal(scep_parse_key_usage("key_encipherment", &usage, &err),
                     0);
    assert_int_equal(usage, SCEP_KU_KEY_ENCIPHERMENT);

    assert_parse_error(scep_parse_key_usage("non_repudiation", &usage, &err),
                       &err, "key_usage",
                       "unknown key_usage \"non_repudiation\": use "
                       "digital_signature and/or key_encipherment");
    assert_int_equal(usage, SCEP_KU_KEY_ENCIPHERMENT);
}


static void
test_key_bits_words(void **state)
{
    int           bits;
    scep_error_t  err;

    (void) state;

    assert_int_equal(scep_parse_key_bits("2048", &bits, &err), 0);
    assert_int_equal(bits, 2048);
    assert_int_equal(scep_parse_key_bits("1024", &bits, &err), 0);
    assert_int_equal(bits, 1024);
    assert_int_equal(scep_parse_key_bits("8192", &bits, &err), 0);
    assert_int_equal(bits, 8192);

    bits = 7;
    assert_parse_error(scep_parse_key_bits("", &bits, &err), &err,
                       "key_bits", "key_bits \"\" is not a number of bits "
                                   "such as 2048");
    assert_parse_error(scep_parse_key_bits("2048b", &bits, &err), &err,
                       "key_bits", "key_bits \"2048b\" is not a number of "
                                   "bits such as 2048");
    assert_parse_error(scep_parse_key_bits("-2048", &bits, &err), &err,
                       "key_bits", "key_bits \"-2048\" is not a number of "
                                   "bits such as 2048");
    assert_parse_error(scep_parse_key_bits(" 2048", &bits, &err), &err,
                       "key_bits", "key_bits \" 2048\" is not a number of "
                                   "bits such as 2048");
    assert_parse_error(scep_parse_key_bits("1000", &bits, &err), &err,
                       "key_bits", "key_bits must be between 1024 and "
                                   "8192, not 1000");
    assert_parse_error(scep_parse_key_bits("3000", &bits, &err), &err,
                       "key_bits", "key_bits must be a multiple of 256, "
                                   "such as 2048, 3072 or 4096, not 3000");
    assert_int_equal(bits, 7);

    /* a huge number must not wrap around into range */
    assert_parse_error(scep_parse_key_bits("18446744073709553664", &bits,
                                           &err),
                       &err, "key_bits", "key_bits must be between 1024 "
                                         "and 8192, not "
                                         "18446744073709553664");
    assert_int_equal(bits, 7);
}


static void
assert_fingerprint(const char *s, const unsigned char *expect, size_t len)
{
    size_t         got;
    scep_error_t   err;
    unsigned char  out[SCEP_FINGERPRINT_MAX];

    scep_error_clear(&err);

    if (scep_parse_fingerprint(s, out, &got, &err) != 0) {
        fail_msg("\"%s\" refused: %s", s, err.message);
    }

    assert_int_equal(got, len);
    assert_memory_equal(out, expect, len);
}


static void
assert_fingerprint_refused(const char *s, const char *message)
{
    size_t         len;
    scep_error_t   err;
    unsigned char  out[SCEP_FINGERPRINT_MAX];

    len = 99;
    assert_parse_error(scep_parse_fingerprint(s, out, &len, &err), &err,
                       "ca_fingerprint", message);
    assert_int_equal(len, 99);
}


static void
test_fingerprints(void **state)
{
    (void) state;

    assert_fingerprint(SHA1_HEX, sha1_bytes, 20);
    assert_fingerprint("01:23:45:67:89:ab:cd:ef:01:23:45:67:89:AB:CD:EF:"
                       "01:23:45:67", sha1_bytes, 20);
    assert_fingerprint(SHA256_HEX, sha256_bytes, 32);
    assert_fingerprint("00:11:22:33:44:55:66:77:88:99:Aa:bB:cc:dd:ee:ff:"
                       "ff:ee:dd:cc:bb:aa:99:88:77:66:55:44:33:22:11:00",
                       sha256_bytes, 32);

    assert_fingerprint_refused("0123456789abcdef0123456789abcdef0123456",
                               "ca_fingerprint has 39 hex digits; expected "
                               "40 (SHA-1) or 64 (SHA-256)");
    assert_fingerprint_refused("0123456789abcdef0123456789abcdef01234567"
                               "89",
                               "ca_fingerprint has 42 hex digits; expected "
                               "40 (SHA-1) or 64 (SHA-256)");
    assert_fingerprint_refused("01:23:45",
                               "ca_fingerprint has 6 hex digits; expected "
                               "40 (SHA-1) or 64 (SHA-256)");
    assert_fingerprint_refused("0123456789abcdef0123456789abcdef0123456g",
                               "ca_fingerprint contains \"g\", which is not "
                               "a hex digit");
    assert_fingerprint_refused("01 23", "ca_fingerprint contains the byte "
                                        "0x20, which is not a hex digit");
    assert_fingerprint_refused("0x0123456789abcdef0123456789abcdef01234567",
                               "ca_fingerprint contains \"x\", which is not "
                               "a hex digit");
    assert_fingerprint_refused("012:3", "ca_fingerprint has a misplaced "
                                        "colon: write the hex digits plain, "
                                        "or in pairs separated by single "
                                        "colons such as AB:CD:...");
    assert_fingerprint_refused("01:23:", "ca_fingerprint has a misplaced "
                                         "colon: write the hex digits "
                                         "plain, or in pairs separated by "
                                         "single colons such as AB:CD:...");
    assert_fingerprint_refused(":01:23", "ca_fingerprint has a misplaced "
                                         "colon: write the hex digits "
                                         "plain, or in pairs separated by "
                                         "single colons such as AB:CD:...");
    assert_fingerprint_refused("01::23", "ca_fingerprint has a misplaced "
                                         "colon: write the hex digits "
                                         "plain, or in pairs separated by "
                                         "single colons such as AB:CD:...");
    assert_fingerprint_refused("", "ca_fingerprint must be 40 (SHA-1) or 64 "
                                   "(SHA-256) hex digits, plain or in "
                                   "colon-separated pairs such as "
                                   "AB:CD:...");
    assert_fingerprint_refused(NULL, "ca_fingerprint must be 40 (SHA-1) or "
                                     "64 (SHA-256) hex digits, plain or in "
                                     "colon-separated pairs such as "
                                     "AB:CD:...");
    assert_fingerprint_refused(SHA256_HEX SHA256_HEX SHA256_HEX SHA256_HEX,
                               "ca_fingerprint must be 40 (SHA-1) or 64 "
                               "(SHA-256) hex digits, plain or in "
                               "colon-separated pairs such as AB:CD:...");
}


static void
test_hex_value(void **state)
{
    (void) state;

    assert_int_equal(scep_hex_value('0'), 0);
    assert_int_equal(scep_hex_value('9'), 9);
    assert_int_equal(scep_hex_value('a'), 10);
    assert_int_equal(scep_hex_value('F'), 15);
    assert_int_equal(scep_hex_value('g'), -1);
    assert_int_equal(scep_hex_value('/'), -1);
    assert_int_equal(scep_hex_value('\0'), -1);
}



static void
test_challenge_bound(void **state)
{
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.challenge = SCEP_CHALLENGE_BOUND;
    assert_valid(&p);
    assert_int_equal(p.challenge_lifetime_s, 300);

    base_profile(&p);
    p.challenge = SCEP_CHALLENGE_BOUND;
    p.challenge_lifetime_s = 86400;
    assert_valid(&p);

    p.challenge_lifetime_s = 86401;
    assert_invalid(&p, "challenge_lifetime",
                   "challenge_lifetime must be 1 s to 86400 s");

    p.challenge_lifetime_s = 0;
    assert_invalid(&p, "challenge_lifetime",
                   "challenge_lifetime must be 1 s to 86400 s");

    /* the portal mints it: no password, no challenge service */
    base_profile(&p);
    p.challenge = SCEP_CHALLENGE_BOUND;
    p.challenge_password = "s3cret";
    assert_invalid(&p, "challenge_password",
                   "challenge_password has no effect with challenge bound "
                   "(only challenge fixed or dynamic uses it): remove it, "
                   "or change challenge");

    base_profile(&p);
    p.challenge = SCEP_CHALLENGE_BOUND;
    p.challenge_url = "https://pki.example.com/certsrv/mscep_admin/";
    assert_invalid(&p, "challenge_url",
                   "challenge_url has no effect with challenge bound (only "
                   "challenge dynamic uses it): remove it, or change "
                   "challenge");

    /* a lifetime without a bound challenge would be ignored */
    dynamic_profile(&p);
    p.challenge_lifetime_s = 60;
    assert_invalid(&p, "challenge_lifetime",
                   "challenge_lifetime has no effect with challenge dynamic "
                   "(only challenge bound uses it): remove it, or change "
                   "challenge");
}


static void
test_plain_http_needs_a_fingerprint(void **state)
{
    scep_profile_t  p;

    (void) state;

    base_profile(&p);
    p.ca_fingerprint_len = 0;
    assert_invalid(&p, "server_url",
                   "server_url is http:// and no ca_fingerprint is set: "
                   "whatever CA certificate comes back over plain http "
                   "would be trusted; set ca_fingerprint (the CA "
                   "certificate's SHA-256), or use https://");

    /* in every mode */
    p.mode = SCEP_MODE_ENROLL;
    assert_invalid(&p, "server_url",
                   "server_url is http:// and no ca_fingerprint is set: "
                   "whatever CA certificate comes back over plain http "
                   "would be trusted; set ca_fingerprint (the CA "
                   "certificate's SHA-256), or use https://");

    /* https alone is enough: TLS names the server */
    base_profile(&p);
    p.ca_fingerprint_len = 0;
    p.server_url = "https://pki.example.com/certsrv/mscep/mscep.dll";
    assert_valid(&p);

    /* proxy mode: the agent fetches the CA through proxy_url */
    p.mode = SCEP_MODE_PROXY;
    p.proxy_url = "http://vpn.example.com/scep-proxy";
    assert_invalid(&p, "proxy_url",
                   "proxy_url is http:// and no ca_fingerprint is set: "
                   "whatever CA certificate comes back over plain http "
                   "would be trusted; set ca_fingerprint (the CA "
                   "certificate's SHA-256), or use https://");

    p.proxy_url = "https://vpn.example.com/scep-proxy";
    assert_valid(&p);

    p.proxy_url = "https://vpn.example.com/scep-proxy?x=1";
    assert_invalid(&p, "proxy_url",
                   "proxy_url cannot have a query or end with \"/\": agents "
                   "get \"/<ticket>\" appended to it, such as "
                   "https://vpn.example.org/scep-proxy");

    p.proxy_url = "https://vpn.example.com/scep-proxy/";
    assert_invalid(&p, "proxy_url",
                   "proxy_url cannot have a query or end with \"/\": agents "
                   "get \"/<ticket>\" appended to it, such as "
                   "https://vpn.example.org/scep-proxy");

    /* the explicit opt-out, and only where it does something */
    base_profile(&p);
    p.ca_fingerprint_len = 0;
    p.insecure_trust_any_ca = 1;
    assert_valid(&p);

    base_profile(&p);
    p.insecure_trust_any_ca = 1;
    assert_invalid(&p, "insecure_trust_any_ca",
                   "insecure_trust_any_ca has no effect: ca_fingerprint "
                   "pins the CA; remove it");

    base_profile(&p);
    p.ca_fingerprint_len = 0;
    p.server_url = "https://pki.example.com/certsrv/mscep/mscep.dll";
    p.insecure_trust_any_ca = 1;
    assert_invalid(&p, "insecure_trust_any_ca",
                   "insecure_trust_any_ca has no effect: every URL is "
                   "https://; remove it");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_hex_value),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_valid_profiles),
        cmocka_unit_test(test_mode),
        cmocka_unit_test(test_challenge_none),
        cmocka_unit_test(test_challenge_fixed),
        cmocka_unit_test(test_challenge_dynamic),
        cmocka_unit_test(test_challenge_bound),
        cmocka_unit_test(test_plain_http_needs_a_fingerprint),
        cmocka_unit_test(test_server_url),
        cmocka_unit_test(test_check_url),
        cmocka_unit_test(test_ca_ident),
        cmocka_unit_test(test_subject),
        cmocka_unit_test(test_subject_alt_name),
        cmocka_unit_test(test_key_settings),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_mode_settings),
        cmocka_unit_test(test_validation_order),
        cmocka_unit_test(test_named_values),
        cmocka_unit_test(test_key_usage_words),
        cmocka_unit_test(test_key_bits_words),
        cmocka_unit_test(test_fingerprints),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
