/*
 * The parts of every <policy> the agent receives that come from the
 * portal and the user rather than from the mode: the portal's name and
 * version, the user, the gateways and how a client tells it is inside.
 * Each mode adds its own element.
 */

#include <string.h>

#include "portal/portal_session.h"


void
portal_policy_init(gp_policy_t *policy, const portal_session_t *s)
{
    memset(policy, 0, sizeof(gp_policy_t));

    policy->portal_name = s->portal->name;
    policy->version = s->portal->version;
    policy->user = s->user.username;
    policy->gateways = s->portal->gateways;
    policy->ngateways = s->portal->ngateways;
    policy->internal_gateways = s->portal->internal_gateways;
    policy->ninternal_gateways = s->portal->ninternal_gateways;
    policy->host_detection = s->portal->host_detection;
}
