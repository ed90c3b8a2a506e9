/*
 * The values a certificate subject is filled with that the portal makes
 * itself, rather than reads from the directory or the agent.
 */

#ifndef PORTAL_SUBJECT_H
#define PORTAL_SUBJECT_H


/*
 * The stable identifier that stands for the mail address of a user
 * who has none: the user's guid (dir_user_t: objectGUID or entryUUID,
 * which survive a rename), or, for an entry without one (NULL), a
 * name-based UUID (RFC 4122 version 5) of the user's DN in lower case.
 * out must hold 37 bytes.
 */
int portal_mailless_id(const char *guid, const char *dn, char *out);


#endif /* PORTAL_SUBJECT_H */
