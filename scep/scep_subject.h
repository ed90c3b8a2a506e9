/*
 * Certificate subject templates: "O=acme,OU=vpn,CN=$USERNAME".
 *
 * A template is parsed once, at configuration time, into a list of
 * attribute/value pairs.  Rendering for one user builds an X509_NAME entry
 * by entry, so a user's value can only ever become the value of the CN:
 * it is never spliced into text that is parsed again.
 */

#ifndef SCEP_SUBJECT_H
#define SCEP_SUBJECT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "scep_error.h"


#define SCEP_TOKEN_USERNAME      0x01
#define SCEP_TOKEN_EMAILADDRESS  0x02
#define SCEP_TOKEN_HOSTID        0x04
#define SCEP_TOKEN_UDID          0x08
#define SCEP_TOKEN_SID           0x10
#define SCEP_TOKEN_UPN           0x20

/* RFC 5280, ub-common-name: a CN holds at most 64 characters. */
#define SCEP_CN_MAX_CHARS        64

/* Longest template and longest single user value accepted. */
#define SCEP_SUBJECT_MAX_LEN     1024
#define SCEP_VALUE_MAX_LEN       1024

/* Most attributes a template may have. */
#define SCEP_SUBJECT_MAX_RDNS    32


typedef struct scep_subject_tpl_s  scep_subject_tpl_t;

/*
 * A user's values: username, email, sid (Active Directory's objectSid
 * as "S-1-5-21-..."), upn (the userPrincipalName) from the directory;
 * hostid and udid from the agent.  NULL: the user has none.
 */
typedef struct {
    const char  *username;
    const char  *email;
    const char  *hostid;
    const char  *udid;
    const char  *sid;
    const char  *upn;
} scep_subject_values_t;


/*
 * Parses a template: comma-separated attr=value pairs, most general first
 * ("O=acme,OU=vpn,CN=$USERNAME"), built into the name in that order.
 * Attribute names are case-insensitive; static values may escape
 * , + = \ " ; < > # $ and space with a backslash and are trimmed of
 * unescaped surrounding spaces.  Exactly one CN; only the CN may use the
 * tokens $USERNAME, $EMAILADDRESS, $SID, $UPN, $HOSTID and $UDID.  Static
 * values are
 * test-built here, so X.520 bounds (C is two letters, O at most 64...)
 * are configuration errors.  NULL with err (SCEP_ERR_CONFIG, field
 * "subject") set on any mistake.
 */
scep_subject_tpl_t *scep_subject_parse(const char *text, scep_error_t *err);

void scep_subject_free(scep_subject_tpl_t *tpl);

/* The SCEP_TOKEN_* bits the template's CN uses. */
unsigned scep_subject_tokens(const scep_subject_tpl_t *tpl);

/*
 * Finds the first of the tokens in s, as a whole word ("$USERNAMES" is
 * not $USERNAME); returns its bit or 0.
 */
unsigned scep_subject_find_token(const char *s);

/*
 * Checks one raw user value of len bytes, before it is trusted as a C
 * string: at most SCEP_VALUE_MAX_LEN bytes, no NUL byte, no control
 * character (C0, DEL, C1), well-formed UTF-8.  Callers run it where a
 * value enters (a form field, an LDAP attribute), because a NUL inside
 * would silently cut the value short once it is handled as a C string.
 * Returns 0, or -1 with err set (SCEP_ERR_INPUT, field "value").
 */
int scep_subject_check_value(const char *v, size_t len, scep_error_t *err);

/*
 * Builds the subject for one user.  Values must be valid UTF-8 without
 * control characters; the filled CN must fit SCEP_CN_MAX_CHARS.  Refused
 * values leave err->code SCEP_ERR_SUBJECT and err->field naming the token.
 */
X509_NAME *scep_subject_render(const scep_subject_tpl_t *tpl,
    const scep_subject_values_t *values, scep_error_t *err);

/*
 * The tokens, for the other templates that take them (subject
 * alternative names): the bit of "$word" (word without the '$', len
 * bytes) or 0; a token's name ("USERNAME"), its value in values (NULL
 * when there is none), and what completes "... is used by X but" when
 * it is missing.
 */
unsigned scep_token_by_word(const char *word, size_t len);
const char *scep_token_name(unsigned bit);
const char *scep_token_value(const scep_subject_values_t *values,
    unsigned bit);
const char *scep_token_absent(unsigned bit);

/* Number of RDNs in the template, for tests and logs. */
size_t scep_subject_rdn_count(const scep_subject_tpl_t *tpl);

/*
 * Prints a name as RFC 2253 text (as OpenSSL's XN_FLAG_RFC2253 does);
 * returns the length, or -1 when buf is too small.
 */
int scep_name_to_text(const X509_NAME *name, char *buf, size_t len);


#endif /* SCEP_SUBJECT_H */
