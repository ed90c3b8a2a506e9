/*
 * gp_render: the documents byte for byte, every value escaped, and each
 * document read back by xmllint (libxml2-utils), a parser we did not
 * write: well-formed, and every hostile value recovered intact.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>

#include <openssl/x509.h>

#include "agent-proto/gp_buf.h"
#include "agent-proto/gp_render.h"


#define FFFD      "\xef\xbf\xbd"

/* Every character XML gives a meaning to. */
#define HOSTILE   "<&>\"'"
#define ESCAPED   "&lt;&amp;&gt;&quot;&apos;"

/* Text XML 1.0 cannot carry: a control character and a stray byte. */
#define BROKEN    "x\x01\xff"
#define REPAIRED  "x" FFFD FFFD


static X509_NAME *
make_name(const char *const *pairs, size_t n)
{
    size_t      i;
    X509_NAME  *name;

    name = X509_NAME_new();
    assert_non_null(name);

    for (i = 0; i < n; i += 2) {
        assert_int_equal(X509_NAME_add_entry_by_txt(name, pairs[i],
                             MBSTRING_UTF8,
                             (const unsigned char *) pairs[i + 1], -1, -1,
                             0), 1);
    }

    return name;
}


static void
make_profile(scep_profile_t *p, const char *name)
{
    memset(p, 0, sizeof(*p));

    p->name = name;
    p->mode = SCEP_MODE_PUSH;
    p->challenge = SCEP_CHALLENGE_DYNAMIC;
    p->server_url = "https://pki.example.com/certsrv/mscep/mscep.dll";
    p->ca_ident = "acme-ca";
    p->key_bits = 2048;
    p->digest = SCEP_DIGEST_SHA256;
    p->key_usage = SCEP_KU_DIGITAL_SIGNATURE | SCEP_KU_KEY_ENCIPHERMENT;
}


static char *
render_policy(const gp_policy_t *policy)
{
    char      *doc;
    gp_buf_t   b;

    gp_buf_init(&b, 64 * 1024);
    gp_render_policy(&b, policy);
    assert_false(b.failed);

    doc = gp_buf_take(&b, NULL);
    assert_non_null(doc);
    gp_buf_free_secret(&b);

    return doc;
}


static void
assert_contains(const char *doc, const char *fragment)
{
    if (strstr(doc, fragment) == NULL) {
        fail_msg("missing fragment:\n%s\nin document:\n%s", fragment, doc);
    }
}


/* Runs xmllint on doc; returns its exit status, its output in *out. */
static int
xmllint(const char *doc, const char *args, char **out)
{
    int     fd, status;
    char    path[] = "/tmp/test_gp_render_XXXXXX";
    char    cmd[512], *buf;
    FILE   *f;
    size_t  len, n;

    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t) strlen(doc));
    close(fd);

    snprintf(cmd, sizeof(cmd), "xmllint %s %s 2>&1", args, path);

    f = popen(cmd, "r");
    assert_non_null(f);

    buf = malloc(65536);
    assert_non_null(buf);
    len = 0;

    while ((n = fread(buf + len, 1, 65535 - len, f)) > 0) {
        len += n;
    }

    buf[len] = '\0';
    status = pclose(f);
    unlink(path);

    if (out != NULL) {
        *out = buf;

    } else {
        free(buf);
    }

    assert_true(WIFEXITED(status));

    return WEXITSTATUS(status);
}


static void
assert_well_formed(const char *doc)
{
    char  *out;

    if (xmllint(doc, "--noout", &out) != 0) {
        fail_msg("xmllint refused the document:\n%s\n%s", out, doc);
    }

    free(out);
}


/* The string value at an XPath, as xmllint reads it. */
static void
assert_xpath(const char *doc, const char *xpath, const char *expected)
{
    char    args[256], *out;
    size_t  len;

    snprintf(args, sizeof(args), "--xpath 'string(%s)'", xpath);
    assert_int_equal(xmllint(doc, args, &out), 0);

    /* xmllint ends what it prints with a newline */
    len = strlen(out);
    assert_true(len > 0);
    out[len - 1] = '\0';

    assert_string_equal(out, expected);
    free(out);
}


static void
test_xmllint_is_there_and_strict(void **state)
{
    (void) state;

    if (system("xmllint --version > /dev/null 2>&1") != 0) {
        fail_msg("xmllint is missing: apt-get install libxml2-utils");
    }

    /* the check can fail: a broken document is refused */
    assert_int_not_equal(xmllint("<policy><a></policy>", "--noout", NULL),
                         0);
    assert_int_not_equal(xmllint("<a>\x01</a>", "--noout", NULL), 0);
    assert_int_not_equal(xmllint("<a>\xff</a>", "--noout", NULL), 0);
}


