#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dir_list.h"


int
dir_list_push(dir_list_t *list, const char *s, size_t len)
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
dir_list_has(const dir_list_t *list, const char *s, size_t len)
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
dir_list_copy(dir_list_t *dst, char *const *items, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (dir_list_push(dst, items[i], strlen(items[i])) != 0) {
            dir_list_free(dst);
            return -1;
        }
    }

    return 0;
}


char **
dir_list_release(dir_list_t *list, size_t *n)
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
dir_list_free(dir_list_t *list)
{
    dir_strings_free(list->items, list->n);

    list->items = NULL;
    list->n = 0;
    list->cap = 0;
}


void
dir_strings_free(char **items, size_t n)
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
