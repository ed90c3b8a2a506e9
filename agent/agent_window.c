#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agent_window.h"


#define AGENT_DURATION_MAX  (100L * 366 * 24 * 3600)


void
agent_window_default(agent_window_t *w)
{
    /* exactly two thirds */
    w->elapsed = 2;
    w->scale = 3;
    w->before = 0;
}


int
agent_window_parse_percent(const char *s, agent_window_t *w)
{
    long         whole, frac, scale;
    int          digits;
    const char  *p;

    whole = 0;
    frac = 0;
    digits = 0;

    for (p = s; *p >= '0' && *p <= '9'; p++) {
        whole = whole * 10 + (*p - '0');

        if (whole > 100) {
            return -1;
        }
    }

    if (p == s) {
        return -1;
    }

    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (++digits > 3) {
                return -1;
            }

            frac = frac * 10 + (*p - '0');
        }

        if (digits == 0) {
            return -1;
        }
    }

    if (*p == '%') {
        p++;
    }

    if (*p != '\0') {
        return -1;
    }

    /* percent with three decimals: SCALE / 100 steps a percent */
    for (scale = 1; digits < 3; digits++) {
        scale *= 10;
    }

    frac *= scale;

    if (whole * 1000 + frac < 1000 || whole * 1000 + frac > 100000) {
        return -1;
    }

    w->elapsed = whole * 1000 + frac;
    w->scale = AGENT_WINDOW_SCALE;
    w->before = 0;

    return 0;
}


int
agent_window_parse_duration(const char *s, long *seconds)
{
    long         n, unit;
    const char  *p;

    n = 0;

    for (p = s; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');

        if (n > AGENT_DURATION_MAX) {
            return -1;
        }
    }

    if (p == s) {
        return -1;
    }

    switch (*p) {

    case '\0':
    case 's':
        unit = 1;
        break;

    case 'm':
        unit = 60;
        break;

    case 'h':
        unit = 3600;
        break;

    case 'd':
        unit = 24 * 3600;
        break;

    default:
        return -1;
    }

    if (*p != '\0' && p[1] != '\0') {
        return -1;
    }

    if (n > AGENT_DURATION_MAX / unit) {
        return -1;
    }

    *seconds = n * unit;

    return 0;
}


time_t
agent_window_renew_at(const agent_window_t *w, time_t not_before,
    time_t not_after)
{
    int64_t  life, at;

    if (not_after <= not_before) {
        return not_before;
    }

    life = (int64_t) not_after - (int64_t) not_before;

    if (w->scale > 0) {
        /* a lifetime of centuries times the scale still fits in 63 bits */
        at = (int64_t) not_before + life * w->elapsed / w->scale;

    } else {
        at = (int64_t) not_after - w->before;

        if (at < (int64_t) not_before) {
            at = not_before;
        }
    }

    return (time_t) at;
}


const char *
agent_window_span(long seconds, char *buf, size_t size)
{
    long         n;
    const char  *unit;

    if (seconds < 0) {
        seconds = -seconds;
    }

    if (seconds >= 2 * 24 * 3600) {
        n = seconds / (24 * 3600);
        unit = "day";

    } else if (seconds >= 2 * 3600) {
        n = seconds / 3600;
        unit = "hour";

    } else if (seconds >= 2 * 60) {
        n = seconds / 60;
        unit = "minute";

    } else {
        n = seconds;
        unit = "second";
    }

    snprintf(buf, size, "%ld %s%s", n, unit, n == 1 ? "" : "s");

    return buf;
}
