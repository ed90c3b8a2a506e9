/*
 * The CSR's side of a bound challenge: what it asks for, in the terms a
 * challenge grants (scep_bound.h), computed the same way from the
 * portal's rendered subject and from any encoder's CSR.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "scep_bound.h"


#define SCEP_BOUND_SUBJECT_LABEL  "ngx_scep subject v1"
#define SCEP_BOUND_SAN_LABEL      "ngx_scep san v1"


/* One attribute of an RDN, or one subject alternative name, canonical. */
typedef struct {
    unsigned char  *data;
    size_t          len;
} scep_canon_t;


static int scep_canon_cmp(const void *a, const void *b);
static int scep_canon_digest(EVP_MD_CTX *ctx, scep_canon_t *items, size_t n);
static void scep_canon_free(scep_canon_t *items, size_t n);
static int scep_canon_ava(const X509_NAME_ENTRY *ne, scep_canon_t *out);
static int scep_canon_general_name(const GENERAL_NAME *gen,
    scep_canon_t *out);
static int scep_canon_make(scep_canon_t *out, const unsigned char *head,
    size_t hlen, const unsigned char *body, size_t blen);
static int scep_bound_csr_extensions(X509_REQ *req, scep_csr_facts_t *f,
    GENERAL_NAMES **san, scep_error_t *err);
static void scep_bound_refuse_extension(scep_csr_facts_t *f,
    const ASN1_OBJECT *obj, const char *why);


int
scep_bound_csr_facts(X509_REQ *req, scep_csr_facts_t *f, scep_error_t *err)
{
    int             rc;
    EVP_PKEY       *pkey;
    GENERAL_NAMES  *san;

    memset(f, 0, sizeof(scep_csr_facts_t));

    pkey = X509_REQ_get0_pubkey(req);
    if (pkey == NULL) {
        scep_error_set(err, SCEP_ERR_INPUT, "csr",
                       "the CSR's public key cannot be read");
        scep_error_add_openssl(err);
        return -1;
    }

    f->signature_ok = (X509_REQ_verify(req, pkey) == 1);
    ERR_clear_error();

    f->key_rsa = (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA);
    f->key_bits = EVP_PKEY_get_bits(pkey);

    if (scep_bound_subject_digest(X509_REQ_get_subject_name(req), f->subject,
                                  err)
        != 0)
    {
        return -1;
    }

    san = NULL;

    if (scep_bound_csr_extensions(req, f, &san, err) != 0) {
        return -1;
    }

    rc = scep_bound_san_digest(san, f->san, err);

    GENERAL_NAMES_free(san);

    return rc;
}


int
scep_bound_csr_challenge(X509_REQ *req, char *out, size_t size)
{
    int              i, n;
    ASN1_TYPE       *t;
    unsigned char   *utf8;
    X509_ATTRIBUTE  *attr;

    i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1);
    if (i < 0) {
        return 1;
    }

    if (X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, i) >= 0) {
        return -1;
    }

    attr = X509_REQ_get_attr(req, i);

    if (attr == NULL || X509_ATTRIBUTE_count(attr) != 1) {
        return -1;
    }

    t = X509_ATTRIBUTE_get0_type(attr, 0);

    /* a DirectoryString */
    if (t == NULL
        || (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_UTF8STRING
            && t->type != V_ASN1_T61STRING && t->type != V_ASN1_BMPSTRING
            && t->type != V_ASN1_UNIVERSALSTRING
            && t->type != V_ASN1_IA5STRING))
    {
        return -1;
    }

    utf8 = NULL;
    n = ASN1_STRING_to_UTF8(&utf8, t->value.asn1_string);

    if (n < 0) {
        return -1;
    }

    if ((size_t) n >= size || memchr(utf8, '\0', (size_t) n) != NULL) {
        OPENSSL_clear_free(utf8, (size_t) n);
        return -1;
    }

    memcpy(out, utf8, (size_t) n);
    out[n] = '\0';

    OPENSSL_clear_free(utf8, (size_t) n);

    return 0;
}


