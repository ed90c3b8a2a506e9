/*
 * Distinguished names compared by meaning (RFC 4514, RFC 4518): an admin
 * writes "cn=VPN Users, ou=Groups,dc=corp,dc=example" where the server
 * says "CN=VPN Users,OU=Groups,DC=corp,DC=example", or names the group
 * alone.  libldap parses (escapes, hex pairs, "#" values, multi-valued
 * RDNs, spaces); this file writes one canonical form of what it parsed.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "dir.h"
#include "dir_priv.h"


/* The usual short names of attribute types, for their long names and OIDs. */
static const struct {
    const char  *alias;
    const char  *name;
} dir_dn_types[] = {
    { "commonname", "cn" }, { "2.5.4.3", "cn" },
    { "surname", "sn" }, { "2.5.4.4", "sn" },
    { "serialnumber", "serialnumber" }, { "2.5.4.5", "serialnumber" },
    { "countryname", "c" }, { "2.5.4.6", "c" },
    { "localityname", "l" }, { "2.5.4.7", "l" },
    { "stateorprovincename", "st" }, { "2.5.4.8", "st" },
    { "streetaddress", "street" }, { "2.5.4.9", "street" },
    { "organizationname", "o" }, { "2.5.4.10", "o" },
    { "organizationalunitname", "ou" }, { "2.5.4.11", "ou" },
    { "title", "title" }, { "2.5.4.12", "title" },
    { "givenname", "givenname" }, { "2.5.4.42", "givenname" },
    { "domaincomponent", "dc" }, { "0.9.2342.19200300.100.1.25", "dc" },
    { "userid", "uid" }, { "0.9.2342.19200300.100.1.1", "uid" },
    { "emailaddress", "email" }, { "1.2.840.113549.1.9.1", "email" },
    { NULL, NULL }
};


/* A growing output bounded by its size; overflow, or a value that cannot
 * be written back, is remembered. */
typedef struct {
    char    *p;
    size_t   len;
    size_t   size;
    int      full;
} dir_dn_out_t;


static void
dir_dn_put(dir_dn_out_t *o, const char *s, size_t n)
{
    if (o->full || o->len + n >= o->size) {
        o->full = 1;
        return;
    }

    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}


static void
dir_dn_put_type(dir_dn_out_t *o, const struct berval *attr)
{
    char         type[128];
    size_t       i, n;
    const char  *t;

    if (attr->bv_len >= sizeof(type)) {
        o->full = 1;
        return;
    }

    for (i = 0; i < attr->bv_len; i++) {
        type[i] = attr->bv_val[i];

        if (type[i] >= 'A' && type[i] <= 'Z') {
            type[i] += 32;
        }
    }

    type[i] = '\0';

    t = type;
    n = strlen(t);

    for (i = 0; dir_dn_types[i].alias != NULL; i++) {
        if (strcmp(t, dir_dn_types[i].alias) == 0) {
            t = dir_dn_types[i].name;
            n = strlen(t);
            break;
        }
    }

    dir_dn_put(o, t, n);
}


/*
 * A value with its insignificant spaces removed (RFC 4518 2.6.1: none at
 * either end, one for every inner run) and case-folded, then escaped so
 * that no value can pose as a separator.
 */
static void
dir_dn_put_value(dir_dn_out_t *o, const char *v, size_t len)
{
    int                 n;
    char               *spaced, *folded, esc[3];
    size_t              i, k;
    unsigned char       c;
    static const char   hex[] = "0123456789abcdef";

    spaced = malloc(len + 1);
    folded = malloc(DIR_CASEFOLD_LEN(len));

    if (spaced == NULL || folded == NULL) {
        free(spaced);
        free(folded);
        o->full = 1;
        return;
    }

    k = 0;

    for (i = 0; i < len; i++) {
        if (v[i] == ' ' && (k == 0 || spaced[k - 1] == ' ')) {
            continue;
        }

        spaced[k++] = v[i];
    }

    if (k > 0 && spaced[k - 1] == ' ') {
        k--;
    }

    n = dir_casefold(spaced, k, folded, DIR_CASEFOLD_LEN(len));

    for (i = 0; n > 0 && i < (size_t) n; i++) {
        c = (unsigned char) folded[i];

        if (c < 0x20 || c == 0x7f || strchr(",+\"\\<>;=#", c) != NULL
            || (c == ' ' && (i == 0 || i + 1 == (size_t) n)))
        {
            esc[0] = '\\';
            esc[1] = hex[c >> 4];
            esc[2] = hex[c & 0x0f];
            dir_dn_put(o, esc, 3);
            continue;
        }

        dir_dn_put(o, (char *) &c, 1);
    }

    free(spaced);
    free(folded);
}


static void
dir_dn_put_ava(dir_dn_out_t *o, const LDAPAVA *ava)
{
    size_t             i;
    char               h[2];
    static const char  hex[] = "0123456789abcdef";

    dir_dn_put_type(o, &ava->la_attr);
    dir_dn_put(o, "=", 1);

    if (ava->la_flags & LDAP_AVA_BINARY) {
        /* libldap takes "#" and a space as a BER value of no octets */
        if (ava->la_value.bv_len == 0) {
            o->full = 1;
            return;
        }

        /* a BER value written "#hex": compared as its octets */
        dir_dn_put(o, "#", 1);

        for (i = 0; i < ava->la_value.bv_len; i++) {
            h[0] = hex[(unsigned char) ava->la_value.bv_val[i] >> 4];
            h[1] = hex[(unsigned char) ava->la_value.bv_val[i] & 0x0f];
            dir_dn_put(o, h, 2);
        }

        return;
    }

    dir_dn_put_value(o, ava->la_value.bv_val, ava->la_value.bv_len);
}


