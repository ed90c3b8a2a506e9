/*
 * Matching configured group names against a user's group DNs.
 */

#include <string.h>
#include <strings.h>

#include "agent-proto/gp_buf.h"
#include "agent-proto/gp_group.h"


int
gp_user_in_group(const dir_user_t *user, const char *wanted)
{
    char    name[256];
    size_t  i, n, wlen;
    int     by_dn;

    by_dn = (strchr(wanted, '=') != NULL);
    wlen = strlen(wanted);

    for (i = 0; i < user->ngroups; i++) {

        if (by_dn) {
            if (strcasecmp(wanted, user->groups[i]) == 0) {
                return 1;
            }

            continue;
        }

        if (gp_dn_first_value(user->groups[i], name, sizeof(name), &n) == 0
            && n == wlen
            && strncasecmp(wanted, name, n) == 0)
        {
            return 1;
        }
    }

    return 0;
}


int
gp_dn_first_value(const char *dn, char *out, size_t size, size_t *len)
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

        hi = gp_hex_digit(p[0]);
        lo = (hi >= 0) ? gp_hex_digit(p[1]) : -1;

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
