/*
 * A growable list of strings owned by the list: the groups and the mail
 * addresses of a user while they are collected.
 */

#ifndef DIR_LIST_H
#define DIR_LIST_H

#include <stddef.h>


typedef struct {
    char    **items;
    size_t    n;
    size_t    cap;
} dir_list_t;


/* Appends a NUL-terminated copy of s[0..len); returns 0, or -1. */
int dir_list_push(dir_list_t *list, const char *s, size_t len);

/* Whether the list holds s[0..len), compared ignoring ASCII case. */
int dir_list_has(const dir_list_t *list, const char *s, size_t len);

/* Copies every item of src; returns 0, or -1 with dst left empty. */
int dir_list_copy(dir_list_t *dst, char *const *items, size_t n);

/* Hands the items over to the caller, who frees each and the array. */
char **dir_list_release(dir_list_t *list, size_t *n);

void dir_list_free(dir_list_t *list);

/* Frees an array as returned by dir_list_release(). */
void dir_strings_free(char **items, size_t n);


#endif /* DIR_LIST_H */
