/*
 * The exit statuses of scep-verify: 0 lets the CA issue the certificate,
 * every other one refuses it and says why, one status per reason, so
 * that a CA's hook, a script or a test can tell them apart.
 */

#ifndef VERIFY_EXIT_H
#define VERIFY_EXIT_H


typedef enum {
    VERIFY_OK = 0,

    /* nothing was judged: options, configuration, key files */
    VERIFY_EXIT_USAGE = 1,

    /* the CSR itself */
    VERIFY_EXIT_UNREADABLE = 2,         /* not a PKCS#10 request */
    VERIFY_EXIT_SIGNATURE = 3,          /* its signature does not verify */

    /* the challenge */
    VERIFY_EXIT_NO_CHALLENGE = 4,
    VERIFY_EXIT_MALFORMED = 5,          /* not a bound challenge */
    VERIFY_EXIT_UNKNOWN_KEY = 6,        /* signed by a key not listed */
    VERIFY_EXIT_FORGED = 7,             /* altered, or forged */
    VERIFY_EXIT_PROFILE = 8,            /* a profile not served here */
    VERIFY_EXIT_EXPIRED = 9,

    /* the CSR against what the challenge grants */
    VERIFY_EXIT_SUBJECT = 10,
    VERIFY_EXIT_SAN = 11,
    VERIFY_EXIT_KEY_USAGE = 12,
    VERIFY_EXIT_KEY = 13,               /* not RSA, or too small */
    VERIFY_EXIT_EXTENSION = 14,

    /* single use */
    VERIFY_EXIT_REPLAY = 15,            /* used before */
    VERIFY_EXIT_STORE = 16              /* cannot be recorded: refused */
} verify_exit_t;


#endif /* VERIFY_EXIT_H */
