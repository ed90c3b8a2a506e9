/*
 * The agent as a SCEP client (push and proxy modes): enrollment with the
 * settings the portal pushed, renewal by RenewalReq with the settings
 * kept in the state, and the resumption of a request left PENDING.
 *
 * Each fetches the CA first and checks it against the pinned fingerprint
 * before anything else is sent.  A request the CA leaves PENDING is
 * handed to keep() at once, before any wait, so that the caller can save
 * it: an interrupted wait then loses nothing.
 */

#ifndef AGENT_PUSH_H
#define AGENT_PUSH_H

#include "scep/scep_error.h"
#include "scep/scep_transaction.h"
#include "agent_answer.h"
#include "agent_credentials.h"
#include "agent_options.h"
#include "agent_state.h"


typedef int (*agent_keep_pt)(void *ctx, const scep_transaction_t *t,
    scep_error_t *err);

typedef struct {
    agent_keep_pt   keep;
    void           *ctx;
} agent_keeper_t;


int agent_push_enroll(const agent_options_t *o, const agent_settings_t *s,
    const agent_keeper_t *keeper, agent_credentials_t *out,
    scep_error_t *err);

/* What renew learnt of the CA's rollover (GetNextCACert). */
typedef struct {
    X509  *announced;   /* the next CA certificate, signed for by the
                         * current one; the caller frees it */
    int    switched;    /* the CA now presents the one announced before */
} agent_rollover_t;

/*
 * RenewalReq for held (a new key of the state's size unless o->same_key).
 * A CA that fails the pin but presents the certificate it announced
 * earlier (st->next_ca_fingerprint) is taken: roll->switched.  Where the
 * CA lists GetNextCACert, its answer goes to roll->announced.  Returns 0
 * with out filled; 1 when the CA does not offer Renewal or presents
 * another CA certificate (*why says which: the caller goes through the
 * portal instead); -1 with err set.
 */
int agent_push_renew(const agent_options_t *o, const agent_state_t *st,
    const agent_credentials_t *held, const agent_keeper_t *keeper,
    agent_credentials_t *out, agent_rollover_t *roll, char *why,
    size_t why_size, scep_error_t *err);

/* CertPoll for the saved transaction t, then as long as o->wait allows. */
int agent_push_resume(const agent_options_t *o, const agent_state_t *st,
    const scep_transaction_t *t, agent_credentials_t *out,
    scep_error_t *err);


#endif /* AGENT_PUSH_H */
