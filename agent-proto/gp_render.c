/*
 * The XML documents of the agent protocol (PROTOCOL.md).  Every value
 * goes through the XML escaper, whatever its origin: the configuration,
 * the directory, the PKI and the agent itself all feed these documents.
 */

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "gp_render.h"


#define GP_XML_DECLARATION   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/*
 * RFC 2253 lets a string carry UTF-8 as is; escaping its bytes as \C3\A9
 * (what XN_FLAG_RFC2253 does) would hide the name from the user.
 */
#define GP_NAME_FLAGS        (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)


static void gp_render_element(gp_buf_t *b, int indent, const char *name,
    const char *value);
static void gp_render_host_detection(gp_buf_t *b,
    const gp_host_detection_t *d);
static void gp_render_gateways(gp_buf_t *b, const char *kind,
    const gp_gateway_t *gw, size_t n);
static void gp_render_gateway(gp_buf_t *b, const gp_gateway_t *gw);
static void gp_render_settings(gp_buf_t *b, const gp_scep_settings_t *s);
static void gp_render_subject(gp_buf_t *b, const X509_NAME *name);
static void gp_render_fingerprint(gp_buf_t *b, const scep_profile_t *p);
static void gp_render_certificate(gp_buf_t *b,
    const gp_scep_certificate_t *c);
static void gp_render_pending(gp_buf_t *b, const gp_scep_pending_t *p);


/* <name>value</name> on its own line; nothing when value is NULL. */
static void
gp_render_element(gp_buf_t *b, int indent, const char *name,
    const char *value)
{
    if (value == NULL) {
        return;
    }

    gp_buf_printf(b, "%*s<%s>", indent, "", name);
    gp_buf_add_xml_str(b, value);
    gp_buf_printf(b, "</%s>\n", name);
}


void
gp_render_prelogin(gp_buf_t *b, const gp_prelogin_t *p)
{
    gp_buf_add_str(b, GP_XML_DECLARATION
                   "<prelogin-response>\n"
                   "  <status>Success</status>\n"
                   "  <ccusername></ccusername>\n"
                   "  <autosubmit>false</autosubmit>\n"
                   "  <msg></msg>\n"
                   "  <newmsg></newmsg>\n");

    gp_render_element(b, 2, "authentication-message",
                      p->auth_message ? p->auth_message
                                      : "Enter login credentials");
    gp_render_element(b, 2, "username-label",
                      p->username_label ? p->username_label : "Username");
    gp_render_element(b, 2, "password-label",
                      p->password_label ? p->password_label : "Password");
    gp_render_element(b, 2, "portal-name", p->portal_name);

    /* the portal does not locate clients */
    gp_buf_printf(b, "  <panos-version>%d</panos-version>\n"
                  "  <region>Unknown</region>\n"
                  "</prelogin-response>\n", GP_PROTOCOL_VERSION);
}


void
gp_render_policy(gp_buf_t *b, const gp_policy_t *policy)
{
    gp_buf_add_str(b, GP_XML_DECLARATION "<policy>\n");

    gp_render_element(b, 2, "portal-name", policy->portal_name);
    gp_render_element(b, 2, "version",
                      policy->version ? policy->version
                                      : GP_SOFTWARE_VERSION_DEFAULT);
    gp_buf_printf(b, "  <scep-protocol-version>%d</scep-protocol-version>\n",
                  GP_PROTOCOL_VERSION);
    gp_render_element(b, 2, "user-name", policy->user);

    if (policy->host_detection != NULL) {
        gp_render_host_detection(b, policy->host_detection);
    }

    gp_buf_add_str(b, "  <gateways>\n");

    if (policy->ninternal_gateways) {
        gp_render_gateways(b, "internal", policy->internal_gateways,
                           policy->ninternal_gateways);
    }

    gp_render_gateways(b, "external", policy->gateways, policy->ngateways);

    gp_buf_add_str(b, "  </gateways>\n");

    if (policy->settings != NULL) {
        gp_render_settings(b, policy->settings);
    }

    if (policy->certificate != NULL) {
        gp_render_certificate(b, policy->certificate);
    }

    if (policy->pending != NULL) {
        gp_render_pending(b, policy->pending);
    }

    gp_buf_add_str(b, "</policy>\n");
}


/* Both pairs, empty when not configured, as PAN-OS portals send them. */
static void
gp_render_host_detection(gp_buf_t *b, const gp_host_detection_t *d)
{
    gp_buf_add_str(b, "  <internal-host-detection>\n");
    gp_render_element(b, 4, "ip-address", d->address ? d->address : "");
    gp_render_element(b, 4, "host", d->host ? d->host : "");
    gp_render_element(b, 4, "ipv6-address", d->address6 ? d->address6 : "");
    gp_render_element(b, 4, "ipv6-host", d->host6 ? d->host6 : "");
    gp_buf_add_str(b, "  </internal-host-detection>\n");
}


