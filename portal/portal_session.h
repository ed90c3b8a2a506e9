/*
 * One login between portal_login_begin() and portal_login_finish(): what
 * the portal learned of the user, shared by the files of each step.
 */

#ifndef PORTAL_SESSION_H
#define PORTAL_SESSION_H

#include <openssl/x509.h>

#include "portal/portal.h"
#include "portal/portal_audit.h"


#define PORTAL_LOGIN_AUDIT_MAX  256     /* bytes of the typed login kept */

struct portal_session_s {
    const portal_t        *portal;
    dir_user_t             user;
    const scep_profile_t  *profile;
    const char            *matched;      /* the group that chose it */
    X509_NAME             *subject;
    scep_sans_t            sans;         /* made for this user */
    char                   mailless[40];
    char                  *pending_key;
    char                   login[PORTAL_LOGIN_AUDIT_MAX];
    char                   serial[80];   /* of the issued certificate */
    char                   issuer[256];
    portal_audit_t         audit;
};


/* Groups: may the user log in, and which profile is theirs. */
int portal_authorize(portal_session_t *s, portal_result_t *res);

/* The profile's subject, filled with the user's and the agent's values. */
int portal_subject(portal_session_t *s, const gp_login_t *login,
    portal_result_t *res);

/* Push and proxy modes: the settings and the challenge. */
void portal_push(portal_session_t *s, portal_result_t *res);

/* Enroll mode: the certificate, obtained or resumed. */
void portal_enroll(portal_session_t *s, scep_pki_t *pki,
    const unsigned char *resume, size_t resume_len, portal_result_t *res);

/* The parts of every <policy> that come from the portal and the user. */
void portal_policy_init(gp_policy_t *policy, const portal_session_t *s);


#endif /* PORTAL_SESSION_H */