static void
test_prelogin_defaults(void **state)
{
    char           *doc;
    gp_buf_t        b;
    gp_prelogin_t   p;

    (void) state;

    memset(&p, 0, sizeof(p));

    gp_buf_init(&b, 0);
    gp_render_prelogin(&b, &p);
    assert_false(b.failed);
    doc = b.data;

    assert_string_equal(doc,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<prelogin-response>\n"
        "  <status>Success</status>\n"
        "  <ccusername></ccusername>\n"
        "  <autosubmit>false</autosubmit>\n"
        "  <msg></msg>\n"
        "  <newmsg></newmsg>\n"
        "  <authentication-message>Enter login credentials"
        "</authentication-message>\n"
        "  <username-label>Username</username-label>\n"
        "  <password-label>Password</password-label>\n"
        "  <panos-version>1</panos-version>\n"
        "  <region>Unknown</region>\n"
        "</prelogin-response>\n");

    assert_well_formed(doc);
    assert_xpath(doc, "/prelogin-response/status", "Success");

    gp_buf_free(&b);
}


static void
test_prelogin_escaped(void **state)
{
    char           *doc;
    gp_buf_t        b;
    gp_prelogin_t   p;

    (void) state;

    p.portal_name = "Portal " HOSTILE;
    p.auth_message = "Log in " HOSTILE;
    p.username_label = "User " BROKEN;
    p.password_label = "OTP\r\n" HOSTILE;

    gp_buf_init(&b, 0);
    gp_render_prelogin(&b, &p);
    assert_false(b.failed);
    doc = b.data;

    assert_contains(doc, "  <authentication-message>Log in " ESCAPED
                    "</authentication-message>\n");
    assert_contains(doc, "  <username-label>User " REPAIRED
                    "</username-label>\n");
    assert_contains(doc, "  <password-label>OTP&#13;\n" ESCAPED
                    "</password-label>\n");
    assert_contains(doc, "  <portal-name>Portal " ESCAPED
                    "</portal-name>\n");

    assert_well_formed(doc);
    assert_xpath(doc, "/prelogin-response/authentication-message",
                 "Log in " HOSTILE);
    assert_xpath(doc, "/prelogin-response/password-label",
                 "OTP\r\n" HOSTILE);
    assert_xpath(doc, "/prelogin-response/username-label", "User " REPAIRED);

    gp_buf_free(&b);
}


static void
test_policy_push_exact(void **state)
{
    char                *doc;
    size_t               i;
    X509_NAME           *name;
    gp_policy_t          policy;
    gp_gateway_t         gw[2];
    scep_sans_t             sans;
    scep_profile_t       profile;
    gp_scep_settings_t   settings;

    static const char *const  rdns[] = { "O", "acme", "OU", "vpn",
                                         "CN", "alice" };

    (void) state;

    memset(&settings, 0, sizeof(settings));

    make_profile(&profile, "corp");

    for (i = 0; i < 32; i++) {
        profile.ca_fingerprint[i] = (unsigned char) (0xe0 + i);
    }

    profile.ca_fingerprint_len = 32;

    name = make_name(rdns, 6);

    /* the names made for the user, one element each, in order */
    sans.n = 2;
    sans.san[0].type = SCEP_SAN_RFC822;
    sans.san[0].value = "vpn@example.com";
    sans.san[1].type = SCEP_SAN_UPN;
    sans.san[1].value = "alice@corp.example.com";

    settings.profile = &profile;
    settings.sans = &sans;
    settings.subject = name;
    settings.server_url = profile.server_url;
    settings.challenge = "3F9A1C0B7E2D4A66";
    settings.ticket = NULL;

    gw[0].name = "Main";
    gw[0].address = "vpn.example.com";
    gw[0].priority = 1;
    gw[1].name = NULL;
    gw[1].address = "vpn2.example.com:8443";
    gw[1].priority = 2;

    memset(&policy, 0, sizeof(policy));
    policy.portal_name = "Acme Portal";
    policy.user = "alice";
    policy.gateways = gw;
    policy.ngateways = 2;
    policy.settings = &settings;

    doc = render_policy(&policy);

    assert_string_equal(doc,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<policy>\n"
        "  <portal-name>Acme Portal</portal-name>\n"
        "  <version>" GP_SOFTWARE_VERSION_DEFAULT "</version>\n"
        "  <scep-protocol-version>1</scep-protocol-version>\n"
        "  <user-name>alice</user-name>\n"
        "  <gateways>\n"
        "    <external>\n"
        "      <list>\n"
        "        <entry name=\"vpn.example.com\">\n"
        "          <priority-rule>\n"
        "            <entry name=\"Any\">\n"
        "              <priority>1</priority>\n"
        "            </entry>\n"
        "          </priority-rule>\n"
        "          <priority>1</priority>\n"
        "          <description>Main</description>\n"
        "        </entry>\n"
        "        <entry name=\"vpn2.example.com:8443\">\n"
        "          <priority-rule>\n"
        "            <entry name=\"Any\">\n"
        "              <priority>2</priority>\n"
        "            </entry>\n"
        "          </priority-rule>\n"
        "          <priority>2</priority>\n"
        "          <description>vpn2.example.com:8443</description>\n"
        "        </entry>\n"
        "      </list>\n"
        "    </external>\n"
        "  </gateways>\n"
        "  <scep>\n"
        "    <profile>corp</profile>\n"
        "    <mode>push</mode>\n"
        "    <server-url>https://pki.example.com/certsrv/mscep/mscep.dll"
        "</server-url>\n"
        "    <ca-ident>acme-ca</ca-ident>\n"
        "    <subject>CN=alice,OU=vpn,O=acme</subject>\n"
        "    <subject-rdns>\n"
        "      <subject-rdn type=\"O\">acme</subject-rdn>\n"
        "      <subject-rdn type=\"OU\">vpn</subject-rdn>\n"
        "      <subject-rdn type=\"CN\">alice</subject-rdn>\n"
        "    </subject-rdns>\n"
        "    <subject-alt-name type=\"rfc822\">vpn@example.com"
        "</subject-alt-name>\n"
        "    <subject-alt-name type=\"upn\">alice@corp.example.com"
        "</subject-alt-name>\n"
        "    <key-bits>2048</key-bits>\n"
        "    <digest>sha256</digest>\n"
        "    <key-usage>\n"
        "      <digital-signature/>\n"
        "      <key-encipherment/>\n"
        "    </key-usage>\n"
        "    <ca-fingerprint algorithm=\"sha256\">"
        "E0:E1:E2:E3:E4:E5:E6:E7:E8:E9:EA:EB:EC:ED:EE:EF:"
        "F0:F1:F2:F3:F4:F5:F6:F7:F8:F9:FA:FB:FC:FD:FE:FF"
        "</ca-fingerprint>\n"
        "    <challenge type=\"dynamic\">3F9A1C0B7E2D4A66</challenge>\n"
        "  </scep>\n"
        "</policy>\n");

    assert_well_formed(doc);
    assert_xpath(doc, "/policy/gateways/external/list/entry[2]/@name",
                 "vpn2.example.com:8443");
    assert_xpath(doc, "/policy/scep/subject-rdns/subject-rdn[3]/@type",
                 "CN");

    free(doc);
    X509_NAME_free(name);
}


