#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "scep_subject.h"
#include "scep_utf8.h"


/* The most bytes SCEP_CN_MAX_CHARS code points take in UTF-8. */
#define SCEP_CN_MAX_BYTES    (SCEP_CN_MAX_CHARS * 4)

/* How much of a bad attribute name or token an error message repeats. */
#define SCEP_SHOW_MAX        32

/*
 * Characters a static value may escape with a backslash: RFC 4514's
 * specials, and '$' so that a CN can hold a literal "$WORD".
 */
#define SCEP_ESCAPABLE       ",+=\\\";<># $"


typedef struct {
    const char  *name;
    int          nid;
} scep_attr_t;

typedef struct {
    const char  *name;              /* without the '$' */
    unsigned     bit;
    const char  *absent;            /* completes "... is used by ... but" */
} scep_token_t;

typedef struct {
    unsigned     token;             /* SCEP_TOKEN_*, or 0 for literal text */
    const char  *text;
    size_t       len;
    size_t       chars;             /* code points of literal text */
} scep_cn_part_t;

typedef struct {
    int          nid;
    const char  *value;             /* unescaped; the CN uses cn[] instead */
    size_t       len;
} scep_rdn_t;

struct scep_subject_tpl_s {
    scep_rdn_t       rdns[SCEP_SUBJECT_MAX_RDNS];
    size_t           nrdns;

    /*
     * Every part of a filled CN is at least one character long, so a CN
     * with more parts than SCEP_CN_MAX_CHARS could never be built.
     */
    scep_cn_part_t   cn[SCEP_CN_MAX_CHARS];
    size_t           ncn;
    unsigned         tokens;

    /* Unescaped values; never longer than the template they come from. */
    char             text[SCEP_SUBJECT_MAX_LEN + 1];
};

typedef struct {
    const char          *start;     /* the template, for positions */
    const char          *p;         /* next byte to read */
    char                *out;       /* next free byte of tpl->text */
    scep_subject_tpl_t  *tpl;
    scep_error_t        *err;
} scep_subject_parser_t;


static int scep_subject_check_text(const char *v, size_t len, size_t max,
    scep_code_t code, const char *field, const char *what, scep_error_t *err);
static int scep_subject_parse_rdn(scep_subject_parser_t *ps);
static int scep_subject_parse_value(scep_subject_parser_t *ps,
    scep_rdn_t *rdn);
static int scep_subject_parse_token(scep_subject_parser_t *ps,
    const scep_rdn_t *rdn, const char *lit);
static int scep_subject_add_part(scep_subject_parser_t *ps, unsigned token,
    const char *text, size_t len);
static int scep_subject_check_whole(scep_subject_tpl_t *tpl,
    scep_error_t *err);
static X509_NAME *scep_subject_build(const scep_subject_tpl_t *tpl,
    const char *cn, size_t cn_len, scep_code_t code, scep_error_t *err);
static const scep_token_t *scep_subject_token_by_word(const char *word,
    size_t len);
static const scep_token_t *scep_subject_token_by_bit(unsigned bit);
static const char *scep_subject_value(const scep_subject_values_t *values,
    unsigned bit);
static size_t scep_subject_word_len(const char *s);


static const scep_attr_t  scep_attrs[] = {
    { "C", NID_countryName },
    { "countryName", NID_countryName },
    { "ST", NID_stateOrProvinceName },
    { "stateOrProvinceName", NID_stateOrProvinceName },
    { "L", NID_localityName },
    { "localityName", NID_localityName },
    { "O", NID_organizationName },
    { "organizationName", NID_organizationName },
    { "OU", NID_organizationalUnitName },
    { "organizationalUnitName", NID_organizationalUnitName },
    { "CN", NID_commonName },
    { "commonName", NID_commonName },
    { "DC", NID_domainComponent },
    { "domainComponent", NID_domainComponent },
    { "emailAddress", NID_pkcs9_emailAddress },
    { "E", NID_pkcs9_emailAddress },
    { "serialNumber", NID_serialNumber },
    { "UID", NID_userId },
    { "userId", NID_userId },
    { "title", NID_title },
    { "street", NID_streetAddress },
    { "streetAddress", NID_streetAddress },
    { "postalCode", NID_postalCode },
    { "GN", NID_givenName },
    { "givenName", NID_givenName },
    { "SN", NID_surname },
    { "surname", NID_surname },
    { "initials", NID_initials },
    { "pseudonym", NID_pseudonym },
    { "dnQualifier", NID_dnQualifier },
};

