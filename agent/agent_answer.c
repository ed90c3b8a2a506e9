#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_answer.h"
#include "agent_settings.h"
#include "agent_xml.h"


static int agent_answer_error(xmlNodePtr root, agent_answer_t *a,
    scep_error_t *err);
static int agent_answer_policy(xmlNodePtr root, agent_answer_t *a,
    scep_error_t *err);
static int agent_certificate_parse(xmlNodePtr node, agent_certificate_t *c,
    scep_error_t *err);
static void agent_certificate_free(agent_certificate_t *c);
static int agent_pending_parse(xmlNodePtr node, agent_pending_t *p,
    scep_error_t *err);
static void agent_pending_free(agent_pending_t *p);


int
agent_prelogin_parse(const char *xml, size_t len, agent_prelogin_t *p,
    scep_error_t *err)
{
    int         rc;
    xmlDocPtr   doc;
    xmlNodePtr  root;

    memset(p, 0, sizeof(*p));

    doc = agent_xml_read(xml, len, err);
    if (doc == NULL) {
        return -1;
    }

    root = agent_xml_root(doc, "prelogin-response");

    if (root == NULL) {
        rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "prelogin-response",
                            "the answer is not a <prelogin-response>");

    } else {
        rc = agent_xml_child_text(root, "status", AGENT_NAME_MAX, 1,
                                  &p->status, err);

        if (rc == 0) {
            rc = agent_xml_child_text(root, "msg", AGENT_MESSAGE_MAX, 0,
                                      &p->message, err);
        }

        if (rc == 0) {
            rc = agent_xml_child_text(root, "portal-name", AGENT_NAME_MAX,
                                      0, &p->portal_name, err);
        }

        p->saml = (agent_xml_child(root, "saml-auth-method") != NULL
                   || agent_xml_child(root, "saml-request") != NULL);
    }

    xmlFreeDoc(doc);

    if (rc != 0) {
        agent_prelogin_free(p);
    }

    return rc;
}


void
agent_prelogin_free(agent_prelogin_t *p)
{
    agent_xml_text_free(p->status);
    agent_xml_text_free(p->message);
    agent_xml_text_free(p->portal_name);

    memset(p, 0, sizeof(*p));
}


int
agent_answer_parse(const char *xml, size_t len, agent_answer_t *a,
    scep_error_t *err)
{
    int         rc;
    xmlDocPtr   doc;
    xmlNodePtr  root;

    memset(a, 0, sizeof(*a));

    doc = agent_xml_read(xml, len, err);
    if (doc == NULL) {
        return -1;
    }

    root = xmlDocGetRootElement(doc);

    if (agent_xml_is(root, "response")) {
        rc = agent_answer_error(root, a, err);

    } else if (agent_xml_is(root, "policy")) {
        rc = agent_answer_policy(root, a, err);

    } else {
        rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "policy",
                            "the answer is neither a <policy> nor an error "
                            "<response>");
    }

    xmlFreeDoc(doc);

    if (rc != 0) {
        agent_answer_free(a);
    }

    return rc;
}


/* <response status="error"><error>message</error></response> */
static int
agent_answer_error(xmlNodePtr root, agent_answer_t *a, scep_error_t *err)
{
    int    rc;
    char  *status;

    if (agent_xml_attr(root, "status", AGENT_NAME_MAX, &status, err) != 0) {
        return -1;
    }

    rc = (status != NULL && strcmp(status, "error") == 0)
         ? 0
         : scep_error_set(err, SCEP_ERR_PROTOCOL, "response",
                          "the answer is a <response> whose status is not "
                          "\"error\"");

    agent_xml_text_free(status);

    if (rc != 0) {
        return -1;
    }

    a->kind = AGENT_ANSWER_ERROR;

    if (agent_xml_child_text(root, "error", AGENT_MESSAGE_MAX, 1, &a->error,
                             err)
        != 0)
    {
        return -1;
    }

    return 0;
}


static int
agent_answer_policy(xmlNodePtr root, agent_answer_t *a, scep_error_t *err)
{
    size_t  settings, certificate, pending;

    if (agent_xml_child_text(root, "portal-name", AGENT_NAME_MAX, 0,
                             &a->portal_name, err) != 0
        || agent_xml_child_text(root, "user-name", AGENT_NAME_MAX, 0,
                                &a->user_name, err) != 0)
    {
        return -1;
    }

    settings = agent_xml_count(root, "scep");
    certificate = agent_xml_count(root, "scep-certificate");
    pending = agent_xml_count(root, "scep-pending");

    if (settings + certificate + pending == 0) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "policy",
                              "the portal's policy has no <scep>, "
                              "<scep-certificate> or <scep-pending>: it "
                              "offers no certificate to this agent");
    }

    if (settings + certificate + pending > 1) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "policy",
                              "the portal's policy holds more than one of "
                              "<scep>, <scep-certificate> and "
                              "<scep-pending>");
    }

    if (settings) {
        a->kind = AGENT_ANSWER_SETTINGS;
        return agent_settings_parse(agent_xml_child(root, "scep"),
                                    &a->settings, err);
    }

    if (certificate) {
        a->kind = AGENT_ANSWER_CERTIFICATE;
        return agent_certificate_parse(agent_xml_child(root,
                                                       "scep-certificate"),
                                       &a->certificate, err);
    }

    a->kind = AGENT_ANSWER_PENDING;

    return agent_pending_parse(agent_xml_child(root, "scep-pending"),
                               &a->pending, err);
}


