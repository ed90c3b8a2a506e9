/*
 * The parts of every <policy> the agent receives that come from the
 * portal and the user rather than from the mode: the portal's name, the
 * user, the gateways.  Each mode adds its own element.
 */

#include <string.h>

#include "portal/portal_session.h"


void
portal_policy_init(gp_policy_t *policy, const portal_session_t *s)
{
    memset(policy, 0, sizeof(gp_policy_t));

    policy->portal_name = s->portal->name;
    policy->user = s->user.username;
    policy->gateways = s->portal->gateways;
    policy->ngateways = s->portal->ngateways;
}