#define SCEP_ATTR_LIST                                                        \
    "C, ST, L, O, OU, CN, DC, emailAddress, serialNumber, UID, title, "       \
    "street, postalCode, GN, SN, initials, pseudonym or dnQualifier"

static const scep_token_t  scep_tokens[] = {
    { "USERNAME", SCEP_TOKEN_USERNAME, "no username was given" },
    { "EMAILADDRESS", SCEP_TOKEN_EMAILADDRESS,
      "no email address was found for the user" },
    { "HOSTID", SCEP_TOKEN_HOSTID, "the agent sent no host-id" },
    { "UDID", SCEP_TOKEN_UDID, "the agent sent no UDID" },
    { "SID", SCEP_TOKEN_SID,
      "the user has no objectSid (only Active Directory accounts have "
      "one)" },
    { "UPN", SCEP_TOKEN_UPN, "the user has no userPrincipalName" },
};

#define SCEP_TOKEN_LIST  "$USERNAME, $EMAILADDRESS, $SID, $UPN, $HOSTID " \
                         "or $UDID"


scep_subject_tpl_t *
scep_subject_parse(const char *text, scep_error_t *err)
{
    size_t                  len;
    scep_subject_tpl_t     *tpl;
    scep_subject_parser_t   ps;

    if (text == NULL || text[strspn(text, " ")] == '\0') {
        scep_error_set(err, SCEP_ERR_CONFIG, "subject",
                       "subject is empty: write attr=value pairs such as "
                       "O=acme,CN=$USERNAME");
        return NULL;
    }

    len = strnlen(text, SCEP_SUBJECT_MAX_LEN + 1);

    if (scep_subject_check_text(text, len, SCEP_SUBJECT_MAX_LEN,
                                SCEP_ERR_CONFIG, "subject", "subject", err)
        != 0)
    {
        return NULL;
    }

    tpl = calloc(1, sizeof(scep_subject_tpl_t));
    if (tpl == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, "subject",
                       "out of memory parsing the subject");
        return NULL;
    }

    ps.start = text;
    ps.p = text;
    ps.out = tpl->text;
    ps.tpl = tpl;
    ps.err = err;

    for ( ;; ) {
        if (scep_subject_parse_rdn(&ps) != 0) {
            goto failed;
        }

        if (*ps.p == '\0') {
            break;
        }

        ps.p++;   /* the comma */
    }

    if (scep_subject_check_whole(tpl, err) != 0) {
        goto failed;
    }

    return tpl;

failed:

    free(tpl);

    return NULL;
}


void
scep_subject_free(scep_subject_tpl_t *tpl)
{
    free(tpl);
}


unsigned
scep_subject_tokens(const scep_subject_tpl_t *tpl)
{
    return tpl->tokens;
}


size_t
scep_subject_rdn_count(const scep_subject_tpl_t *tpl)
{
    return tpl->nrdns;
}


unsigned
scep_subject_find_token(const char *s)
{
    size_t               len;
    const scep_token_t  *tok;

    while ((s = strchr(s, '$')) != NULL) {
        s++;
        len = scep_subject_word_len(s);
        tok = scep_subject_token_by_word(s, len);

        if (tok != NULL) {
            return tok->bit;
        }

        s += len;
    }

    return 0;
}


int
scep_subject_check_value(const char *v, size_t len, scep_error_t *err)
{
    if (v == NULL && len != 0) {
        return scep_error_set(err, SCEP_ERR_INPUT, "value",
                              "the value is missing");
    }

    return scep_subject_check_text(v, len, SCEP_VALUE_MAX_LEN,
                                   SCEP_ERR_INPUT, "value", "the value", err);
}


