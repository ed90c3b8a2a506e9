/*
 * scep_certrep_read past the signature check: the target builds and
 * signs the CertRep itself (with the CA's key, or the RA's), from signed
 * attributes and content taken from the input, so that the SCEP header,
 * the envelope and the certificates inside are all reached.
 *
 * Input:
 *   flags   bit 0: fips; bit 1: NDES-style CA, signed by the RA;
 *           bits 2-3: content: 0 none (detached), 1 the rest sealed
 *           with AES to our signer, 2 sealed with DES3, 3 the rest is
 *           the envelope itself; bit 4: signed with SHA-1
 *   attrs   index, type, length, value; index 0..6 a SCEP attribute
 *           (scep_attr_t), 7 one more value for the previous attribute,
 *           0xff ends the list; type 0..7 an ASN.1 string type
 *   rest    the content
 */

#include <openssl/cms.h>
#include <openssl/err.h>

#include "scep/scep_attr.h"
#include "scep/scep_certrep.h"
#include "scep/scep_envelope.h"
#include "fuzz/fuzz.h"
#include "fuzz/fuzz_pki.h"


static fuzz_pki_t  pki;

static const int  fuzz_types[8] = {
    V_ASN1_PRINTABLESTRING, V_ASN1_OCTET_STRING, V_ASN1_UTF8STRING,
    V_ASN1_IA5STRING, V_ASN1_BMPSTRING, V_ASN1_T61STRING,
    V_ASN1_UNIVERSALSTRING, V_ASN1_INTEGER,
};


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    fuzz_pki_load(&pki);

    return 0;
}


static int
fuzz_add_attrs(CMS_SignerInfo *si, fuzz_reader_t *r)
{
    int              type, n;
    size_t           len;
    unsigned         index;
    X509_ATTRIBUTE  *last;

    for ( ;; ) {
        if (r->p >= r->end) {
            return 0;
        }

        index = fuzz_byte(r);

        if (index == 0xff) {
            return 0;
        }

        type = fuzz_types[fuzz_byte(r) % 8];
        len = fuzz_byte(r);

        if (len > (size_t) (r->end - r->p)) {
            len = (size_t) (r->end - r->p);
        }

        index %= 8;

        if (index < SCEP_ATTR_LAST) {
            if (scep_attr_add(si, (scep_attr_t) index, type, r->p, len) != 0) {
                return -1;
            }

        } else {
            n = CMS_signed_get_attr_count(si);
            last = (n > 0) ? CMS_signed_get_attr(si, n - 1) : NULL;

            if (last != NULL
                && !X509_ATTRIBUTE_set1_data(last, type, r->p, (int) len))
            {
                return -1;
            }
        }

        r->p += len;
    }
}


static unsigned char *
fuzz_sign(unsigned flags, fuzz_reader_t *r, size_t *der_len)
{
    int               n;
    BIO              *data;
    size_t            env_len;
    unsigned          mode;
    X509             *cert;
    EVP_PKEY         *key;
    scep_error_t      err;
    unsigned char    *env, *der;
    CMS_SignerInfo   *si;
    CMS_ContentInfo  *cms;

    cert = (flags & 2) ? pki.ra_sign : pki.ca;
    key = (flags & 2) ? pki.ra_key : pki.ca_key;

    der = NULL;
    env = NULL;
    data = NULL;

    cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
    if (cms == NULL) {
        abort();
    }

    si = CMS_add1_signer(cms, cert, key,
                         (flags & 16) ? EVP_sha1() : EVP_sha256(),
                         CMS_BINARY | CMS_NOSMIMECAP);

    if (si == NULL || fuzz_add_attrs(si, r) != 0) {
        goto done;
    }

    mode = (flags >> 2) & 3;
    env_len = (size_t) (r->end - r->p);

    if (mode == 1 || mode == 2) {
        if (scep_envelope_seal(r->p, env_len, pki.t->signer,
                               mode == 1 ? EVP_aes_256_cbc()
                                         : EVP_des_ede3_cbc(),
                               &env, &env_len, &err)
            != 0)
        {
            goto done;
        }

        data = BIO_new_mem_buf(env, (int) env_len);

    } else if (mode == 3) {
        data = BIO_new_mem_buf(r->p, (int) env_len);

    } else {
        data = BIO_new_mem_buf("", 0);

        if (!CMS_set_detached(cms, 1)) {
            goto done;
        }
    }

    if (data == NULL || !CMS_final(cms, data, NULL, CMS_BINARY)) {
        goto done;
    }

    n = i2d_CMS_ContentInfo(cms, &der);
    *der_len = (n > 0) ? (size_t) n : 0;

done:

    ERR_clear_error();
    BIO_free(data);
    OPENSSL_free(env);
    CMS_ContentInfo_free(cms);

    return der;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    X509            *cert;
    size_t           len;
    unsigned         flags;
    scep_ca_t       *ca;
    scep_error_t     err;
    fuzz_reader_t    r;
    unsigned char   *der;

    fuzz_reader_init(&r, data, size);
    flags = fuzz_byte(&r);
    memset(&err, 0, sizeof(err));

    der = fuzz_sign(flags, &r, &len);
    if (der == NULL) {
        return 0;
    }

    ca = (flags & 2) ? pki.ndes : pki.single;

    cert = scep_certrep_read(der, len, ca, pki.t, pki.nonce, flags & 1,
                             FUZZ_URL, &err);

    if (cert != NULL) {
        if (EVP_PKEY_eq(X509_get0_pubkey(cert), pki.t->key) != 1
            || X509_verify(cert, X509_get0_pubkey(ca->ca)) != 1)
        {
            abort();
        }

        X509_free(cert);

    } else if (err.code == SCEP_OK) {
        abort();
    }

    OPENSSL_free(der);

    return 0;
}
