/*
 * The reference agent's reading of the portal's answers
 * (agent/agent_answer.c, agent_settings.c, agent_subject.c,
 * agent_form.c): the examples of PROTOCOL.md, documents rendered by the
 * portal's own gp_render.c and read back, and hostile documents.
 *
 * Built with libxml2 and the agent's objects by the Makefile's rule for
 * test_agent_*.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/x509.h>

#include "agent-proto/gp_buf.h"
#include "agent-proto/gp_render.h"
#include "agent/agent_answer.h"
#include "agent/agent_form.h"
#include "agent/agent_subject.h"
#include "agent/agent_xml.h"


#define DECL  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

#define PUSH_EXAMPLE                                                        \
    DECL                                                                    \
    "<policy>\n"                                                            \
    "  <portal-name>Acme VPN</portal-name>\n"                               \
    "  <version>1</version>\n"                                              \
    "  <user-name>alice</user-name>\n"                                      \
    "  <gateways><external><list><entry name=\"vpn.acme.example\">"         \
    "<priority>1</priority></entry></list></external></gateways>\n"         \
    "  <scep>\n"                                                            \
    "    <profile>corp-users</profile>\n"                                   \
    "    <mode>push</mode>\n"                                               \
    "    <server-url>https://pki.acme.example/certsrv/mscep/mscep.dll"      \
    "</server-url>\n"                                                       \
    "    <ca-ident>acme-issuing-ca</ca-ident>\n"                            \
    "    <subject>CN=alice,OU=VPN Users,O=Acme,C=US</subject>\n"            \
    "    <subject-rdns>\n"                                                  \
    "      <subject-rdn type=\"C\">US</subject-rdn>\n"                      \
    "      <subject-rdn type=\"O\">Acme</subject-rdn>\n"                    \
    "      <subject-rdn type=\"OU\">VPN Users</subject-rdn>\n"              \
    "      <subject-rdn type=\"CN\">alice</subject-rdn>\n"                  \
    "    </subject-rdns>\n"                                                 \
    "    <subject-alt-name type=\"rfc822\">vpn-users@acme.example"          \
    "</subject-alt-name>\n"                                                 \
    "    <key-bits>2048</key-bits>\n"                                       \
    "    <digest>sha256</digest>\n"                                         \
    "    <key-usage>\n"                                                     \
    "      <digital-signature/>\n"                                          \
    "      <key-encipherment/>\n"                                           \
    "    </key-usage>\n"                                                    \
    "    <ca-fingerprint algorithm=\"sha256\">5A:1F:3C:9E:08:77:D2:41:B6:"  \
    "0E:93:2C:F4:18:6B:A5:C0:3D:7E:52:19:E8:84:2F:AA:61:0B:D7:36:95:CE:4F"  \
    "</ca-fingerprint>\n"                                                   \
    "    <challenge type=\"dynamic\">6B1D0E4F2A9C8735</challenge>\n"        \
    "  </scep>\n"                                                           \
    "</policy>\n"

/* The push example with one element replaced: hostile variations. */
#define SCEP_HEAD                                                           \
    DECL "<policy><scep><profile>p</profile>"
#define SCEP_MODE_URL                                                       \
    "<mode>push</mode><server-url>http://127.0.0.1/scep</server-url>"
#define SCEP_RDNS                                                           \
    "<subject-rdns><subject-rdn type=\"CN\">a</subject-rdn></subject-rdns>"
#define SCEP_KEY                                                            \
    "<key-bits>2048</key-bits><digest>sha256</digest>"
#define SCEP_TAIL  "</scep></policy>"

#define ONE_SAN  "<subject-alt-name type=\"dns\">a.example</subject-alt-name>"
#define NINE_SANS                                                           \
    ONE_SAN ONE_SAN ONE_SAN ONE_SAN ONE_SAN ONE_SAN ONE_SAN ONE_SAN ONE_SAN


static int
setup_xml(void **state)
{
    (void) state;

    return agent_xml_init();
}


static int
teardown_xml(void **state)
{
    (void) state;

    agent_xml_cleanup();

    return 0;
}


static int
parse(const char *doc, agent_answer_t *a, scep_error_t *err)
{
    scep_error_clear(err);

    return agent_answer_parse(doc, strlen(doc), a, err);
}


