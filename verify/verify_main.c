/*
 * scep-verify: the CA's side of the portal's bound challenges.
 *
 * A CA runs it for each certificate request, the DER (or PEM) CSR on its
 * standard input, as micromdm's scepserver -csrverifierexec does; exit
 * status 0 lets the certificate be issued.  It accepts a CSR only when
 * its signature verifies, its challengePassword is a bound challenge
 * signed by one of the keys the portal signs with, for a profile served
 * here, not expired and never used before, and the CSR asks for exactly
 * what the challenge grants: the subject, the subject alternative names,
 * the key usages, an RSA key at least as large.  It needs nothing from
 * the portal but the keys.
 *
 *     scep-verify [-c FILE] [--key-file F]... [--replay-dir D]
 *                 [--profile P]... [--log-file F]      < csr.der
 *     scep-verify --check [-c FILE] ...       the configuration, its keys
 *     scep-verify --new-key FILE              a new key (base64, 0600)
 *
 * Without -c and without --key-file, the configuration is read from
 * $SCEP_VERIFY_CONFIG, else /etc/scep-verify.conf (verify_config.h).
 * Every decision is one line on stderr (and in log_file), never with the
 * challenge; each refusal has its own exit status (verify_exit.h).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "verify_config.h"
#include "verify_exit.h"
#include "verify_replay.h"


/* A CSR is a few kilobytes; this is far more than any. */
#define VERIFY_CSR_MAX  (64 * 1024)

#define VERIFY_VERSION  "1"


typedef struct {
    const char  *config;
    int          check;
    const char  *new_key;
    int          keys_given;
} verify_options_t;

/* What a decision line tells besides its reason. */
typedef struct {
    const verify_config_t  *config;
    const scep_bound_t     *bound;        /* once opened, or NULL */
    char                    subject[256];
} verify_run_t;


static int verify_options(int argc, char **argv, verify_options_t *o,
    verify_config_t *c);
static int verify_usage(const char *why);
static int verify_check(const verify_config_t *c);
static int verify_judge(const verify_config_t *c);
static X509_REQ *verify_read_csr(char *why, size_t size);
static int verify_judge_csr(verify_run_t *run, X509_REQ *req);
static int verify_bound_exit(scep_bound_status_t st);
static void verify_details(const verify_run_t *run, scep_bound_status_t st,
    const scep_csr_facts_t *f, char *out, size_t size);
static int verify_refuse(const verify_run_t *run, int code,
    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void verify_line(const verify_config_t *c, const char *line);
static void verify_subject_text(X509_NAME *name, char *out, size_t size);


int
main(int argc, char **argv)
{
    int               rc;
    char              why[512];
    scep_error_t      err;
    verify_config_t   c;
    verify_options_t  o;

    verify_config_init(&c);

    rc = verify_options(argc, argv, &o, &c);
    if (rc >= 0) {
        verify_config_wipe(&c);
        return rc;
    }

    if (o.new_key != NULL) {
        scep_error_clear(&err);

        if (scep_keyring_new_file(o.new_key, &err) != 0) {
            fprintf(stderr, "scep-verify: %s\n", err.message);
            return VERIFY_EXIT_USAGE;
        }

        printf("scep-verify: a new key is in %s (mode 0600): list it in "
               "the portal's scep_key_file and in key_file here\n",
               o.new_key);
        return VERIFY_OK;
    }

    if (o.config == NULL && !o.keys_given) {
        o.config = getenv(VERIFY_CONFIG_ENV);

        if (o.config == NULL || o.config[0] == '\0') {
            o.config = VERIFY_CONFIG_DEFAULT;
        }
    }

    if (o.config != NULL
        && verify_config_read(&c, o.config, why, sizeof(why)) != 0)
    {
        fprintf(stderr, "scep-verify: %s\n", why);
        verify_config_wipe(&c);
        return VERIFY_EXIT_USAGE;
    }

    if (verify_config_check(&c, why, sizeof(why)) != 0) {
        fprintf(stderr, "scep-verify: %s\n", why);
        verify_config_wipe(&c);
        return VERIFY_EXIT_USAGE;
    }

    rc = o.check ? verify_check(&c) : verify_judge(&c);

    verify_config_wipe(&c);

    return rc;
}


/* -1 to go on, else the exit status (help, a mistake). */
static int
verify_options(int argc, char **argv, verify_options_t *o,
    verify_config_t *c)
{
    int          i;
    char         why[512];
    const char  *name, *value;

    memset(o, 0, sizeof(verify_options_t));

    for (i = 1; i < argc; i++) {
        name = argv[i];

        if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
            printf("usage: scep-verify [-c FILE] [--key-file FILE]... "
                   "[--replay-dir DIR]\n"
                   "                   [--profile NAME]... [--log-file FILE]"
                   " < csr.der\n"
                   "       scep-verify --check [-c FILE] ...\n"
                   "       scep-verify --new-key FILE\n"
                   "Exit 0 accepts the CSR on stdin; see the README for the "
                   "other statuses.\n");
            return VERIFY_OK;
        }

        if (strcmp(name, "--version") == 0) {
            printf("scep-verify %s (bound challenges, version %d)\n",
                   VERIFY_VERSION, SCEP_BOUND_VERSION);
            return VERIFY_OK;
        }

        if (strcmp(name, "--check") == 0) {
            o->check = 1;
            continue;
        }

        if (i + 1 >= argc) {
            return verify_usage(name);
        }

        value = argv[++i];

        if (strcmp(name, "-c") == 0 || strcmp(name, "--config") == 0) {
            o->config = value;
            continue;
        }

        if (strcmp(name, "--new-key") == 0) {
            o->new_key = value;
            continue;
        }

        if (strcmp(name, "--key-file") == 0) {
            o->keys_given = 1;
            name = "key_file";

        } else if (strcmp(name, "--replay-dir") == 0) {
            name = "replay_dir";

        } else if (strcmp(name, "--profile") == 0) {
            name = "profile";

        } else if (strcmp(name, "--log-file") == 0) {
            name = "log_file";

        } else {
            return verify_usage(name);
        }

        if (verify_config_set(c, name, value, why, sizeof(why)) != 0) {
            fprintf(stderr, "scep-verify: %s\n", why);
            return VERIFY_EXIT_USAGE;
        }
    }

    return -1;
}


