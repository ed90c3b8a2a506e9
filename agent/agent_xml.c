#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>
#include <openssl/crypto.h>

#include "agent_xml.h"


/*
 * Each block starts with its size, so that free can wipe it; the header
 * keeps the alignment malloc() gives.
 */
#define AGENT_XML_HEADER  sizeof(max_align_t)

#define AGENT_XML_PARSE_OPTIONS                                             \
    (XML_PARSE_NONET | XML_PARSE_NODICT | XML_PARSE_NOERROR                 \
     | XML_PARSE_NOWARNING)


static void *agent_xml_malloc(size_t size);
static void agent_xml_free(void *ptr);
static void *agent_xml_realloc(void *ptr, size_t size);
static char *agent_xml_strdup(const char *s);
static void agent_xml_error(scep_error_t *err);


int
agent_xml_init(void)
{
    if (xmlMemSetup(agent_xml_free, agent_xml_malloc, agent_xml_realloc,
                    agent_xml_strdup)
        != 0)
    {
        return -1;
    }

    xmlInitParser();

    return 0;
}


void
agent_xml_cleanup(void)
{
    xmlCleanupParser();
}


static void *
agent_xml_malloc(size_t size)
{
    unsigned char  *p;

    if (size > SIZE_MAX - AGENT_XML_HEADER) {
        return NULL;
    }

    p = malloc(AGENT_XML_HEADER + size);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, &size, sizeof(size));

    return p + AGENT_XML_HEADER;
}


static void
agent_xml_free(void *ptr)
{
    size_t          size;
    unsigned char  *p;

    if (ptr == NULL) {
        return;
    }

    p = (unsigned char *) ptr - AGENT_XML_HEADER;
    memcpy(&size, p, sizeof(size));

    OPENSSL_cleanse(p, AGENT_XML_HEADER + size);
    free(p);
}


/* Never realloc(): it could leave the old copy unwiped. */
static void *
agent_xml_realloc(void *ptr, size_t size)
{
    size_t          old;
    unsigned char  *p;

    if (ptr == NULL) {
        return agent_xml_malloc(size);
    }

    p = agent_xml_malloc(size);
    if (p == NULL) {
        return NULL;
    }

    memcpy(&old, (unsigned char *) ptr - AGENT_XML_HEADER, sizeof(old));
    memcpy(p, ptr, old < size ? old : size);
    agent_xml_free(ptr);

    return p;
}


static char *
agent_xml_strdup(const char *s)
{
    char    *p;
    size_t   len;

    len = strlen(s);

    p = agent_xml_malloc(len + 1);
    if (p != NULL) {
        memcpy(p, s, len + 1);
    }

    return p;
}


xmlDocPtr
agent_xml_read(const char *data, size_t len, scep_error_t *err)
{
    xmlDocPtr  doc;

    if (len > INT32_MAX) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, "", "the answer is too large");
        return NULL;
    }

    xmlResetLastError();

    doc = xmlReadMemory(data, (int) len, NULL, NULL, AGENT_XML_PARSE_OPTIONS);
    if (doc == NULL) {
        agent_xml_error(err);
        return NULL;
    }

    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        xmlFreeDoc(doc);
        scep_error_set(err, SCEP_ERR_PROTOCOL, "",
                       "the answer carries a document type declaration, "
                       "which the agent protocol never uses");
        return NULL;
    }

    if (xmlDocGetRootElement(doc) == NULL) {
        xmlFreeDoc(doc);
        scep_error_set(err, SCEP_ERR_PROTOCOL, "",
                       "the answer has no root element");
        return NULL;
    }

    return doc;
}


static void
agent_xml_error(scep_error_t *err)
{
    char             message[128];
    size_t           i;
    const xmlError  *e;

    e = xmlGetLastError();

    if (e == NULL || e->message == NULL) {
        scep_error_set(err, SCEP_ERR_PROTOCOL, "",
                       "the answer is not an XML document");
        return;
    }

    /* libxml2's sentence, on one line and printable */
    for (i = 0; e->message[i] != '\0' && i < sizeof(message) - 1; i++) {
        message[i] = (e->message[i] >= 0x20 && e->message[i] < 0x7f)
                     ? e->message[i] : ' ';
    }

    while (i > 0 && message[i - 1] == ' ') {
        i--;
    }

    message[i] = '\0';

    scep_error_set(err, SCEP_ERR_PROTOCOL, "",
                   "the answer is not well-formed XML (line %d: %s)",
                   e->line, message);
}