static void
gp_render_gateways(gp_buf_t *b, const char *kind, const gp_gateway_t *gw,
    size_t n)
{
    size_t  i;

    gp_buf_printf(b, "    <%s>\n"
                     "      <list>\n", kind);

    for (i = 0; i < n; i++) {
        gp_render_gateway(b, &gw[i]);
    }

    gp_buf_printf(b, "      </list>\n"
                     "    </%s>\n", kind);
}


/* The layout clients expect: the address in the name, a priority rule. */
static void
gp_render_gateway(gp_buf_t *b, const gp_gateway_t *gw)
{
    gp_buf_add_str(b, "        <entry name=\"");
    gp_buf_add_xml_attr(b, gw->address);
    gp_buf_printf(b, "\">\n"
                  "          <priority-rule>\n"
                  "            <entry name=\"Any\">\n"
                  "              <priority>%d</priority>\n"
                  "            </entry>\n"
                  "          </priority-rule>\n"
                  "          <priority>%d</priority>\n",
                  gw->priority, gw->priority);
    gp_render_element(b, 10, "description",
                      gw->name ? gw->name : gw->address);
    gp_buf_add_str(b, "        </entry>\n");
}


static void
gp_render_settings(gp_buf_t *b, const gp_scep_settings_t *s)
{
    size_t                 i;
    const scep_profile_t  *p;

    p = s->profile;

    if (p == NULL || s->subject == NULL) {
        b->failed = 1;
        return;
    }

    gp_buf_add_str(b, "  <scep>\n");
    gp_render_element(b, 4, "profile", p->name);
    gp_render_element(b, 4, "mode", scep_mode_name(p->mode));
    gp_render_element(b, 4, "server-url", s->server_url);
    gp_render_element(b, 4, "ca-ident", p->ca_ident);

    gp_render_subject(b, s->subject);

    /* one element per name, in the profile's order */
    for (i = 0; s->sans != NULL && i < s->sans->n; i++) {
        gp_buf_add_str(b, "    <subject-alt-name type=\"");
        gp_buf_add_xml_attr(b, scep_san_type_name(s->sans->san[i].type));
        gp_buf_add_str(b, "\">");
        gp_buf_add_xml_str(b, s->sans->san[i].value);
        gp_buf_add_str(b, "</subject-alt-name>\n");
    }

    gp_buf_printf(b, "    <key-bits>%d</key-bits>\n", p->key_bits);
    gp_render_element(b, 4, "digest", scep_digest_name(p->digest));

    if (p->key_usage != 0) {
        gp_buf_add_str(b, "    <key-usage>\n");

        if (p->key_usage & SCEP_KU_DIGITAL_SIGNATURE) {
            gp_buf_add_str(b, "      <digital-signature/>\n");
        }

        if (p->key_usage & SCEP_KU_KEY_ENCIPHERMENT) {
            gp_buf_add_str(b, "      <key-encipherment/>\n");
        }

        gp_buf_add_str(b, "    </key-usage>\n");
    }

    gp_render_fingerprint(b, p);

    if (s->challenge != NULL) {
        gp_buf_add_str(b, "    <challenge type=\"");
        gp_buf_add_xml_attr(b, scep_challenge_name(p->challenge));
        gp_buf_add_str(b, "\">");
        gp_buf_add_xml_str(b, s->challenge);
        gp_buf_add_str(b, "</challenge>\n");
    }

    gp_render_element(b, 4, "ticket", s->ticket);

    gp_buf_add_str(b, "  </scep>\n");
}


/*
 * The subject twice: as RFC 2253 text for people, and attribute by
 * attribute in DER order, so that an agent rebuilds the name without
 * ever parsing a DN string.  An attribute that shares its RDN with the
 * one before it (a multi-valued RDN) says so with same-rdn.
 */