static void
test_policy_hostile_values(void **state)
{
    char                   *doc;
    X509_NAME              *name;
    gp_policy_t             policy;
    gp_gateway_t            gw;
    scep_sans_t             sans;
    scep_profile_t          profile;
    gp_scep_pending_t       pending;
    gp_scep_settings_t      settings;
    gp_scep_certificate_t   cert;

    static const char *const  rdns[] = { "O", "a" HOSTILE "b",
                                         "CN", "x,O=evil+CN=admin" };

    (void) state;

    memset(&policy, 0, sizeof(policy));
    memset(&gw, 0, sizeof(gw));
    memset(&pending, 0, sizeof(pending));
    memset(&settings, 0, sizeof(settings));
    memset(&cert, 0, sizeof(cert));

    make_profile(&profile, "p" HOSTILE);
    profile.ca_ident = "ca" HOSTILE;
    sans.n = 1;
    sans.san[0].type = SCEP_SAN_URI;
    sans.san[0].value = "urn:" HOSTILE;

    name = make_name(rdns, 4);

    settings.profile = &profile;
    settings.sans = &sans;
    settings.subject = name;
    settings.server_url = "https://pki/scep?a=1&b=" HOSTILE;
    settings.challenge = "otp" HOSTILE;
    settings.ticket = "t" HOSTILE;

    gw.name = "gw" HOSTILE;
    gw.address = "gw" HOSTILE "\t\n:443";
    gw.priority = 3;

    cert.profile = "c" HOSTILE;
    cert.pkcs12_b64 = "MII" HOSTILE;
    cert.passphrase = "pw" HOSTILE;
    cert.subject = "CN=" HOSTILE;
    cert.serial = "0A" HOSTILE;
    cert.issuer = "CN=ca" HOSTILE;
    cert.not_after = "2030" HOSTILE;
    cert.ca_chain_pem = "-----BEGIN" HOSTILE "\r\n";

    pending.profile = "q" HOSTILE;
    pending.transaction_id = "tid" HOSTILE;
    pending.retry_after = 30;

    memset(&policy, 0, sizeof(policy));
    policy.portal_name = "Portal" HOSTILE;
    policy.user = "u" HOSTILE;
    policy.gateways = &gw;
    policy.ngateways = 1;
    policy.settings = &settings;
    policy.certificate = &cert;
    policy.pending = &pending;

    doc = render_policy(&policy);

    assert_contains(doc, "<portal-name>Portal" ESCAPED "</portal-name>");
    assert_contains(doc, "<user-name>u" ESCAPED "</user-name>");
    assert_contains(doc, "<entry name=\"gw" ESCAPED "&#9;&#10;:443\">");
    assert_contains(doc, "<priority>3</priority>");
    assert_contains(doc, "<description>gw" ESCAPED "</description>");
    assert_contains(doc, "<profile>p" ESCAPED "</profile>");
    assert_contains(doc, "<server-url>https://pki/scep?a=1&amp;b=" ESCAPED
                    "</server-url>");
    assert_contains(doc, "<ca-ident>ca" ESCAPED "</ca-ident>");
    assert_contains(doc, "<subject>CN=x\\,O=evil\\+CN=admin,"
                    "O=a\\&lt;&amp;\\&gt;\\&quot;&apos;b</subject>");
    assert_contains(doc, "<subject-rdn type=\"O\">a" ESCAPED
                    "b</subject-rdn>");
    assert_contains(doc, "<subject-rdn type=\"CN\">x,O=evil+CN=admin"
                    "</subject-rdn>");
    assert_contains(doc, "<subject-alt-name type=\"uri\">urn:" ESCAPED
                    "</subject-alt-name>");
    assert_contains(doc, "<challenge type=\"dynamic\">otp" ESCAPED
                    "</challenge>");
    assert_contains(doc, "<ticket>t" ESCAPED "</ticket>");
    assert_contains(doc, "<profile>c" ESCAPED "</profile>");
    assert_contains(doc, "<pkcs12 encoding=\"base64\">MII" ESCAPED
                    "</pkcs12>");
    assert_contains(doc, "<passphrase>pw" ESCAPED "</passphrase>");
    assert_contains(doc, "<subject>CN=" ESCAPED "</subject>");
    assert_contains(doc, "<serial>0A" ESCAPED "</serial>");
    assert_contains(doc, "<issuer>CN=ca" ESCAPED "</issuer>");
    assert_contains(doc, "<not-after>2030" ESCAPED "</not-after>");
    assert_contains(doc, "<ca-chain format=\"pem\">-----BEGIN" ESCAPED
                    "&#13;\n</ca-chain>");
    assert_contains(doc, "<profile>q" ESCAPED "</profile>");
    assert_contains(doc, "<transaction-id>tid" ESCAPED "</transaction-id>");
    assert_contains(doc, "<retry-after>30</retry-after>");

    /* the only '<' and '&' left are markup and references */
    assert_null(strstr(doc, HOSTILE));

    assert_well_formed(doc);
    assert_xpath(doc, "/policy/portal-name", "Portal" HOSTILE);
    assert_xpath(doc, "/policy/gateways/external/list/entry/@name",
                 "gw" HOSTILE "\t\n:443");
    assert_xpath(doc, "/policy/scep/subject-rdns/subject-rdn[1]",
                 "a" HOSTILE "b");
    assert_xpath(doc, "/policy/scep/subject-rdns/subject-rdn[2]",
                 "x,O=evil+CN=admin");
    assert_xpath(doc, "count(/policy/scep/subject-rdns/subject-rdn)", "2");
    assert_xpath(doc, "/policy/scep/challenge", "otp" HOSTILE);
    assert_xpath(doc, "/policy/scep/server-url",
                 "https://pki/scep?a=1&b=" HOSTILE);
    assert_xpath(doc, "/policy/scep-certificate/passphrase", "pw" HOSTILE);
    assert_xpath(doc, "/policy/scep-certificate/ca-chain",
                 "-----BEGIN" HOSTILE "\r\n");
    assert_xpath(doc, "/policy/scep-pending/transaction-id",
                 "tid" HOSTILE);

    free(doc);
    X509_NAME_free(name);
}


