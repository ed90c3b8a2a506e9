#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_credentials.h"
#include "agent_files.h"
#include "agent_log.h"
#include "agent_state.h"
#include "agent_status.h"
#include "agent_subject.h"
#include "agent_summary.h"
#include "agent_window.h"


typedef struct {
    const char           *dir;
    int                   has_state;
    agent_state_t         st;
    int                   has_cert;
    agent_credentials_t   held;
    time_t                not_before;
    time_t                not_after;
    time_t                renew_at;
    char                  error[SCEP_ERROR_MESSAGE_LEN];
} agent_status_t;


static int agent_status_read(const agent_options_t *o, const char *dir,
    agent_status_t *s);
static void agent_status_text(FILE *f, const agent_status_t *s,
    time_t now);
static void agent_status_json(FILE *f, const agent_status_t *s, time_t now);
static void agent_status_field(FILE *f, const char *name, const char *value,
    int last);


agent_exit_t
agent_status_run(const agent_options_t *o)
{
    int              bad;
    char           **dirs, *one[1];
    size_t           i, n;
    time_t           now;
    scep_error_t     err;
    agent_status_t   s;

    if (o->all) {
        if (agent_files_dirs(o->root, &dirs, &n, &err) != 0) {
            agent_log_error("%s", err.message);
            return AGENT_EXIT_LOCAL;
        }

    } else {
        one[0] = (char *) o->out_dir;
        dirs = one;
        n = 1;
    }

    now = time(NULL);
    bad = 0;

    if (o->json) {
        fputs("{\"version\": 1, \"certificates\": [", stdout);
    } else if (n == 0) {
        printf("%s holds no certificate directory of " AGENT_PROGRAM "\n",
               o->root);
    }

    for (i = 0; i < n; i++) {
        if (agent_status_read(o, dirs[i], &s) != 0) {
            bad = 1;
        }

        if (o->json) {
            fputs(i ? ",\n  " : "\n  ", stdout);
            agent_status_json(stdout, &s, now);

        } else {
            agent_status_text(stdout, &s, now);
        }

        agent_credentials_free(&s.held);
    }

    if (o->json) {
        fputs(n ? "\n]}\n" : "]}\n", stdout);
    }

    if (o->all) {
        agent_files_dirs_free(dirs, n);
    }

    fflush(stdout);

    return bad ? AGENT_EXIT_LOCAL : AGENT_EXIT_OK;
}


static int
agent_status_read(const agent_options_t *o, const char *dir,
    agent_status_t *s)
{
    int           rc;
    scep_error_t  err;

    memset(s, 0, sizeof(agent_status_t));
    s->dir = dir;

    rc = agent_state_load(dir, &s->st, &err);

    if (rc < 0) {
        snprintf(s->error, sizeof(s->error), "%s", err.message);
        return -1;
    }

    s->has_state = (rc == 0);

    rc = agent_files_load(dir, &s->held, &err);

    if (rc < 0) {
        snprintf(s->error, sizeof(s->error), "%s", err.message);
        return -1;
    }

    s->has_cert = (rc == 0);

    if (s->has_cert) {
        if (agent_summary_validity(s->held.cert, &s->not_before,
                                   &s->not_after) != 0)
        {
            snprintf(s->error, sizeof(s->error), "%s/cert.pem has validity "
                     "dates that cannot be read", dir);
            return -1;
        }

        s->renew_at = agent_window_renew_at(&o->window, s->not_before,
                                            s->not_after);
    }

    if (!s->has_state && !s->has_cert) {
        snprintf(s->error, sizeof(s->error), "%s holds neither a state nor "
                 "a certificate of " AGENT_PROGRAM, dir);
        return -1;
    }

    return 0;
}