static int
dir_dn_cmp_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/* The AVAs of a multi-valued RDN in sorted order of their normal forms. */
static void
dir_dn_put_rdn(dir_dn_out_t *o, LDAPRDN rdn)
{
    size_t         i, n, size;
    char         **avas;
    dir_dn_out_t   one;

    for (n = 0; rdn[n] != NULL; n++) {
        /* void */
    }

    if (n == 1) {
        dir_dn_put_ava(o, rdn[0]);
        return;
    }

    avas = calloc(n, sizeof(char *));
    if (avas == NULL) {
        o->full = 1;
        return;
    }

    size = o->size;

    for (i = 0; i < n; i++) {
        avas[i] = malloc(size);
        if (avas[i] == NULL) {
            o->full = 1;
            goto done;
        }

        one.p = avas[i];
        one.p[0] = '\0';
        one.len = 0;
        one.size = size;
        one.full = 0;

        dir_dn_put_ava(&one, rdn[i]);

        if (one.full) {
            o->full = 1;
            i++;
            goto done;
        }
    }

    qsort(avas, n, sizeof(char *), dir_dn_cmp_strings);

    for (i = 0; i < n; i++) {
        if (i > 0) {
            dir_dn_put(o, "+", 1);
        }

        dir_dn_put(o, avas[i], strlen(avas[i]));
    }

done:

    while (i-- > 0) {
        free(avas[i]);
    }

    free(avas);
}


int
dir_dn_normalize(const char *dn, char *out, size_t size)
{
    size_t        i;
    LDAPDN        parsed;
    dir_dn_out_t  o;

    if (size == 0 || dn == NULL || strlen(dn) > DIR_DN_LEN_MAX) {
        return -1;
    }

    out[0] = '\0';

    if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS) {
        return -1;
    }

    o.p = out;
    o.len = 0;
    o.size = size;
    o.full = 0;

    for (i = 0; parsed != NULL && parsed[i] != NULL; i++) {
        if (i > 0) {
            dir_dn_put(&o, ",", 1);
        }

        dir_dn_put_rdn(&o, parsed[i]);
    }

    ldap_dnfree(parsed);

    if (o.full) {
        out[0] = '\0';
        return -1;
    }

    return (int) o.len;
}


int
dir_dn_equal(const char *a, const char *b)
{
    int     rc, la, lb;
    char   *na, *nb;
    size_t  size;

    if (a == NULL || b == NULL) {
        return -1;
    }

    size = DIR_DN_NORMALIZED_LEN(strlen(a) > strlen(b) ? strlen(a) : strlen(b));

    na = malloc(size);
    nb = malloc(size);

    rc = -1;

    if (na != NULL && nb != NULL) {
        la = dir_dn_normalize(a, na, size);
        lb = dir_dn_normalize(b, nb, size);

        if (la >= 0 && lb >= 0) {
            rc = (la == lb && memcmp(na, nb, (size_t) la) == 0);
        }
    }

    free(na);
    free(nb);

    return rc;
}


int
dir_group_matches(const char *group_dn, const char *wanted)
{
    int           rc;
    char         *ng, *nw;
    size_t        size;
    LDAPDN        parsed;
    dir_dn_out_t  og, ow;
    LDAPAVA      *ava;

    if (group_dn == NULL || wanted == NULL) {
        return 0;
    }

    /* a DN is compared as a DN; anything else as the group's name */
    if (strchr(wanted, '=') != NULL) {
        rc = dir_dn_equal(group_dn, wanted);

        if (rc >= 0) {
            return rc;
        }
    }

    if (strlen(group_dn) > DIR_DN_LEN_MAX || strlen(wanted) > DIR_DN_LEN_MAX
        || ldap_str2dn(group_dn, &parsed, LDAP_DN_FORMAT_LDAPV3)
           != LDAP_SUCCESS)
    {
        return 0;
    }

    rc = 0;

    if (parsed == NULL || parsed[0] == NULL) {
        goto done;
    }

    ava = parsed[0][0];

    if (ava->la_flags & LDAP_AVA_BINARY) {
        goto done;
    }

    size = DIR_DN_NORMALIZED_LEN(ava->la_value.bv_len > strlen(wanted)
                              ? ava->la_value.bv_len : strlen(wanted));

    ng = malloc(size);
    nw = malloc(size);

    if (ng != NULL && nw != NULL) {
        og.p = ng; og.len = 0; og.size = size; og.full = 0;
        ow.p = nw; ow.len = 0; ow.size = size; ow.full = 0;
        ng[0] = '\0';
        nw[0] = '\0';

        dir_dn_put_value(&og, ava->la_value.bv_val, ava->la_value.bv_len);
        dir_dn_put_value(&ow, wanted, strlen(wanted));

        rc = !og.full && !ow.full && og.len == ow.len
             && memcmp(ng, nw, og.len) == 0;
    }

    free(ng);
    free(nw);

done:

    ldap_dnfree(parsed);

    return rc;
}


/*
 * The part of a DN from its first DC= RDN on: the domain of an Active
 * Directory DN.  Escaped characters are skipped, so that a value holding
 * ",DC=" is no boundary.  The DN itself when it has no DC= RDN.
 */
const char *
dir_dn_domain(const char *dn)
{
    const char  *p, *q;

    p = dn;

    for ( ;; ) {
        /* p starts an RDN */
        while (*p == ' ') {
            p++;
        }

        q = p;

        if ((q[0] == 'd' || q[0] == 'D') && (q[1] == 'c' || q[1] == 'C')) {
            for (q += 2; *q == ' '; q++) {
                /* void */
            }

            if (*q == '=') {
                return p;
            }
        }

        for ( /* void */ ; *p != '\0' && *p != ','; p++) {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            }
        }

        if (*p == '\0') {
            return dn;
        }

        p++;
    }
}
