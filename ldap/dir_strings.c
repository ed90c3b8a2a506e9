#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dir_strings.h"


int
dir_strings_push(dir_strings_t *list, const char *s, size_t len)
{
    char    *copy, **items;
    size_t   cap;

    if (list->n == list->cap) {
        cap = list->cap != 0 ? list->cap * 2 : 8;

        items = realloc(list->items, cap * sizeof(char *));
        if (items == NULL) {
            return -1;
        }

        list->items = items;
        list->cap = cap;
    }

    copy = malloc(len + 1);
    if (copy == NULL) {
        return -1;
    }

    memcpy(copy, s, len);
    copy[len] = '\0';

    list->items[list->n++] = copy;

    return 0;
}


int
dir_strings_has(const dir_strings_t *list, const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < list->n; i++) {
        if (strlen(list->items[i]) == len
            && strncasecmp(list->items[i], s, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


int
dir_strings_copy(dir_strings_t *dst, char *const *items, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (dir_strings_push(dst, items[i], strlen(items[i])) != 0) {
            dir_strings_free(dst);
            return -1;
        }
    }

    return 0;
}


char **
dir_strings_release(dir_strings_t *list, size_t *n)
{
    char  **items;

    items = list->items;
    *n = list->n;

    list->items = NULL;
    list->n = 0;
    list->cap = 0;

    return items;
}


void
dir_strings_free(dir_strings_t *list)
{
    dir_strings_array_free(list->items, list->n);

    list->items = NULL;
    list->n = 0;
    list->cap = 0;
}


void
dir_strings_array_free(char **items, size_t n)
{
    size_t  i;

    if (items == NULL) {
        return;
    }

    for (i = 0; i < n; i++) {
        free(items[i]);
    }

    free(items);
}
