/*
 * When a certificate is due for renewal.  By default when two thirds of
 * its lifetime have passed, as ACME clients do: a year's certificate is
 * renewed four months before it ends, a day's after sixteen hours, and a
 * failed attempt leaves a third of the lifetime to try again.  Either a
 * share of the lifetime (--renew-at PERCENT) or a time before the end
 * (--renew-before DURATION) may be given instead.
 */

#ifndef AGENT_WINDOW_H
#define AGENT_WINDOW_H

#include <time.h>


typedef struct {
    long  elapsed;      /* this share of the lifetime, elapsed / scale */
    long  scale;        /* 0: by "before" instead */
    long  before;       /* seconds before notAfter */
} agent_window_t;

/* --renew-at: a percentage with three decimals */
#define AGENT_WINDOW_SCALE  100000L


/* Two thirds of the lifetime. */
void agent_window_default(agent_window_t *w);

/*
 * "67", "66.667", "50%": 1 to 100 percent, at most three decimals.
 * Returns 0, or -1 when s is not such a number.
 */
int agent_window_parse_percent(const char *s, agent_window_t *w);

/*
 * "30d", "12h", "90m", "3600s" or "3600" (seconds), at most 100 years.
 * Returns 0, or -1.
 */
int agent_window_parse_duration(const char *s, long *seconds);

/*
 * The time from which a certificate valid from not_before to not_after
 * is due: never before not_before, never after not_after.
 */
time_t agent_window_renew_at(const agent_window_t *w, time_t not_before,
    time_t not_after);

/* "3 days", "5 hours", "12 minutes", "40 seconds": the largest unit. */
const char *agent_window_span(long seconds, char *buf, size_t size);


#endif /* AGENT_WINDOW_H */
