/*
 * Push mode: the agent enrolls by itself with the settings the portal
 * sends, and the challenge the PKI gave for this very login.  Proxy mode
 * is the same, except that the agent reaches the PKI through the portal,
 * which lets it through with the ticket sent along: as the last segment
 * of the server URL's path, where a stock SCEP client keeps it, and as
 * an element of its own.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "agent-proto/gp_ticket.h"
#include "portal/portal_session.h"
#include "scep/scep_challenge.h"


void
portal_push(portal_session_t *s, portal_result_t *res)
{
    char                challenge[SCEP_CHALLENGE_MAX];
    char                ticket[GP_TICKET_MAX];
    char                url[SCEP_URL_MAX_LEN + GP_TICKET_MAX + 2];
    size_t              n;
    gp_buf_t            buf;
    gp_policy_t         policy;
    scep_error_t        err;
    gp_scep_settings_t  settings;

    scep_error_clear(&err);

    if (scep_challenge_obtain(s->profile, s->subject, &s->sans, challenge,
                              sizeof(challenge), &err)
        != 0)
    {
        OPENSSL_cleanse(challenge, sizeof(challenge));
        portal_fail_pki(res, s->profile->name, "challenge", &err);
        return;
    }

    memset(&settings, 0, sizeof(settings));
    settings.profile = s->profile;
    settings.subject = s->subject;
    settings.sans = &s->sans;
    settings.server_url = s->profile->server_url;
    settings.challenge = challenge[0] ? challenge : NULL;

    if (s->profile->mode == SCEP_MODE_PROXY) {
        n = strlen(s->profile->proxy_url);

        if (s->portal->keys == NULL
            || gp_ticket_issue(s->portal->keys, s->profile->name,
                               s->user.username,
                               time(NULL) + s->profile->ticket_lifetime_s,
                               ticket, sizeof(ticket))
               != 0
            || n > SCEP_URL_MAX_LEN)
        {
            OPENSSL_cleanse(challenge, sizeof(challenge));
            portal_fail(res, PORTAL_RESULT_FAILED, 500, PORTAL_MSG_INTERNAL,
                        PORTAL_LOG_ERR, "cannot make an enrollment ticket");
            return;
        }

        /* proxy_url ends with no slash (scep_profile_validate) */
        snprintf(url, sizeof(url), "%s/%s", s->profile->proxy_url, ticket);

        settings.server_url = url;
        settings.ticket = ticket;
    }

    portal_policy_init(&policy, s);
    policy.settings = &settings;

    gp_buf_init(&buf, 0);
    gp_render_policy(&buf, &policy);

    OPENSSL_cleanse(challenge, sizeof(challenge));
    OPENSSL_cleanse(ticket, sizeof(ticket));
    OPENSSL_cleanse(url, sizeof(url));

    if (buf.failed) {
        gp_buf_free_secret(&buf);
        portal_fail(res, PORTAL_RESULT_FAILED, 500, PORTAL_MSG_INTERNAL,
                    PORTAL_LOG_ERR, "cannot render the policy (out of memory)");
        return;
    }

    res->kind = PORTAL_RESULT_SETTINGS;
    res->status = 200;
    res->body_secret = (settings.challenge != NULL
                        || settings.ticket != NULL);
    res->body = gp_buf_take(&buf, &res->body_len);
}
