/*
 * The certificate subject from the portal's <subject-rdn> list, built
 * attribute by attribute: a value is only ever a value.
 */

#ifndef AGENT_SUBJECT_H
#define AGENT_SUBJECT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "scep/scep_error.h"
#include "agent_answer.h"


/*
 * In document order; each value as OpenSSL's table types its attribute
 * (UTF8String, PrintableString for C), as the portal built it.  NULL
 * with err set (SCEP_ERR_SUBJECT) for an unknown type or a value its
 * type cannot hold.
 */
X509_NAME *agent_subject_build(const agent_rdn_t *rdns, size_t n,
    scep_error_t *err);

/*
 * RFC 2253 text of name for people, UTF-8 kept readable; returns buf, or
 * "(unprintable)" when it does not fit.
 */
const char *agent_subject_text(const X509_NAME *name, char *buf,
    size_t size);


#endif /* AGENT_SUBJECT_H */