static int
verify_usage(const char *option)
{
    fprintf(stderr, "scep-verify: unknown option, or one without its "
            "value: \"%.64s\" (see --help)\n", option);

    return VERIFY_EXIT_USAGE;
}


static int
verify_check(const verify_config_t *c)
{
    char    id[9];
    size_t  i;

    for (i = 0; i < c->keys.n; i++) {
        scep_key_id_hex(c->keys.keys[i].id, id);
        printf("key %s%s\n", id, i == 0 ? " (the portal signs with its "
               "first key)" : "");
    }

    printf("replay_dir %s\n", c->replay_dir);

    for (i = 0; i < c->nprofiles; i++) {
        printf("profile %s\n", c->profiles[i]);
    }

    if (c->nprofiles == 0) {
        printf("profiles: any\n");
    }

    return VERIFY_OK;
}


static int
verify_judge(const verify_config_t *c)
{
    int            rc;
    char           why[320];
    X509_REQ      *req;
    verify_run_t   run;

    memset(&run, 0, sizeof(run));
    run.config = c;

    req = verify_read_csr(why, sizeof(why));
    if (req == NULL) {
        return verify_refuse(&run, VERIFY_EXIT_UNREADABLE,
                             "the CSR cannot be read: %s", why);
    }

    verify_subject_text(X509_REQ_get_subject_name(req), run.subject,
                        sizeof(run.subject));

    rc = verify_judge_csr(&run, req);

    /* the request holds the challenge */
    X509_REQ_free(req);

    return rc;
}


static X509_REQ *
verify_read_csr(char *why, size_t size)
{
    BIO                  *bio;
    size_t                len;
    ssize_t               n;
    X509_REQ             *req;
    unsigned char        *buf;
    const unsigned char  *p;

    buf = malloc(VERIFY_CSR_MAX + 1);
    if (buf == NULL) {
        snprintf(why, size, "out of memory");
        return NULL;
    }

    len = 0;

    while (len <= VERIFY_CSR_MAX) {
        n = read(STDIN_FILENO, buf + len, VERIFY_CSR_MAX + 1 - len);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n < 0) {
            snprintf(why, size, "reading stdin: %s", strerror(errno));
            OPENSSL_clear_free(buf, VERIFY_CSR_MAX + 1);
            return NULL;
        }

        if (n == 0) {
            break;
        }

        len += (size_t) n;
    }

    req = NULL;

    if (len > VERIFY_CSR_MAX) {
        snprintf(why, size, "more than %d bytes on stdin", VERIFY_CSR_MAX);

    } else if (len == 0) {
        snprintf(why, size, "nothing on stdin");

    } else if (len > 10 && memcmp(buf, "-----BEGIN", 10) == 0) {
        bio = BIO_new_mem_buf(buf, (int) len);
        req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);

        if (req == NULL) {
            snprintf(why, size, "not a PEM certificate request");
        }

    } else {
        p = buf;
        req = d2i_X509_REQ(NULL, &p, (long) len);

        if (req == NULL) {
            snprintf(why, size, "not a DER PKCS#10 request");

        } else if (p != buf + len) {
            snprintf(why, size, "%zu bytes follow the DER request",
                     (size_t) (buf + len - p));
            X509_REQ_free(req);
            req = NULL;
        }
    }

    ERR_clear_error();
    OPENSSL_clear_free(buf, VERIFY_CSR_MAX + 1);

    return req;
}