X509_NAME *
scep_subject_render(const scep_subject_tpl_t *tpl,
    const scep_subject_values_t *values, scep_error_t *err)
{
    char                   what[32];
    char                   cn[SCEP_CN_MAX_BYTES + 1];
    size_t                 i, n, len, chars, total, most;
    const char            *v;
    const scep_token_t    *tok, *culprit;
    const scep_cn_part_t  *part;

    total = 0;
    most = 0;
    culprit = NULL;

    for (i = 0; i < tpl->ncn; i++) {
        part = &tpl->cn[i];

        if (part->token == 0) {
            total += part->chars;
            continue;
        }

        tok = scep_subject_token_by_bit(part->token);
        v = scep_subject_value(values, part->token);

        snprintf(what, sizeof(what), "$%s", tok->name);

        if (v == NULL || v[0] == '\0') {
            scep_error_set(err, SCEP_ERR_SUBJECT, what,
                           "%s is used by the subject but %s",
                           what, tok->absent);
            return NULL;
        }

        len = strnlen(v, SCEP_VALUE_MAX_LEN + 1);

        if (scep_subject_check_text(v, len, SCEP_VALUE_MAX_LEN,
                                    SCEP_ERR_SUBJECT, what, what, err)
            != 0)
        {
            return NULL;
        }

        (void) scep_utf8_validate(v, len, &chars, NULL);

        total += chars;

        if (chars > most) {
            most = chars;
            culprit = tok;
        }
    }

    if (total > SCEP_CN_MAX_CHARS) {
        /*
         * The template's own text fits (the parser made sure), so a value
         * is to blame: the longest one is the likeliest to be unexpected.
         */
        snprintf(what, sizeof(what), "$%s",
                 culprit != NULL ? culprit->name : "");
        scep_error_set(err, SCEP_ERR_SUBJECT, what,
                       "the subject's CN would be %zu characters long; "
                       "RFC 5280 allows at most %d",
                       total, SCEP_CN_MAX_CHARS);
        return NULL;
    }

    /* At most SCEP_CN_MAX_CHARS valid code points: the buffer holds them. */

    n = 0;

    for (i = 0; i < tpl->ncn; i++) {
        part = &tpl->cn[i];

        if (part->token == 0) {
            v = part->text;
            len = part->len;

        } else {
            v = scep_subject_value(values, part->token);
            len = strlen(v);
        }

        memcpy(cn + n, v, len);
        n += len;
    }

    return scep_subject_build(tpl, cn, n, SCEP_ERR_SUBJECT, err);
}


int
scep_name_to_text(const X509_NAME *name, char *buf, size_t len)
{
    int    rc;
    long   n;
    BIO   *bio;
    char  *data;

    if (buf == NULL || len == 0) {
        return -1;
    }

    buf[0] = '\0';

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return -1;
    }

    rc = -1;

    if (name != NULL && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0)
    {
        n = BIO_get_mem_data(bio, &data);

        if (n >= 0 && (size_t) n < len) {
            memcpy(buf, data, n);
            buf[n] = '\0';
            rc = (int) n;
        }
    }

    BIO_free(bio);

    return rc;
}


/*
 * One check for templates and user values alike: bounded, no NUL, no
 * control character, well-formed UTF-8.  "what" begins the message.
 */
static int
scep_subject_check_text(const char *v, size_t len, size_t max,
    scep_code_t code, const char *field, const char *what, scep_error_t *err)
{
    size_t    i, n;
    uint32_t  cp;

    if (len > max) {
        return scep_error_set(err, code, field,
                              "%s is longer than %zu bytes", what, max);
    }

    for (i = 0; i < len; i += n) {
        n = scep_utf8_decode((const unsigned char *) v + i, len - i, &cp);

        if (n == 0) {
            return scep_error_set(err, code, field,
                                  "%s is not valid UTF-8 (at byte %zu)",
                                  what, i + 1);
        }

        if (cp == 0) {
            return scep_error_set(err, code, field,
                                  "%s contains a NUL byte (at byte %zu)",
                                  what, i + 1);
        }

        if (scep_utf8_is_control(cp)) {
            return scep_error_set(err, code, field,
                                  "%s contains the control character "
                                  "U+%04X (at byte %zu)",
                                  what, (unsigned) cp, i + 1);
        }
    }

    return 0;
}


