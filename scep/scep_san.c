/*
 * Subject alternative name templates, the names they make for one user,
 * and those names in ASN.1.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "scep_san.h"
#include "scep_syntax.h"
#include "scep_utf8.h"


typedef struct {
    unsigned     token;             /* SCEP_TOKEN_*, or 0 for text */
    const char  *text;
    size_t       len;
} scep_san_part_t;

typedef struct {
    scep_san_type_t   type;
    scep_san_part_t   parts[SCEP_SAN_PARTS_MAX];
    size_t            nparts;
} scep_san_one_t;

struct scep_san_tpl_s {
    scep_san_one_t    one[SCEP_SANS_MAX];
    size_t            n;
    unsigned          tokens;

    /* unescaped text; never longer than the templates it comes from */
    char              text[SCEP_SANS_MAX * (SCEP_SAN_MAX_LEN + 1)];
};


static int scep_san_parse_one(scep_san_tpl_t *tpl, const scep_san_conf_t *c,
    char **text, scep_error_t *err);
static int scep_san_fill(const scep_san_one_t *one,
    const scep_subject_values_t *values, scep_code_t code, char **out,
    size_t *len, scep_error_t *err);
static int scep_san_text_ok(const char *v, size_t len);


/* What the templates are tried with at configuration time. */
static const scep_subject_values_t  scep_san_samples = {
    "user", "user@example.org", "host-1", "udid-1",
    "S-1-5-21-1004336348-1177238915-682003330-1000", "user@example.org"
};


scep_san_tpl_t *
scep_san_parse(const scep_san_conf_t *conf, size_t n, scep_error_t *err)
{
    char            *text, *value;
    size_t           i, len;
    scep_san_tpl_t  *tpl;

    if (n > SCEP_SANS_MAX) {
        scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                       "subject_alt_name is given %zu times, at most %d "
                       "names are allowed", n, SCEP_SANS_MAX);
        return NULL;
    }

    for (i = 0; i < n; i++) {
        if (conf[i].type == SCEP_SAN_NONE) {
            if (conf[i].value != NULL) {
                scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                               "subject_alt_name none takes no value");
                return NULL;
            }

            if (n > 1) {
                scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                               "subject_alt_name none cannot be given with "
                               "other subject_alt_name names");
                return NULL;
            }
        }
    }

    tpl = calloc(1, sizeof(scep_san_tpl_t));
    if (tpl == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, "subject_alt_name",
                       "out of memory parsing subject_alt_name");
        return NULL;
    }

    text = tpl->text;

    for (i = 0; i < n; i++) {
        if (conf[i].type == SCEP_SAN_NONE) {
            continue;
        }

        if (scep_san_parse_one(tpl, &conf[i], &text, err) != 0) {
            goto failed;
        }

        /* a template that no user's values could make right */
        if (scep_san_fill(&tpl->one[tpl->n - 1], &scep_san_samples,
                          SCEP_ERR_CONFIG, &value, &len, err)
            != 0)
        {
            goto failed;
        }

        if (scep_san_check(conf[i].type, value, len, SCEP_ERR_CONFIG, err)
            != 0)
        {
            free(value);

            if (err != NULL
                && (tpl->one[tpl->n - 1].nparts > 1
                    || tpl->one[tpl->n - 1].parts[0].token != 0))
            {
                /* say so: the sample values are not the admin's */
                snprintf(err->message + strlen(err->message),
                         sizeof(err->message) - strlen(err->message),
                         "; \"%.64s\" does not make one of a user's values",
                         conf[i].value);
            }

            goto failed;
        }

        free(value);
    }

    return tpl;

failed:

    free(tpl);

    return NULL;
}


void
scep_san_tpl_free(scep_san_tpl_t *tpl)
{
    free(tpl);
}


unsigned
scep_san_tokens(const scep_san_tpl_t *tpl)
{
    return tpl != NULL ? tpl->tokens : 0;
}


