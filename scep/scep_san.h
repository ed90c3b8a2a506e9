/*
 * Subject alternative names: a profile's templates ("rfc822
 * $EMAILADDRESS", "uri tag:microsoft.com,2022-09-14:sid:$SID", "upn
 * $UPN"), the list one user's values make of them, and that list as
 * the GeneralNames of a certificate request.
 *
 * A user's value only ever becomes (part of) the value of one name of
 * the type its template says: the list is encoded name by name into
 * ASN.1, never written as text that something parses again, and each
 * name is checked for its type once it is filled (an rfc822 name must
 * be a mailbox, a dns name a host name, a uri a URI, a upn name
 * user@domain), so that no value can add a name or change a type.
 */

#ifndef SCEP_SAN_H
#define SCEP_SAN_H

#include <stddef.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scep_error.h"
#include "scep_settings.h"
#include "scep_subject.h"


/* Microsoft's user principal name, an otherName of UTF8String. */
#define SCEP_OID_UPN  "1.3.6.1.4.1.311.20.2.3"

/* Most text and tokens one template may hold. */
#define SCEP_SAN_PARTS_MAX  32


/* One subject_alt_name as configured: its type and template text. */
typedef struct {
    scep_san_type_t  type;
    const char      *value;
} scep_san_conf_t;

/* One name, filled: value is NUL-terminated and malloc'd. */
typedef struct {
    scep_san_type_t  type;
    char            *value;
} scep_san_t;

/* The names of one certificate, in the order configured. */
typedef struct {
    scep_san_t  san[SCEP_SANS_MAX];
    size_t      n;
} scep_sans_t;

typedef struct scep_san_tpl_s  scep_san_tpl_t;


/*
 * Parses n templates.  A value is text and the tokens of subject
 * templates ($USERNAME, $EMAILADDRESS, $SID, $UPN, $HOSTID, $UDID);
 * "\$" is a literal dollar sign and "\\" a backslash.  Each template is
 * tried with sample token values, so that one that can never make a
 * name of its type ("rfc822 $USERNAME") is refused now.  A NONE entry
 * ("subject_alt_name none") must be alone.  NULL with err (SCEP_ERR_CONFIG,
 * field "subject_alt_name") on a mistake; with n 0 (or only NONE) a
 * template that makes no names.
 */
scep_san_tpl_t *scep_san_parse(const scep_san_conf_t *conf, size_t n,
    scep_error_t *err);

void scep_san_tpl_free(scep_san_tpl_t *tpl);

/* The SCEP_TOKEN_* bits the templates use. */
unsigned scep_san_tokens(const scep_san_tpl_t *tpl);

/*
 * The names one user's values make (tpl may be NULL: none).  Returns 0,
 * or -1 with err set: SCEP_ERR_SUBJECT, field "$TOKEN" for a missing or
 * malformed value, "subject_alt_name" for a name that its type refuses.
 * out is left empty on failure; free it with scep_sans_free().
 */
int scep_san_render(const scep_san_tpl_t *tpl,
    const scep_subject_values_t *values, scep_sans_t *out, scep_error_t *err);

/*
 * Whether value (len bytes) can be a name of type; 0, or -1 with err
 * (code, field "subject_alt_name") saying what it must be.
 */
int scep_san_check(scep_san_type_t type, const char *value, size_t len,
    scep_code_t code, scep_error_t *err);

/* Appends a copy of a checked name (the agent, from pushed settings). */
int scep_sans_add(scep_sans_t *sans, scep_san_type_t type,
    const char *value, size_t len, scep_error_t *err);

void scep_sans_free(scep_sans_t *sans);

/* The names as GeneralNames, NULL (err set) on failure. */
GENERAL_NAMES *scep_sans_encode(const scep_sans_t *sans, scep_error_t *err);

/*
 * The names of a certificate's subjectAltName that are of the four
 * types (a renewal asks for them again); others are left out.
 */
int scep_sans_from_cert(X509 *cert, scep_sans_t *out, scep_error_t *err);


#endif /* SCEP_SAN_H */
