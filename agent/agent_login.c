#include <string.h>

#include "agent_form.h"
#include "agent_log.h"
#include "agent_login.h"
#include "agent_portal.h"


static agent_exit_t agent_login_refusal(const agent_options_t *o,
    const agent_portal_answer_t *http, long *retry_after);
static agent_exit_t agent_login_exit_for_status(long status);


agent_exit_t
agent_login_prelogin(const agent_options_t *o)
{
    gp_buf_t               form;
    scep_error_t           err;
    agent_prelogin_t       pre;
    agent_portal_answer_t  http;

    gp_buf_init(&form, AGENT_FORM_MAX);
    agent_form_prelogin(&form, o);

    if (form.failed) {
        gp_buf_free(&form);
        agent_log_error("out of memory building the prelogin form");
        return AGENT_EXIT_LOCAL;
    }

    agent_log_verbose("POST %s" AGENT_PRELOGIN_PATH, o->portal);

    if (agent_portal_post(o, AGENT_PRELOGIN_PATH, &form, &http) != 0) {
        gp_buf_free(&form);
        return AGENT_EXIT_FAILED;
    }

    gp_buf_free(&form);

    if (http.status != 200) {
        agent_portal_answer_free(&http);
        agent_log_error("%s" AGENT_PRELOGIN_PATH " answered HTTP %ld; is "
                        "this a GlobalProtect-style portal?", o->portal,
                        http.status);
        return AGENT_EXIT_FAILED;
    }

    if (agent_prelogin_parse(http.body.data, http.body.len, &pre, &err)
        != 0)
    {
        agent_portal_answer_free(&http);
        agent_log_error("the prelogin answer of %s cannot be read: %s",
                        o->portal, err.message);
        return AGENT_EXIT_FAILED;
    }

    agent_portal_answer_free(&http);

    if (strcmp(pre.status, "Success") != 0) {
        agent_log_error("the portal refuses logins: %s",
                        pre.message && pre.message[0] ? pre.message
                                                      : pre.status);
        agent_prelogin_free(&pre);
        return AGENT_EXIT_FAILED;
    }

    if (pre.saml) {
        agent_log_error("the portal asks for a SAML login, which this "
                        "agent does not do");
        agent_prelogin_free(&pre);
        return AGENT_EXIT_FAILED;
    }

    agent_log_verbose("portal \"%s\" takes a password login",
                      pre.portal_name ? pre.portal_name : "");

    agent_prelogin_free(&pre);

    return AGENT_EXIT_OK;
}


agent_exit_t
agent_login_getconfig(const agent_options_t *o, const char *password,
    agent_answer_t *answer, long *retry_after)
{
    int                    rc;
    gp_buf_t               form;
    scep_error_t           err;
    agent_exit_t           status;
    agent_portal_answer_t  http;

    memset(answer, 0, sizeof(*answer));
    *retry_after = 0;

    /* the form holds the password: wiped whatever happens */
    gp_buf_init(&form, AGENT_FORM_MAX);
    agent_form_getconfig(&form, o, password);

    if (form.failed) {
        gp_buf_free_secret(&form);
        agent_log_error("out of memory building the login form");
        return AGENT_EXIT_LOCAL;
    }

    agent_log_verbose("POST %s" AGENT_GETCONFIG_PATH " as %s", o->portal,
                      o->user);

    rc = agent_portal_post(o, AGENT_GETCONFIG_PATH, &form, &http);

    gp_buf_free_secret(&form);

    if (rc != 0) {
        return AGENT_EXIT_FAILED;
    }

    if (http.status != 200) {
        status = agent_login_refusal(o, &http, retry_after);
        agent_portal_answer_free(&http);
        return status;
    }

    rc = agent_answer_parse(http.body.data, http.body.len, answer, &err);

    agent_portal_answer_free(&http);

    if (rc != 0) {
        agent_log_error("the answer of %s" AGENT_GETCONFIG_PATH " cannot be "
                        "used: %s", o->portal, err.message);
        return AGENT_EXIT_FAILED;
    }

    if (answer->kind == AGENT_ANSWER_ERROR) {
        /* real portals refuse some logins with 200 and an error body */
        agent_log_error("the portal refused the login: %s", answer->error);
        agent_answer_free(answer);
        return AGENT_EXIT_REFUSED;
    }

    return AGENT_EXIT_OK;
}


/* Any status but 200: the portal's message, whatever the status. */
static agent_exit_t
agent_login_refusal(const agent_options_t *o,
    const agent_portal_answer_t *http, long *retry_after)
{
    scep_error_t    err;
    agent_exit_t    status;
    agent_answer_t  answer;

    status = agent_login_exit_for_status(http->status);

    if (agent_answer_parse(http->body.data, http->body.len, &answer, &err)
        == 0
        && answer.kind == AGENT_ANSWER_ERROR)
    {
        agent_log_error("the portal answered HTTP %ld: %s", http->status,
                        answer.error);

    } else {
        agent_log_error("%s" AGENT_GETCONFIG_PATH " answered HTTP %ld "
                        "without a message%s", o->portal, http->status,
                        http->status == 404 ? "; is this a GlobalProtect-"
                                              "style portal?" : "");
    }

    agent_answer_free(&answer);

    if (status == AGENT_EXIT_RETRY) {
        *retry_after = http->retry_after;
    }

    return status;
}


static agent_exit_t
agent_login_exit_for_status(long status)
{
    switch (status) {

    case 401:
    case 512:
        return AGENT_EXIT_CREDENTIALS;

    case 400:
    case 403:
    case 405:
    case 413:
    case 415:
        return AGENT_EXIT_REFUSED;

    case 429:
    case 503:
        return AGENT_EXIT_RETRY;

    default:
        return AGENT_EXIT_FAILED;
    }
}