/* One template: text and tokens, each part at most once in a row. */
static int
scep_san_parse_one(scep_san_tpl_t *tpl, const scep_san_conf_t *c,
    char **text, scep_error_t *err)
{
    char             *lit;
    size_t            len, wlen;
    unsigned          bit;
    const char       *p, *type;
    scep_san_one_t   *one;
    scep_san_part_t  *part;

    type = scep_san_type_name(c->type);

    if ((unsigned) c->type > SCEP_SAN_UPN) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                              "subject_alt_name has an unknown type %d",
                              (int) c->type);
    }

    if (c->value == NULL || c->value[0] == '\0') {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                              "subject_alt_name %s needs a value", type);
    }

    len = strnlen(c->value, SCEP_SAN_MAX_LEN + 1);

    if (len > SCEP_SAN_MAX_LEN) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                              "subject_alt_name is longer than %d bytes",
                              SCEP_SAN_MAX_LEN);
    }

    if (!scep_san_text_ok(c->value, len)) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                              "subject_alt_name %s is not UTF-8 text "
                              "without control characters", type);
    }

    one = &tpl->one[tpl->n++];
    one->type = c->type;
    one->nparts = 0;

    lit = *text;

    for (p = c->value; ; ) {
        bit = 0;
        wlen = 0;

        /* "$" and a letter or "_" starts a token; "$1" is text */
        if (*p == '$'
            && ((p[1] >= 'A' && p[1] <= 'Z') || (p[1] >= 'a' && p[1] <= 'z')
                || p[1] == '_'))
        {
            for (wlen = 0; (p[1 + wlen] >= 'A' && p[1 + wlen] <= 'Z')
                           || (p[1 + wlen] >= 'a' && p[1 + wlen] <= 'z')
                           || (p[1 + wlen] >= '0' && p[1 + wlen] <= '9')
                           || p[1 + wlen] == '_'; wlen++)
            {
                /* void */
            }

            if (wlen > 0) {
                bit = scep_token_by_word(p + 1, wlen);

                if (bit == 0) {
                    return scep_error_set(err, SCEP_ERR_CONFIG,
                               "subject_alt_name",
                               "unknown token \"$%.*s\" in subject_alt_name: "
                               "use $USERNAME, $EMAILADDRESS, $SID, $UPN, "
                               "$HOSTID or $UDID (in upper case), or \"\\$\" "
                               "for a literal dollar sign",
                               (int) (wlen > SCEP_SHOW_MAX ? SCEP_SHOW_MAX
                                                           : wlen), p + 1);
                }
            }
        }

        /* the end, or a token: the text before it is a part */
        if (*p == '\0' || bit != 0) {
            if (*text > lit) {
                if (one->nparts == SCEP_SAN_PARTS_MAX) {
                    goto too_many;
                }

                part = &one->parts[one->nparts++];
                part->token = 0;
                part->text = lit;
                part->len = *text - lit;
                *(*text)++ = '\0';
                lit = *text;
            }

            if (*p == '\0') {
                break;
            }

            if (one->nparts == SCEP_SAN_PARTS_MAX) {
                goto too_many;
            }

            part = &one->parts[one->nparts++];
            part->token = bit;
            part->text = NULL;
            part->len = 0;
            tpl->tokens |= bit;
            p += 1 + wlen;
            continue;
        }

        if (*p == '\\') {
            if (p[1] != '$' && p[1] != '\\') {
                return scep_error_set(err, SCEP_ERR_CONFIG,
                                      "subject_alt_name",
                                      "unsupported escape in subject_alt_name "
                                      "%s: a backslash may only precede $ "
                                      "or another backslash", type);
            }

            p++;
        }

        *(*text)++ = *p++;
    }

    return 0;

too_many:

    return scep_error_set(err, SCEP_ERR_CONFIG, "subject_alt_name",
                          "subject_alt_name %s has more than %d parts of "
                          "text and tokens", type, SCEP_SAN_PARTS_MAX);
}