static int
scep_subject_parse_rdn(scep_subject_parser_t *ps)
{
    size_t               i, len;
    const char          *name;
    scep_rdn_t          *rdn;
    scep_subject_tpl_t  *tpl;

    tpl = ps->tpl;

    ps->p += strspn(ps->p, " ");
    name = ps->p;
    ps->p += strcspn(ps->p, "=,");

    len = ps->p - name;
    while (len > 0 && name[len - 1] == ' ') {
        len--;
    }

    if (*ps->p != '=') {
        if (len == 0) {
            return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                                  "empty attribute in subject at byte %zu "
                                  "(a stray comma?)",
                                  (size_t) (ps->p - ps->start) + 1);
        }

        return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                              "\"%.*s\" in subject is not an attr=value "
                              "pair",
                              (int) (len > SCEP_SHOW_MAX ? SCEP_SHOW_MAX
                                                         : len),
                              name);
    }

    if (len == 0) {
        return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                              "missing attribute name before \"=\" in "
                              "subject at byte %zu",
                              (size_t) (ps->p - ps->start) + 1);
    }

    for (i = 0; i < sizeof(scep_attrs) / sizeof(scep_attrs[0]); i++) {
        if (strlen(scep_attrs[i].name) == len
            && strncasecmp(scep_attrs[i].name, name, len) == 0)
        {
            break;
        }
    }

    if (i == sizeof(scep_attrs) / sizeof(scep_attrs[0])) {
        return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                              "unknown attribute \"%.*s\" in subject: use "
                              SCEP_ATTR_LIST,
                              (int) (len > SCEP_SHOW_MAX ? SCEP_SHOW_MAX
                                                         : len),
                              name);
    }

    if (tpl->nrdns == SCEP_SUBJECT_MAX_RDNS) {
        return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                              "subject has more than %d attributes",
                              SCEP_SUBJECT_MAX_RDNS);
    }

    rdn = &tpl->rdns[tpl->nrdns++];
    rdn->nid = scep_attrs[i].nid;

    ps->p++;   /* the '=' */

    return scep_subject_parse_value(ps, rdn);
}


/*
 * Reads a value up to the next unescaped comma.  Unescaped spaces at
 * either end are dropped; spaces next to a token inside the CN are text.
 */
static int
scep_subject_parse_value(scep_subject_parser_t *ps, scep_rdn_t *rdn)
{
    char         c;
    char        *value, *lit;
    size_t       kept, ncn;
    const char  *attr;

    attr = OBJ_nid2sn(rdn->nid);
    value = ps->out;
    lit = ps->out;
    kept = 0;
    ncn = ps->tpl->ncn;

    ps->p += strspn(ps->p, " ");

    for ( ;; ) {
        c = *ps->p;

        if (c == '\0' || c == ',') {
            break;
        }

        if (c == '\\') {
            c = ps->p[1];

            if (c == '\0') {
                return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                                      "subject ends with a lone \"\\\"");
            }

            if (strchr(SCEP_ESCAPABLE, c) == NULL) {
                return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                                      "unsupported escape at byte %zu of "
                                      "subject: a backslash may only "
                                      "precede one of %s",
                                      (size_t) (ps->p - ps->start) + 1,
                                      SCEP_ESCAPABLE);
            }

            *ps->out++ = c;
            kept = ps->out - lit;
            ps->p += 2;
            continue;
        }

        if (c == '+') {
            return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                                  "multi-valued RDNs are not supported: "
                                  "\"+\" in the value of %s in subject; "
                                  "write \"\\+\" for a literal plus sign",
                                  attr);
        }

        if (c == '=') {
            return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                                  "unescaped \"=\" in the value of %s in "
                                  "subject (a missing comma?); write "
                                  "\"\\=\" for a literal equals sign",
                                  attr);
        }

        if (c == '$' && scep_subject_word_len(ps->p + 1) > 0) {
            if (scep_subject_parse_token(ps, rdn, lit) != 0) {
                return -1;
            }

            lit = ps->out;
            kept = 0;
            continue;
        }

        *ps->out++ = c;
        ps->p++;

        if (c != ' ') {
            kept = ps->out - lit;
        }
    }

    ps->out = lit + kept;

    if (rdn->nid != NID_commonName) {
        rdn->value = value;
        rdn->len = ps->out - value;

    } else if (kept > 0 && scep_subject_add_part(ps, 0, lit, kept) != 0) {
        return -1;
    }

    if (ps->out == value && ps->tpl->ncn == ncn) {
        return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                              "empty value for %s in subject", attr);
    }

    return 0;
}


