/*
 * The SCEP authenticated attributes (RFC 8894, section 3.2.1) on a CMS
 * SignerInfo: their OIDs (2.16.840.1.113733.1.9.*, and id-scep-failInfoText
 * 1.3.6.1.5.5.7.24.1) and typed access.
 */

#ifndef SCEP_ATTR_H
#define SCEP_ATTR_H

#include <stddef.h>

#include <openssl/cms.h>


typedef enum {
    SCEP_ATTR_MESSAGE_TYPE = 0,     /* .2, PrintableString */
    SCEP_ATTR_PKI_STATUS,           /* .3, PrintableString */
    SCEP_ATTR_FAIL_INFO,            /* .4, PrintableString */
    SCEP_ATTR_SENDER_NONCE,         /* .5, OCTET STRING */
    SCEP_ATTR_RECIPIENT_NONCE,      /* .6, OCTET STRING */
    SCEP_ATTR_TRANSACTION_ID,       /* .7, PrintableString */
    SCEP_ATTR_FAIL_INFO_TEXT,       /* UTF8String, optional */
    SCEP_ATTR_LAST
} scep_attr_t;


/*
 * The attribute's OID, created once for the process on first use, from
 * any thread; NULL only when OpenSSL is out of memory.
 */
const ASN1_OBJECT *scep_attr_object(scep_attr_t attr);

/* Adds a signed attribute with one value; 0 or -1. */
int scep_attr_add(CMS_SignerInfo *si, scep_attr_t attr, int asn1_type,
    const void *data, size_t len);

/*
 * Finds a signed attribute: 1 with *value set when it appears once, with
 * one value of asn1_type; 0 when absent; -1 when repeated, multi-valued
 * or of another type.  *value points into si.
 */
int scep_attr_get(CMS_SignerInfo *si, scep_attr_t attr, int asn1_type,
    const ASN1_STRING **value);


#endif /* SCEP_ATTR_H */
