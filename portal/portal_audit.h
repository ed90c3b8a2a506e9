/*
 * The audit line of one login: who, which groups, which profile, which
 * subject, what came of it and why.  Every value is escaped for a log
 * line; passwords, one-time passwords and keys never enter it.
 */

#ifndef PORTAL_AUDIT_H
#define PORTAL_AUDIT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "ldap/dir.h"
#include "portal/portal_result.h"
#include "scep/scep_profile.h"



#define PORTAL_AUDIT_VALUE_MAX  128     /* bytes of any one value logged */
#define PORTAL_AUDIT_GROUPS_MAX 16      /* groups named in one line */

typedef struct {
    const char            *login;       /* as the agent typed it */
    size_t                 login_len;
    const dir_user_t      *user;        /* once authenticated */
    const scep_profile_t  *profile;
    const char            *matched;     /* the group that chose it */
    const char            *serial;      /* issued certificate, hex */
    const char            *issuer;
} portal_audit_t;


/* Composes res->audit from what is known and res's outcome. */
void portal_audit_compose(const portal_audit_t *a, const X509_NAME *subject,
    portal_result_t *res);


#endif /* PORTAL_AUDIT_H */
