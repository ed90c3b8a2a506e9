#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "scep_attr.h"


static const char  *scep_attr_oids[SCEP_ATTR_LAST] = {
    "2.16.840.1.113733.1.9.2",
    "2.16.840.1.113733.1.9.3",
    "2.16.840.1.113733.1.9.4",
    "2.16.840.1.113733.1.9.5",
    "2.16.840.1.113733.1.9.6",
    "2.16.840.1.113733.1.9.7",
    "1.3.6.1.5.5.7.24.1",
};

/*
 * Made once and kept for the life of the process: OBJ_create would change
 * OpenSSL's global table, which other users of the library share.
 */
static ASN1_OBJECT         *scep_attr_objects[SCEP_ATTR_LAST];
static CRYPTO_ONCE          scep_attr_once = CRYPTO_ONCE_STATIC_INIT;


static void
scep_attr_init(void)
{
    int  i;

    for (i = 0; i < SCEP_ATTR_LAST; i++) {
        scep_attr_objects[i] = OBJ_txt2obj(scep_attr_oids[i], 1);
    }
}


const ASN1_OBJECT *
scep_attr_object(scep_attr_t attr)
{
    if ((unsigned) attr >= SCEP_ATTR_LAST
        || !CRYPTO_THREAD_run_once(&scep_attr_once, scep_attr_init))
    {
        return NULL;
    }

    return scep_attr_objects[attr];
}


int
scep_attr_add(CMS_SignerInfo *si, scep_attr_t attr, int asn1_type,
    const void *data, size_t len)
{
    const ASN1_OBJECT  *obj;

    obj = scep_attr_object(attr);

    if (obj == NULL || len > INT_MAX) {
        return -1;
    }

    return CMS_signed_add1_attr_by_OBJ(si, obj, asn1_type, data, (int) len)
           ? 0 : -1;
}


int
scep_attr_get(CMS_SignerInfo *si, scep_attr_t attr, int asn1_type,
    const ASN1_STRING **value)
{
    int                 i;
    ASN1_TYPE          *t;
    X509_ATTRIBUTE     *a;
    const ASN1_OBJECT  *obj;

    *value = NULL;

    obj = scep_attr_object(attr);
    if (obj == NULL) {
        return -1;
    }

    i = CMS_signed_get_attr_by_OBJ(si, obj, -1);
    if (i < 0) {
        return 0;
    }

    if (CMS_signed_get_attr_by_OBJ(si, obj, i) >= 0) {
        return -1;
    }

    a = CMS_signed_get_attr(si, i);

    if (a == NULL || X509_ATTRIBUTE_count(a) != 1) {
        return -1;
    }

    t = X509_ATTRIBUTE_get0_type(a, 0);

    if (t == NULL || t->type != asn1_type) {
        return -1;
    }

    *value = t->value.asn1_string;

    return 1;
}