/* The document must be refused, for a reason that names element. */
static void
assert_refused(const char *doc, const char *element)
{
    scep_error_t    err;
    agent_answer_t  a;

    if (parse(doc, &a, &err) == 0) {
        agent_answer_free(&a);
        fail_msg("accepted:\n%s", doc);
    }

    if (strstr(err.message, element) == NULL
        && strcmp(err.field, element) != 0)
    {
        fail_msg("refused for \"%s\" (%s), expected %s:\n%s", err.message,
                 err.field, element, doc);
    }

    /* nothing left to free, and freeing again is harmless */
    agent_answer_free(&a);
}


static void
test_push_example(void **state)
{
    scep_error_t       err;
    agent_answer_t     a;
    agent_settings_t  *s;

    static const unsigned char  fp[] = {
        0x5A, 0x1F, 0x3C, 0x9E, 0x08, 0x77, 0xD2, 0x41, 0xB6, 0x0E, 0x93,
        0x2C, 0xF4, 0x18, 0x6B, 0xA5, 0xC0, 0x3D, 0x7E, 0x52, 0x19, 0xE8,
        0x84, 0x2F, 0xAA, 0x61, 0x0B, 0xD7, 0x36, 0x95, 0xCE, 0x4F
    };

    (void) state;

    assert_int_equal(parse(PUSH_EXAMPLE, &a, &err), 0);
    s = &a.settings;

    assert_int_equal(a.kind, AGENT_ANSWER_SETTINGS);
    assert_string_equal(a.portal_name, "Acme VPN");
    assert_string_equal(a.user_name, "alice");
    assert_string_equal(s->profile, "corp-users");
    assert_int_equal(s->mode, SCEP_MODE_PUSH);
    assert_string_equal(s->server_url,
                        "https://pki.acme.example/certsrv/mscep/mscep.dll");
    assert_string_equal(s->ca_ident, "acme-issuing-ca");
    assert_string_equal(s->subject, "CN=alice,OU=VPN Users,O=Acme,C=US");

    assert_int_equal(s->nrdns, 4);
    assert_string_equal(s->rdns[0].type, "C");
    assert_string_equal(s->rdns[0].value, "US");
    assert_string_equal(s->rdns[2].type, "OU");
    assert_string_equal(s->rdns[2].value, "VPN Users");
    assert_string_equal(s->rdns[3].type, "CN");
    assert_string_equal(s->rdns[3].value, "alice");
    assert_false(s->rdns[3].same_rdn);

    assert_int_equal(s->sans.n, 1);
    assert_int_equal(s->sans.san[0].type, SCEP_SAN_RFC822);
    assert_string_equal(s->sans.san[0].value, "vpn-users@acme.example");
    assert_int_equal(s->key_bits, 2048);
    assert_int_equal(s->digest, SCEP_DIGEST_SHA256);
    assert_int_equal(s->key_usage,
                     SCEP_KU_DIGITAL_SIGNATURE | SCEP_KU_KEY_ENCIPHERMENT);
    assert_int_equal(s->ca_fingerprint_len, 32);
    assert_memory_equal(s->ca_fingerprint, fp, sizeof(fp));
    assert_int_equal(s->challenge_type, SCEP_CHALLENGE_DYNAMIC);
    assert_string_equal(s->challenge, "6B1D0E4F2A9C8735");
    assert_null(s->ticket);

    agent_answer_free(&a);
    assert_null(a.settings.challenge);
}


static void
test_push_without_options(void **state)
{
    scep_error_t    err;
    agent_answer_t  a;

    (void) state;

    assert_int_equal(parse(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                           SCEP_TAIL, &a, &err), 0);

    assert_int_equal(a.kind, AGENT_ANSWER_SETTINGS);
    assert_null(a.settings.ca_ident);
    assert_int_equal(a.settings.sans.n, 0);
    assert_int_equal(a.settings.key_usage, 0);
    assert_int_equal(a.settings.ca_fingerprint_len, 0);
    assert_int_equal(a.settings.challenge_type, SCEP_CHALLENGE_NONE);
    assert_null(a.settings.challenge);

    agent_answer_free(&a);
}


