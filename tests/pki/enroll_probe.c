/*
 * enroll_probe: drives the SCEP client from the command line, for the
 * integration tests.  Prints "key=value" lines on stdout; exits 0 on a
 * certificate (or a finished listing), 2 when the CA answers PENDING,
 * 3 when it refuses the request, 1 on any other error.
 *
 *   enroll_probe --url URL [--profile NAME] [--ca-ident S]
 *       [--fingerprint HEX] [--fips] [--trusted-ca PEM]
 *       [--subject TPL] [--username U] [--email E] [--hostid H]
 *       [--challenge PW] [--key-bits N] [--digest D]
 *       [--san-type T --san-value V] [--key-usage U[,U]]
 *       [--poll-initial MS] [--poll-max MS] [--poll-total MS]
 *       [--out-cert F] [--out-key F] [--out-p12 F --out-p12-pass F]
 *       [--store DIR [--name N] [--ca-from-store]]
 *       [--save-transaction F | --resume F] [--fetch-ca-only]
 *   enroll_probe --list-store DIR
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "scep/scep_caps.h"
#include "scep/scep_certs.h"
#include "scep/scep_client.h"
#include "scep/scep_http.h"
#include "scep/scep_key.h"
#include "scep/scep_pkcs12.h"
#include "scep/scep_profile.h"
#include "scep/scep_store.h"
#include "scep/scep_subject.h"


#define PROBE_EXIT_ERROR    1
#define PROBE_EXIT_PENDING  2
#define PROBE_EXIT_FAILURE  3

#define PROBE_FILE_MAX      (64 * 1024)


typedef struct {
    scep_profile_t          profile;
    scep_subject_values_t   values;
    scep_poll_t             poll;
    const char             *challenge;
    const char             *out_cert;
    const char             *out_key;
    const char             *out_p12;
    const char             *out_p12_pass;
    const char             *store;
    const char             *name;
    const char             *save_transaction;
    const char             *resume;
    const char             *list_store;
    int                     ca_from_store;
    int                     fetch_ca_only;
} probe_t;


static int
probe_fail(const scep_error_t *err)
{
    printf("error_code=%s\n", scep_code_name(err->code));
    printf("error_field=%s\n", err->field);
    printf("error=%s\n", err->message);

    switch (err->code) {

    case SCEP_ERR_PENDING:
        return PROBE_EXIT_PENDING;

    case SCEP_ERR_FAILURE:
        return PROBE_EXIT_FAILURE;

    default:
        return PROBE_EXIT_ERROR;
    }
}


static int
probe_write(const char *path, const void *data, size_t len, mode_t mode)
{
    int   fd;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

    if (fd < 0 || write(fd, data, len) != (ssize_t) len) {
        fprintf(stderr, "enroll_probe: cannot write %s: %s\n", path,
                strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }

    return close(fd);
}


static int
probe_write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
    int    rc;
    BIO   *bio;
    char  *data;
    long   len;

    bio = BIO_new(BIO_s_secmem());

    if (bio == NULL
        || (cert != NULL && !PEM_write_bio_X509(bio, cert))
        || (key != NULL
            && !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
                                         NULL)))
    {
        BIO_free(bio);
        return -1;
    }

    len = BIO_get_mem_data(bio, &data);
    rc = probe_write(path, data, (size_t) len, key != NULL ? 0600 : 0644);
    BIO_free(bio);

    return rc;
}


static unsigned char *
probe_read(const char *path, size_t *len)
{
    FILE           *f;
    unsigned char  *buf;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    buf = OPENSSL_malloc(PROBE_FILE_MAX);

    if (buf != NULL) {
        *len = fread(buf, 1, PROBE_FILE_MAX, f);
    }

    fclose(f);

    return buf;
}


static void
probe_print_ca(const scep_ca_t *ca)
{
    char  text[SCEP_NAME_TEXT_LEN], caps[SCEP_CAPS_TEXT_LEN], *p;

    scep_name_text(X509_get_subject_name(ca->ca), text, sizeof(text));
    printf("ca_subject=%s\n", text);
    scep_name_text(X509_get_subject_name(ca->recipient), text, sizeof(text));
    printf("recipient_subject=%s\n", text);
    scep_name_text(X509_get_subject_name(ca->verifier), text, sizeof(text));
    printf("verifier_subject=%s\n", text);
    printf("ca_certs=%d\n", sk_X509_num(ca->certs));

    scep_caps_format(ca->caps, caps, sizeof(caps));

    for (p = caps; *p != '\0'; p++) {
        if (*p == '\n') {
            *p = (p[1] != '\0') ? ',' : '\0';
        }
    }

    printf("caps=%s\n", caps);
    printf("cipher=%s\n", scep_cipher_label(ca->algs.cipher));
    printf("digest=%s\n", scep_digest_name(ca->algs.digest));
    printf("method=%s\n", ca->algs.post ? "POST" : "GET");
}


static int
probe_deliver(probe_t *pr, const scep_ca_t *ca, X509 *cert, EVP_PKEY *key)
{
    char              text[SCEP_NAME_TEXT_LEN];
    scep_error_t      err;
    scep_pkcs12_t     p12;
    STACK_OF(X509)   *chain;

    scep_name_text(X509_get_subject_name(cert), text, sizeof(text));
    printf("status=success\n");
    printf("subject=%s\n", text);

    if ((pr->out_cert && probe_write_pem(pr->out_cert, cert, NULL))
        || (pr->out_key && probe_write_pem(pr->out_key, NULL, key)))
    {
        return PROBE_EXIT_ERROR;
    }

    chain = sk_X509_new_null();
    if (chain == NULL || !sk_X509_push(chain, ca->ca)) {
        sk_X509_free(chain);
        return PROBE_EXIT_ERROR;
    }

    if (pr->out_p12 != NULL) {
        if (scep_pkcs12_create(cert, key, chain, "probe", &p12, &err) != 0) {
            sk_X509_free(chain);
            return probe_fail(&err);
        }

        if (probe_write(pr->out_p12, p12.der, p12.der_len, 0600) != 0
            || (pr->out_p12_pass
                && probe_write(pr->out_p12_pass, p12.passphrase,
                               strlen(p12.passphrase), 0600) != 0))
        {
            scep_pkcs12_release(&p12);
            sk_X509_free(chain);
            return PROBE_EXIT_ERROR;
        }

        printf("pkcs12_base64_len=%zu\n", strlen(p12.base64));
        scep_pkcs12_release(&p12);
    }

    if (pr->store != NULL && pr->name != NULL
        && scep_store_save_cert(pr->store, pr->name, pr->profile.name, cert,
                                chain, key, &err) != 0)
    {
        sk_X509_free(chain);
        return probe_fail(&err);
    }

    sk_X509_free(chain);

    return 0;
}


static int
probe_save_pending(probe_t *pr, scep_transaction_t *t)
{
    int             rc;
    size_t          len;
    scep_error_t    err;
    unsigned char  *buf;

    printf("status=pending\n");
    printf("transaction_id=%s\n", t->id);

    if (pr->save_transaction == NULL) {
        return 0;
    }

    if (scep_transaction_serialize(t, &buf, &len, &err) != 0) {
        return probe_fail(&err);
    }

    rc = probe_write(pr->save_transaction, buf, len, 0600);
    OPENSSL_clear_free(buf, len);

    return rc;
}


static int
probe_enroll(probe_t *pr, const scep_ca_t *ca)
{
    int                  rc;
    X509                *cert;
    X509_NAME           *subject;
    EVP_PKEY            *key;
    scep_sans_t          sans;
    scep_error_t         err;
    scep_transaction_t  *pending;

    subject = scep_subject_render(pr->profile.subject_tpl, &pr->values,
                                  &err);
    if (subject == NULL) {
        return probe_fail(&err);
    }

    if (scep_san_render(pr->profile.san_tpl, &pr->values, &sans, &err) != 0)
    {
        X509_NAME_free(subject);
        return probe_fail(&err);
    }

    key = scep_key_generate(pr->profile.key_bits, &err);
    if (key == NULL) {
        X509_NAME_free(subject);
        scep_sans_free(&sans);
        return probe_fail(&err);
    }

    cert = scep_client_enroll(&pr->profile, ca, key, subject, &sans,
                              pr->challenge, &pr->poll, &pending, &err);

    X509_NAME_free(subject);
    scep_sans_free(&sans);

    if (cert != NULL) {
        rc = probe_deliver(pr, ca, cert, key);
        X509_free(cert);

    } else {
        rc = probe_fail(&err);

        if (pending != NULL && probe_save_pending(pr, pending) != 0) {
            rc = PROBE_EXIT_ERROR;
        }

        scep_transaction_free(pending);
    }

    EVP_PKEY_free(key);

    return rc;
}


static int
probe_resume(probe_t *pr, const scep_ca_t *ca)
{
    int                  rc;
    X509                *cert;
    size_t               len;
    scep_error_t         err;
    unsigned char       *buf;
    scep_transaction_t  *t;

    buf = probe_read(pr->resume, &len);
    if (buf == NULL) {
        fprintf(stderr, "enroll_probe: cannot read %s\n", pr->resume);
        return PROBE_EXIT_ERROR;
    }

    t = scep_transaction_deserialize(buf, len, &err);
    OPENSSL_clear_free(buf, PROBE_FILE_MAX);

    if (t == NULL) {
        return probe_fail(&err);
    }

    cert = scep_client_poll(&pr->profile, ca, t, &pr->poll, &err);

    if (cert != NULL) {
        rc = probe_deliver(pr, ca, cert, t->key);
        X509_free(cert);

    } else {
        rc = probe_fail(&err);
    }

    scep_transaction_free(t);

    return rc;
}


static int
probe_run(probe_t *pr)
{
    int            rc;
    char          *json;
    size_t         len;
    scep_ca_t     *ca;
    scep_error_t   err;

    if (pr->list_store != NULL) {
        if (scep_store_list(pr->list_store, &json, &len, &err) != 0) {
            return probe_fail(&err);
        }

        printf("%s\n", json);
        free(json);
        return 0;
    }

    if (scep_profile_validate(&pr->profile, &err) != 0
        || scep_http_global_init(&err) != 0)
    {
        return probe_fail(&err);
    }

    ca = pr->ca_from_store
         ? scep_store_load_ca(pr->store, &pr->profile, &err)
         : scep_client_fetch_ca(&pr->profile, &err);

    if (ca == NULL) {
        return probe_fail(&err);
    }

    probe_print_ca(ca);

    if (pr->store != NULL && !pr->ca_from_store
        && scep_store_save_ca(pr->store, pr->profile.name, ca, &err) != 0)
    {
        scep_ca_free(ca);
        return probe_fail(&err);
    }

    if (pr->fetch_ca_only) {
        rc = 0;

    } else if (pr->resume != NULL) {
        rc = probe_resume(pr, ca);

    } else {
        rc = probe_enroll(pr, ca);
    }

    scep_ca_free(ca);

    return rc;
}


/* "digital_signature,key_encipherment": one word at a time. */
static int
probe_key_usage(const char *arg, unsigned *usage, scep_error_t *err)
{
    int    rc;
    char  *copy, *word, *save;

    copy = strdup(arg);
    if (copy == NULL) {
        return scep_error_set(err, SCEP_ERR_NOMEM, NULL, "out of memory");
    }

    rc = 0;

    for (word = strtok_r(copy, ",", &save); word != NULL && rc == 0;
         word = strtok_r(NULL, ",", &save))
    {
        rc = scep_parse_key_usage(word, usage, err);
    }

    free(copy);

    return rc;
}


