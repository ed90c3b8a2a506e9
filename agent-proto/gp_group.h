/*
 * Group matching for the portal's policy: which configured group names
 * a user's group DNs stand for.
 */

#ifndef GP_GROUP_H
#define GP_GROUP_H

#include <stddef.h>

#include "ldap/dir.h"


/*
 * A configured group is either a DN, compared whole (case-insensitive),
 * or a bare name, compared with the value of the first RDN of each of
 * the user's group DNs: "vpn-users" matches
 * "cn=vpn-users,ou=groups,dc=example,dc=org".
 */
int gp_user_in_group(const dir_user_t *user, const char *wanted);

/*
 * The unescaped value of a DN's first RDN (RFC 4514: "\," and "\2C"
 * escapes); -1 when the DN is malformed or the value does not fit.
 */
int gp_dn_first_value(const char *dn, char *out, size_t size, size_t *len);


#endif /* GP_GROUP_H */
