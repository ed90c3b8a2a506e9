/*
 * What the profile's parsers (scep_settings.c) and its validation
 * (scep_profile.c) share: the syntax of URLs, host names, mailboxes and
 * URIs (scep_syntax.c), and words repeated in messages.
 */

#ifndef SCEP_SYNTAX_H
#define SCEP_SYNTAX_H

#include <stddef.h>

#include "scep_error.h"


/* How much of a refused word an error message repeats. */
#define SCEP_SHOW_MAX  32


/* A refused word made printable and short, in buf. */
const char *scep_show(char *buf, size_t size, const char *s);

/*
 * An http(s) URL for the setting field; https_why: NULL when http:// is
 * acceptable, else the reason https:// is required.
 */
int scep_url_check(const char *field, const char *url, const char *https_why,
    scep_error_t *err);

int scep_is_https(const char *url);
int scep_is_host_name(const char *s, size_t len, int wildcard);
int scep_is_mailbox(const char *s);
int scep_is_uri(const char *s);
int scep_has_dollar_word(const char *s);
int scep_hex_value(int c);


#endif /* SCEP_SYNTAX_H */