static int
verify_judge_csr(verify_run_t *run, X509_REQ *req)
{
    int                  rc;
    char                 challenge[SCEP_CHALLENGE_MAX_LEN + 2], why[320];
    char                 details[256], id[9];
    scep_bound_t         b;
    scep_error_t         err;
    verify_replay_t      replay;
    scep_csr_facts_t     f;
    scep_bound_status_t  st;

    scep_error_clear(&err);

    if (scep_bound_csr_facts(req, &f, &err) != 0) {
        return verify_refuse(run, VERIFY_EXIT_UNREADABLE,
                             "the CSR cannot be read: %s", err.message);
    }

    if (!f.signature_ok) {
        return verify_refuse(run, VERIFY_EXIT_SIGNATURE,
                             "the CSR's signature does not verify with its "
                             "own key");
    }

    rc = scep_bound_csr_challenge(req, challenge, sizeof(challenge));

    if (rc == 1) {
        return verify_refuse(run, VERIFY_EXIT_NO_CHALLENGE,
                             "the CSR has no challenge password");
    }

    if (rc != 0) {
        OPENSSL_cleanse(challenge, sizeof(challenge));
        return verify_refuse(run, VERIFY_EXIT_MALFORMED,
                             "the CSR's challenge password is not one "
                             "string of at most %d characters",
                             SCEP_CHALLENGE_MAX_LEN);
    }

    st = scep_bound_open(&run->config->keys, challenge, strlen(challenge),
                         &b);

    OPENSSL_cleanse(challenge, sizeof(challenge));

    if (st != SCEP_BOUND_OK) {
        if (st == SCEP_BOUND_UNKNOWN_KEY) {
            scep_key_id_hex(b.key_id, id);
            return verify_refuse(run, verify_bound_exit(st), "%s; key %s",
                                 scep_bound_status_text(st), id);
        }

        return verify_refuse(run, verify_bound_exit(st), "%s",
                             scep_bound_status_text(st));
    }

    run->bound = &b;

    if (!verify_config_serves(run->config, b.grant.profile)) {
        return verify_refuse(run, VERIFY_EXIT_PROFILE,
                             "the challenge is for a profile this "
                             "verifier does not serve");
    }

    st = scep_bound_check(&b, &f, (long long) time(NULL));

    if (st != SCEP_BOUND_OK) {
        verify_details(run, st, &f, details, sizeof(details));

        return verify_refuse(run, verify_bound_exit(st), "%s%s",
                             scep_bound_status_text(st), details);
    }

    (void) verify_replay_prune(run->config->replay_dir,
                               (long long) time(NULL));

    replay = verify_replay_record(run->config->replay_dir, &b, why,
                                  sizeof(why));

    if (replay == VERIFY_REPLAY_USED) {
        return verify_refuse(run, VERIFY_EXIT_REPLAY,
                             "the challenge was used before: one "
                             "challenge, one certificate");
    }

    if (replay != VERIFY_REPLAY_FIRST) {
        return verify_refuse(run, VERIFY_EXIT_STORE, "%s", why);
    }

    scep_key_id_hex(b.key_id, id);
    snprintf(why, sizeof(why), "scep-verify: accepted: profile=%s "
             "subject=\"%s\" key=%s expires=%lld", b.grant.profile,
             run->subject, id, b.expires);
    verify_line(run->config, why);

    return VERIFY_OK;
}


static int
verify_bound_exit(scep_bound_status_t st)
{
    switch (st) {

    case SCEP_BOUND_OK:
        return VERIFY_OK;

    case SCEP_BOUND_MALFORMED:
        return VERIFY_EXIT_MALFORMED;

    case SCEP_BOUND_UNKNOWN_KEY:
        return VERIFY_EXIT_UNKNOWN_KEY;

    case SCEP_BOUND_FORGED:
        return VERIFY_EXIT_FORGED;

    case SCEP_BOUND_EXPIRED:
        return VERIFY_EXIT_EXPIRED;

    case SCEP_BOUND_OTHER_SUBJECT:
        return VERIFY_EXIT_SUBJECT;

    case SCEP_BOUND_OTHER_SAN:
        return VERIFY_EXIT_SAN;

    case SCEP_BOUND_OTHER_KEY_USAGE:
        return VERIFY_EXIT_KEY_USAGE;

    case SCEP_BOUND_WEAK_KEY:
        return VERIFY_EXIT_KEY;

    case SCEP_BOUND_EXTENSION:
        return VERIFY_EXIT_EXTENSION;
    }

    return VERIFY_EXIT_FORGED;
}


