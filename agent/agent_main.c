/*
 * scep-agent: the reference agent of the portal (PROTOCOL.md).
 *
 *   enroll  logs in, receives SCEP settings or a PKCS#12, enrolls when it
 *           has to, and writes the key, the certificates and the state;
 *   renew   renews a certificate that is due: RenewalReq signed with the
 *           current certificate where the CA offers it, else a new
 *           enrollment through the portal;
 *   status  tells what each directory holds.
 *
 * A request the CA leaves PENDING in push mode is kept (pending.der) and
 * resumed, with the same key and transactionID, by the next enroll or
 * renew.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "scep/scep_http.h"
#include "scep/scep_transaction.h"
#include "agent_answer.h"
#include "agent_credentials.h"
#include "agent_exit.h"
#include "agent_files.h"
#include "agent_log.h"
#include "agent_login.h"
#include "agent_options.h"
#include "agent_password.h"
#include "agent_pkcs12.h"
#include "agent_push.h"
#include "agent_signal.h"
#include "agent_state.h"
#include "agent_status.h"
#include "agent_subject.h"
#include "agent_summary.h"
#include "agent_xml.h"


/* What a run in one directory works with. */
typedef struct {
    const agent_options_t  *o;
    const char             *dir;
    agent_state_t           st;
    agent_credentials_t     held;       /* empty when none */
    int                     has_held;
    const char             *ca_reason;  /* why a new CA is trusted */
} agent_run_t;


static agent_exit_t agent_enroll(const agent_options_t *o);
static agent_exit_t agent_renew(const agent_options_t *o);
static agent_exit_t agent_renew_dir(const agent_options_t *o,
    const char *dir);
static agent_exit_t agent_open(agent_run_t *r, const agent_options_t *o,
    const char *dir, int create);
static void agent_close(agent_run_t *r);
static agent_exit_t agent_portal(agent_run_t *r, const agent_options_t *o,
    const char *title, const char *path);
static agent_exit_t agent_obtain(const agent_options_t *o,
    const char *password, agent_answer_t *answer);
static int agent_retry_later(const agent_options_t *o, long retry_after,
    long *waited);
static agent_exit_t agent_deliver(agent_run_t *r, const agent_options_t *o,
    const agent_answer_t *answer, const char *title, const char *path);
static agent_exit_t agent_resume(agent_run_t *r);
static agent_exit_t agent_finish(agent_run_t *r, agent_credentials_t *creds,
    const char *title, const char *how);
static agent_exit_t agent_failed(agent_run_t *r, const scep_error_t *err);
static int agent_keep_pending(void *ctx, const scep_transaction_t *t,
    scep_error_t *err);
static int agent_drop_pending(agent_run_t *r, scep_error_t *err);
static void agent_ca_changed(const agent_run_t *r,
    const agent_credentials_t *creds);
static void agent_rollover(agent_run_t *r, agent_rollover_t *roll);
static void agent_fingerprint(X509 *cert, unsigned char *md, size_t *len,
    char *hex);
static void agent_state_from_options(agent_state_t *st,
    const agent_options_t *o);
static void agent_state_from_settings(agent_state_t *st,
    const agent_settings_t *s);
static void agent_options_from_state(agent_options_t *po,
    const agent_options_t *o, const agent_run_t *r);
static void agent_copy_path(char *dst, size_t size, const char *path);
static void agent_copy_abs(char *dst, size_t size, const char *path);
static agent_exit_t agent_exit_for_error(const scep_error_t *err);
static void agent_sleep(long seconds);