/*
 * The subject by meaning, not by encoding: each RDN in order, its
 * attributes sorted, each one its OID and its value as UTF-8.  Two
 * encoders that spell "CN=bob" as a PrintableString and as a UTF8String
 * ask for the same subject; "CN=Bob" is another.
 */
int
scep_bound_subject_digest(const X509_NAME *name,
    unsigned char out[SCEP_BOUND_DIGEST_LEN], scep_error_t *err)
{
    int            i, j, count, set;
    size_t         n;
    EVP_MD_CTX    *ctx;
    scep_canon_t  *items;
    unsigned int   mdlen;

    count = (name != NULL) ? X509_NAME_entry_count(name) : 0;

    items = calloc((size_t) (count > 0 ? count : 1), sizeof(scep_canon_t));
    ctx = EVP_MD_CTX_new();

    if (items == NULL || ctx == NULL
        || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)
        || !EVP_DigestUpdate(ctx, SCEP_BOUND_SUBJECT_LABEL,
                             sizeof(SCEP_BOUND_SUBJECT_LABEL)))
    {
        goto nomem;
    }

    for (i = 0; i < count; i = j) {
        set = X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i));

        for (j = i, n = 0; j < count; j++, n++) {
            if (X509_NAME_ENTRY_set(X509_NAME_get_entry(name, j)) != set) {
                break;
            }

            if (scep_canon_ava(X509_NAME_get_entry(name, j), &items[n])
                != 0)
            {
                scep_canon_free(items, n);
                free(items);
                EVP_MD_CTX_free(ctx);
                return scep_error_set(err, SCEP_ERR_SUBJECT, "subject",
                                      "attribute %d of the subject is not "
                                      "a string", j + 1);
            }
        }

        if (scep_canon_digest(ctx, items, n) != 0) {
            scep_canon_free(items, n);
            goto nomem;
        }

        scep_canon_free(items, n);
    }

    if (!EVP_DigestFinal_ex(ctx, out, &mdlen)) {
        goto nomem;
    }

    free(items);
    EVP_MD_CTX_free(ctx);

    return 0;

nomem:

    free(items);
    EVP_MD_CTX_free(ctx);

    return scep_error_set(err, SCEP_ERR_NOMEM, "subject",
                          "cannot digest the subject");
}


/* The names as a set: their order in the extension does not matter. */
int
scep_bound_san_digest(const GENERAL_NAMES *names,
    unsigned char out[SCEP_BOUND_DIGEST_LEN], scep_error_t *err)
{
    int            i, count;
    EVP_MD_CTX    *ctx;
    scep_canon_t  *items;
    unsigned int   mdlen;

    count = (names != NULL) ? sk_GENERAL_NAME_num(names) : 0;

    items = calloc((size_t) (count > 0 ? count : 1), sizeof(scep_canon_t));
    ctx = EVP_MD_CTX_new();

    if (items == NULL || ctx == NULL
        || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)
        || !EVP_DigestUpdate(ctx, SCEP_BOUND_SAN_LABEL,
                             sizeof(SCEP_BOUND_SAN_LABEL)))
    {
        goto failed;
    }

    for (i = 0; i < count; i++) {
        if (scep_canon_general_name(sk_GENERAL_NAME_value(names, i),
                                    &items[i])
            != 0)
        {
            scep_canon_free(items, (size_t) i);
            goto failed;
        }
    }

    if (scep_canon_digest(ctx, items, (size_t) count) != 0
        || !EVP_DigestFinal_ex(ctx, out, &mdlen))
    {
        scep_canon_free(items, (size_t) count);
        goto failed;
    }

    scep_canon_free(items, (size_t) count);
    free(items);
    EVP_MD_CTX_free(ctx);

    return 0;

failed:

    free(items);
    EVP_MD_CTX_free(ctx);

    return scep_error_set(err, SCEP_ERR_INPUT, "subject_alt_name",
                          "cannot digest the subject alternative names");
}


static int
scep_canon_cmp(const void *a, const void *b)
{
    int                  c;
    const scep_canon_t  *x = a, *y = b;

    c = memcmp(x->data, y->data, x->len < y->len ? x->len : y->len);

    if (c != 0) {
        return c;
    }

    return (x->len > y->len) - (x->len < y->len);
}