static int
probe_option(probe_t *pr, int opt, const char *arg, scep_error_t *err)
{
    scep_profile_t  *p;

    p = &pr->profile;

    switch (opt) {

    case 'u':
        p->server_url = arg;
        return 0;

    case 'i':
        p->ca_ident = arg;
        return 0;

    case 'f':
        return scep_parse_fingerprint(arg, p->ca_fingerprint,
                                      &p->ca_fingerprint_len, err);

    case 'F':
        p->fips = 1;
        return 0;

    case 'r':
        p->trusted_ca = arg;
        return 0;

    case 's':
        p->subject = arg;
        return 0;

    case 'U':
        pr->values.username = arg;
        return 0;

    case 'E':
        pr->values.email = arg;
        return 0;

    case 'H':
        pr->values.hostid = arg;
        return 0;

    case 'c':
        pr->challenge = arg;
        return 0;

    case 'b':
        return scep_parse_key_bits(arg, &p->key_bits, err);

    case 'd':
        return scep_parse_digest(arg, &p->digest, err);

    case 't':
        /* one name: --san-type, then --san-value */
        p->nsans = 1;
        return scep_parse_san_type(arg, &p->sans[0].type, err);

    case 'v':
        p->sans[0].value = arg;
        return 0;

    case 'k':
        return probe_key_usage(arg, &p->key_usage, err);

    case 'p':
        p->name = arg;
        return 0;

    case '1':
        pr->poll.initial_ms = strtoul(arg, NULL, 10);
        return 0;

    case '2':
        pr->poll.max_interval_ms = strtoul(arg, NULL, 10);
        return 0;

    case '3':
        pr->poll.max_total_ms = strtoul(arg, NULL, 10);
        return 0;

    case 'C':
        pr->out_cert = arg;
        return 0;

    case 'K':
        pr->out_key = arg;
        return 0;

    case 'P':
        pr->out_p12 = arg;
        return 0;

    case 'W':
        pr->out_p12_pass = arg;
        return 0;

    case 'S':
        pr->store = arg;
        return 0;

    case 'N':
        pr->name = arg;
        return 0;

    case 'A':
        pr->ca_from_store = 1;
        return 0;

    case 'T':
        pr->save_transaction = arg;
        return 0;

    case 'R':
        pr->resume = arg;
        return 0;

    case 'L':
        pr->list_store = arg;
        return 0;

    case 'O':
        pr->fetch_ca_only = 1;
        return 0;

    default:
        return scep_error_set(err, SCEP_ERR_INPUT, NULL, "unknown option");
    }
}