int
main(int argc, char **argv)
{
    int              rc;
    agent_options_t  o;
    scep_error_t     err;

    /* before libxml2 allocates anything */
    if (agent_xml_init() != 0) {
        agent_log_error("the XML library could not be initialised");
        return AGENT_EXIT_LOCAL;
    }

    rc = agent_options_parse(argc, argv, &o);

    if (rc != 0) {
        agent_xml_cleanup();
        return (rc > 0) ? AGENT_EXIT_OK : AGENT_EXIT_LOCAL;
    }

    agent_log_set_verbose(o.verbose);
    agent_signal_init();

    if (o.command == AGENT_CMD_STATUS) {
        rc = agent_status_run(&o);
        agent_xml_cleanup();
        return rc;
    }

    if (scep_http_global_init(&err) != 0) {
        agent_log_error("%s", err.message);
        agent_xml_cleanup();
        return AGENT_EXIT_LOCAL;
    }

    rc = (o.command == AGENT_CMD_RENEW) ? agent_renew(&o) : agent_enroll(&o);

    agent_xml_cleanup();

    return rc;
}


static agent_exit_t
agent_enroll(const agent_options_t *o)
{
    char          serial[80], until[32], text[512];
    time_t        nb, na;
    agent_run_t   r;
    agent_exit_t  rc;
    scep_error_t  err;

    rc = agent_open(&r, o, o->out_dir, 1);
    if (rc != AGENT_EXIT_OK) {
        return rc;
    }

    if (r.st.pending != AGENT_PENDING_NONE) {
        if (!o->force) {
            rc = agent_resume(&r);
            agent_close(&r);
            return rc;
        }

        agent_log_warn("--force: the pending request (transaction %.16s...) "
                       "is given up for a new one", r.st.pending_id);

        if (agent_drop_pending(&r, &err) != 0) {
            agent_log_error("%s", err.message);
            agent_close(&r);
            return AGENT_EXIT_LOCAL;
        }
    }

    if (r.has_held && agent_summary_validity(r.held.cert, &nb, &na) == 0
        && na > time(NULL))
    {
        if (!o->force) {
            agent_log_error("%s already holds a valid certificate (%s, "
                            "serial %s, until %s): \"" AGENT_PROGRAM
                            " renew --dir %s\" renews it when it is due; "
                            "enroll --force replaces it", o->out_dir,
                            agent_subject_text(
                                X509_get_subject_name(r.held.cert), text,
                                sizeof(text)),
                            agent_summary_serial(r.held.cert, serial,
                                                 sizeof(serial)),
                            agent_summary_epoch(na, until, sizeof(until)),
                            o->out_dir);
            agent_close(&r);
            return AGENT_EXIT_LOCAL;
        }

        agent_log_warn("--force: the valid certificate (serial %s) will be "
                       "replaced; it stays as cert.pem.prev",
                       agent_summary_serial(r.held.cert, serial,
                                            sizeof(serial)));
    }

    agent_state_from_options(&r.st, o);

    rc = agent_portal(&r, o, "Certificate issued", NULL);

    agent_close(&r);

    return rc;
}


static agent_exit_t
agent_renew(const agent_options_t *o)
{
    char          **dirs;
    size_t          i, n;
    agent_exit_t    rc, one;
    scep_error_t    err;

    if (!o->all) {
        return agent_renew_dir(o, o->out_dir);
    }

    if (agent_files_dirs(o->root, &dirs, &n, &err) != 0) {
        agent_log_error("%s", err.message);
        return AGENT_EXIT_LOCAL;
    }

    if (n == 0) {
        printf("%s holds no certificate directory of " AGENT_PROGRAM
               ": nothing to renew\n", o->root);
    }

    /* each directory on its own: one failure does not stop the others */
    rc = AGENT_EXIT_OK;

    for (i = 0; i < n; i++) {
        one = agent_renew_dir(o, dirs[i]);

        if (one > rc) {
            rc = one;
        }
    }

    agent_files_dirs_free(dirs, n);

    return rc;
}