static void
test_policy_unrepresentable_text(void **state)
{
    char                   *doc;
    X509_NAME              *name;
    gp_policy_t             policy;
    gp_gateway_t            gw;
    scep_sans_t             sans;
    scep_profile_t          profile;
    gp_scep_pending_t       pending;
    gp_scep_settings_t      settings;
    gp_scep_certificate_t   cert;

    static const char *const  rdns[] = { "CN", "a\x01" "b" };

    (void) state;

    memset(&policy, 0, sizeof(policy));
    memset(&gw, 0, sizeof(gw));
    memset(&pending, 0, sizeof(pending));
    memset(&settings, 0, sizeof(settings));
    memset(&cert, 0, sizeof(cert));

    make_profile(&profile, BROKEN);
    profile.ca_ident = BROKEN;
    sans.n = 1;
    sans.san[0].type = SCEP_SAN_DNS;
    sans.san[0].value = BROKEN;

    /* a CN holding a control character, as a directory might return it */
    name = make_name(rdns, 2);

    settings.profile = &profile;
    settings.sans = &sans;
    settings.subject = name;
    settings.server_url = BROKEN;
    settings.challenge = BROKEN;
    settings.ticket = BROKEN;

    gw.name = BROKEN;
    gw.address = BROKEN;
    gw.priority = 1;

    cert.profile = BROKEN;
    cert.pkcs12_b64 = BROKEN;
    cert.passphrase = BROKEN;
    cert.subject = BROKEN;
    cert.serial = BROKEN;
    cert.issuer = BROKEN;
    cert.not_after = BROKEN;
    cert.ca_chain_pem = BROKEN;

    pending.profile = BROKEN;
    pending.transaction_id = BROKEN;
    pending.retry_after = 5;

    memset(&policy, 0, sizeof(policy));
    policy.portal_name = BROKEN;
    policy.user = BROKEN;
    policy.gateways = &gw;
    policy.ngateways = 1;
    policy.settings = &settings;
    policy.certificate = &cert;
    policy.pending = &pending;

    doc = render_policy(&policy);

    assert_contains(doc, "<portal-name>" REPAIRED "</portal-name>");
    assert_contains(doc, "<user-name>" REPAIRED "</user-name>");
    assert_contains(doc, "<entry name=\"" REPAIRED "\">");
    assert_contains(doc, "<description>" REPAIRED "</description>");
    assert_contains(doc, "<profile>" REPAIRED "</profile>");
    assert_contains(doc, "<server-url>" REPAIRED "</server-url>");
    assert_contains(doc, "<ca-ident>" REPAIRED "</ca-ident>");
    assert_contains(doc, "<subject-rdn type=\"CN\">a" FFFD "b"
                    "</subject-rdn>");
    assert_contains(doc, "<subject-alt-name type=\"dns\">" REPAIRED
                    "</subject-alt-name>");
    assert_contains(doc, "<challenge type=\"dynamic\">" REPAIRED
                    "</challenge>");
    assert_contains(doc, "<ticket>" REPAIRED "</ticket>");
    assert_contains(doc, "<pkcs12 encoding=\"base64\">" REPAIRED
                    "</pkcs12>");
    assert_contains(doc, "<passphrase>" REPAIRED "</passphrase>");
    assert_contains(doc, "<subject>" REPAIRED "</subject>");
    assert_contains(doc, "<serial>" REPAIRED "</serial>");
    assert_contains(doc, "<issuer>" REPAIRED "</issuer>");
    assert_contains(doc, "<not-after>" REPAIRED "</not-after>");
    assert_contains(doc, "<ca-chain format=\"pem\">" REPAIRED
                    "</ca-chain>");
    assert_contains(doc, "<transaction-id>" REPAIRED "</transaction-id>");

    assert_null(strchr(doc, '\x01'));
    assert_null(strchr(doc, '\xff'));

    assert_well_formed(doc);
    assert_xpath(doc, "/policy/scep/challenge", REPAIRED);

    free(doc);
    X509_NAME_free(name);
}


