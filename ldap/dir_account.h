/*
 * Account states from a bind's answer: Active Directory's "data" codes,
 * the password policy control.  Pure functions, unit-tested without a
 * server.
 */

#ifndef DIR_ACCOUNT_H
#define DIR_ACCOUNT_H

#include <stddef.h>

#include <ldap.h>

#include "dir.h"


/* What one bind told about the account besides its result code. */
typedef struct {
    dir_account_t  account;
    int            verified;    /* the server proved the password right */
    unsigned       ad_code;     /* AD's data code, 0 when none */
    int            grace;       /* ppolicy: logins left, -1 none */
    long           expire;      /* ppolicy: seconds to expiry, -1 none */
} dir_bind_result_t;


/* AD's data code in a bind's diagnostic message; 0, or -1 when none. */
int dir_ad_data_code(const char *diagnostic, unsigned *code);

/* The state a data code stands for; verified is set when only a right
 * password gets it. */
dir_account_t dir_ad_account(unsigned code, int *verified);

/*
 * Fills r->account, r->verified and r->ad_code from a bind's result code,
 * its diagnostic message (may be NULL) and, when has_ppolicy, the error
 * of its password policy response control.
 */
void dir_bind_outcome(int rc, const char *diagnostic, int has_ppolicy,
    LDAPPasswordPolicyError pperr, dir_bind_result_t *r);

#endif /* DIR_ACCOUNT_H */