static agent_exit_t
agent_renew_dir(const agent_options_t *o, const char *dir)
{
    int              renewal;
    char             serial[80], at[32], span[32], why[SCEP_ERROR_MESSAGE_LEN];
    char             how[AGENT_STATE_URL_MAX + 256];
    time_t           nb, na, due, now;
    agent_run_t      r;
    agent_exit_t     rc;
    scep_error_t     err;
    agent_window_t   window;
    agent_keeper_t   keeper;
    agent_options_t  po;
    agent_rollover_t     roll;
    agent_credentials_t  creds;

    rc = agent_open(&r, o, dir, 0);
    if (rc != AGENT_EXIT_OK) {
        return rc;
    }

    if (r.st.pending != AGENT_PENDING_NONE) {
        rc = agent_resume(&r);
        agent_close(&r);
        return rc;
    }

    if (!r.has_held) {
        agent_log_error("%s holds no certificate to renew; enroll first",
                        dir);
        agent_close(&r);
        return AGENT_EXIT_LOCAL;
    }

    if (agent_summary_validity(r.held.cert, &nb, &na) != 0) {
        agent_log_error("%s/cert.pem has validity dates that cannot be "
                        "read", dir);
        agent_close(&r);
        return AGENT_EXIT_LOCAL;
    }

    window = o->window;
    due = agent_window_renew_at(&window, nb, na);
    now = time(NULL);
    agent_summary_serial(r.held.cert, serial, sizeof(serial));

    if (now < due && !o->force) {
        printf("%s: not due: the certificate (serial %s) is valid until %s; "
               "renewal from %s, in %s\n", dir, serial,
               agent_summary_epoch(na, at, sizeof(at)),
               agent_summary_epoch(due, why, sizeof(why)),
               agent_window_span((long) (due - now), span, sizeof(span)));
        agent_close(&r);
        return AGENT_EXIT_OK;
    }

    agent_log_verbose("%s: the certificate (serial %s) is %s", dir, serial,
                      now < due ? "renewed early (--force)" : "due");

    renewal = 0;
    why[0] = '\0';

    if (na <= now) {
        snprintf(why, sizeof(why), "the certificate expired on %s: a "
                 "RenewalReq signed with it would be refused",
                 agent_summary_epoch(na, at, sizeof(at)));

    } else if (r.st.mode == SCEP_MODE_ENROLL) {
        snprintf(why, sizeof(why), "in enroll mode the portal obtains the "
                 "certificate");

    } else if (r.st.mode == SCEP_MODE_PROXY) {
        snprintf(why, sizeof(why), "in proxy mode each request to the CA "
                 "needs the ticket of a login");

    } else {
        keeper.keep = agent_keep_pending;
        keeper.ctx = &r;

        renewal = agent_push_renew(o, &r.st, &r.held, &keeper, &creds,
                                   &roll, why, sizeof(why), &err);

        agent_rollover(&r, &roll);

        if (renewal == 0) {
            snprintf(how, sizeof(how), "RenewalReq to %s, signed with the "
                     "certificate serial %s%s", r.st.server_url, serial,
                     o->same_key ? ", same key" : ", new key");
            rc = agent_finish(&r, &creds, "Certificate renewed", how);
            agent_credentials_free(&creds);
            agent_close(&r);
            return rc;
        }

        if (renewal < 0) {
            rc = agent_failed(&r, &err);
            agent_close(&r);
            return rc;
        }
    }

    /* the other path: a login, as the first enrollment */
    printf("%s: %s; renewing through the portal %s instead (a new "
           "enrollment, which needs a login)\n", dir, why, r.st.portal);
    fflush(stdout);

    agent_options_from_state(&po, o, &r);

    if (!agent_password_available(&po)) {
        agent_log_error("%s: the renewal needs a login through the portal "
                        "as %s, and no password source was given: run it "
                        "with --password-file FILE or " AGENT_PASSWORD_ENV,
                        dir, r.st.user);
        agent_close(&r);
        return AGENT_EXIT_LOGIN;
    }

    rc = agent_portal(&r, &po, "Certificate renewed",
                      "a new enrollment through the portal");

    agent_close(&r);

    return rc;
}


/*
 * Prepares the directory (created by enroll only), locks it, reads the
 * state and the certificate held.
 */