static void
test_proxy_with_ticket(void **state)
{
    scep_error_t    err;
    agent_answer_t  a;

    (void) state;

    assert_int_equal(parse(SCEP_HEAD "<mode>proxy</mode><server-url>"
                           "https://portal.example/scep-proxy/p"
                           "</server-url>" SCEP_RDNS SCEP_KEY
                           "<challenge type=\"fixed\">correct-horse"
                           "</challenge><ticket>AQAA.dGhp</ticket>"
                           SCEP_TAIL, &a, &err), 0);

    assert_int_equal(a.settings.mode, SCEP_MODE_PROXY);
    assert_string_equal(a.settings.ticket, "AQAA.dGhp");
    assert_int_equal(a.settings.challenge_type, SCEP_CHALLENGE_FIXED);
    assert_string_equal(a.settings.challenge, "correct-horse");

    agent_answer_free(&a);
}


static void
test_certificate(void **state)
{
    scep_error_t    err;
    agent_answer_t  a;

    (void) state;

    assert_int_equal(parse(DECL "<policy><scep-certificate>"
                           "<profile>corp</profile>"
                           "<subject>CN=alice,O=Acme</subject>"
                           "<serial>3A7F0C21D4</serial>"
                           "<issuer>CN=Acme CA</issuer>"
                           "<not-after>2027-11-26T09:03:25Z</not-after>"
                           "<pkcs12 encoding=\"base64\">MIIK\ncQIB"
                           "</pkcs12>"
                           "<passphrase>q7Rz-Jm4c</passphrase>"
                           "<ca-chain format=\"pem\">-----BEGIN"
                           "</ca-chain>"
                           "</scep-certificate></policy>", &a, &err), 0);

    assert_int_equal(a.kind, AGENT_ANSWER_CERTIFICATE);
    assert_string_equal(a.certificate.profile, "corp");
    assert_string_equal(a.certificate.serial, "3A7F0C21D4");
    assert_string_equal(a.certificate.not_after, "2027-11-26T09:03:25Z");
    assert_string_equal(a.certificate.pkcs12, "MIIK\ncQIB");
    assert_string_equal(a.certificate.passphrase, "q7Rz-Jm4c");
    assert_string_equal(a.certificate.ca_chain, "-----BEGIN");

    agent_answer_free(&a);
    assert_null(a.certificate.passphrase);
}


static void
test_pending_and_error(void **state)
{
    scep_error_t    err;
    agent_answer_t  a;

    (void) state;

    assert_int_equal(parse(DECL "<policy><scep-pending>"
                           "<profile>corp</profile>"
                           "<transaction-id>E3B0C442</transaction-id>"
                           "<retry-after>60</retry-after>"
                           "</scep-pending></policy>", &a, &err), 0);
    assert_int_equal(a.kind, AGENT_ANSWER_PENDING);
    assert_string_equal(a.pending.transaction_id, "E3B0C442");
    assert_int_equal(a.pending.retry_after, 60);
    agent_answer_free(&a);

    assert_int_equal(parse(DECL "<response status=\"error\"><error>Invalid "
                           "username or password</error></response>\n",
                           &a, &err), 0);
    assert_int_equal(a.kind, AGENT_ANSWER_ERROR);
    assert_string_equal(a.error, "Invalid username or password");
    agent_answer_free(&a);

    /* escaped text comes back as it was meant */
    assert_int_equal(parse("<response status=\"error\"><error>a &lt;b&gt; "
                           "&amp; &#13;c</error></response>", &a, &err), 0);
    assert_string_equal(a.error, "a <b> & \rc");
    agent_answer_free(&a);
}


static void
test_unknown_elements_are_ignored(void **state)
{
    scep_error_t    err;
    agent_answer_t  a;

    (void) state;

    assert_int_equal(parse(SCEP_HEAD "<future-setting>x</future-setting>"
                           SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                           "<renewal days=\"30\"/>" SCEP_TAIL, &a, &err), 0);
    assert_int_equal(a.kind, AGENT_ANSWER_SETTINGS);
    agent_answer_free(&a);
}


