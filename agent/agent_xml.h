/*
 * Reading the portal's XML with libxml2: no network, no DTD, and every
 * block libxml2 frees is wiped first, since the documents carry one-time
 * passwords, PKCS#12 files and their passphrases.
 */

#ifndef AGENT_XML_H
#define AGENT_XML_H

#include <stddef.h>

#include <libxml/tree.h>

#include "scep/scep_error.h"


/*
 * Once, before any other libxml2 call: installs the wiping allocator and
 * initialises the parser.  Returns 0 or -1.
 */
int agent_xml_init(void);

void agent_xml_cleanup(void);

/*
 * Parses a document of len bytes.  A document with a DTD is refused: the
 * portal never sends one, and entities are a way to blow up memory.
 * NULL with err set (SCEP_ERR_PROTOCOL) on any fault.
 */
xmlDocPtr agent_xml_read(const char *data, size_t len, scep_error_t *err);

/* The root element, when it is named name; else NULL. */
xmlNodePtr agent_xml_root(xmlDocPtr doc, const char *name);

/* The first child element named name, or NULL. */
xmlNodePtr agent_xml_child(xmlNodePtr parent, const char *name);

/* How many child elements are named name. */
size_t agent_xml_count(xmlNodePtr parent, const char *name);

/* Whether node is an element named name. */
int agent_xml_is(xmlNodePtr node, const char *name);

/*
 * The text of node, a malloc'd copy of at most max bytes; what names the
 * element in messages.  NULL with err set when it is longer, or memory
 * runs out.
 */
char *agent_xml_text(xmlNodePtr node, size_t max, const char *what,
    scep_error_t *err);

/*
 * The text of the single child element name of parent into *out: NULL
 * when there is none, which is an error when required.  Two of them are
 * an error too: a document must not say two things at once.
 */
int agent_xml_child_text(xmlNodePtr parent, const char *name, size_t max,
    int required, char **out, scep_error_t *err);

/* A copy of the attribute's value (at most max bytes), or NULL. */
int agent_xml_attr(xmlNodePtr node, const char *name, size_t max,
    char **out, scep_error_t *err);

/* Wipes and frees a string of these functions; NULL is fine. */
void agent_xml_text_free(char *s);


#endif /* AGENT_XML_H */