static agent_exit_t
agent_open(agent_run_t *r, const agent_options_t *o, const char *dir,
    int create)
{
    int           rc;
    scep_error_t  err;

    memset(r, 0, sizeof(agent_run_t));
    r->o = o;
    r->dir = dir;
    agent_state_init(&r->st);

    if (!create && access(dir, F_OK) != 0) {
        agent_log_error("%s: %s; enroll first", dir, strerror(errno));
        return AGENT_EXIT_LOCAL;
    }

    if (agent_files_prepare(dir, &err) != 0
        || agent_files_lock(dir, &err) != 0)
    {
        agent_log_error("%s", err.message);
        agent_files_abandon();
        return AGENT_EXIT_LOCAL;
    }

    rc = agent_state_load(dir, &r->st, &err);

    if (rc < 0 || (rc > 0 && !create)) {
        if (rc > 0) {
            agent_log_error("%s holds no " AGENT_STATE_FILE " of "
                            AGENT_PROGRAM ": enroll first", dir);
        } else {
            agent_log_error("%s", err.message);
        }

        agent_files_abandon();
        return AGENT_EXIT_LOCAL;
    }

    rc = agent_files_load(dir, &r->held, &err);

    if (rc < 0) {
        if (!(create && o->force)) {
            agent_log_error("%s%s", err.message,
                            create ? " (enroll --force replaces it)" : "");
            return AGENT_EXIT_LOCAL;
        }

        agent_log_warn("%s; --force replaces it", err.message);
    }

    r->has_held = (rc == 0);

    return AGENT_EXIT_OK;
}


static void
agent_close(agent_run_t *r)
{
    agent_credentials_free(&r->held);
    agent_files_abandon();
}


/* The login, then what the portal answers. */
static agent_exit_t
agent_portal(agent_run_t *r, const agent_options_t *o, const char *title,
    const char *path)
{
    char            password[AGENT_PASSWORD_MAX + 1];
    agent_exit_t    rc;
    agent_answer_t  answer;

    if (agent_password_obtain(o, password, sizeof(password)) != 0) {
        return AGENT_EXIT_LOCAL;
    }

    rc = agent_login_prelogin(o);

    if (rc == AGENT_EXIT_OK) {
        rc = agent_obtain(o, password, &answer);
    }

    /* the login is over: nothing needs the password any more */
    OPENSSL_cleanse(password, sizeof(password));

    if (rc != AGENT_EXIT_OK) {
        return rc;
    }

    rc = agent_deliver(r, o, &answer, title, path);

    /* wipes the challenge, the PKCS#12 and its passphrase */
    agent_answer_free(&answer);

    return rc;
}


/*
 * getconfig until the answer is settings or a certificate; a pending
 * certificate or a busy portal is asked again while --wait allows.
 */
static agent_exit_t
agent_obtain(const agent_options_t *o, const char *password,
    agent_answer_t *answer)
{
    long          retry_after, waited;
    agent_exit_t  rc;

    waited = 0;

    for ( ;; ) {
        rc = agent_login_getconfig(o, password, answer, &retry_after);

        if (rc == AGENT_EXIT_OK && answer->kind == AGENT_ANSWER_PENDING) {
            agent_log_error("the certificate awaits the CA's approval "
                            "(profile %s, transaction %s)",
                            answer->pending.profile
                            ? answer->pending.profile : "-",
                            answer->pending.transaction_id
                            ? answer->pending.transaction_id : "-");

            retry_after = answer->pending.retry_after;
            agent_answer_free(answer);
            rc = AGENT_EXIT_RETRY;
        }

        if (rc != AGENT_EXIT_RETRY
            || agent_retry_later(o, retry_after, &waited) != 0)
        {
            return rc;
        }
    }
}


/*
 * Sleeps before the next attempt when --wait leaves time for it; else
 * tells when to run again and returns -1.
 */
static int
agent_retry_later(const agent_options_t *o, long retry_after, long *waited)
{
    /* at least a second: a portal saying 0 must not make a busy loop */
    if (retry_after < 1) {
        retry_after = 1;
    }

    if (*waited + retry_after > o->wait) {
        if (o->wait > 0) {
            agent_log_error("still no certificate after waiting %ld s "
                            "(--wait %ld); try again in %ld s", *waited,
                            o->wait, retry_after);

        } else {
            agent_log_error("try again in %ld s, or give --wait SECONDS to "
                            "let the agent wait", retry_after);
        }

        return -1;
    }

    agent_log_verbose("asking again in %ld s", retry_after);

    agent_sleep(retry_after);
    *waited += retry_after;

    return 0;
}