static void
test_hostile_documents(void **state)
{
    (void) state;

    /* not the protocol's documents */
    assert_refused("", "XML");
    assert_refused("<policy>", "XML");
    assert_refused("<html><body>502 Bad Gateway</body></html>", "policy");
    assert_refused("<response status=\"ok\"><error>x</error></response>",
                   "response");
    assert_refused("<response status=\"error\"></response>", "error");

    /* entities are how a document blows up memory: no DTD at all */
    assert_refused("<?xml version=\"1.0\"?>\n"
                   "<!DOCTYPE policy [<!ENTITY a \"aaaaaaaaaa\">"
                   "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                   "<policy><portal-name>&b;</portal-name></policy>",
                   "document type");
    assert_refused("<?xml version=\"1.0\"?>\n"
                   "<!DOCTYPE policy SYSTEM \"file:///etc/passwd\">"
                   "<policy/>", "document type");

    /* one answer at a time */
    assert_refused(DECL "<policy><portal-name>x</portal-name></policy>",
                   "policy");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY "</scep>"
                   "<scep-pending><retry-after>1</retry-after>"
                   "</scep-pending></policy>", "policy");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY "</scep><scep>"
                   SCEP_MODE_URL SCEP_RDNS SCEP_KEY SCEP_TAIL, "policy");

    /* a setting said twice */
    assert_refused(SCEP_HEAD SCEP_MODE_URL
                   "<server-url>http://evil.example/scep</server-url>"
                   SCEP_RDNS SCEP_KEY SCEP_TAIL, "server-url");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<ca-fingerprint algorithm=\"sha1\">" "00:11:22:33:44:"
                   "55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33"
                   "</ca-fingerprint><ca-fingerprint algorithm=\"sha1\">"
                   "0011223344556677889900112233445566778899"
                   "</ca-fingerprint>" SCEP_TAIL, "ca-fingerprint");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_RDNS SCEP_KEY
                   SCEP_TAIL, "subject-rdns");

    /* settings the core's validators refuse */
    assert_refused(SCEP_HEAD "<server-url>http://x/</server-url>" SCEP_RDNS
                   SCEP_KEY SCEP_TAIL, "mode");
    assert_refused(SCEP_HEAD "<mode>enroll</mode><server-url>http://x/"
                   "</server-url>" SCEP_RDNS SCEP_KEY SCEP_TAIL, "mode");
    assert_refused(SCEP_HEAD "<mode>push</mode><server-url>ftp://x/"
                   "</server-url>" SCEP_RDNS SCEP_KEY SCEP_TAIL,
                   "server-url");
    assert_refused(SCEP_HEAD "<mode>push</mode><server-url>http://u:p@x/"
                   "</server-url>" SCEP_RDNS SCEP_KEY SCEP_TAIL,
                   "server-url");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS "<key-bits>2049"
                   "</key-bits><digest>sha256</digest>" SCEP_TAIL,
                   "key-bits");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS "<key-bits>2048"
                   "</key-bits><digest>md5</digest>" SCEP_TAIL, "digest");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS "<digest>sha256"
                   "</digest>" SCEP_TAIL, "key-bits");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<key-usage><digital-signature/><crl-sign/></key-usage>"
                   SCEP_TAIL, "key-usage");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<subject-alt-name type=\"ip\">10.0.0.1"
                   "</subject-alt-name>" SCEP_TAIL, "subject-alt-name");

    /* a name that is not of its type, or one too many */
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<subject-alt-name type=\"rfc822\">a@b,DNS:evil"
                   "</subject-alt-name>" SCEP_TAIL, "subject-alt-name");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<subject-alt-name type=\"dns\">a b.example"
                   "</subject-alt-name>" SCEP_TAIL, "subject-alt-name");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<subject-alt-name type=\"upn\">no-suffix"
                   "</subject-alt-name>" SCEP_TAIL, "subject-alt-name");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   NINE_SANS SCEP_TAIL, "subject-alt-name");

    /* a fingerprint that does not say, or lies about, its algorithm */
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<ca-fingerprint>0011223344556677889900112233445566778899"
                   "</ca-fingerprint>" SCEP_TAIL, "ca-fingerprint");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<ca-fingerprint algorithm=\"sha256\">"
                   "0011223344556677889900112233445566778899"
                   "</ca-fingerprint>" SCEP_TAIL, "ca-fingerprint");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<ca-fingerprint algorithm=\"md5\">"
                   "00112233445566778899001122334455"
                   "</ca-fingerprint>" SCEP_TAIL, "ca-fingerprint");

    /* the subject */
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_KEY SCEP_TAIL,
                   "subject-rdns");
    assert_refused(SCEP_HEAD SCEP_MODE_URL "<subject-rdns></subject-rdns>"
                   SCEP_KEY SCEP_TAIL, "subject-rdn");
    assert_refused(SCEP_HEAD SCEP_MODE_URL "<subject-rdns><subject-rdn "
                   "type=\"CN\" same-rdn=\"true\">a</subject-rdn>"
                   "</subject-rdns>" SCEP_KEY SCEP_TAIL, "subject-rdn");
    assert_refused(SCEP_HEAD SCEP_MODE_URL "<subject-rdns><subject-rdn>a"
                   "</subject-rdn></subject-rdns>" SCEP_KEY SCEP_TAIL,
                   "subject-rdn");
    assert_refused(SCEP_HEAD SCEP_MODE_URL "<subject-rdns><subject-rdn "
                   "type=\"CN\"></subject-rdn></subject-rdns>" SCEP_KEY
                   SCEP_TAIL, "subject-rdn");
    assert_refused(SCEP_HEAD SCEP_MODE_URL "<subject-rdns><subject-rdn "
                   "type=\"O\">a</subject-rdn><subject-rdn type=\"CN\" "
                   "same-rdn=\"yes\">b</subject-rdn></subject-rdns>"
                   SCEP_KEY SCEP_TAIL, "subject-rdn");

    /* the challenge and the ticket */
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<challenge type=\"fixed\"></challenge>" SCEP_TAIL,
                   "challenge");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<challenge>x</challenge>" SCEP_TAIL, "challenge");
    assert_refused(SCEP_HEAD SCEP_MODE_URL SCEP_RDNS SCEP_KEY
                   "<ticket>t</ticket>" SCEP_TAIL, "ticket");
    assert_refused(SCEP_HEAD "<mode>proxy</mode><server-url>http://x/"
                   "</server-url>" SCEP_RDNS SCEP_KEY SCEP_TAIL, "ticket");
    assert_refused(SCEP_HEAD "<mode>proxy</mode><server-url>http://x/"
                   "</server-url>" SCEP_RDNS SCEP_KEY
                   "<ticket>a&#13;&#10;X-Evil: 1</ticket>" SCEP_TAIL,
                   "ticket");

    /* enroll mode and pending */
    assert_refused(DECL "<policy><scep-certificate><pkcs12>MIIK</pkcs12>"
                   "</scep-certificate></policy>", "passphrase");
    assert_refused(DECL "<policy><scep-certificate><pkcs12 encoding=\"hex\">"
                   "00</pkcs12><passphrase>x</passphrase>"
                   "</scep-certificate></policy>", "pkcs12");
    assert_refused(DECL "<policy><scep-pending><retry-after>soon"
                   "</retry-after></scep-pending></policy>", "retry-after");
    assert_refused(DECL "<policy><scep-pending><retry-after>-1"
                   "</retry-after></scep-pending></policy>", "retry-after");
    assert_refused(DECL "<policy><scep-pending><retry-after>86401"
                   "</retry-after></scep-pending></policy>", "retry-after");
}


