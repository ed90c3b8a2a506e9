#include <stdlib.h>
#include <string.h>

#include "dir.h"


/*
 * Two passes over the template: the first measures, so that the result is
 * allocated once and its bound is checked before anything is written.
 */
static size_t
dir_filter_expand(const char *tpl, char placeholder, const char *value,
    size_t valuelen, char *out)
{
    size_t       n;
    const char  *p;

    n = 0;

    for (p = tpl; *p != '\0'; p++) {

        if (p[0] == '%' && p[1] == placeholder) {
            if (out != NULL) {
                memcpy(out + n, value, valuelen);
            }

            n += valuelen;
            p++;
            continue;
        }

        if (p[0] == '%' && p[1] == '%') {
            p++;
        }

        if (out != NULL) {
            out[n] = *p;
        }

        n++;
    }

    if (out != NULL) {
        out[n] = '\0';
    }

    return n;
}


char *
dir_filter_render(const char *tpl, char placeholder, const char *value,
    size_t valuelen)
{
    int     len;
    char   *escaped, *out;
    size_t  need;

    if (valuelen > DIR_FILTER_LEN_MAX || placeholder == '%'
        || placeholder == '\0')
    {
        return NULL;
    }

    escaped = malloc(DIR_ESCAPED_LEN(valuelen));
    if (escaped == NULL) {
        return NULL;
    }

    len = dir_escape_filter_value(value, valuelen, escaped,
                                  DIR_ESCAPED_LEN(valuelen));
    if (len < 0) {
        free(escaped);
        return NULL;
    }

    out = NULL;

    need = dir_filter_expand(tpl, placeholder, escaped, (size_t) len, NULL);

    if (need <= DIR_FILTER_LEN_MAX) {
        out = malloc(need + 1);
        if (out != NULL) {
            dir_filter_expand(tpl, placeholder, escaped, (size_t) len, out);
        }
    }

    free(escaped);

    return out;
}