static agent_exit_t
agent_deliver(agent_run_t *r, const agent_options_t *o,
    const agent_answer_t *answer, const char *title, const char *path)
{
    int                   rc;
    char                  how[SCEP_ERROR_MESSAGE_LEN];
    const char           *mode, *profile;
    scep_error_t          err;
    agent_keeper_t        keeper;
    agent_credentials_t   creds;

    scep_error_clear(&err);

    if (answer->kind == AGENT_ANSWER_SETTINGS) {
        mode = (answer->settings.mode == SCEP_MODE_PROXY)
               ? "proxy mode" : "push mode";
        profile = answer->settings.profile;

        agent_log_verbose("%s, profile %s, SCEP server %s", mode,
                          profile ? profile : "-",
                          answer->settings.server_url);

        agent_state_from_settings(&r->st, &answer->settings);

        /* a proxy ticket lasts one login: such a request cannot be kept */
        keeper.keep = agent_keep_pending;
        keeper.ctx = r;

        rc = agent_push_enroll(o, &answer->settings,
                               answer->settings.mode == SCEP_MODE_PUSH
                               ? &keeper : NULL, &creds, &err);

    } else {
        mode = "enroll mode";
        profile = answer->certificate.profile;

        agent_log_verbose("%s, profile %s: the portal sent a PKCS#12", mode,
                          profile ? profile : "-");

        agent_copy_path(r->st.profile, sizeof(r->st.profile), profile);
        r->st.mode = SCEP_MODE_ENROLL;

        rc = agent_pkcs12_open(&answer->certificate, &creds, &err);
    }

    if (rc != 0) {
        return agent_failed(r, &err);
    }

    if (path != NULL) {
        snprintf(how, sizeof(how), "%s, %s", path, mode);
    } else {
        snprintf(how, sizeof(how), "%s", mode);
    }

    if (profile != NULL) {
        agent_copy_path(r->st.profile, sizeof(r->st.profile), profile);
    }

    rc = agent_finish(r, &creds, title, how);

    agent_credentials_free(&creds);

    return rc;
}


/* A request kept PENDING: CertPoll with the same key and transaction. */
static agent_exit_t
agent_resume(agent_run_t *r)
{
    char                 how[SCEP_ERROR_MESSAGE_LEN];
    size_t               len;
    scep_error_t         err;
    unsigned char       *der;
    agent_exit_t         rc;
    agent_credentials_t  creds;
    scep_transaction_t  *t;

    rc = agent_files_read(r->dir, AGENT_PENDING_FILE,
                          SCEP_TRANSACTION_MAX_LEN, &der, &len, &err);

    if (rc != 0) {
        agent_log_error("%s names a pending request (transaction %.16s...), "
                        "but %s: enroll --force starts over", r->dir,
                        r->st.pending_id,
                        rc > 0 ? AGENT_PENDING_FILE " is missing"
                               : err.message);
        return AGENT_EXIT_LOCAL;
    }

    t = scep_transaction_deserialize(der, len, &err);
    OPENSSL_clear_free(der, len + 1);

    if (t == NULL || strcmp(t->id, r->st.pending_id) != 0) {
        agent_log_error("%s/" AGENT_PENDING_FILE " %s: enroll --force "
                        "starts over", r->dir,
                        t == NULL ? err.message
                                  : "is not the transaction the state "
                                    "names");
        scep_transaction_free(t);
        return AGENT_EXIT_LOCAL;
    }

    printf("%s: resuming the pending %s request, transaction %s, with the "
           "CA at %s\n", r->dir, t->renewal ? "renewal" : "enrollment",
           t->id, r->st.server_url);
    fflush(stdout);

    if (agent_push_resume(r->o, &r->st, t, &creds, &err) != 0) {
        scep_transaction_free(t);
        return agent_failed(r, &err);
    }

    snprintf(how, sizeof(how), "pending %s request resumed, transaction "
             "%.16s...", t->renewal ? "RenewalReq" : "PKCSReq", t->id);

    rc = agent_finish(r, &creds,
                      t->renewal ? "Certificate renewed"
                                 : "Certificate issued", how);

    scep_transaction_free(t);
    agent_credentials_free(&creds);

    return rc;
}