static void
test_too_many_rdns(void **state)
{
    int        i;
    gp_buf_t   b;

    (void) state;

    gp_buf_init(&b, 0);
    gp_buf_add_str(&b, SCEP_HEAD SCEP_MODE_URL "<subject-rdns>");

    for (i = 0; i < SCEP_SUBJECT_MAX_RDNS + 1; i++) {
        gp_buf_add_str(&b, "<subject-rdn type=\"OU\">x</subject-rdn>");
    }

    gp_buf_add_str(&b, "</subject-rdns>" SCEP_KEY SCEP_TAIL);
    assert_false(b.failed);

    assert_refused(b.data, "subject-rdn");

    gp_buf_free(&b);
}


/*
 * The contract itself: a policy rendered by the portal (gp_render.c),
 * read by the agent, gives back the portal's settings, and the subject
 * the agent rebuilds is the portal's, byte for byte, hostile values and
 * multi-valued RDN included.
 */
static void
add_san(scep_sans_t *sans, scep_san_type_t type, const char *value)
{
    scep_error_t  err;

    assert_int_equal(scep_sans_add(sans, type, value, strlen(value), &err),
                     0);
}


static void
test_round_trip_with_the_portal_renderer(void **state)
{
    char                *doc;
    gp_buf_t             b;
    X509_NAME           *name, *rebuilt;
    scep_error_t         err;
    gp_policy_t          policy;
    gp_gateway_t         gw;
    agent_answer_t       a;
    scep_profile_t       profile;
    scep_sans_t          sans;
    gp_scep_settings_t   settings;

    (void) state;

    name = X509_NAME_new();
    assert_non_null(name);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8,
                         (const unsigned char *) "US", -1, -1, 0), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                         (const unsigned char *) "a<&>\"'b", -1, -1, 0), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
                         (const unsigned char *) "vpn", -1, -1, 0), 1);
    /* UID joins the RDN of OU: a multi-valued RDN */
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "UID", MBSTRING_UTF8,
                         (const unsigned char *) "42", -1, -1, -1), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "1.2.3.4.5",
                         MBSTRING_UTF8, (const unsigned char *) "oid",
                         -1, -1, 0), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                         (const unsigned char *) "x,O=evil+CN=admin j\xc3\xbc"
                         "rgen", -1, -1, 0), 1);

    memset(&profile, 0, sizeof(profile));
    profile.name = "corp";
    profile.mode = SCEP_MODE_PUSH;
    profile.challenge = SCEP_CHALLENGE_FIXED;
    profile.ca_ident = "acme-ca";

    /* the names as the portal made them for a user */
    memset(&sans, 0, sizeof(sans));
    add_san(&sans, SCEP_SAN_URI, "urn:example:a&b");
    add_san(&sans, SCEP_SAN_UPN, "j\xc3\xbcrgen<&>@corp.example");
    add_san(&sans, SCEP_SAN_URI, "tag:microsoft.com,2022-09-14:sid:"
            "S-1-5-21-1-2-3-1105");
    profile.key_bits = 3072;
    profile.digest = SCEP_DIGEST_SHA384;
    profile.key_usage = SCEP_KU_KEY_ENCIPHERMENT;
    profile.ca_fingerprint_len = 20;
    memset(profile.ca_fingerprint, 0xA5, 20);

    memset(&settings, 0, sizeof(settings));
    settings.profile = &profile;
    settings.subject = name;
    settings.sans = &sans;
    settings.server_url = "http://127.0.0.1:8080/scep?a=1&b=2";
    settings.challenge = "s3cr<t&";

    memset(&gw, 0, sizeof(gw));
    gw.name = "Gateway";
    gw.address = "gw.example.org";
    gw.priority = 1;

    memset(&policy, 0, sizeof(policy));
    policy.portal_name = "Portal <1>";
    policy.user = "alice";
    policy.gateways = &gw;
    policy.ngateways = 1;
    policy.settings = &settings;

    gp_buf_init(&b, 0);
    gp_render_policy(&b, &policy);
    assert_false(b.failed);
    doc = b.data;

    assert_int_equal(parse(doc, &a, &err), 0);

    assert_string_equal(a.portal_name, "Portal <1>");
    assert_string_equal(a.settings.profile, "corp");
    assert_string_equal(a.settings.server_url,
                        "http://127.0.0.1:8080/scep?a=1&b=2");
    assert_string_equal(a.settings.ca_ident, "acme-ca");
    assert_int_equal(a.settings.sans.n, 3);
    assert_int_equal(a.settings.sans.san[0].type, SCEP_SAN_URI);
    assert_string_equal(a.settings.sans.san[0].value, "urn:example:a&b");
    assert_int_equal(a.settings.sans.san[1].type, SCEP_SAN_UPN);
    assert_string_equal(a.settings.sans.san[1].value,
                        "j\xc3\xbcrgen<&>@corp.example");
    assert_string_equal(a.settings.sans.san[2].value,
                        "tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3-1105");
    assert_int_equal(a.settings.key_bits, 3072);
    assert_int_equal(a.settings.digest, SCEP_DIGEST_SHA384);
    assert_int_equal(a.settings.key_usage, SCEP_KU_KEY_ENCIPHERMENT);
    assert_int_equal(a.settings.ca_fingerprint_len, 20);
    assert_memory_equal(a.settings.ca_fingerprint, profile.ca_fingerprint,
                        20);
    assert_int_equal(a.settings.challenge_type, SCEP_CHALLENGE_FIXED);
    assert_string_equal(a.settings.challenge, "s3cr<t&");

    assert_int_equal(a.settings.nrdns, 6);
    assert_true(a.settings.rdns[3].same_rdn);
    assert_string_equal(a.settings.rdns[4].type, "1.2.3.4.5");
    assert_string_equal(a.settings.rdns[5].value,
                        "x,O=evil+CN=admin j\xc3\xbcrgen");

    rebuilt = agent_subject_build(a.settings.rdns, a.settings.nrdns, &err);
    assert_non_null(rebuilt);
    assert_int_equal(X509_NAME_cmp(rebuilt, name), 0);
    assert_int_equal(X509_NAME_entry_count(rebuilt), 6);

    X509_NAME_free(rebuilt);
    agent_answer_free(&a);
    gp_buf_free_secret(&b);
    X509_NAME_free(name);
    scep_sans_free(&sans);
}