static void
test_policy_proxy_mode(void **state)
{
    char                *doc;
    size_t               i;
    X509_NAME           *name;
    gp_policy_t          policy;
    scep_profile_t       profile;
    gp_scep_settings_t   settings;

    static const char *const  rdns[] = { "CN", "bob" };

    (void) state;

    memset(&settings, 0, sizeof(settings));

    make_profile(&profile, "corp");
    profile.mode = SCEP_MODE_PROXY;
    profile.challenge = SCEP_CHALLENGE_NONE;
    profile.ca_ident = NULL;
    profile.key_usage = 0;
    profile.digest = SCEP_DIGEST_SHA1;
    profile.key_bits = 4096;

    for (i = 0; i < 20; i++) {
        profile.ca_fingerprint[i] = (unsigned char) i;
    }

    profile.ca_fingerprint_len = 20;

    name = make_name(rdns, 2);

    settings.profile = &profile;
    settings.sans = NULL;
    settings.subject = name;
    settings.server_url = "https://portal.example.com/scep-proxy/corp";
    settings.challenge = NULL;
    settings.ticket = "v1.bob.1767225600.c2lnbmF0dXJl";

    memset(&policy, 0, sizeof(policy));
    policy.settings = &settings;

    doc = render_policy(&policy);

    assert_contains(doc, "    <mode>proxy</mode>\n"
                    "    <server-url>https://portal.example.com/scep-proxy/"
                    "corp</server-url>\n"
                    "    <subject>CN=bob</subject>\n");
    assert_contains(doc, "    <key-bits>4096</key-bits>\n"
                    "    <digest>sha1</digest>\n"
                    "    <ca-fingerprint algorithm=\"sha1\">"
                    "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:"
                    "10:11:12:13</ca-fingerprint>\n"
                    "    <ticket>v1.bob.1767225600.c2lnbmF0dXJl</ticket>\n"
                    "  </scep>\n");
    assert_contains(doc, "      <list>\n      </list>\n");

    assert_null(strstr(doc, "<challenge"));
    assert_null(strstr(doc, "<ca-ident"));
    assert_null(strstr(doc, "<subject-alt-name"));
    assert_null(strstr(doc, "<key-usage"));
    assert_null(strstr(doc, "<portal-name"));
    assert_null(strstr(doc, "<scep-certificate"));

    assert_well_formed(doc);

    free(doc);
    X509_NAME_free(name);
}


