/*
 * Enrollment tickets for proxy mode: the portal hands one to each agent
 * it admits, and its SCEP proxy lets through only requests that carry a
 * valid one.  A ticket names the profile and the user and expires soon;
 * it is an HMAC-SHA-256 under the portal's keys (scep/scep_keyring.h:
 * those of scep_key_file, shared by every portal that lists them, or one
 * made at each configuration load):
 *
 *     1.<expiry, unix seconds>.<base64url profile>.<base64url user>.<mac>
 *
 * where mac is base64url(HMAC(key, everything before ".<mac>")), under
 * the first key's ticket key; any key of the list is accepted.
 *
 * Characters: A-Z a-z 0-9 - _ and ".", so that a ticket is also a path
 * segment of a URL, where stock SCEP clients carry it.
 */

#ifndef GP_TICKET_H
#define GP_TICKET_H

#include <stddef.h>
#include <time.h>

#include "scep/scep_keyring.h"


#define GP_TICKET_MAX      1024

typedef enum {
    GP_TICKET_OK = 0,
    GP_TICKET_MISSING,
    GP_TICKET_MALFORMED,
    GP_TICKET_FORGED,         /* the MAC does not match */
    GP_TICKET_EXPIRED,
    GP_TICKET_OTHER_PROFILE
} gp_ticket_status_t;


/* 0, or -1 when out is too small (GP_TICKET_MAX always suffices). */
int gp_ticket_issue(const scep_keyring_t *keys, const char *profile,
    const char *user, time_t expires, char *out, size_t size);

/*
 * Checks a ticket for profile at time now; on GP_TICKET_OK the user it
 * was issued to is copied into user (truncated to size).
 */
gp_ticket_status_t gp_ticket_check(const scep_keyring_t *keys,
    const char *ticket, size_t len, const char *profile, time_t now,
    char *user, size_t size);

/*
 * Whether a path segment has the shape of a ticket (its version, then
 * only ticket characters), so that a gate can tell a ticket in a URL
 * from the rest of the path without judging it.
 */
int gp_ticket_shaped(const char *s, size_t len);

/*
 * A ticket as the last segment of a URI's path ("/scep-proxy/<ticket>",
 * with or without "?query"): 1 and where it is, or 0.
 */
int gp_ticket_in_path(const char *uri, size_t len, size_t *at, size_t *n);

/* A sentence for the log and the refused agent. */
const char *gp_ticket_status_text(gp_ticket_status_t status);


#endif /* GP_TICKET_H */
