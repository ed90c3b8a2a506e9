/*
 * The admin page of a Microsoft NDES server (mscep_admin): one HTML page
 * that carries a fresh one-time enrollment password, or says why it does
 * not.  IIS sends it in UTF-16LE more often than not.
 */

#ifndef SCEP_NDES_H
#define SCEP_NDES_H

#include <stddef.h>

#include "scep_error.h"


/* Larger pages are refused before they are read to the end. */
#define SCEP_NDES_PAGE_MAX      (64 * 1024)

/* NDES passwords are 32 hex digits; longer ones are not a password. */
#define SCEP_NDES_PASSWORD_MAX  128


/*
 * Decodes the page (UTF-16LE with or without a byte order mark, UTF-16BE
 * with one, or UTF-8) and copies its challenge password into out, NUL
 * terminated.  Errors: SCEP_ERR_CHALLENGE_CACHE_FULL,
 * SCEP_ERR_CHALLENGE_PERMISSION, SCEP_ERR_CHALLENGE_NO_PASSWORD,
 * SCEP_ERR_HTTP_TOO_LARGE, SCEP_ERR_INTERNAL (out too small) and
 * SCEP_ERR_NOMEM.  Every copy of the page it makes is wiped; the caller
 * wipes out[] after use.
 */
int scep_ndes_parse(const unsigned char *page, size_t len, char *out,
    size_t outlen, scep_error_t *err);


#endif /* SCEP_NDES_H */