/*
 * The new certificate replaces the old one (kept as .prev), the pending
 * request is done with, and the state says so.
 */
static agent_exit_t
agent_finish(agent_run_t *r, agent_credentials_t *creds, const char *title,
    const char *how)
{
    scep_error_t   err;
    agent_paths_t  paths;

    if (agent_files_write(r->dir, creds, &paths, &err) != 0) {
        agent_log_error("%s", err.message);
        return AGENT_EXIT_LOCAL;
    }

    agent_ca_changed(r, creds);

    if (agent_drop_pending(r, &err) != 0
        || agent_state_save(r->dir, &r->st, &err) != 0)
    {
        agent_log_error("the certificate is written, but not the state: %s",
                        err.message);
        return AGENT_EXIT_LOCAL;
    }

    agent_summary_print(stdout, title, how,
                        r->st.profile[0] ? r->st.profile : NULL, creds,
                        &paths);

    return AGENT_EXIT_OK;
}


static agent_exit_t
agent_failed(agent_run_t *r, const scep_error_t *err)
{
    scep_error_t  e;

    agent_log_error("%s", err->message);

    if (err->code == SCEP_ERR_PENDING) {
        if (r->st.pending != AGENT_PENDING_NONE) {
            agent_log_error("the request is kept in %s (transaction "
                            "%.16s...): the next enroll or renew resumes "
                            "it%s", r->dir, r->st.pending_id,
                            r->o->wait ? "" : ", or give --wait SECONDS to "
                                              "let the agent poll the CA");
        } else {
            /* proxy mode: a ticket lasts one login */
            agent_log_error("the request is not kept: run the agent again "
                            "later for a new one%s", r->o->wait ? ""
                            : ", or give --wait SECONDS to let it poll the "
                              "CA");
        }

    } else if (err->code == SCEP_ERR_FAILURE
               && r->st.pending != AGENT_PENDING_NONE)
    {
        /* refused: the request is over, a new one starts next time */
        if (agent_drop_pending(r, &e) != 0
            || agent_state_save(r->dir, &r->st, &e) != 0)
        {
            agent_log_error("%s", e.message);
        }
    }

    return agent_exit_for_error(err);
}


static int
agent_keep_pending(void *ctx, const scep_transaction_t *t,
    scep_error_t *err)
{
    char            note[PATH_MAX + 64];
    size_t          len;
    agent_run_t    *r;
    unsigned char  *der;

    r = ctx;

    if (scep_transaction_serialize(t, &der, &len, err) != 0) {
        return -1;
    }

    if (agent_files_put(r->dir, AGENT_PENDING_FILE, der, len, 0600, err)
        != 0)
    {
        OPENSSL_clear_free(der, len);
        return -1;
    }

    OPENSSL_clear_free(der, len);

    r->st.pending = t->renewal ? AGENT_PENDING_RENEWAL : AGENT_PENDING_ENROLL;
    snprintf(r->st.pending_id, sizeof(r->st.pending_id), "%s", t->id);
    r->st.pending_since = time(NULL);

    if (agent_state_save(r->dir, &r->st, err) != 0) {
        return -1;
    }

    snprintf(note, sizeof(note), "the pending request is kept in %s and "
             "the next run resumes it", r->dir);
    agent_signal_note(note);

    agent_log_verbose("the CA holds the request (transaction %s); kept in "
                      "%s/" AGENT_PENDING_FILE, t->id, r->dir);

    return 0;
}