int
scep_san_render(const scep_san_tpl_t *tpl,
    const scep_subject_values_t *values, scep_sans_t *out,
    scep_error_t *err)
{
    char    *value;
    size_t   i, len;

    memset(out, 0, sizeof(scep_sans_t));

    for (i = 0; tpl != NULL && i < tpl->n; i++) {
        if (scep_san_fill(&tpl->one[i], values, SCEP_ERR_SUBJECT, &value,
                          &len, err)
            != 0)
        {
            goto failed;
        }

        if (scep_san_check(tpl->one[i].type, value, len, SCEP_ERR_SUBJECT,
                           err)
            != 0)
        {
            /* the value made for this user, for the log */
            if (err != NULL) {
                snprintf(err->message + strlen(err->message),
                         sizeof(err->message) - strlen(err->message),
                         "; the user's values made \"%.128s\"", value);
            }

            free(value);
            goto failed;
        }

        out->san[out->n].type = tpl->one[i].type;
        out->san[out->n].value = value;
        out->n++;
    }

    return 0;

failed:

    scep_sans_free(out);

    return -1;
}


/* The template's text and the values of its tokens, end to end. */
static int
scep_san_fill(const scep_san_one_t *one, const scep_subject_values_t *values,
    scep_code_t code, char **out, size_t *len, scep_error_t *err)
{
    char                   *buf, what[32];
    size_t                  i, n, total;
    const char             *v;
    const scep_san_part_t  *part;

    total = 0;

    for (i = 0; i < one->nparts; i++) {
        part = &one->parts[i];

        if (part->token == 0) {
            total += part->len;
            continue;
        }

        v = scep_token_value(values, part->token);
        snprintf(what, sizeof(what), "$%s", scep_token_name(part->token));

        if (v == NULL || v[0] == '\0') {
            return scep_error_set(err, code, what,
                                  "%s is used by subject_alt_name but %s",
                                  what, scep_token_absent(part->token));
        }

        n = strnlen(v, SCEP_SAN_MAX_LEN + 1);

        if (!scep_san_text_ok(v, n)) {
            return scep_error_set(err, code, what,
                                  "%s is too long, not UTF-8, or holds a "
                                  "control character", what);
        }

        total += n;
    }

    if (total > SCEP_SAN_MAX_LEN) {
        return scep_error_set(err, code, "subject_alt_name",
                              "subject_alt_name %s would be %zu bytes long, "
                              "more than %d", scep_san_type_name(one->type),
                              total, SCEP_SAN_MAX_LEN);
    }

    buf = malloc(total + 1);
    if (buf == NULL) {
        return scep_error_set(err, SCEP_ERR_NOMEM, "subject_alt_name",
                              "out of memory making subject_alt_name");
    }

    n = 0;

    for (i = 0; i < one->nparts; i++) {
        part = &one->parts[i];
        v = part->token ? scep_token_value(values, part->token) : part->text;
        total = part->token ? strlen(v) : part->len;

        memcpy(buf + n, v, total);
        n += total;
    }

    buf[n] = '\0';
    *out = buf;
    *len = n;

    return 0;
}


