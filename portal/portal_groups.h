/*
 * The portal's group policy: whether a user may log in
 * (scep_allow_group), which profile is theirs (scep_group_profile,
 * scep_default_profile), and how a configured group name is matched
 * against the user's group DNs.
 */

#ifndef PORTAL_GROUPS_H
#define PORTAL_GROUPS_H

#include <stddef.h>

#include "ldap/dir.h"


/*
 * A configured group is either a DN or a bare name, compared by meaning
 * (dir_group_matches()): a DN with the user's group DNs after RFC 4514
 * normalisation (spacing, escapes, attribute names and case do not
 * matter), a bare name with the value of the first RDN of each of them,
 * both with Unicode case folding: "vpn users" matches
 * "CN=VPN Users,OU=Groups,DC=example,DC=org", "vertrieb süd" matches
 * "CN=VERTRIEB SÜD,...".
 */
int portal_user_in_group(const dir_user_t *user, const char *wanted);

/*
 * The unescaped value of a DN's first RDN (RFC 4514: "\," and "\2C"
 * escapes); -1 when the DN is malformed or the value does not fit.
 */
int portal_dn_first_value(const char *dn, char *out, size_t size,
    size_t *len);


#endif /* PORTAL_GROUPS_H */
