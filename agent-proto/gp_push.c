/*
 * Push mode: the agent enrolls by itself with the settings the portal
 * sends, and the challenge the PKI gave for this very login.  Proxy mode
 * is the same, except that the agent reaches the PKI through the portal,
 * which lets it through with the ticket sent along.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "agent-proto/gp_session.h"
#include "agent-proto/gp_ticket.h"
#include "scep/scep_challenge.h"


void
gp_portal_push(gp_session_t *s, gp_portal_result_t *res)
{
    char                challenge[SCEP_CHALLENGE_MAX];
    char                ticket[GP_TICKET_MAX];
    gp_buf_t            buf;
    gp_policy_t         policy;
    scep_error_t        err;
    gp_scep_settings_t  settings;

    scep_error_clear(&err);

    if (scep_challenge_obtain(s->profile, challenge, sizeof(challenge), &err)
        != 0)
    {
        OPENSSL_cleanse(challenge, sizeof(challenge));
        gp_portal_pki_failed(s, "challenge", &err, res);
        return;
    }

    memset(&settings, 0, sizeof(settings));
    settings.profile = s->profile;
    settings.subject = s->subject;
    settings.server_url = s->profile->server_url;
    settings.challenge = challenge[0] ? challenge : NULL;

    if (s->profile->mode == SCEP_MODE_PROXY) {
        if (s->portal->ticket_key == NULL
            || gp_ticket_issue(s->portal->ticket_key, s->profile->name,
                               s->user.username,
                               time(NULL) + s->profile->ticket_lifetime_s,
                               ticket, sizeof(ticket))
               != 0)
        {
            OPENSSL_cleanse(challenge, sizeof(challenge));
            gp_portal_error(res, GP_RESULT_FAILED, 500,
                            "The portal failed to answer, try again later");
            res->log_level = GP_LOG_ERR;
            snprintf(res->reason, sizeof(res->reason),
                     "cannot make an enrollment ticket");
            return;
        }

        settings.server_url = s->profile->proxy_url;
        settings.ticket = ticket;
    }

    memset(&policy, 0, sizeof(policy));
    policy.portal_name = s->portal->name;
    policy.user = s->user.username;
    policy.gateways = s->portal->gateways;
    policy.ngateways = s->portal->ngateways;
    policy.settings = &settings;

    gp_buf_init(&buf, 0);
    gp_render_policy(&buf, &policy);

    OPENSSL_cleanse(challenge, sizeof(challenge));
    OPENSSL_cleanse(ticket, sizeof(ticket));

    if (buf.failed) {
        gp_buf_free_secret(&buf);
        gp_portal_error(res, GP_RESULT_FAILED, 500,
                        "The portal failed to answer, try again later");
        res->log_level = GP_LOG_ERR;
        snprintf(res->reason, sizeof(res->reason),
                 "cannot render the policy (out of memory)");
        return;
    }

    res->kind = GP_RESULT_SETTINGS;
    res->status = 200;
    res->body_secret = (settings.challenge != NULL
                        || settings.ticket != NULL);
    res->body = gp_buf_take(&buf, &res->body_len);
}


void
gp_portal_pki_failed(gp_session_t *s, const char *what,
    const scep_error_t *err, gp_portal_result_t *res)
{
    int          status;
    const char  *msg;

    status = 502;

    switch (err->code) {

    case SCEP_ERR_CHALLENGE_CACHE_FULL:
        msg = "The PKI's challenge password cache is full, try again later";
        break;

    case SCEP_ERR_CHALLENGE_PERMISSION:
        msg = "The portal's PKI account may not enroll with SCEP; "
              "tell your administrator";
        break;

    case SCEP_ERR_CHALLENGE_AUTH:
        msg = "The PKI refused the portal's account; "
              "tell your administrator";
        break;

    case SCEP_ERR_HTTP_TIMEOUT:
        status = 504;
        msg = "The PKI did not answer in time, try again later";
        break;

    case SCEP_ERR_HTTP_TLS:
        msg = "The portal could not make a trusted connection to the PKI; "
              "tell your administrator";
        break;

    case SCEP_ERR_CA_FINGERPRINT:
        msg = "The PKI's CA certificate does not match the portal's "
              "configuration; tell your administrator";
        break;

    case SCEP_ERR_FAILURE:
        msg = NULL;
        break;

    default:
        msg = (strcmp(what, "challenge") == 0)
              ? "The PKI did not give a challenge password, try again later"
              : "The PKI failed to issue a certificate, try again later";
        break;
    }

    if (msg != NULL) {
        gp_portal_error(res, GP_RESULT_FAILED, status, msg);

    } else {
        /* the CA's decision: its reason helps the user and the helpdesk */
        char  text[160];

        snprintf(text, sizeof(text), "The CA refused the certificate "
                 "request (%s)", err->field[0] ? err->field : "failure");
        gp_portal_error(res, GP_RESULT_REFUSED, 403, text);
    }

    res->log_level = GP_LOG_ERR;
    snprintf(res->reason, sizeof(res->reason), "profile \"%s\": %s: %s: %s",
             s->profile->name, what, scep_code_name(err->code),
             err->message);
}