static void
test_policy_subject_structure(void **state)
{
    char                *doc;
    X509_NAME           *name;
    gp_policy_t          policy;
    scep_profile_t       profile;
    gp_scep_settings_t   settings;

    (void) state;

    memset(&settings, 0, sizeof(settings));

    make_profile(&profile, "corp");
    profile.key_usage = SCEP_KU_KEY_ENCIPHERMENT;

    name = X509_NAME_new();
    assert_non_null(name);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "DC", MBSTRING_UTF8,
                         (const unsigned char *) "com", -1, -1, 0), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "1.2.3.4",
                         MBSTRING_UTF8, (const unsigned char *) "v", -1, -1,
                         0), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                         (const unsigned char *) "J\xc3\xa9r\xc3\xb4me", -1,
                         -1, 0), 1);

    /* a second attribute in the CN's RDN */
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "UID", MBSTRING_UTF8,
                         (const unsigned char *) "jr", -1, -1, -1), 1);

    settings.profile = &profile;
    settings.sans = NULL;
    settings.subject = name;
    settings.server_url = "http://pki/scep";
    settings.challenge = NULL;
    settings.ticket = NULL;

    memset(&policy, 0, sizeof(policy));
    policy.settings = &settings;

    doc = render_policy(&policy);

    assert_contains(doc,
        "    <subject>UID=jr+CN=J\xc3\xa9r\xc3\xb4me,1.2.3.4=#0C0176,"
        "DC=com</subject>\n"
        "    <subject-rdns>\n"
        "      <subject-rdn type=\"DC\">com</subject-rdn>\n"
        "      <subject-rdn type=\"1.2.3.4\">v</subject-rdn>\n"
        "      <subject-rdn type=\"CN\">J\xc3\xa9r\xc3\xb4me</subject-rdn>\n"
        "      <subject-rdn type=\"UID\" same-rdn=\"true\">jr"
        "</subject-rdn>\n"
        "    </subject-rdns>\n");
    assert_contains(doc, "    <key-usage>\n"
                    "      <key-encipherment/>\n"
                    "    </key-usage>\n");
    assert_null(strstr(doc, "<digital-signature/>"));

    assert_well_formed(doc);
    assert_xpath(doc, "/policy/scep/subject-rdns/subject-rdn[3]",
                 "J\xc3\xa9r\xc3\xb4me");
    assert_xpath(doc, "/policy/scep/subject-rdns/subject-rdn[4]/@same-rdn",
                 "true");

    free(doc);
    X509_NAME_free(name);
}


static void
test_policy_enroll_and_pending(void **state)
{
    char                   *doc;
    gp_policy_t             policy;
    gp_gateway_t            gw;
    gp_scep_pending_t       pending;
    gp_scep_certificate_t   cert;

    (void) state;

    memset(&gw, 0, sizeof(gw));
    memset(&pending, 0, sizeof(pending));
    memset(&cert, 0, sizeof(cert));

    gw.name = "Main";
    gw.address = "vpn.example.com";
    gw.priority = 1;

    cert.profile = "corp";
    cert.pkcs12_b64 = "MIIJqQIBAzCCCW8GCSqGSIb3DQEHAaCCCWAEgglc";
    cert.passphrase = "Zx8-kQ2v-T7pM";
    cert.subject = "CN=alice,O=acme";
    cert.serial = "5F03A2";
    cert.issuer = "CN=Acme CA";
    cert.not_after = "2027-11-26T09:00:00Z";
    cert.ca_chain_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n"
                        "-----END CERTIFICATE-----\n";

    memset(&policy, 0, sizeof(policy));
    policy.portal_name = "Acme";
    policy.gateways = &gw;
    policy.ngateways = 1;
    policy.certificate = &cert;

    doc = render_policy(&policy);

    assert_contains(doc,
        "  </gateways>\n"
        "  <scep-certificate>\n"
        "    <profile>corp</profile>\n"
        "    <subject>CN=alice,O=acme</subject>\n"
        "    <serial>5F03A2</serial>\n"
        "    <issuer>CN=Acme CA</issuer>\n"
        "    <not-after>2027-11-26T09:00:00Z</not-after>\n"
        "    <pkcs12 encoding=\"base64\">"
        "MIIJqQIBAzCCCW8GCSqGSIb3DQEHAaCCCWAEgglc</pkcs12>\n"
        "    <passphrase>Zx8-kQ2v-T7pM</passphrase>\n"
        "    <ca-chain format=\"pem\">-----BEGIN CERTIFICATE-----\n"
        "MIIB\n-----END CERTIFICATE-----\n</ca-chain>\n"
        "  </scep-certificate>\n"
        "</policy>\n");
    assert_null(strstr(doc, "<scep>"));
    assert_well_formed(doc);
    free(doc);

    pending.profile = "corp";
    pending.transaction_id = "2F3C88B1A0D94E1B";
    pending.retry_after = 60;

    policy.certificate = NULL;
    policy.pending = &pending;

    doc = render_policy(&policy);

    assert_contains(doc,
        "  </gateways>\n"
        "  <scep-pending>\n"
        "    <profile>corp</profile>\n"
        "    <transaction-id>2F3C88B1A0D94E1B</transaction-id>\n"
        "    <retry-after>60</retry-after>\n"
        "  </scep-pending>\n"
        "</policy>\n");
    assert_well_formed(doc);
    assert_xpath(doc, "/policy/scep-pending/retry-after", "60");
    free(doc);
}