static int
agent_drop_pending(agent_run_t *r, scep_error_t *err)
{
    r->st.pending = AGENT_PENDING_NONE;
    r->st.pending_id[0] = '\0';
    r->st.pending_since = 0;

    agent_signal_note(NULL);

    return agent_files_remove(r->dir, AGENT_PENDING_FILE, err);
}


/* A CA certificate other than the one held: a rollover, told. */
static void
agent_ca_changed(const agent_run_t *r, const agent_credentials_t *creds)
{
    char           was[512], now[512], fp[2 * EVP_MAX_MD_SIZE + 1];
    size_t         n;
    unsigned char  md[EVP_MAX_MD_SIZE];
    X509          *old, *new;

    if (!r->has_held || r->held.chain == NULL || creds->chain == NULL
        || sk_X509_num(r->held.chain) == 0 || sk_X509_num(creds->chain) == 0)
    {
        return;
    }

    old = sk_X509_value(r->held.chain, 0);
    new = sk_X509_value(creds->chain, 0);

    if (X509_cmp(old, new) == 0) {
        return;
    }

    agent_fingerprint(new, md, &n, fp);

    printf("%s: the CA certificate changed: %s/ca.pem was %s, is now %s "
           "(SHA-256 %s, %s)\n", r->dir, r->dir,
           agent_subject_text(X509_get_subject_name(old), was, sizeof(was)),
           agent_subject_text(X509_get_subject_name(new), now, sizeof(now)),
           fp, (r->ca_reason != NULL) ? r->ca_reason
               : (r->st.mode == SCEP_MODE_ENROLL)
               ? "as the portal delivered it"
               : r->st.ca_fingerprint_len
                 ? "checked against the fingerprint the portal pushed"
                 : "the portal pins no fingerprint");
}


/*
 * GetNextCACert's news: a next CA certificate announced (kept as
 * ca-next.pem, its fingerprint in the state), or the switch to it.
 */
static void
agent_rollover(agent_run_t *r, agent_rollover_t *roll)
{
    BIO            *bio;
    char            text[512], fp[2 * EVP_MAX_MD_SIZE + 1];
    long            len;
    char           *pem;
    size_t          n;
    scep_error_t    err;
    unsigned char   md[EVP_MAX_MD_SIZE];

    if (roll->switched) {
        printf("%s: the CA at %s now presents the certificate it announced "
               "through GetNextCACert; it is taken, as the previous CA "
               "signed for it\n", r->dir, r->st.server_url);

        memcpy(r->st.ca_fingerprint, r->st.next_ca_fingerprint,
               r->st.next_ca_fingerprint_len);
        r->st.ca_fingerprint_len = r->st.next_ca_fingerprint_len;
        r->st.next_ca_fingerprint_len = 0;
        r->ca_reason = "announced by the previous CA through GetNextCACert";

        (void) agent_files_remove(r->dir, "ca-next.pem", &err);
    }

    if (roll->announced == NULL) {
        return;
    }

    agent_fingerprint(roll->announced, md, &n, fp);

    if (n == r->st.next_ca_fingerprint_len
        && memcmp(md, r->st.next_ca_fingerprint, n) == 0)
    {
        X509_free(roll->announced);
        return;
    }

    bio = BIO_new(BIO_s_mem());

    if (bio != NULL && PEM_write_bio_X509(bio, roll->announced)
        && (len = BIO_get_mem_data(bio, &pem)) > 0
        && agent_files_put(r->dir, "ca-next.pem", (unsigned char *) pem,
                           (size_t) len, 0644, &err) == 0)
    {
        memcpy(r->st.next_ca_fingerprint, md, n);
        r->st.next_ca_fingerprint_len = n;

        printf("%s: the CA at %s announces its next certificate, %s (SHA-256 "
               "%s), signed for by the current one; kept as %s/ca-next.pem "
               "and trusted when the CA switches\n", r->dir,
               r->st.server_url,
               agent_subject_text(X509_get_subject_name(roll->announced),
                                  text, sizeof(text)), fp, r->dir);
    }

    BIO_free(bio);
    X509_free(roll->announced);
    roll->announced = NULL;
}


