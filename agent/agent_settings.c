/*
 * The <scep> element (PROTOCOL.md, section 5.1).  Values pass the core's
 * own validators, the ones nginx -t applies to the profile they come
 * from; a value they refuse means the portal and the agent disagree, and
 * the agent stops rather than guess.
 */

#include <string.h>

#include <openssl/crypto.h>

#include "scep/scep_profile.h"
#include "agent_settings.h"
#include "agent_xml.h"


static int agent_settings_mode(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err);
static int agent_settings_subject(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err);
static int agent_settings_rdn(xmlNodePtr node, agent_settings_t *s,
    scep_error_t *err);
static int agent_settings_san(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err);
static int agent_settings_key(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err);
static int agent_settings_key_usage(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err);
static int agent_settings_fingerprint(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err);
static int agent_settings_challenge(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err);
static int agent_settings_ticket(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err);
static int agent_settings_refuse(scep_error_t *err, const char *element,
    const scep_error_t *why);
static int agent_settings_single(xmlNodePtr parent, const char *name,
    int required, xmlNodePtr *out, scep_error_t *err);


int
agent_settings_parse(xmlNodePtr scep, agent_settings_t *s, scep_error_t *err)
{
    scep_error_t  why;

    memset(s, 0, sizeof(*s));

    if (agent_xml_child_text(scep, "profile", AGENT_NAME_MAX, 0,
                             &s->profile, err) != 0
        || agent_settings_mode(scep, s, err) != 0
        || agent_xml_child_text(scep, "server-url", SCEP_URL_MAX_LEN, 1,
                                &s->server_url, err) != 0)
    {
        goto failed;
    }

    if (scep_check_url(s->server_url, 0, &why) != 0) {
        agent_settings_refuse(err, "server-url", &why);
        goto failed;
    }

    if (agent_xml_child_text(scep, "ca-ident", SCEP_CA_IDENT_MAX, 0,
                             &s->ca_ident, err) != 0)
    {
        goto failed;
    }

    if (s->ca_ident != NULL && s->ca_ident[0] == '\0') {
        scep_error_set(err, SCEP_ERR_PROTOCOL, "ca-ident",
                       "<ca-ident> is empty");
        goto failed;
    }

    if (agent_settings_subject(scep, s, err) != 0
        || agent_settings_san(scep, s, err) != 0
        || agent_settings_key(scep, s, err) != 0
        || agent_settings_key_usage(scep, s, err) != 0
        || agent_settings_fingerprint(scep, s, err) != 0
        || agent_settings_challenge(scep, s, err) != 0
        || agent_settings_ticket(scep, s, err) != 0)
    {
        goto failed;
    }

    return 0;

failed:

    agent_settings_free(s);

    return -1;
}


static int
agent_settings_mode(xmlNodePtr scep, agent_settings_t *s, scep_error_t *err)
{
    int           rc;
    char         *mode;
    scep_error_t  why;

    if (agent_xml_child_text(scep, "mode", AGENT_NAME_MAX, 1, &mode, err)
        != 0)
    {
        return -1;
    }

    rc = 0;

    if (scep_parse_mode(mode, &s->mode, &why) != 0) {
        rc = agent_settings_refuse(err, "mode", &why);

    } else if (s->mode == SCEP_MODE_ENROLL) {
        rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "mode",
                            "<scep> says mode enroll, which comes as "
                            "<scep-certificate>, not as settings");
    }

    agent_xml_text_free(mode);

    return rc;
}


/*
 * The structured subject, attribute by attribute.  The <subject> text is
 * kept for messages only: parsing it could let a value such as "a,O=evil"
 * become an attribute of its own.
 */