static void
test_policy_refuses_impossible_input(void **state)
{
    gp_buf_t             b;
    X509_NAME           *name;
    gp_policy_t          policy;
    scep_profile_t       profile;
    gp_scep_settings_t   settings;

    static const char *const  rdns[] = { "CN", "bob" };

    (void) state;

    memset(&settings, 0, sizeof(settings));

    make_profile(&profile, "corp");
    name = make_name(rdns, 2);

    settings.profile = &profile;
    settings.sans = NULL;
    settings.subject = NULL;
    settings.server_url = "http://pki/scep";
    settings.challenge = NULL;
    settings.ticket = NULL;

    memset(&policy, 0, sizeof(policy));
    policy.settings = &settings;

    gp_buf_init(&b, 0);
    gp_render_policy(&b, &policy);
    assert_true(b.failed);
    gp_buf_free(&b);

    /* a fingerprint of no known algorithm is never handed out */
    settings.subject = name;
    profile.ca_fingerprint_len = 7;

    gp_buf_init(&b, 0);
    gp_render_policy(&b, &policy);
    assert_true(b.failed);
    gp_buf_free(&b);

    /* the buffer's bound holds for a whole document */
    profile.ca_fingerprint_len = 0;

    gp_buf_init(&b, 200);
    gp_render_policy(&b, &policy);
    assert_true(b.failed);
    gp_buf_free(&b);

    X509_NAME_free(name);
}


static void
test_error(void **state)
{
    gp_buf_t  b;

    (void) state;

    gp_buf_init(&b, 0);
    gp_render_error(&b, "Invalid username or password");
    assert_false(b.failed);
    assert_string_equal(b.data,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<response status=\"error\"><error>Invalid username or password"
        "</error></response>\n");
    assert_well_formed(b.data);
    assert_xpath(b.data, "/response/@status", "error");
    gp_buf_free(&b);

    gp_buf_init(&b, 0);
    gp_render_error(&b, "the \"host-id\" field " HOSTILE " " BROKEN);
    assert_string_equal(b.data,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<response status=\"error\"><error>the &quot;host-id&quot; field "
        ESCAPED " " REPAIRED "</error></response>\n");
    assert_well_formed(b.data);
    assert_xpath(b.data, "/response/error",
                 "the \"host-id\" field " HOSTILE " " REPAIRED);
    gp_buf_free(&b);
}


static void
test_reason(void **state)
{
    char  out[16];
    char  big[256];

    (void) state;

    assert_int_equal(gp_render_reason(big, sizeof(big),
                                      "Invalid username or password"), 28);
    assert_string_equal(big, "Invalid username or password");

    /* what a header or a status line cannot carry: CR, LF, NUL's kin */
    assert_int_equal(gp_render_reason(big, sizeof(big),
                                      "a\r\nX-Evil: 1\tb\x7f"), 15);
    assert_string_equal(big, "a??X-Evil: 1?b?");

    /* one '?' per UTF-8 character, whatever its length */
    gp_render_reason(big, sizeof(big), "j\xc3\xbcrgen \xe2\x82\xac"
                     "\xf0\x9f\x94\x91!");
    assert_string_equal(big, "j?rgen ?" "?!");

    /* cut to the room given, without trailing spaces */
    assert_int_equal(gp_render_reason(out, sizeof(out),
                                      "The portal is busy"), 15);
    assert_string_equal(out, "The portal is b");
    assert_int_equal(gp_render_reason(out, sizeof(out),
                                      "The portal was busy"), 14);
    assert_string_equal(out, "The portal was");
    assert_int_equal(gp_render_reason(out, sizeof(out), "x   "), 1);
    assert_string_equal(out, "x");

    assert_int_equal(gp_render_reason(out, sizeof(out), ""), 0);
    assert_string_equal(out, "");
    assert_int_equal(gp_render_reason(out, 0, "x"), 0);
}