/* A count, then the items in order: no two lists digest alike. */
static int
scep_canon_digest(EVP_MD_CTX *ctx, scep_canon_t *items, size_t n)
{
    size_t         i;
    unsigned char  count[2];

    if (n > 0xffff) {
        return -1;
    }

    qsort(items, n, sizeof(scep_canon_t), scep_canon_cmp);

    count[0] = (unsigned char) (n >> 8);
    count[1] = (unsigned char) n;

    if (!EVP_DigestUpdate(ctx, count, 2)) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (!EVP_DigestUpdate(ctx, items[i].data, items[i].len)) {
            return -1;
        }
    }

    return 0;
}


static void
scep_canon_free(scep_canon_t *items, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(items[i].data);
        items[i].data = NULL;
    }
}


/* length-prefixed OID (its DER content), then the value as UTF-8 */
static int
scep_canon_ava(const X509_NAME_ENTRY *ne, scep_canon_t *out)
{
    int                   n;
    size_t                olen;
    unsigned char        *utf8, *p;
    const ASN1_OBJECT    *obj;
    const unsigned char  *oid;

    obj = X509_NAME_ENTRY_get_object(ne);
    oid = OBJ_get0_data(obj);
    olen = OBJ_length(obj);

    if (oid == NULL || olen == 0 || olen > 0xffff) {
        return -1;
    }

    utf8 = NULL;
    n = ASN1_STRING_to_UTF8(&utf8,
                            X509_NAME_ENTRY_get_data((X509_NAME_ENTRY *) ne));

    if (n < 0 || n > 0xffff) {
        OPENSSL_free(utf8);
        return -1;
    }

    out->len = 2 + olen + 2 + (size_t) n;
    out->data = malloc(out->len);

    if (out->data == NULL) {
        OPENSSL_free(utf8);
        return -1;
    }

    p = out->data;
    *p++ = (unsigned char) (olen >> 8);
    *p++ = (unsigned char) olen;
    memcpy(p, oid, olen);
    p += olen;
    *p++ = (unsigned char) (n >> 8);
    *p++ = (unsigned char) n;

    if (n > 0) {
        memcpy(p, utf8, (size_t) n);
    }

    OPENSSL_free(utf8);

    return 0;
}


/*
 * The type, then the value: the text of the IA5String names, the octets
 * of an address, the DER of any other name.
 */
static int
scep_canon_general_name(const GENERAL_NAME *gen, scep_canon_t *out)
{
    int                   type, n, rc;
    void                 *value;
    unsigned char        *der, head[5];
    const ASN1_STRING    *s;

    type = -1;
    value = GENERAL_NAME_get0_value(gen, &type);
    der = NULL;

    switch (type) {

    case GEN_EMAIL:
    case GEN_DNS:
    case GEN_URI:
    case GEN_IPADD:
        s = value;
        n = (s != NULL) ? ASN1_STRING_length(s) : -1;
        break;

    default:
        s = NULL;
        n = i2d_GENERAL_NAME(gen, &der);
        break;
    }

    if (n < 0) {
        return -1;
    }

    head[0] = (unsigned char) type;
    head[1] = (unsigned char) ((unsigned) n >> 24);
    head[2] = (unsigned char) ((unsigned) n >> 16);
    head[3] = (unsigned char) ((unsigned) n >> 8);
    head[4] = (unsigned char) n;

    rc = scep_canon_make(out, head, sizeof(head),
                         s ? ASN1_STRING_get0_data(s) : der, (size_t) n);

    OPENSSL_free(der);

    return rc;
}


static int
scep_canon_make(scep_canon_t *out, const unsigned char *head, size_t hlen,
    const unsigned char *body, size_t blen)
{
    out->data = malloc(hlen + blen + 1);

    if (out->data == NULL) {
        return -1;
    }

    memcpy(out->data, head, hlen);

    if (blen > 0) {
        memcpy(out->data + hlen, body, blen);
    }

    out->len = hlen + blen;

    return 0;
}


/*
 * The extensions a bound challenge speaks of are judged against it; a
 * basicConstraints that does not ask for a CA and a subjectKeyIdentifier
 * ask for nothing; any other is something the challenge does not grant
 * (an extendedKeyUsage the CA might copy, say).
 */