static void
gp_render_subject(gp_buf_t *b, const X509_NAME *name)
{
    int                     i, n, nid, len, set, last_set;
    BIO                    *bio;
    long                    text_len;
    char                   *text;
    char                    oid[80];
    unsigned char          *utf8;
    const char             *type;
    const ASN1_OBJECT      *obj;
    const X509_NAME_ENTRY  *entry;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || X509_NAME_print_ex(bio, name, 0, GP_NAME_FLAGS) < 0) {
        BIO_free(bio);
        b->failed = 1;
        return;
    }

    text_len = BIO_get_mem_data(bio, &text);

    gp_buf_add_str(b, "    <subject>");
    gp_buf_add_xml(b, text, (size_t) text_len);
    gp_buf_add_str(b, "</subject>\n"
                      "    <subject-rdns>\n");
    BIO_free(bio);

    n = X509_NAME_entry_count(name);
    last_set = -1;

    for (i = 0; i < n; i++) {
        entry = X509_NAME_get_entry(name, i);
        obj = X509_NAME_ENTRY_get_object(entry);
        set = X509_NAME_ENTRY_set(entry);
        nid = OBJ_obj2nid(obj);

        if (nid != NID_undef) {
            type = OBJ_nid2sn(nid);

        } else if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) > 0) {
            type = oid;

        } else {
            b->failed = 1;
            return;
        }

        len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
        if (len < 0) {
            b->failed = 1;
            return;
        }

        gp_buf_add_str(b, "      <subject-rdn type=\"");
        gp_buf_add_xml_attr(b, type);
        gp_buf_add_str(b, set == last_set ? "\" same-rdn=\"true\">" : "\">");
        gp_buf_add_xml(b, (const char *) utf8, (size_t) len);
        gp_buf_add_str(b, "</subject-rdn>\n");

        OPENSSL_free(utf8);
        last_set = set;
    }

    gp_buf_add_str(b, "    </subject-rdns>\n");
}


/* As "openssl x509 -fingerprint" prints it: upper-case hex with colons. */
static void
gp_render_fingerprint(gp_buf_t *b, const scep_profile_t *p)
{
    size_t       i;
    const char  *algorithm;

    switch (p->ca_fingerprint_len) {
    case 0:
        return;
    case 20:
        algorithm = "sha1";
        break;
    case 32:
        algorithm = "sha256";
        break;
    default:
        /* an agent must never be told a fingerprint it cannot check */
        b->failed = 1;
        return;
    }

    gp_buf_printf(b, "    <ca-fingerprint algorithm=\"%s\">", algorithm);

    for (i = 0; i < p->ca_fingerprint_len; i++) {
        gp_buf_printf(b, "%s%02X", i ? ":" : "", p->ca_fingerprint[i]);
    }

    gp_buf_add_str(b, "</ca-fingerprint>\n");
}


static void
gp_render_certificate(gp_buf_t *b, const gp_scep_certificate_t *c)
{
    gp_buf_add_str(b, "  <scep-certificate>\n");
    gp_render_element(b, 4, "profile", c->profile);
    gp_render_element(b, 4, "subject", c->subject);
    gp_render_element(b, 4, "serial", c->serial);
    gp_render_element(b, 4, "issuer", c->issuer);
    gp_render_element(b, 4, "not-after", c->not_after);

    if (c->pkcs12_b64 != NULL) {
        gp_buf_add_str(b, "    <pkcs12 encoding=\"base64\">");
        gp_buf_add_xml_str(b, c->pkcs12_b64);
        gp_buf_add_str(b, "</pkcs12>\n");
    }

    gp_render_element(b, 4, "passphrase", c->passphrase);

    if (c->ca_chain_pem != NULL) {
        gp_buf_add_str(b, "    <ca-chain format=\"pem\">");
        gp_buf_add_xml_str(b, c->ca_chain_pem);
        gp_buf_add_str(b, "</ca-chain>\n");
    }

    gp_buf_add_str(b, "  </scep-certificate>\n");
}


static void
gp_render_pending(gp_buf_t *b, const gp_scep_pending_t *p)
{
    gp_buf_add_str(b, "  <scep-pending>\n");
    gp_render_element(b, 4, "profile", p->profile);
    gp_render_element(b, 4, "transaction-id", p->transaction_id);
    gp_buf_printf(b, "    <retry-after>%d</retry-after>\n", p->retry_after);
    gp_buf_add_str(b, "  </scep-pending>\n");
}


void
gp_render_error(gp_buf_t *b, const char *message)
{
    gp_buf_add_str(b, GP_XML_DECLARATION "<response status=\"error\">"
                      "<error>");
    gp_buf_add_xml_str(b, message);
    gp_buf_add_str(b, "</error></response>\n");
}


size_t
gp_render_reason(char *out, size_t size, const char *message)
{
    size_t          n;
    unsigned char   c;

    if (size == 0) {
        return 0;
    }

    n = 0;

    for ( /* void */ ; *message != '\0' && n < size - 1; message++) {
        c = (unsigned char) *message;

        if (c >= 0x80 && c < 0xc0) {
            /* the rest of a UTF-8 sequence already shown as '?' */
            continue;
        }

        out[n++] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }

    /* a phrase that ends in spaces would lose them on the way */
    while (n > 0 && out[n - 1] == ' ') {
        n--;
    }

    out[n] = '\0';

    return n;
}


int
gp_software_version_is_valid(const char *version)
{
    size_t  i;
    char    c;

    if (version[0] < '0' || version[0] > '9') {
        return 0;
    }

    for (i = 0; version[i] != '\0'; i++) {
        c = version[i];

        if (i == GP_SOFTWARE_VERSION_MAX
            || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
                 || (c >= 'A' && c <= 'Z') || c == '.' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}
