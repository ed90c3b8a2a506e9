/*
 * Enrollment tickets for proxy mode: the portal hands one to each agent
 * it admits, and its SCEP proxy lets through only requests that carry a
 * valid one.  A ticket names the profile and the user and expires soon;
 * it is an HMAC-SHA-256 under a key only the portal knows:
 *
 *     1.<expiry, unix seconds>.<base64url profile>.<base64url user>.<mac>
 *
 * where mac is base64url(HMAC(key, everything before ".<mac>")).
 */

#ifndef GP_TICKET_H
#define GP_TICKET_H

#include <stddef.h>
#include <time.h>


#define GP_TICKET_KEY_LEN  32
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
int gp_ticket_issue(const unsigned char *key, const char *profile,
    const char *user, time_t expires, char *out, size_t size);

/*
 * Checks a ticket for profile at time now; on GP_TICKET_OK the user it
 * was issued to is copied into user (truncated to size).
 */
gp_ticket_status_t gp_ticket_check(const unsigned char *key,
    const char *ticket, size_t len, const char *profile, time_t now,
    char *user, size_t size);

/* A sentence for the log and the refused agent. */
const char *gp_ticket_status_text(gp_ticket_status_t status);


#endif /* GP_TICKET_H */