/*
 * What PAN-OS portals send beside the gateways, in the shape the yuezk
 * client reads (crates/gpapi/src/portal/config.rs): <version> as the
 * first element of that name, <internal-host-detection> with both
 * pairs, the internal list before the external one.
 */
static void
test_policy_version_and_internal_gateways(void **state)
{
    char                 *doc;
    gp_policy_t           policy;
    gp_gateway_t          ext, in[2];
    gp_host_detection_t   detect;

    (void) state;

    ext.name = "Outside";
    ext.address = "vpn.example.com";
    ext.priority = 1;
    in[0].name = "Inside" HOSTILE;
    in[0].address = "gw-in.corp.example.com";
    in[0].priority = 1;
    in[1].name = NULL;
    in[1].address = "10.1.2.3:4443";
    in[1].priority = 5;

    memset(&detect, 0, sizeof(detect));
    detect.address = "10.0.0.10";
    detect.host = "inside.corp.example.com";

    memset(&policy, 0, sizeof(policy));
    policy.version = "6.1.3-7";
    policy.user = "alice";
    policy.gateways = &ext;
    policy.ngateways = 1;
    policy.internal_gateways = in;
    policy.ninternal_gateways = 2;
    policy.host_detection = &detect;

    doc = render_policy(&policy);

    assert_contains(doc,
        "  <version>6.1.3-7</version>\n"
        "  <scep-protocol-version>1</scep-protocol-version>\n"
        "  <user-name>alice</user-name>\n"
        "  <internal-host-detection>\n"
        "    <ip-address>10.0.0.10</ip-address>\n"
        "    <host>inside.corp.example.com</host>\n"
        "    <ipv6-address></ipv6-address>\n"
        "    <ipv6-host></ipv6-host>\n"
        "  </internal-host-detection>\n"
        "  <gateways>\n"
        "    <internal>\n"
        "      <list>\n"
        "        <entry name=\"gw-in.corp.example.com\">\n");
    assert_contains(doc,
        "    </internal>\n"
        "    <external>\n"
        "      <list>\n"
        "        <entry name=\"vpn.example.com\">\n");

    assert_well_formed(doc);
    assert_xpath(doc, "(//version)[1]", "6.1.3-7");
    assert_xpath(doc, "/policy/internal-host-detection/host",
                 "inside.corp.example.com");
    assert_xpath(doc, "/policy/gateways/internal/list/entry[1]/description",
                 "Inside" HOSTILE);
    assert_xpath(doc, "/policy/gateways/internal/list/entry[2]/description",
                 "10.1.2.3:4443");
    assert_xpath(doc, "/policy/gateways/internal/list/entry[2]/priority",
                 "5");
    assert_xpath(doc, "count(/policy/gateways/external/list/entry)", "1");
    free(doc);

    /* without them: no element at all, the default version */
    policy.version = NULL;
    policy.ninternal_gateways = 0;
    policy.host_detection = NULL;
    doc = render_policy(&policy);
    assert_null(strstr(doc, "internal"));
    assert_xpath(doc, "/policy/version", GP_SOFTWARE_VERSION_DEFAULT);
    free(doc);
}


static void
test_software_version(void **state)
{
    (void) state;

    assert_true(gp_software_version_is_valid("6.2.8-263"));
    assert_true(gp_software_version_is_valid("4.1.1-14"));
    assert_true(gp_software_version_is_valid("6.3.0-c33"));
    assert_true(gp_software_version_is_valid("6"));
    assert_true(gp_software_version_is_valid(
        "12345678901234567890123456789012"));

    assert_false(gp_software_version_is_valid(""));
    assert_false(gp_software_version_is_valid("v6.2"));
    assert_false(gp_software_version_is_valid("-1"));
    assert_false(gp_software_version_is_valid("6.2 beta"));
    assert_false(gp_software_version_is_valid("6.2<8"));
    assert_false(gp_software_version_is_valid(
        "123456789012345678901234567890123"));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_xmllint_is_there_and_strict),
        cmocka_unit_test(test_prelogin_defaults),
        cmocka_unit_test(test_prelogin_escaped),
        cmocka_unit_test(test_policy_push_exact),
        cmocka_unit_test(test_policy_hostile_values),
        cmocka_unit_test(test_policy_unrepresentable_text),
        cmocka_unit_test(test_policy_proxy_mode),
        cmocka_unit_test(test_policy_subject_structure),
        cmocka_unit_test(test_policy_enroll_and_pending),
        cmocka_unit_test(test_policy_refuses_impossible_input),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_reason),
        cmocka_unit_test(test_policy_version_and_internal_gateways),
        cmocka_unit_test(test_software_version),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
