#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "agent_log.h"
#include "agent_subject.h"
#include "agent_summary.h"


static void agent_summary_line(FILE *f, const char *label,
    const char *value, const char *note);


void
agent_summary_print(FILE *f, const char *title, const char *how,
    const char *profile, const agent_credentials_t *c,
    const agent_paths_t *paths)
{
    int   n;
    char  text[1024], note[64];

    fprintf(f, "%s (", title);
    agent_log_untrusted(f, how);

    if (profile != NULL) {
        fputs(", profile \"", f);
        agent_log_untrusted(f, profile);
        fputc('"', f);
    }

    fputs(")\n", f);

    agent_summary_line(f, "subject",
                       agent_subject_text(X509_get_subject_name(c->cert),
                                          text, sizeof(text)),
                       NULL);
    agent_summary_line(f, "serial",
                       agent_summary_serial(c->cert, text, sizeof(text)),
                       NULL);
    agent_summary_line(f, "issuer",
                       agent_subject_text(X509_get_issuer_name(c->cert),
                                          text, sizeof(text)), NULL);
    agent_summary_line(f, "not after",
                       agent_summary_time(X509_get0_notAfter(c->cert), text,
                                          sizeof(text)), NULL);

    agent_summary_line(f, "key", paths->key, "mode 0600");
    agent_summary_line(f, "certificate", paths->cert, NULL);

    if (paths->has_ca) {
        n = sk_X509_num(c->chain);
        snprintf(note, sizeof(note), "%d certificate%s", n,
                 n == 1 ? "" : "s");
        agent_summary_line(f, "CA chain", paths->ca, note);
    }

    if (paths->has_prev) {
        agent_summary_line(f, "previous", paths->cert_prev,
                           "and its key, kept until the next renewal");
    }

    fflush(f);
}


static void
agent_summary_line(FILE *f, const char *label, const char *value,
    const char *note)
{
    fprintf(f, "  %-13s ", label);
    agent_log_untrusted(f, value);

    if (note != NULL) {
        fprintf(f, " (%s)", note);
    }

    fputc('\n', f);
}


/* Upper-case hex, as PROTOCOL.md writes serials. */
const char *
agent_summary_serial(const X509 *cert, char *buf, size_t size)
{
    char    *hex;
    BIGNUM  *bn;

    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    hex = (bn != NULL) ? BN_bn2hex(bn) : NULL;

    snprintf(buf, size, "%s", hex ? hex : "(unreadable)");

    OPENSSL_free(hex);
    BN_free(bn);

    return buf;
}


/* RFC 3339 in UTC, as PROTOCOL.md writes times. */
const char *
agent_summary_time(const ASN1_TIME *t, char *buf, size_t size)
{
    struct tm  tm;

    if (ASN1_TIME_to_tm(t, &tm) != 1
        || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        snprintf(buf, size, "(unreadable)");
    }

    return buf;
}


const char *
agent_summary_epoch(time_t t, char *buf, size_t size)
{
    struct tm  tm;

    if (gmtime_r(&t, &tm) == NULL
        || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        snprintf(buf, size, "(unreadable)");
    }

    return buf;
}


int
agent_summary_validity(const X509 *cert, time_t *not_before,
    time_t *not_after)
{
    struct tm  tm;

    if (ASN1_TIME_to_tm(X509_get0_notBefore(cert), &tm) != 1) {
        return -1;
    }

    *not_before = timegm(&tm);

    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
        return -1;
    }

    *not_after = timegm(&tm);

    return 0;
}