int
scep_san_check(scep_san_type_t type, const char *v, size_t len,
    scep_code_t code, scep_error_t *err)
{
    const char  *at;

    if (v == NULL || len == 0 || len > SCEP_SAN_MAX_LEN
        || strlen(v) != len)
    {
        return scep_error_set(err, code, "subject_alt_name",
                              "subject_alt_name %s must be 1 to %d bytes",
                              scep_san_type_name(type), SCEP_SAN_MAX_LEN);
    }

    switch (type) {

    case SCEP_SAN_RFC822:
        if (scep_is_mailbox(v)) {
            return 0;
        }

        return scep_error_set(err, code, "subject_alt_name",
                              "subject_alt_name rfc822 must be an email "
                              "address such as vpn@example.com");

    case SCEP_SAN_DNS:
        if (scep_is_host_name(v, len, 1)) {
            return 0;
        }

        return scep_error_set(err, code, "subject_alt_name",
                              "subject_alt_name dns must be a host name of "
                              "letters, digits, \"-\" and \".\", optionally "
                              "starting with \"*.\"");

    case SCEP_SAN_URI:
        if (scep_is_uri(v)) {
            return 0;
        }

        return scep_error_set(err, code, "subject_alt_name",
                              "subject_alt_name uri must start with a scheme "
                              "such as https: or urn: and hold no spaces or "
                              "non-ASCII characters");

    case SCEP_SAN_UPN:
        /* name@suffix: any text before, a DNS-like suffix after */
        at = strrchr(v, '@');

        if (at != NULL && at > v && scep_san_text_ok(v, len)
            && scep_is_host_name(at + 1, strlen(at + 1), 0))
        {
            return 0;
        }

        return scep_error_set(err, code, "subject_alt_name",
                              "subject_alt_name upn must be a user principal "
                              "name such as jdoe@corp.example.com");

    default:
        return scep_error_set(err, code, "subject_alt_name",
                              "subject_alt_name has an unknown type %d",
                              (int) type);
    }
}


int
scep_sans_add(scep_sans_t *sans, scep_san_type_t type, const char *value,
    size_t len, scep_error_t *err)
{
    char  *copy;

    if (sans->n == SCEP_SANS_MAX) {
        return scep_error_set(err, SCEP_ERR_INPUT, "subject_alt_name",
                              "more than %d subject alternative names",
                              SCEP_SANS_MAX);
    }

    if (scep_san_check(type, value, len, SCEP_ERR_INPUT, err) != 0) {
        return -1;
    }

    copy = malloc(len + 1);
    if (copy == NULL) {
        return scep_error_set(err, SCEP_ERR_NOMEM, "subject_alt_name",
                              "out of memory");
    }

    memcpy(copy, value, len);
    copy[len] = '\0';

    sans->san[sans->n].type = type;
    sans->san[sans->n].value = copy;
    sans->n++;

    return 0;
}


void
scep_sans_free(scep_sans_t *sans)
{
    size_t  i;

    for (i = 0; i < sans->n; i++) {
        free(sans->san[i].value);
        sans->san[i].value = NULL;
    }

    sans->n = 0;
}


/* The UPN's otherName: type-id and [0] EXPLICIT UTF8String. */
static int
scep_san_upn(GENERAL_NAME *gen, const char *value)
{
    ASN1_TYPE         *any;
    ASN1_OBJECT       *oid;
    ASN1_UTF8STRING   *utf8;

    oid = OBJ_txt2obj(SCEP_OID_UPN, 1);
    any = ASN1_TYPE_new();
    utf8 = ASN1_UTF8STRING_new();

    if (oid == NULL || any == NULL || utf8 == NULL
        || !ASN1_STRING_set(utf8, value, -1))
    {
        ASN1_OBJECT_free(oid);
        ASN1_TYPE_free(any);
        ASN1_UTF8STRING_free(utf8);
        return -1;
    }

    ASN1_TYPE_set(any, V_ASN1_UTF8STRING, utf8);

    if (!GENERAL_NAME_set0_othername(gen, oid, any)) {
        ASN1_OBJECT_free(oid);
        ASN1_TYPE_free(any);
        return -1;
    }

    return 0;
}