static void
test_subject_refuses_what_its_type_cannot_hold(void **state)
{
    X509_NAME     *name;
    scep_error_t   err;
    agent_rdn_t    rdn;

    (void) state;

    rdn.same_rdn = 0;

    rdn.type = "C";
    rdn.value = "USA";
    assert_null(agent_subject_build(&rdn, 1, &err));
    assert_int_equal(err.code, SCEP_ERR_SUBJECT);

    rdn.type = "notAnAttribute";
    rdn.value = "x";
    assert_null(agent_subject_build(&rdn, 1, &err));
    assert_non_null(strstr(err.message, "unknown"));

    rdn.type = "CN";
    rdn.value = "a\x1b[31mb";
    assert_null(agent_subject_build(&rdn, 1, &err));

    rdn.type = "CN";
    rdn.value = "ok";
    name = agent_subject_build(&rdn, 1, &err);
    assert_non_null(name);
    X509_NAME_free(name);
}


static void
test_prelogin(void **state)
{
    scep_error_t      err;
    agent_prelogin_t  p;

    static const char  ok[] =
        DECL "<prelogin-response><status>Success</status>"
        "<ccusername></ccusername><autosubmit>false</autosubmit>"
        "<msg></msg><portal-name>Acme VPN</portal-name>"
        "<panos-version>1</panos-version></prelogin-response>";
    static const char  saml[] =
        DECL "<prelogin-response><status>Success</status>"
        "<saml-auth-method>REDIRECT</saml-auth-method>"
        "</prelogin-response>";
    static const char  refused[] =
        DECL "<prelogin-response><status>Error</status><msg>Disabled</msg>"
        "</prelogin-response>";

    (void) state;

    assert_int_equal(agent_prelogin_parse(ok, strlen(ok), &p, &err), 0);
    assert_string_equal(p.status, "Success");
    assert_string_equal(p.portal_name, "Acme VPN");
    assert_false(p.saml);
    agent_prelogin_free(&p);

    assert_int_equal(agent_prelogin_parse(saml, strlen(saml), &p, &err), 0);
    assert_true(p.saml);
    agent_prelogin_free(&p);

    assert_int_equal(agent_prelogin_parse(refused, strlen(refused), &p,
                                          &err), 0);
    assert_string_equal(p.status, "Error");
    assert_string_equal(p.message, "Disabled");
    agent_prelogin_free(&p);

    assert_int_equal(agent_prelogin_parse("<policy/>", 9, &p, &err), -1);
    assert_int_equal(agent_prelogin_parse("<prelogin-response/>", 20, &p,
                                          &err), -1);
}