static int
agent_settings_subject(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err)
{
    xmlNodePtr  rdns, node;

    if (agent_xml_child_text(scep, "subject", SCEP_SUBJECT_MAX_LEN * 4, 0,
                             &s->subject, err) != 0
        || agent_settings_single(scep, "subject-rdns", 1, &rdns, err) != 0)
    {
        return -1;
    }

    for (node = rdns->children; node != NULL; node = node->next) {
        if (agent_xml_is(node, "subject-rdn")
            && agent_settings_rdn(node, s, err) != 0)
        {
            return -1;
        }
    }

    if (s->nrdns == 0) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "subject-rdns",
                              "<subject-rdns> has no <subject-rdn>");
    }

    return 0;
}


static int
agent_settings_rdn(xmlNodePtr node, agent_settings_t *s, scep_error_t *err)
{
    int           rc;
    char         *same;
    agent_rdn_t  *rdn;

    if (s->nrdns == SCEP_SUBJECT_MAX_RDNS) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "subject-rdn",
                              "<subject-rdns> has more than %d attributes",
                              SCEP_SUBJECT_MAX_RDNS);
    }

    rdn = &s->rdns[s->nrdns++];

    if (agent_xml_attr(node, "type", AGENT_RDN_TYPE_MAX, &rdn->type, err)
        != 0)
    {
        return -1;
    }

    if (rdn->type == NULL || rdn->type[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "subject-rdn",
                              "a <subject-rdn> has no type");
    }

    rdn->value = agent_xml_text(node, SCEP_VALUE_MAX_LEN,
                                "subject-rdn", err);
    if (rdn->value == NULL) {
        return -1;
    }

    if (rdn->value[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "subject-rdn",
                              "the <subject-rdn> of type %s is empty",
                              rdn->type);
    }

    if (agent_xml_attr(node, "same-rdn", AGENT_NAME_MAX, &same, err) != 0) {
        return -1;
    }

    rc = 0;

    if (same == NULL || strcmp(same, "false") == 0) {
        rdn->same_rdn = 0;

    } else if (strcmp(same, "true") == 0) {
        rdn->same_rdn = 1;

        if (s->nrdns == 1) {
            rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "subject-rdn",
                                "the first <subject-rdn> cannot join a "
                                "previous one (same-rdn)");
        }

    } else {
        rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "subject-rdn",
                            "same-rdn must be \"true\" or \"false\"");
    }

    agent_xml_text_free(same);

    return rc;
}


/*
 * Every <subject-alt-name>, in order: each value checked for its type
 * here, so that the request holds only names of the kind they claim.
 */
static int
agent_settings_san(xmlNodePtr scep, agent_settings_t *s, scep_error_t *err)
{
    int              rc;
    char            *type, *value;
    xmlNodePtr       node;
    scep_error_t     why;
    scep_san_type_t  t;

    for (node = scep->children; node != NULL; node = node->next) {
        if (!agent_xml_is(node, "subject-alt-name")) {
            continue;
        }

        if (agent_xml_attr(node, "type", AGENT_NAME_MAX, &type, err) != 0) {
            return -1;
        }

        rc = 0;

        if (type == NULL) {
            rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "subject-alt-name",
                                "<subject-alt-name> has no type");

        } else if (scep_parse_san_type(type, &t, &why) != 0) {
            rc = agent_settings_refuse(err, "subject-alt-name", &why);

        } else if (t == SCEP_SAN_NONE) {
            rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "subject-alt-name",
                                "<subject-alt-name> has type none");
        }

        agent_xml_text_free(type);

        if (rc != 0) {
            return -1;
        }

        value = agent_xml_text(node, SCEP_SAN_MAX_LEN, "subject-alt-name",
                               err);
        if (value == NULL) {
            return -1;
        }

        if (value[0] == '\0') {
            agent_xml_text_free(value);
            return scep_error_set(err, SCEP_ERR_PROTOCOL, "subject-alt-name",
                                  "<subject-alt-name> is empty");
        }

        rc = scep_sans_add(&s->sans, t, value, strlen(value), &why);
        agent_xml_text_free(value);

        if (rc != 0) {
            return agent_settings_refuse(err, "subject-alt-name", &why);
        }
    }

    return 0;
}


