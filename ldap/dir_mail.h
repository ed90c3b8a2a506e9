/*
 * Mail addresses of a user, from the values of the configured mail
 * attributes, in order of preference.
 */

#ifndef DIR_MAIL_H
#define DIR_MAIL_H

#include <lber.h>

#include "dir.h"
#include "dir_strings.h"


#define DIR_MAIL_LEN_MAX  254


/*
 * Adds the addresses found in one attribute's values (a NULL-terminated
 * array, as ldap_get_values_len() returns it) to mails.  Plain values
 * ("mail") are taken as they are.  Typed values ("proxyAddresses") give
 * their "SMTP:" primary first, then their "smtp:" aliases, without the
 * prefix; other types (X400:, SIP:, ...) are skipped.  Addresses that are
 * not plausible, or already present ignoring case, are dropped, and at
 * most DIR_MAILS_MAX are kept.  Returns 0, or -1 when memory ran out.
 */
int dir_mail_collect(dir_strings_t *mails, struct berval *const *values);

/* Whether s[0..len) may be used as a mail address. */
int dir_mail_valid(const char *s, size_t len);


#endif /* DIR_MAIL_H */
