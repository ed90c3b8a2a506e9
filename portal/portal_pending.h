/*
 * Enroll mode's pending enrollments between logins: which to keep, the
 * same rule wherever they are kept (the module's shared memory, or a
 * sealed store), and, with a sealed store (scep/scep_pending.h), the
 * second step of a login in one blocking call that reads the user's
 * record, resumes it and writes back what is left to resume.
 */

#ifndef PORTAL_PENDING_H
#define PORTAL_PENDING_H

#include "portal/portal.h"
#include "portal/portal_result.h"
#include "scep/scep_error.h"
#include "scep/scep_pending.h"
#include "scep/scep_pki.h"


typedef enum {
    PORTAL_PENDING_LEAVE = 0,  /* as it is: the CA could not be asked */
    PORTAL_PENDING_KEEP,       /* res->pending, for the next login */
    PORTAL_PENDING_DROP        /* the CA has decided: nothing to resume */
} portal_pending_fate_t;

/*
 * A request the CA left pending is kept; so is a certificate the agent
 * did not receive (answered 0: its login had timed out); one the CA has
 * decided on (issued and answered, refused) is dropped; after a mere
 * failure to reach the CA, what was kept stays, to be resumed.
 */
portal_pending_fate_t portal_pending_fate(const portal_result_t *res,
    int answered);


typedef struct {
    unsigned      resumed:1;   /* a record was read and resumed */
    unsigned      kept:1;      /* res->pending was written */
    unsigned      dropped:1;   /* the record was removed */
    scep_error_t  read_err;    /* code SCEP_OK, or why none was resumed */
    scep_error_t  write_err;   /* code SCEP_OK, or why none was kept */
} portal_pending_report_t;

/*
 * portal_login_finish() for an enroll-mode session, its pending record
 * in store: read (a record that cannot be opened is reported and the
 * login starts anew), resumed, then kept, dropped or left as the fate
 * of an answered login says.  The caller keeps an issued certificate
 * itself should the answer not reach the agent after all.
 */
void portal_login_finish_stored(portal_session_t *s, scep_pki_t *pki,
    const scep_pending_store_t *store, portal_result_t *res,
    portal_pending_report_t *report);


#endif /* PORTAL_PENDING_H */