int
main(int argc, char **argv)
{
    int            opt, rc, usage_set;
    probe_t        pr;
    scep_error_t   err;

    static const struct option  options[] = {
        { "profile", required_argument, NULL, 'p' },
        { "url", required_argument, NULL, 'u' },
        { "ca-ident", required_argument, NULL, 'i' },
        { "fingerprint", required_argument, NULL, 'f' },
        { "fips", no_argument, NULL, 'F' },
        { "trusted-ca", required_argument, NULL, 'r' },
        { "subject", required_argument, NULL, 's' },
        { "username", required_argument, NULL, 'U' },
        { "email", required_argument, NULL, 'E' },
        { "hostid", required_argument, NULL, 'H' },
        { "challenge", required_argument, NULL, 'c' },
        { "key-bits", required_argument, NULL, 'b' },
        { "digest", required_argument, NULL, 'd' },
        { "san-type", required_argument, NULL, 't' },
        { "san-value", required_argument, NULL, 'v' },
        { "key-usage", required_argument, NULL, 'k' },
        { "poll-initial", required_argument, NULL, '1' },
        { "poll-max", required_argument, NULL, '2' },
        { "poll-total", required_argument, NULL, '3' },
        { "out-cert", required_argument, NULL, 'C' },
        { "out-key", required_argument, NULL, 'K' },
        { "out-p12", required_argument, NULL, 'P' },
        { "out-p12-pass", required_argument, NULL, 'W' },
        { "store", required_argument, NULL, 'S' },
        { "name", required_argument, NULL, 'N' },
        { "ca-from-store", no_argument, NULL, 'A' },
        { "save-transaction", required_argument, NULL, 'T' },
        { "resume", required_argument, NULL, 'R' },
        { "list-store", required_argument, NULL, 'L' },
        { "fetch-ca-only", no_argument, NULL, 'O' },
        { NULL, 0, NULL, 0 }
    };

    memset(&pr, 0, sizeof(pr));
    scep_profile_init(&pr.profile, "probe");
    pr.profile.subject = "CN=$USERNAME";
    usage_set = 0;

    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 'k' && !usage_set) {
            /* the first --key-usage replaces the default of both */
            pr.profile.key_usage = 0;
            usage_set = 1;
        }

        if (probe_option(&pr, opt, optarg, &err) != 0) {
            return probe_fail(&err);
        }
    }

    rc = probe_run(&pr);

    scep_profile_release(&pr.profile);

    return rc;
}
