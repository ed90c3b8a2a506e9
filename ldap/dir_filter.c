#include <stdlib.h>
#include <string.h>

#include "dir.h"


#define DIR_FILTER_VALUES_MAX  4


/* The escaped value of one placeholder, or NULL when it has none. */
static const dir_filter_value_t *
dir_filter_find(const dir_filter_value_t *values, size_t n, char c)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (values[i].placeholder == c) {
            return &values[i];
        }
    }

    return NULL;
}


/*
 * Two passes over the template: the first measures, so that the result is
 * allocated once and its bound is checked before anything is written.
 */
static size_t
dir_filter_expand(const char *tpl, const dir_filter_value_t *values,
    size_t n, char *out)
{
    size_t                     len;
    const char                *p;
    const dir_filter_value_t  *v;

    len = 0;

    for (p = tpl; *p != '\0'; p++) {

        v = (p[0] == '%') ? dir_filter_find(values, n, p[1]) : NULL;

        if (v != NULL) {
            if (out != NULL) {
                memcpy(out + len, v->value, v->len);
            }

            len += v->len;
            p++;
            continue;
        }

        if (p[0] == '%' && p[1] == '%') {
            p++;
        }

        if (out != NULL) {
            out[len] = *p;
        }

        len++;
    }

    if (out != NULL) {
        out[len] = '\0';
    }

    return len;
}


char *
dir_filter_render_values(const char *tpl, const dir_filter_value_t *values,
    size_t n)
{
    int                  len;
    char                *out, *escaped[DIR_FILTER_VALUES_MAX];
    size_t               i, need;
    dir_filter_value_t   esc[DIR_FILTER_VALUES_MAX];

    memset(esc, 0, sizeof(esc));

    if (n > DIR_FILTER_VALUES_MAX) {
        return NULL;
    }

    out = NULL;

    for (i = 0; i < n; i++) {
        escaped[i] = NULL;

        if (values[i].len > DIR_FILTER_LEN_MAX
            || values[i].placeholder == '%'
            || values[i].placeholder == '\0')
        {
            goto done;
        }

        escaped[i] = malloc(DIR_ESCAPED_LEN(values[i].len));
        if (escaped[i] == NULL) {
            goto done;
        }

        len = dir_escape_filter_value(values[i].value, values[i].len,
                                      escaped[i],
                                      DIR_ESCAPED_LEN(values[i].len));
        if (len < 0) {
            i++;
            goto done;
        }

        esc[i].placeholder = values[i].placeholder;
        esc[i].value = escaped[i];
        esc[i].len = (size_t) len;
    }

    need = dir_filter_expand(tpl, esc, n, NULL);

    if (need <= DIR_FILTER_LEN_MAX) {
        out = malloc(need + 1);
        if (out != NULL) {
            dir_filter_expand(tpl, esc, n, out);
        }
    }

done:

    while (i-- > 0) {
        free(escaped[i]);
    }

    return out;
}


char *
dir_filter_render(const char *tpl, char placeholder, const char *value,
    size_t valuelen)
{
    dir_filter_value_t  v;

    v.placeholder = placeholder;
    v.value = value;
    v.len = valuelen;

    return dir_filter_render_values(tpl, &v, 1);
}
