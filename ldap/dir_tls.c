#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dir_tls.h"


/* Only printable ASCII of what a server sent goes into a message. */
static void
dir_tls_printable(char *s)
{
    for ( /* void */ ; *s != '\0'; s++) {
        if (*s < 0x20 || *s > 0x7e) {
            *s = '?';
        }
    }
}


/* The names a certificate holds, for the message: its SANs, or its CN. */
static void
dir_tls_names(X509 *x, char *out, size_t size)
{
    int                      i, n, w;
    size_t                   len;
    char                     ip[64];
    const unsigned char     *a;
    GENERAL_NAME            *gn;
    GENERAL_NAMES           *sans;

    out[0] = '\0';
    len = 0;

    sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);

    n = sans != NULL ? sk_GENERAL_NAME_num(sans) : 0;

    for (i = 0; i < n && len < size; i++) {
        gn = sk_GENERAL_NAME_value(sans, i);
        w = 0;

        if (gn->type == GEN_DNS) {
            w = snprintf(out + len, size - len, "%s%.*s", len ? ", " : "",
                         ASN1_STRING_length(gn->d.dNSName),
                         (const char *) ASN1_STRING_get0_data(
                             gn->d.dNSName));

        } else if (gn->type == GEN_IPADD
                   && ASN1_STRING_length(gn->d.iPAddress) == 4)
        {
            a = ASN1_STRING_get0_data(gn->d.iPAddress);
            snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
            w = snprintf(out + len, size - len, "%s%s", len ? ", " : "", ip);

        } else if (gn->type == GEN_IPADD) {
            w = snprintf(out + len, size - len, "%san IPv6 address",
                         len ? ", " : "");
        }

        len += (w > 0) ? (size_t) w : 0;
    }

    GENERAL_NAMES_free(sans);

    if (len == 0) {
        w = X509_NAME_get_text_by_NID(X509_get_subject_name(x),
                                      NID_commonName, out, (int) size);
        if (w <= 0) {
            snprintf(out, size, "no name");
        }
    }

    dir_tls_printable(out);
}


int
dir_tls_cert_names(const unsigned char *der, size_t len, char *out,
    size_t size)
{
    X509                 *x;
    const unsigned char  *p;

    p = der;
    x = d2i_X509(NULL, &p, (long) len);

    if (x == NULL || size == 0) {
        X509_free(x);
        return -1;
    }

    dir_tls_names(x, out, size);
    X509_free(x);

    return 0;
}


static int
dir_tls_verify(X509 *x, const char *ca_file, char *why, size_t size)
{
    int              ok;
    X509_STORE      *store;
    X509_STORE_CTX  *ctx;

    ok = 0;
    why[0] = '\0';

    store = X509_STORE_new();
    ctx = X509_STORE_CTX_new();

    if (store == NULL || ctx == NULL) {
        snprintf(why, size, "out of memory");
        goto done;
    }

    if ((ca_file != NULL ? X509_STORE_load_file(store, ca_file)
                         : X509_STORE_set_default_paths(store))
        != 1)
    {
        snprintf(why, size, "the CA file cannot be read");
        goto done;
    }

    if (X509_STORE_CTX_init(ctx, store, x, NULL) != 1) {
        snprintf(why, size, "out of memory");
        goto done;
    }

    ok = X509_verify_cert(ctx) == 1;

    if (!ok) {
        snprintf(why, size, "%s", X509_verify_cert_error_string(
                                      X509_STORE_CTX_get_error(ctx)));
    }

done:

    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);

    return ok;
}


int
dir_tls_explain_cert(const unsigned char *der, size_t len, const char *host,
    const char *ca_file, char *msg, size_t size)
{
    int                   rc;
    X509                 *x;
    char                  names[256], issuer[128], why[128], self[65];
    const char           *check;
    const unsigned char  *p;

    p = der;
    x = d2i_X509(NULL, &p, (long) len);

    if (x == NULL) {
        snprintf(msg, size, "it sent a TLS certificate that cannot be read");
        return -1;
    }

    rc = -1;

    if (!dir_tls_verify(x, ca_file, why, sizeof(why))) {
        if (X509_NAME_get_text_by_NID(X509_get_issuer_name(x),
                                      NID_commonName, issuer,
                                      sizeof(issuer)) <= 0)
        {
            snprintf(issuer, sizeof(issuer), "an issuer without a name");
        }

        dir_tls_printable(issuer);

        snprintf(msg, size, "its TLS certificate, issued by \"%.64s\", does "
                 "not verify with tls_trusted_certificate \"%.128s\" (%s)",
                 issuer, ca_file != NULL ? ca_file : "the system's CAs",
                 why);
        goto done;
    }

    /* libldap checks "localhost" as the machine's own name */
    check = host;
    self[0] = '\0';

    if (strcasecmp(host, "localhost") == 0
        && gethostname(self, sizeof(self) - 1) == 0)
    {
        self[sizeof(self) - 1] = '\0';
        check = self;
    }

    if (X509_check_ip_asc(x, check, 0) == 1
        || X509_check_host(x, check, 0, 0, NULL) == 1)
    {
        msg[0] = '\0';
        rc = 0;
        goto done;
    }

    dir_tls_names(x, names, sizeof(names));

    if (check != host) {
        snprintf(msg, size, "its TLS certificate does not name the host "
                 "\"%s\" (libldap checks this machine's name \"%s\" for "
                 "it): the certificate names %s", host, self, names);

    } else {
        snprintf(msg, size, "its TLS certificate does not name the host "
                 "\"%s\": the certificate names %s", host, names);
    }

done:

    X509_free(x);

    return rc;
}