xmlNodePtr
agent_xml_root(xmlDocPtr doc, const char *name)
{
    xmlNodePtr  root;

    root = xmlDocGetRootElement(doc);

    return agent_xml_is(root, name) ? root : NULL;
}


int
agent_xml_is(xmlNodePtr node, const char *name)
{
    return node != NULL && node->type == XML_ELEMENT_NODE
           && xmlStrcmp(node->name, (const xmlChar *) name) == 0;
}


xmlNodePtr
agent_xml_child(xmlNodePtr parent, const char *name)
{
    xmlNodePtr  node;

    for (node = parent->children; node != NULL; node = node->next) {
        if (agent_xml_is(node, name)) {
            return node;
        }
    }

    return NULL;
}


size_t
agent_xml_count(xmlNodePtr parent, const char *name)
{
    size_t      n;
    xmlNodePtr  node;

    n = 0;

    for (node = parent->children; node != NULL; node = node->next) {
        if (agent_xml_is(node, name)) {
            n++;
        }
    }

    return n;
}


char *
agent_xml_text(xmlNodePtr node, size_t max, const char *what,
    scep_error_t *err)
{
    char     *copy;
    size_t    len;
    xmlChar  *content;

    content = xmlNodeGetContent(node);
    if (content == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, what,
                       "out of memory reading <%s>", what);
        return NULL;
    }

    len = strlen((const char *) content);

    if (len > max) {
        xmlFree(content);
        scep_error_set(err, SCEP_ERR_PROTOCOL, what,
                       "<%s> is longer than %zu bytes", what, max);
        return NULL;
    }

    copy = malloc(len + 1);
    if (copy == NULL) {
        xmlFree(content);
        scep_error_set(err, SCEP_ERR_NOMEM, what,
                       "out of memory reading <%s>", what);
        return NULL;
    }

    memcpy(copy, content, len + 1);
    xmlFree(content);

    return copy;
}


int
agent_xml_child_text(xmlNodePtr parent, const char *name, size_t max,
    int required, char **out, scep_error_t *err)
{
    size_t      n;
    xmlNodePtr  node;

    *out = NULL;

    n = agent_xml_count(parent, name);

    if (n > 1) {
        return scep_error_set(err, SCEP_ERR_PROTOCOL, name,
                              "<%s> holds %zu <%s> elements; one is "
                              "expected", (const char *) parent->name, n,
                              name);
    }

    if (n == 0) {
        if (required) {
            return scep_error_set(err, SCEP_ERR_PROTOCOL, name,
                                  "<%s> has no <%s>",
                                  (const char *) parent->name, name);
        }

        return 0;
    }

    node = agent_xml_child(parent, name);

    *out = agent_xml_text(node, max, name, err);

    return (*out != NULL) ? 0 : -1;
}


int
agent_xml_attr(xmlNodePtr node, const char *name, size_t max, char **out,
    scep_error_t *err)
{
    char     *copy;
    size_t    len;
    xmlChar  *value;

    *out = NULL;

    value = xmlGetNoNsProp(node, (const xmlChar *) name);
    if (value == NULL) {
        return 0;
    }

    len = strlen((const char *) value);

    if (len > max) {
        xmlFree(value);
        return scep_error_set(err, SCEP_ERR_PROTOCOL, name,
                              "the %s attribute of <%s> is longer than %zu "
                              "bytes", name, (const char *) node->name, max);
    }

    copy = malloc(len + 1);
    if (copy == NULL) {
        xmlFree(value);
        return scep_error_set(err, SCEP_ERR_NOMEM, name,
                              "out of memory reading <%s>",
                              (const char *) node->name);
    }

    memcpy(copy, value, len + 1);
    xmlFree(value);

    *out = copy;

    return 0;
}


void
agent_xml_text_free(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}