/* What differs, where the CSR says it: the challenge only has digests. */
static void
verify_details(const verify_run_t *run, scep_bound_status_t st,
    const scep_csr_facts_t *f, char *out, size_t size)
{
    struct tm  tm;
    time_t     t;

    out[0] = '\0';

    switch (st) {

    case SCEP_BOUND_EXPIRED:
        t = (time_t) run->bound->expires;

        if (gmtime_r(&t, &tm) != NULL) {
            strftime(out, size, " at %Y-%m-%dT%H:%M:%SZ", &tm);
        }

        break;

    case SCEP_BOUND_OTHER_KEY_USAGE:
        snprintf(out, size, " (the CSR asks for%s%s%s, the challenge "
                 "grants%s%s)",
                 (f->key_usage & SCEP_KU_DIGITAL_SIGNATURE)
                 ? " digitalSignature" : "",
                 (f->key_usage & SCEP_KU_KEY_ENCIPHERMENT)
                 ? " keyEncipherment" : "",
                 f->other_key_usage ? " and more" : "",
                 (run->bound->grant.key_usage & SCEP_KU_DIGITAL_SIGNATURE)
                 ? " digitalSignature" : "",
                 (run->bound->grant.key_usage & SCEP_KU_KEY_ENCIPHERMENT)
                 ? " keyEncipherment" : "");
        break;

    case SCEP_BOUND_WEAK_KEY:
        snprintf(out, size, " (%s of %d bits; at least %d RSA bits are "
                 "required)", f->key_rsa ? "RSA" : "a key not RSA",
                 f->key_bits, run->bound->grant.key_bits);
        break;

    case SCEP_BOUND_EXTENSION:
        snprintf(out, size, ": %s", f->extension);
        break;

    default:
        break;
    }
}


static int
verify_refuse(const verify_run_t *run, int code, const char *fmt, ...)
{
    char     reason[400], line[1024], id[9];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);

    if (run->bound != NULL) {
        scep_key_id_hex(run->bound->key_id, id);
        snprintf(line, sizeof(line), "scep-verify: refused (%d): %s; "
                 "profile=%s subject=\"%s\" key=%s", code, reason,
                 run->bound->grant.profile, run->subject, id);

    } else if (run->subject[0] != '\0') {
        snprintf(line, sizeof(line), "scep-verify: refused (%d): %s; "
                 "subject=\"%s\"", code, reason, run->subject);

    } else {
        snprintf(line, sizeof(line), "scep-verify: refused (%d): %s", code,
                 reason);
    }

    verify_line(run->config, line);

    return code;
}


/* stderr, and the log file with the time when there is one. */
static void
verify_line(const verify_config_t *c, const char *line)
{
    FILE       *f;
    char        stamp[32];
    time_t      now;
    struct tm   tm;

    fprintf(stderr, "%s\n", line);

    if (c == NULL || c->log_file[0] == '\0') {
        return;
    }

    f = fopen(c->log_file, "ae");
    if (f == NULL) {
        fprintf(stderr, "scep-verify: cannot append to \"%s\": %s\n",
                c->log_file, strerror(errno));
        return;
    }

    now = time(NULL);
    stamp[0] = '\0';

    if (gmtime_r(&now, &tm) != NULL) {
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ ", &tm);
    }

    fprintf(f, "%s[%ld] %s\n", stamp, (long) getpid(), line);
    fclose(f);
}


/*
 * RFC 2253 text of a subject a stranger wrote: printable ASCII only,
 * quotes and backslashes escaped, cut to fit.
 */
static void
verify_subject_text(X509_NAME *name, char *out, size_t size)
{
    BIO     *bio;
    char    *data;
    long     len, i;
    size_t   n;

    out[0] = '\0';

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return;
    }

    if (name != NULL
        && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0)
    {
        len = BIO_get_mem_data(bio, &data);
        n = 0;

        for (i = 0; i < len && n + 5 < size; i++) {
            if (data[i] == '"' || data[i] == '\\') {
                out[n++] = '\\';
                out[n++] = data[i];

            } else {
                out[n++] = (data[i] >= 0x20 && data[i] < 0x7f) ? data[i]
                                                               : '?';
            }
        }

        if (i < len) {
            memcpy(out + n, "...", 3);
            n += 3;
        }

        out[n] = '\0';
    }

    BIO_free(bio);
}