static void
test_form_encoding(void **state)
{
    gp_buf_t  b;

    (void) state;

    gp_buf_init(&b, 0);
    agent_form_add(&b, "user", "smith, john");
    agent_form_add(&b, "passwd", "john, Secret&8=+%20");
    agent_form_add(&b, "computer", "h\xc3\xa9~._-");
    assert_false(b.failed);

    assert_string_equal(b.data, "user=smith%2C+john"
                                "&passwd=john%2C+Secret%268%3D%2B%2520"
                                "&computer=h%C3%A9~._-");

    gp_buf_free_secret(&b);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_push_example),
        cmocka_unit_test(test_push_without_options),
        cmocka_unit_test(test_proxy_with_ticket),
        cmocka_unit_test(test_certificate),
        cmocka_unit_test(test_pending_and_error),
        cmocka_unit_test(test_unknown_elements_are_ignored),
        cmocka_unit_test(test_hostile_documents),
        cmocka_unit_test(test_too_many_rdns),
        cmocka_unit_test(test_round_trip_with_the_portal_renderer),
        cmocka_unit_test(test_subject_refuses_what_its_type_cannot_hold),
        cmocka_unit_test(test_prelogin),
        cmocka_unit_test(test_form_encoding),
    };

    return cmocka_run_group_tests(tests, setup_xml, teardown_xml);
}
