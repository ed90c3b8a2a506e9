/*
 * One login between gp_portal_begin() and gp_portal_finish(): what the
 * portal learned of the user, shared by the files of each mode.
 */

#ifndef GP_SESSION_H
#define GP_SESSION_H

#include <openssl/x509.h>

#include "agent-proto/gp_audit.h"
#include "agent-proto/gp_portal.h"
#include "scep/scep_error.h"


#define GP_LOGIN_AUDIT_MAX  256     /* bytes of the typed login kept */

struct gp_session_s {
    const gp_portal_t     *portal;
    dir_user_t             user;
    const scep_profile_t  *profile;
    const char            *matched;      /* the group that chose it */
    X509_NAME             *subject;
    char                   mailless[40];
    char                  *pending_key;
    char                   login[GP_LOGIN_AUDIT_MAX];
    char                   serial[80];   /* of the issued certificate */
    char                   issuer[256];
    gp_audit_t             audit;
};


/* Push mode: the settings and the challenge. */
void gp_portal_push(gp_session_t *s, gp_portal_result_t *res);

/* Enroll mode: the certificate, obtained or resumed. */
void gp_portal_enroll(gp_session_t *s, const unsigned char *resume,
    size_t resume_len, gp_portal_result_t *res);

/*
 * A failure of the PKI (challenge service, SCEP service) as the agent
 * is told of it, with the details for the log; what names the step.
 */
void gp_portal_pki_failed(gp_session_t *s, const char *what,
    const scep_error_t *err, gp_portal_result_t *res);


#endif /* GP_SESSION_H */