/* At "$WORD": only the CN may hold one, and only a known one. */
static int
scep_subject_parse_token(scep_subject_parser_t *ps, const scep_rdn_t *rdn,
    const char *lit)
{
    size_t               len;
    const char          *word;
    const scep_token_t  *tok;

    word = ps->p + 1;
    len = scep_subject_word_len(word);

    if (rdn->nid != NID_commonName) {
        return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                              "tokens are allowed only in CN, but the value "
                              "of %s in subject holds \"$%.*s\"",
                              OBJ_nid2sn(rdn->nid),
                              (int) (len > SCEP_SHOW_MAX ? SCEP_SHOW_MAX
                                                         : len),
                              word);
    }

    tok = scep_subject_token_by_word(word, len);

    if (tok == NULL) {
        return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                              "unknown token \"$%.*s\" in subject: use "
                              SCEP_TOKEN_LIST " (in upper case), or "
                              "\"\\$\" for a literal dollar sign",
                              (int) (len > SCEP_SHOW_MAX ? SCEP_SHOW_MAX
                                                         : len),
                              word);
    }

    /* text before a token, spaces included, is part of the CN */

    if (ps->out > lit
        && scep_subject_add_part(ps, 0, lit, ps->out - lit) != 0)
    {
        return -1;
    }

    if (scep_subject_add_part(ps, tok->bit, NULL, 0) != 0) {
        return -1;
    }

    ps->tpl->tokens |= tok->bit;
    ps->p = word + len;

    return 0;
}


static int
scep_subject_add_part(scep_subject_parser_t *ps, unsigned token,
    const char *text, size_t len)
{
    scep_cn_part_t      *part;
    scep_subject_tpl_t  *tpl;

    tpl = ps->tpl;

    if (tpl->ncn == SCEP_CN_MAX_CHARS) {
        return scep_error_set(ps->err, SCEP_ERR_CONFIG, "subject",
                              "the CN of subject has more than %d parts, "
                              "so it would be longer than RFC 5280's %d "
                              "characters",
                              SCEP_CN_MAX_CHARS, SCEP_CN_MAX_CHARS);
    }

    part = &tpl->cn[tpl->ncn++];
    part->token = token;
    part->text = text;
    part->len = len;
    part->chars = 0;

    if (token == 0) {
        /* the template was checked as UTF-8 as a whole */
        (void) scep_utf8_validate(text, len, &part->chars, NULL);
    }

    return 0;
}


/*
 * Rules about the template as a whole, then a trial build with
 * one-character token values, so that OpenSSL's X.520 bounds on static
 * values show up now rather than at a user's login.
 */
static int
scep_subject_check_whole(scep_subject_tpl_t *tpl, scep_error_t *err)
{
    char               cn[SCEP_CN_MAX_BYTES + 1];
    size_t             i, ncn, chars, len;
    X509_NAME         *name;
    const scep_rdn_t  *rdn;

    ncn = 0;

    for (i = 0; i < tpl->nrdns; i++) {
        rdn = &tpl->rdns[i];

        if (rdn->nid == NID_commonName) {
            ncn++;
            continue;
        }

        if (rdn->nid == NID_countryName
            && (rdn->len != 2
                || rdn->value[0] < 'A' || rdn->value[0] > 'Z'
                || rdn->value[1] < 'A' || rdn->value[1] > 'Z'))
        {
            return scep_error_set(err, SCEP_ERR_CONFIG, "subject",
                                  "C in subject must be a two-letter "
                                  "country code in capitals, such as US");
        }
    }

    if (ncn != 1) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject",
                              "subject must contain exactly one CN, "
                              "not %zu", ncn);
    }

    chars = 0;

    for (i = 0; i < tpl->ncn; i++) {
        chars += tpl->cn[i].token != 0 ? 1 : tpl->cn[i].chars;
    }

    if (chars > SCEP_CN_MAX_CHARS) {
        return scep_error_set(err, SCEP_ERR_CONFIG, "subject",
                              "the CN of subject is at least %zu characters "
                              "long even with one-character token values; "
                              "RFC 5280 allows at most %d",
                              chars, SCEP_CN_MAX_CHARS);
    }

    len = 0;

    for (i = 0; i < tpl->ncn; i++) {
        if (tpl->cn[i].token != 0) {
            cn[len++] = 'x';

        } else {
            memcpy(cn + len, tpl->cn[i].text, tpl->cn[i].len);
            len += tpl->cn[i].len;
        }
    }

    name = scep_subject_build(tpl, cn, len, SCEP_ERR_CONFIG, err);
    if (name == NULL) {
        return -1;
    }

    X509_NAME_free(name);

    return 0;
}