static int
scep_bound_csr_extensions(X509_REQ *req, scep_csr_facts_t *f,
    GENERAL_NAMES **san, scep_error_t *err)
{
    int                        i, nid, bit, seen_ku, seen_bc;
    ASN1_BIT_STRING           *ku;
    X509_EXTENSION            *ext;
    BASIC_CONSTRAINTS         *bc;
    const ASN1_OBJECT         *obj;
    STACK_OF(X509_EXTENSION)  *exts;

    exts = X509_REQ_get_extensions(req);

    if (exts == NULL) {
        if (X509_REQ_get_attr_by_NID(req, NID_ext_req, -1) >= 0
            || X509_REQ_get_attr_by_NID(req, NID_ms_ext_req, -1) >= 0)
        {
            scep_error_set(err, SCEP_ERR_INPUT, "csr",
                           "the CSR's extension request cannot be read");
            scep_error_add_openssl(err);
            return -1;
        }

        ERR_clear_error();
        return 0;
    }

    seen_ku = 0;
    seen_bc = 0;

    for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
        ext = sk_X509_EXTENSION_value(exts, i);
        obj = X509_EXTENSION_get_object(ext);
        nid = OBJ_obj2nid(obj);

        switch (nid) {

        case NID_subject_alt_name:
            if (*san != NULL) {
                scep_bound_refuse_extension(f, obj, "twice");
                break;
            }

            *san = X509V3_EXT_d2i(ext);
            if (*san == NULL) {
                goto unreadable;
            }

            break;

        case NID_key_usage:
            if (seen_ku++) {
                scep_bound_refuse_extension(f, obj, "twice");
                break;
            }

            ku = X509V3_EXT_d2i(ext);
            if (ku == NULL) {
                goto unreadable;
            }

            f->has_key_usage = 1;

            for (bit = 0; bit < 8 * ASN1_STRING_length(ku); bit++) {
                if (!ASN1_BIT_STRING_get_bit(ku, bit)) {
                    continue;
                }

                if (bit == 0) {
                    f->key_usage |= SCEP_KU_DIGITAL_SIGNATURE;

                } else if (bit == 2) {
                    f->key_usage |= SCEP_KU_KEY_ENCIPHERMENT;

                } else {
                    f->other_key_usage = 1;
                }
            }

            ASN1_BIT_STRING_free(ku);
            break;

        case NID_basic_constraints:
            bc = X509V3_EXT_d2i(ext);
            if (bc == NULL) {
                goto unreadable;
            }

            if (bc->ca || seen_bc++) {
                scep_bound_refuse_extension(f, obj, bc->ca ? "with cA true"
                                                           : "twice");
            }

            BASIC_CONSTRAINTS_free(bc);
            break;

        case NID_subject_key_identifier:
            break;

        default:
            scep_bound_refuse_extension(f, obj, NULL);
            break;
        }
    }

    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

    return 0;

unreadable:

    scep_error_set(err, SCEP_ERR_INPUT, "csr",
                   "the CSR's %s extension cannot be read",
                   OBJ_nid2sn(nid));
    scep_error_add_openssl(err);

    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(*san);
    *san = NULL;

    return -1;
}


/* The first extension refused, named: "extendedKeyUsage (2.5.29.37)". */
static void
scep_bound_refuse_extension(scep_csr_facts_t *f, const ASN1_OBJECT *obj,
    const char *why)
{
    int          nid;
    char         oid[48];
    const char  *name;

    if (f->extension[0] != '\0') {
        return;
    }

    if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0) {
        memcpy(oid, "?", 2);
    }

    nid = OBJ_obj2nid(obj);
    name = (nid != NID_undef) ? OBJ_nid2sn(nid) : NULL;

    if (name != NULL) {
        snprintf(f->extension, sizeof(f->extension), "%s (%s)%s%s", name,
                 oid, why ? " " : "", why ? why : "");

    } else {
        snprintf(f->extension, sizeof(f->extension), "%s%s%s", oid,
                 why ? " " : "", why ? why : "");
    }
}