static int
agent_settings_key(xmlNodePtr scep, agent_settings_t *s, scep_error_t *err)
{
    int           rc;
    char         *text;
    scep_error_t  why;

    if (agent_xml_child_text(scep, "key-bits", AGENT_NAME_MAX, 1, &text, err)
        != 0)
    {
        return -1;
    }

    rc = 0;

    if (scep_parse_key_bits(text, &s->key_bits, &why) != 0) {
        rc = agent_settings_refuse(err, "key-bits", &why);
    }

    agent_xml_text_free(text);

    if (rc != 0) {
        return -1;
    }

    if (agent_xml_child_text(scep, "digest", AGENT_NAME_MAX, 1, &text, err)
        != 0)
    {
        return -1;
    }

    if (scep_parse_digest(text, &s->digest, &why) != 0) {
        rc = agent_settings_refuse(err, "digest", &why);
    }

    agent_xml_text_free(text);

    return rc;
}


/*
 * A usage the agent does not know would be missing from the request
 * without anyone noticing: it is refused instead of ignored.
 */
static int
agent_settings_key_usage(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err)
{
    xmlNodePtr  usage, node;

    s->key_usage = 0;

    if (agent_settings_single(scep, "key-usage", 0, &usage, err) != 0) {
        return -1;
    }

    if (usage == NULL) {
        return 0;
    }

    for (node = usage->children; node != NULL; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) {
            continue;
        }

        if (agent_xml_is(node, "digital-signature")) {
            s->key_usage |= SCEP_KU_DIGITAL_SIGNATURE;

        } else if (agent_xml_is(node, "key-encipherment")) {
            s->key_usage |= SCEP_KU_KEY_ENCIPHERMENT;

        } else {
            return scep_error_set(err, SCEP_ERR_PROTOCOL, "key-usage",
                                  "<key-usage> names a usage this agent "
                                  "does not know");
        }
    }

    return 0;
}


static int
agent_settings_fingerprint(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err)
{
    int           rc;
    char         *algorithm, *text;
    size_t        want;
    xmlNodePtr    node;
    scep_error_t  why;

    if (agent_settings_single(scep, "ca-fingerprint", 0, &node, err) != 0) {
        return -1;
    }

    if (node == NULL) {
        s->ca_fingerprint_len = 0;
        return 0;
    }

    if (agent_xml_attr(node, "algorithm", AGENT_NAME_MAX, &algorithm, err)
        != 0)
    {
        return -1;
    }

    want = 0;

    if (algorithm != NULL && strcmp(algorithm, "sha1") == 0) {
        want = 20;

    } else if (algorithm != NULL && strcmp(algorithm, "sha256") == 0) {
        want = 32;
    }

    agent_xml_text_free(algorithm);

    if (want == 0) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "ca-fingerprint",
                              "the algorithm of <ca-fingerprint> must be "
                              "sha1 or sha256");
    }

    text = agent_xml_text(node, AGENT_NAME_MAX, "ca-fingerprint", err);
    if (text == NULL) {
        return -1;
    }

    rc = 0;

    if (scep_parse_fingerprint(text, s->ca_fingerprint,
                               &s->ca_fingerprint_len, &why) != 0)
    {
        rc = agent_settings_refuse(err, "ca-fingerprint", &why);

    } else if (s->ca_fingerprint_len != want) {
        rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "ca-fingerprint",
                            "<ca-fingerprint> has %zu bytes, which is not "
                            "the length of its algorithm",
                            s->ca_fingerprint_len);
    }

    agent_xml_text_free(text);

    return rc;
}