static void
agent_fingerprint(X509 *cert, unsigned char *md, size_t *len, char *hex)
{
    unsigned int  i, n;

    if (X509_digest(cert, EVP_sha256(), md, &n) != 1) {
        n = 0;
    }

    for (i = 0; i < n; i++) {
        snprintf(hex + 2 * i, 3, "%02X", md[i]);
    }

    hex[2 * n] = '\0';
    *len = n;
}


static void
agent_state_from_options(agent_state_t *st, const agent_options_t *o)
{
    agent_copy_path(st->portal, sizeof(st->portal), o->portal);
    agent_copy_path(st->user, sizeof(st->user), o->user);
    agent_copy_path(st->host_id, sizeof(st->host_id), o->host_id);
    agent_copy_path(st->udid, sizeof(st->udid), o->udid);
    st->insecure = o->insecure;

    /* absolute: the timer runs renew from another directory */
    agent_copy_abs(st->portal_ca_file, sizeof(st->portal_ca_file),
                   o->ca_file);
    agent_copy_abs(st->pki_ca_file, sizeof(st->pki_ca_file),
                   o->pki_ca_file);
}


static void
agent_copy_abs(char *dst, size_t size, const char *path)
{
    char  *abs;

    abs = (path != NULL) ? realpath(path, NULL) : NULL;

    agent_copy_path(dst, size, abs != NULL ? abs : path);

    free(abs);
}


static void
agent_state_from_settings(agent_state_t *st, const agent_settings_t *s)
{
    agent_copy_path(st->profile, sizeof(st->profile), s->profile);
    st->mode = s->mode;
    agent_copy_path(st->server_url, sizeof(st->server_url), s->server_url);
    agent_copy_path(st->ca_ident, sizeof(st->ca_ident), s->ca_ident);
    memcpy(st->ca_fingerprint, s->ca_fingerprint, s->ca_fingerprint_len);
    st->ca_fingerprint_len = s->ca_fingerprint_len;
    st->key_bits = s->key_bits;
    st->digest = s->digest;
    st->key_usage = s->key_usage;

    /* proxy mode: the CA answered through the portal, with its roots */
    if (s->mode == SCEP_MODE_PROXY && st->pki_ca_file[0] == '\0') {
        memcpy(st->pki_ca_file, st->portal_ca_file,
               sizeof(st->pki_ca_file));
    }
}


/* The login of the first enrollment again, from the state. */
static void
agent_options_from_state(agent_options_t *po, const agent_options_t *o,
    const agent_run_t *r)
{
    *po = *o;
    po->command = AGENT_CMD_ENROLL;

    snprintf(po->portal, sizeof(po->portal), "%s", r->st.portal);
    po->ca_file = r->st.portal_ca_file[0] ? r->st.portal_ca_file : NULL;
    po->insecure = r->st.insecure;
    po->user = r->st.user;
    po->host_id = r->st.host_id[0] ? r->st.host_id : NULL;
    po->udid = r->st.udid[0] ? r->st.udid : NULL;
    po->pki_ca_file = (r->st.mode == SCEP_MODE_PUSH && r->st.pki_ca_file[0])
                      ? r->st.pki_ca_file : NULL;
    po->out_dir = r->dir;
    po->force = 1;
}


static void
agent_copy_path(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src != NULL ? src : "");
}


static agent_exit_t
agent_exit_for_error(const scep_error_t *err)
{
    switch (err->code) {

    case SCEP_ERR_PENDING:
        return AGENT_EXIT_RETRY;

    case SCEP_ERR_NOMEM:
    case SCEP_ERR_FILE:
        return AGENT_EXIT_LOCAL;

    default:
        return AGENT_EXIT_FAILED;
    }
}


static void
agent_sleep(long seconds)
{
    struct timespec  ts;

    ts.tv_sec = (time_t) seconds;
    ts.tv_nsec = 0;

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* a signal cut the wait short: sleep the rest */
    }
}