GENERAL_NAMES *
scep_sans_encode(const scep_sans_t *sans, scep_error_t *err)
{
    int              type;
    size_t           i;
    GENERAL_NAME    *gen;
    GENERAL_NAMES   *gens;
    ASN1_IA5STRING  *ia5;

    gens = sk_GENERAL_NAME_new_null();
    if (gens == NULL) {
        goto failed;
    }

    for (i = 0; i < sans->n; i++) {
        /* whoever filled the list: only names of the type they claim */
        if (scep_san_check(sans->san[i].type, sans->san[i].value,
                           sans->san[i].value != NULL
                           ? strlen(sans->san[i].value) : 0,
                           SCEP_ERR_INPUT, err)
            != 0)
        {
            GENERAL_NAMES_free(gens);
            return NULL;
        }

        gen = GENERAL_NAME_new();
        if (gen == NULL) {
            goto failed;
        }

        if (sans->san[i].type == SCEP_SAN_UPN) {
            if (scep_san_upn(gen, sans->san[i].value) != 0) {
                GENERAL_NAME_free(gen);
                goto failed;
            }

        } else {
            type = (sans->san[i].type == SCEP_SAN_RFC822) ? GEN_EMAIL
                   : (sans->san[i].type == SCEP_SAN_DNS) ? GEN_DNS
                   : GEN_URI;

            ia5 = ASN1_IA5STRING_new();

            if (ia5 == NULL || !ASN1_STRING_set(ia5, sans->san[i].value, -1))
            {
                ASN1_IA5STRING_free(ia5);
                GENERAL_NAME_free(gen);
                goto failed;
            }

            GENERAL_NAME_set0_value(gen, type, ia5);
        }

        if (!sk_GENERAL_NAME_push(gens, gen)) {
            GENERAL_NAME_free(gen);
            goto failed;
        }
    }

    return gens;

failed:

    GENERAL_NAMES_free(gens);
    scep_error_set(err, SCEP_ERR_INTERNAL, "subject_alt_name",
                   "cannot encode the subject alternative names");
    scep_error_add_openssl(err);

    return NULL;
}


int
scep_sans_from_cert(X509 *cert, scep_sans_t *out, scep_error_t *err)
{
    int                   i, len;
    ASN1_OBJECT          *upn;
    const char           *v;
    GENERAL_NAME         *gen;
    GENERAL_NAMES        *gens;
    scep_san_type_t       type;
    const ASN1_STRING    *s;

    memset(out, 0, sizeof(scep_sans_t));

    gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (gens == NULL) {
        return 0;
    }

    upn = OBJ_txt2obj(SCEP_OID_UPN, 1);

    for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        gen = sk_GENERAL_NAME_value(gens, i);
        s = NULL;

        switch (gen->type) {

        case GEN_EMAIL:
            type = SCEP_SAN_RFC822;
            s = gen->d.rfc822Name;
            break;

        case GEN_DNS:
            type = SCEP_SAN_DNS;
            s = gen->d.dNSName;
            break;

        case GEN_URI:
            type = SCEP_SAN_URI;
            s = gen->d.uniformResourceIdentifier;
            break;

        case GEN_OTHERNAME:
            type = SCEP_SAN_UPN;

            if (upn != NULL
                && OBJ_cmp(gen->d.otherName->type_id, upn) == 0
                && gen->d.otherName->value->type == V_ASN1_UTF8STRING)
            {
                s = gen->d.otherName->value->value.utf8string;
            }

            break;

        default:
            type = SCEP_SAN_NONE;
            break;
        }

        if (s == NULL) {
            continue;
        }

        v = (const char *) ASN1_STRING_get0_data(s);
        len = ASN1_STRING_length(s);

        if (scep_sans_add(out, type, v, (size_t) len, err) != 0) {
            scep_sans_free(out);
            ASN1_OBJECT_free(upn);
            GENERAL_NAMES_free(gens);
            return -1;
        }
    }

    ASN1_OBJECT_free(upn);
    GENERAL_NAMES_free(gens);

    return 0;
}


/* Bounded, well-formed UTF-8, no control character. */
static int
scep_san_text_ok(const char *v, size_t len)
{
    size_t    i, n;
    uint32_t  cp;

    if (len > SCEP_SAN_MAX_LEN) {
        return 0;
    }

    for (i = 0; i < len; i += n) {
        n = scep_utf8_decode((const unsigned char *) v + i, len - i, &cp);

        if (n == 0 || cp == 0 || scep_utf8_is_control(cp)) {
            return 0;
        }
    }

    return 1;
}