static int
agent_settings_challenge(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err)
{
    int           rc;
    char         *type;
    xmlNodePtr    node;
    scep_error_t  why;

    if (agent_settings_single(scep, "challenge", 0, &node, err) != 0) {
        return -1;
    }

    if (node == NULL) {
        s->challenge_type = SCEP_CHALLENGE_NONE;
        return 0;
    }

    if (agent_xml_attr(node, "type", AGENT_NAME_MAX, &type, err) != 0) {
        return -1;
    }

    rc = 0;

    if (type == NULL) {
        rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "challenge",
                            "<challenge> has no type");

    } else if (scep_parse_challenge(type, &s->challenge_type, &why) != 0) {
        rc = agent_settings_refuse(err, "challenge", &why);

    } else if (s->challenge_type == SCEP_CHALLENGE_NONE) {
        rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "challenge",
                            "<challenge> has type none");
    }

    agent_xml_text_free(type);

    if (rc != 0) {
        return -1;
    }

    s->challenge = agent_xml_text(node, SCEP_CHALLENGE_MAX_LEN, "challenge",
                                  err);
    if (s->challenge == NULL) {
        return -1;
    }

    if (s->challenge[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "challenge",
                              "<challenge> is empty");
    }

    return 0;
}


/* The ticket goes into an HTTP header: printable ASCII, no blanks. */
static int
agent_settings_ticket(xmlNodePtr scep, agent_settings_t *s,
    scep_error_t *err)
{
    size_t  i, n, len;

    if (agent_xml_child_text(scep, "ticket", AGENT_TICKET_MAX, 0, &s->ticket,
                             err) != 0)
    {
        return -1;
    }

    if (s->mode == SCEP_MODE_PROXY && s->ticket == NULL) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "ticket",
                              "<scep> in proxy mode has no <ticket>");
    }

    if (s->mode != SCEP_MODE_PROXY && s->ticket != NULL) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "ticket",
                              "<scep> has a <ticket> but is not in proxy "
                              "mode");
    }

    if (s->ticket == NULL) {
        return 0;
    }

    if (s->ticket[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "ticket",
                              "<ticket> is empty");
    }

    for (i = 0; s->ticket[i] != '\0'; i++) {
        if (s->ticket[i] <= 0x20 || s->ticket[i] >= 0x7f) {
            return scep_error_set(err, SCEP_ERR_PROTOCOL, "ticket",
                                  "<ticket> holds a character that cannot "
                                  "go into an HTTP header");
        }
    }

    /*
     * The server URL carries the ticket too, as its path's last segment,
     * for stock SCEP clients.  This agent sends it in the header and
     * keeps the URL without it, so that neither its messages nor its
     * state ever show the ticket.
     */
    n = strlen(s->ticket);
    len = strlen(s->server_url);

    if (len > n + 1 && s->server_url[len - n - 1] == '/'
        && strcmp(s->server_url + len - n, s->ticket) == 0)
    {
        OPENSSL_cleanse(s->server_url + len - n - 1, n + 1);
    }

    return 0;
}


/* The core's sentence, told as the portal's mistake. */
static int
agent_settings_refuse(scep_error_t *err, const char *element,
    const scep_error_t *why)
{
    return scep_error_set(err, SCEP_ERR_PROTOCOL, element,
                          "<%s> cannot be used: %s", element, why->message);
}


static int
agent_settings_single(xmlNodePtr parent, const char *name, int required,
    xmlNodePtr *out, scep_error_t *err)
{
    size_t  n;

    n = agent_xml_count(parent, name);
    *out = NULL;

    if (n > 1) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, name,
                              "<%s> holds %zu <%s> elements; one is "
                              "expected", (const char *) parent->name, n,
                              name);
    }

    if (n == 0 && required) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, name, "<%s> has no <%s>",
                       (const char *) parent->name, name);
        return -1;
    }

    *out = agent_xml_child(parent, name);

    return 0;
}


void
agent_settings_free(agent_settings_t *s)
{
    size_t  i;

    agent_xml_text_free(s->profile);
    agent_xml_text_free(s->server_url);
    agent_xml_text_free(s->ca_ident);
    agent_xml_text_free(s->subject);

    for (i = 0; i < s->nrdns; i++) {
        agent_xml_text_free(s->rdns[i].type);
        agent_xml_text_free(s->rdns[i].value);
    }

    scep_sans_free(&s->sans);
    agent_xml_text_free(s->challenge);
    agent_xml_text_free(s->ticket);

    memset(s, 0, sizeof(*s));
}
