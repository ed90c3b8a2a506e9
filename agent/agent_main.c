/*
 * scep-agent: the reference agent of the portal (PROTOCOL.md).  Logs in,
 * receives SCEP settings or a PKCS#12, enrolls when it has to, and writes
 * the key and the certificates.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "scep/scep_http.h"
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
#include "agent_summary.h"
#include "agent_xml.h"


static agent_exit_t agent_run(const agent_options_t *o);
static agent_exit_t agent_obtain(const agent_options_t *o,
    const char *password, agent_answer_t *answer);
static int agent_retry_later(const agent_options_t *o, long retry_after,
    long *waited);
static agent_exit_t agent_deliver(const agent_options_t *o,
    const agent_answer_t *answer);
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

    if (scep_http_global_init(&err) != 0) {
        agent_log_error("%s", err.message);
        agent_xml_cleanup();
        return AGENT_EXIT_LOCAL;
    }

    rc = agent_run(&o);

    agent_xml_cleanup();

    return rc;
}


static agent_exit_t
agent_run(const agent_options_t *o)
{
    char            password[AGENT_PASSWORD_MAX + 1];
    scep_error_t    err;
    agent_exit_t    rc;
    agent_answer_t  answer;

    if (agent_files_prepare(o->out_dir, &err) != 0) {
        agent_log_error("%s", err.message);
        return AGENT_EXIT_LOCAL;
    }

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

    rc = agent_deliver(o, &answer);

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
agent_deliver(const agent_options_t *o, const agent_answer_t *answer)
{
    int                   rc;
    const char           *how, *profile;
    scep_error_t          err;
    agent_paths_t         paths;
    agent_credentials_t   creds;

    scep_error_clear(&err);

    if (answer->kind == AGENT_ANSWER_SETTINGS) {
        how = (answer->settings.mode == SCEP_MODE_PROXY)
              ? "proxy mode" : "push mode";
        profile = answer->settings.profile;

        agent_log_verbose("%s, profile %s, SCEP server %s", how,
                          profile ? profile : "-",
                          answer->settings.server_url);

        rc = agent_push_enroll(o, &answer->settings, &creds, &err);

    } else {
        how = "enroll mode";
        profile = answer->certificate.profile;

        agent_log_verbose("%s, profile %s: the portal sent a PKCS#12", how,
                          profile ? profile : "-");

        rc = agent_pkcs12_open(&answer->certificate, &creds, &err);
    }

    if (rc != 0) {
        agent_log_error("%s", err.message);

        /* the key of a pending request in push mode dies with the agent */
        if (err.code == SCEP_ERR_PENDING) {
            agent_log_error("the request is not kept: run the agent again "
                            "later for a new one%s", o->wait ? ""
                            : ", or give --wait SECONDS to let it poll the "
                              "CA");
        }

        return agent_exit_for_error(&err);
    }

    if (agent_files_write(o->out_dir, &creds, &paths, &err) != 0) {
        agent_log_error("%s", err.message);
        agent_credentials_free(&creds);
        return AGENT_EXIT_LOCAL;
    }

    agent_summary_print(stdout, how, profile, &creds, &paths);

    agent_credentials_free(&creds);

    return AGENT_EXIT_OK;
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
