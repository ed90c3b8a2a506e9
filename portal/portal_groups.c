/*
 * The portal's group policy, and matching configured group names against
 * a user's group DNs.
 */

#include <string.h>

#include "portal/portal_groups.h"
#include "portal/portal_session.h"
#include "scep/scep_syntax.h"


#define PORTAL_MSG_NOT_ALLOWED  "Your account is not allowed to use this " \
                                "portal"
#define PORTAL_MSG_NO_PROFILE   "No certificate profile applies to your " \
                                "account"


int
portal_authorize(portal_session_t *s, portal_result_t *res)
{
    size_t                         i;
    const portal_t                *portal;
    const portal_group_profile_t  *gp;

    portal = s->portal;

    if (portal->nallow_groups) {
        for (i = 0; i < portal->nallow_groups; i++) {
            if (portal_user_in_group(&s->user, portal->allow_groups[i])) {
                break;
            }
        }

        if (i == portal->nallow_groups) {
            portal_fail(res, PORTAL_RESULT_REFUSED, 403,
                        PORTAL_MSG_NOT_ALLOWED, PORTAL_LOG_NOTICE,
                        "the user is in none of the groups of "
                        "scep_allow_group");
            return -1;
        }
    }

    for (i = 0; i < portal->ngroup_profiles; i++) {
        gp = &portal->group_profiles[i];

        if (portal_user_in_group(&s->user, gp->group)) {
            s->profile = gp->profile;
            s->matched = gp->group;
            return 0;
        }
    }

    if (portal->default_profile) {
        s->profile = portal->default_profile;
        s->matched = "default";
        return 0;
    }

    portal_fail(res, PORTAL_RESULT_REFUSED, 403, PORTAL_MSG_NO_PROFILE,
                PORTAL_LOG_NOTICE, "no scep_group_profile matches the "
                "user's groups and there is no scep_default_profile");

    return -1;
}


int
portal_user_in_group(const dir_user_t *user, const char *wanted)
{
    size_t  i;

    for (i = 0; i < user->ngroups; i++) {
        if (dir_group_matches(user->groups[i], wanted) == 1) {
            return 1;
        }
    }

    return 0;
}


int
portal_dn_first_value(const char *dn, char *out, size_t size, size_t *len)
{
    int          hi, lo;
    size_t       n;
    const char  *p;

    p = strchr(dn, '=');
    if (p == NULL) {
        return -1;
    }

    n = 0;

    for (p++; *p != '\0' && *p != ',' && *p != '+'; p++) {

        if (n + 1 >= size) {
            return -1;
        }

        if (*p != '\\') {
            out[n++] = *p;
            continue;
        }

        p++;

        hi = scep_hex_value(p[0]);
        lo = (hi >= 0) ? scep_hex_value(p[1]) : -1;

        if (hi >= 0 && lo >= 0) {
            out[n++] = (char) (hi << 4 | lo);
            p++;
            continue;
        }

        if (*p == '\0') {
            return -1;
        }

        out[n++] = *p;
    }

    out[n] = '\0';
    *len = n;

    return 0;
}