static void
agent_status_text(FILE *f, const agent_status_t *s, time_t now)
{
    char  text[1024], when[32], span[32];

    fputs(s->dir, f);
    fputc('\n', f);

    if (s->error[0] != '\0') {
        fputs("  error         ", f);
        agent_log_untrusted(f, s->error);
        fputs("\n", f);
        return;
    }

    if (s->has_state) {
        fputs("  profile       ", f);
        agent_log_untrusted(f, s->st.profile[0] ? s->st.profile : "-");
        fprintf(f, " (%s mode)\n", scep_mode_name(s->st.mode));
        fputs("  portal        ", f);
        agent_log_untrusted(f, s->st.portal);
        fputs(" as ", f);
        agent_log_untrusted(f, s->st.user);
        fputc('\n', f);
    }

    if (s->has_cert) {
        fputs("  subject       ", f);
        agent_log_untrusted(f, agent_subject_text(
                                   X509_get_subject_name(s->held.cert), text,
                                   sizeof(text)));
        fprintf(f, "\n  serial        %s\n",
                agent_summary_serial(s->held.cert, text, sizeof(text)));
        fputs("  issuer        ", f);
        agent_log_untrusted(f, agent_subject_text(
                                   X509_get_issuer_name(s->held.cert), text,
                                   sizeof(text)));
        fprintf(f, "\n  not after     %s (%s)\n",
                agent_summary_epoch(s->not_after, when, sizeof(when)),
                s->not_after > now
                ? (snprintf(text, sizeof(text), "%ld days left",
                            (long) ((s->not_after - now) / 86400)), text)
                : "expired");
        fprintf(f, "  next renewal  %s (%s)\n",
                agent_summary_epoch(s->renew_at, when, sizeof(when)),
                s->renew_at > now
                ? (snprintf(text, sizeof(text), "in %s",
                            agent_window_span((long) (s->renew_at - now),
                                              span, sizeof(span))), text)
                : "due now");

    } else {
        fputs("  certificate   none yet\n", f);
    }

    if (s->has_state && s->st.pending != AGENT_PENDING_NONE) {
        fprintf(f, "  pending       %s request, transaction %s, since %s\n",
                agent_pending_kind_name(s->st.pending), s->st.pending_id,
                agent_summary_epoch(s->st.pending_since, when,
                                    sizeof(when)));
    } else {
        fputs("  pending       none\n", f);
    }
}


static void
agent_status_json(FILE *f, const agent_status_t *s, time_t now)
{
    char  text[1024], when[32];

    fputs("{", f);
    agent_status_field(f, "dir", s->dir, 0);

    if (s->error[0] != '\0') {
        agent_status_field(f, "error", s->error, 1);
        fputs("}", f);
        return;
    }

    agent_status_field(f, "profile", s->has_state && s->st.profile[0]
                                     ? s->st.profile : NULL, 0);
    agent_status_field(f, "mode", s->has_state ? scep_mode_name(s->st.mode)
                                               : NULL, 0);
    agent_status_field(f, "portal", s->has_state ? s->st.portal : NULL, 0);
    agent_status_field(f, "user", s->has_state ? s->st.user : NULL, 0);
    agent_status_field(f, "server_url", s->has_state && s->st.server_url[0]
                                        ? s->st.server_url : NULL, 0);

    if (s->has_cert) {
        agent_status_field(f, "subject", agent_subject_text(
                               X509_get_subject_name(s->held.cert), text,
                               sizeof(text)), 0);
        agent_status_field(f, "serial", agent_summary_serial(
                               s->held.cert, text, sizeof(text)), 0);
        agent_status_field(f, "issuer", agent_subject_text(
                               X509_get_issuer_name(s->held.cert), text,
                               sizeof(text)), 0);
        agent_status_field(f, "not_before", agent_summary_epoch(
                               s->not_before, when, sizeof(when)), 0);
        agent_status_field(f, "not_after", agent_summary_epoch(
                               s->not_after, when, sizeof(when)), 0);
        fprintf(f, "\"days_left\": %ld, ",
                s->not_after > now ? (long) ((s->not_after - now) / 86400)
                                   : 0L);
        fprintf(f, "\"expired\": %s, ", s->not_after > now ? "false"
                                                           : "true");
        agent_status_field(f, "next_renewal", agent_summary_epoch(
                               s->renew_at, when, sizeof(when)), 0);
        fprintf(f, "\"due\": %s, ", s->renew_at <= now ? "true" : "false");

    } else {
        fputs("\"subject\": null, \"serial\": null, \"issuer\": null, "
              "\"not_before\": null, \"not_after\": null, "
              "\"days_left\": null, \"expired\": null, "
              "\"next_renewal\": null, \"due\": null, ", f);
    }

    fputs("\"pending\": ", f);

    if (s->has_state && s->st.pending != AGENT_PENDING_NONE) {
        fputs("{", f);
        agent_status_field(f, "kind", agent_pending_kind_name(s->st.pending),
                           0);
        agent_status_field(f, "transaction_id", s->st.pending_id, 0);
        agent_status_field(f, "since", agent_summary_epoch(
                               s->st.pending_since, when, sizeof(when)), 1);
        fputs("}", f);

    } else {
        fputs("null", f);
    }

    fputs("}", f);
}


static void
agent_status_field(FILE *f, const char *name, const char *value, int last)
{
    fprintf(f, "\"%s\": ", name);

    if (value == NULL) {
        fputs("null", f);
    } else {
        agent_status_json_string(f, value);
    }

    fputs(last ? "" : ", ", f);
}


void
agent_status_json_string(FILE *f, const char *s)
{
    const unsigned char  *p;

    fputc('"', f);

    for (p = (const unsigned char *) s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p, f);

        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p);

        } else {
            /* UTF-8 passes as it is; the subject text is UTF-8 */
            fputc(*p, f);
        }
    }

    fputc('"', f);
}