static X509_NAME *
scep_subject_build(const scep_subject_tpl_t *tpl, const char *cn,
    size_t cn_len, scep_code_t code, scep_error_t *err)
{
    size_t             i, len;
    X509_NAME         *name;
    const char        *value;
    const scep_rdn_t  *rdn;

    name = X509_NAME_new();
    if (name == NULL) {
        scep_error_set(err, SCEP_ERR_NOMEM, "subject",
                       "out of memory building the subject");
        return NULL;
    }

    for (i = 0; i < tpl->nrdns; i++) {
        rdn = &tpl->rdns[i];

        if (rdn->nid == NID_commonName) {
            value = cn;
            len = cn_len;

        } else {
            value = rdn->value;
            len = rdn->len;
        }

        /* set = 0 after the last entry: every attribute is its own RDN */

        if (X509_NAME_add_entry_by_NID(name, rdn->nid, MBSTRING_UTF8,
                                       (const unsigned char *) value,
                                       (int) len, -1, 0)
            != 1)
        {
            scep_error_set(err, code, "subject",
                           "the value of %s in subject does not fit its "
                           "X.520 type (too long, or characters the type "
                           "cannot hold)",
                           OBJ_nid2sn(rdn->nid));
            scep_error_add_openssl(err);
            X509_NAME_free(name);
            return NULL;
        }
    }

    return name;
}


static const scep_token_t *
scep_subject_token_by_word(const char *word, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(scep_tokens) / sizeof(scep_tokens[0]); i++) {
        if (strlen(scep_tokens[i].name) == len
            && memcmp(scep_tokens[i].name, word, len) == 0)
        {
            return &scep_tokens[i];
        }
    }

    return NULL;
}


static const scep_token_t *
scep_subject_token_by_bit(unsigned bit)
{
    size_t  i;

    for (i = 0; i < sizeof(scep_tokens) / sizeof(scep_tokens[0]); i++) {
        if (scep_tokens[i].bit == bit) {
            return &scep_tokens[i];
        }
    }

    return NULL;
}


static const char *
scep_subject_value(const scep_subject_values_t *values, unsigned bit)
{
    if (values == NULL) {
        return NULL;
    }

    switch (bit) {

    case SCEP_TOKEN_USERNAME:
        return values->username;

    case SCEP_TOKEN_EMAILADDRESS:
        return values->email;

    case SCEP_TOKEN_HOSTID:
        return values->hostid;

    case SCEP_TOKEN_UDID:
        return values->udid;

    case SCEP_TOKEN_SID:
        return values->sid;

    case SCEP_TOKEN_UPN:
        return values->upn;
    }

    return NULL;
}


unsigned
scep_token_by_word(const char *word, size_t len)
{
    const scep_token_t  *tok;

    tok = scep_subject_token_by_word(word, len);

    return tok != NULL ? tok->bit : 0;
}


const char *
scep_token_name(unsigned bit)
{
    const scep_token_t  *tok;

    tok = scep_subject_token_by_bit(bit);

    return tok != NULL ? tok->name : "";
}


const char *
scep_token_value(const scep_subject_values_t *values, unsigned bit)
{
    return scep_subject_value(values, bit);
}


const char *
scep_token_absent(unsigned bit)
{
    const scep_token_t  *tok;

    tok = scep_subject_token_by_bit(bit);

    return tok != NULL ? tok->absent : "it has no value";
}


/* The length of the [A-Za-z0-9_] run at s: what "$" makes a token of. */
static size_t
scep_subject_word_len(const char *s)
{
    size_t  n;

    for (n = 0; s[n] != '\0'; n++) {
        if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z')
              || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
        {
            break;
        }
    }

    return n;
}