static int
agent_certificate_parse(xmlNodePtr node, agent_certificate_t *c,
    scep_error_t *err)
{
    char        *attr;
    xmlNodePtr   child;

    if (agent_xml_child_text(node, "profile", AGENT_NAME_MAX, 0,
                             &c->profile, err) != 0
        || agent_xml_child_text(node, "subject", SCEP_SUBJECT_MAX_LEN * 4, 0,
                                &c->subject, err) != 0
        || agent_xml_child_text(node, "serial", AGENT_NAME_MAX, 0,
                                &c->serial, err) != 0
        || agent_xml_child_text(node, "issuer", SCEP_SUBJECT_MAX_LEN * 4, 0,
                                &c->issuer, err) != 0
        || agent_xml_child_text(node, "not-after", AGENT_NAME_MAX, 0,
                                &c->not_after, err) != 0
        || agent_xml_child_text(node, "pkcs12", AGENT_BLOB_MAX, 1,
                                &c->pkcs12, err) != 0
        || agent_xml_child_text(node, "passphrase", AGENT_NAME_MAX, 1,
                                &c->passphrase, err) != 0
        || agent_xml_child_text(node, "ca-chain", AGENT_BLOB_MAX, 0,
                                &c->ca_chain, err) != 0)
    {
        return -1;
    }

    /* an encoding the agent does not know must not be taken for base64 */
    child = agent_xml_child(node, "pkcs12");

    if (agent_xml_attr(child, "encoding", AGENT_NAME_MAX, &attr, err) != 0) {
        return -1;
    }

    if (attr != NULL && strcmp(attr, "base64") != 0) {
        agent_xml_text_free(attr);
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "pkcs12",
                              "<pkcs12> has an encoding other than base64");
    }

    agent_xml_text_free(attr);

    child = agent_xml_child(node, "ca-chain");

    if (child != NULL) {
        if (agent_xml_attr(child, "format", AGENT_NAME_MAX, &attr, err)
            != 0)
        {
            return -1;
        }

        if (attr != NULL && strcmp(attr, "pem") != 0) {
            agent_xml_text_free(attr);
            return scep_error_set(err, SCEP_ERR_PROTOCOL, "ca-chain",
                                  "<ca-chain> has a format other than pem");
        }

        agent_xml_text_free(attr);
    }

    if (c->passphrase[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, "passphrase",
                              "<passphrase> is empty");
    }

    return 0;
}


static void
agent_certificate_free(agent_certificate_t *c)
{
    agent_xml_text_free(c->profile);
    agent_xml_text_free(c->subject);
    agent_xml_text_free(c->serial);
    agent_xml_text_free(c->issuer);
    agent_xml_text_free(c->not_after);
    agent_xml_text_free(c->pkcs12);
    agent_xml_text_free(c->passphrase);
    agent_xml_text_free(c->ca_chain);

    memset(c, 0, sizeof(*c));
}


static int
agent_pending_parse(xmlNodePtr node, agent_pending_t *p, scep_error_t *err)
{
    int    rc;
    long   n;
    char  *text, *end;

    if (agent_xml_child_text(node, "profile", AGENT_NAME_MAX, 0,
                             &p->profile, err) != 0
        || agent_xml_child_text(node, "transaction-id", AGENT_NAME_MAX, 0,
                                &p->transaction_id, err) != 0
        || agent_xml_child_text(node, "retry-after", AGENT_NAME_MAX, 1,
                                &text, err) != 0)
    {
        return -1;
    }

    errno = 0;
    n = strtol(text, &end, 10);

    rc = 0;

    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0
        || n > AGENT_RETRY_MAX)
    {
        rc = scep_error_set(err, SCEP_ERR_PROTOCOL, "retry-after",
                            "<retry-after> is not a number of seconds from "
                            "0 to %d", AGENT_RETRY_MAX);
    }

    agent_xml_text_free(text);

    p->retry_after = n;

    return rc;
}


static void
agent_pending_free(agent_pending_t *p)
{
    agent_xml_text_free(p->profile);
    agent_xml_text_free(p->transaction_id);

    memset(p, 0, sizeof(*p));
}


void
agent_answer_free(agent_answer_t *a)
{
    agent_xml_text_free(a->error);
    agent_xml_text_free(a->portal_name);
    agent_xml_text_free(a->user_name);

    agent_settings_free(&a->settings);
    agent_certificate_free(&a->certificate);
    agent_pending_free(&a->pending);

    memset(a, 0, sizeof(*a));
}
