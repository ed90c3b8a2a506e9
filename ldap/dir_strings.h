/*
 * A growable list of strings owned by the list: the groups and the mail
 * addresses of a user while they are collected.
 */

#ifndef DIR_STRINGS_H
#define DIR_STRINGS_H

#include <stddef.h>


typedef struct {
    char    **items;
    size_t    n;
    size_t    cap;
} dir_strings_t;


/* Appends a NUL-terminated copy of s[0..len); returns 0, or -1. */
int dir_strings_push(dir_strings_t *list, const char *s, size_t len);

/* Whether the list holds s[0..len), compared ignoring ASCII case. */
int dir_strings_has(const dir_strings_t *list, const char *s, size_t len);

/* Copies every item of src; returns 0, or -1 with dst left empty. */
int dir_strings_copy(dir_strings_t *dst, char *const *items, size_t n);

/* Hands the items over to the caller, who frees each and the array. */
char **dir_strings_release(dir_strings_t *list, size_t *n);

void dir_strings_free(dir_strings_t *list);

/* Frees an array as returned by dir_strings_release(). */
void dir_strings_array_free(char **items, size_t n);


#endif /* DIR_STRINGS_H */
