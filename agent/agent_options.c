#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scep/scep_profile.h"
#include "agent_log.h"
#include "agent_options.h"


enum {
    AGENT_OPT_PORTAL = 256,
    AGENT_OPT_INSECURE,
    AGENT_OPT_CA_FILE,
    AGENT_OPT_PKI_CA_FILE,
    AGENT_OPT_USER,
    AGENT_OPT_PASSWORD_FILE,
    AGENT_OPT_HOST_ID,
    AGENT_OPT_UDID,
    AGENT_OPT_OUT_DIR,
    AGENT_OPT_TIMEOUT,
    AGENT_OPT_WAIT
};


static const struct option  agent_long_options[] = {
    { "portal",         required_argument, NULL, AGENT_OPT_PORTAL },
    { "insecure",       no_argument,       NULL, AGENT_OPT_INSECURE },
    { "ca-file",        required_argument, NULL, AGENT_OPT_CA_FILE },
    { "pki-ca-file",    required_argument, NULL, AGENT_OPT_PKI_CA_FILE },
    { "user",           required_argument, NULL, AGENT_OPT_USER },
    { "password-file",  required_argument, NULL, AGENT_OPT_PASSWORD_FILE },
    { "host-id",        required_argument, NULL, AGENT_OPT_HOST_ID },
    { "udid",           required_argument, NULL, AGENT_OPT_UDID },
    { "out-dir",        required_argument, NULL, AGENT_OPT_OUT_DIR },
    { "timeout",        required_argument, NULL, AGENT_OPT_TIMEOUT },
    { "wait",           required_argument, NULL, AGENT_OPT_WAIT },
    { "verbose",        no_argument,       NULL, 'v' },
    { "help",           no_argument,       NULL, 'h' },
    { NULL,             0,                 NULL, 0 }
};


static const char  agent_usage[] =
"Usage: " AGENT_PROGRAM " --portal https://HOST[:PORT]\n"
"           [--insecure | --ca-file FILE] --user NAME\n"
"           [--password-file FILE] [--host-id ID] [--udid ID]\n"
"           --out-dir DIR [--pki-ca-file FILE] [--timeout SECONDS]\n"
"           [--wait SECONDS] [-v]\n"
"\n"
"Logs in to a GlobalProtect-style portal, obtains a client certificate\n"
"through SCEP and writes DIR/key.pem (mode 0600), DIR/cert.pem and\n"
"DIR/ca.pem.\n"
"\n"
"  --portal URL          the portal, https://HOST[:PORT]\n"
"  --ca-file FILE        trust the portal's certificate from these PEM roots\n"
"                        (default: the system's roots)\n"
"  --insecure            do not check the portal's certificate\n"
"  --user NAME           the login name\n"
"  --password-file FILE  read the password from the first line of FILE;\n"
"                        else from NGX_SCEP_PASSWORD, else asked on the\n"
"                        terminal without echo\n"
"  --host-id ID          the device's host id ($HOSTID in the subject)\n"
"  --udid ID             the device's UDID ($UDID in the subject)\n"
"  --out-dir DIR         where the key and certificates are written\n"
"  --pki-ca-file FILE    trusted roots for an https SCEP server (default:\n"
"                        the system's roots; through the portal's proxy,\n"
"                        those of the portal)\n"
"  --timeout SECONDS     bound on each exchange, 1..600 (30)\n"
"  --wait SECONDS        wait up to this long for a certificate that needs\n"
"                        approval, asking again as the portal says (0)\n"
"  -v, --verbose         tell each step on stderr\n"
"\n"
"Exit status: 0 certificate written, 1 local error (options, password,\n"
"files), 2 user name or password refused, 3 the portal refused the user\n"
"or the request, 4 the portal or the PKI failed, 5 try again later (the\n"
"certificate awaits approval, or the portal is busy).\n";


static int agent_options_number(const char *option, const char *s, long min,
    long max, long *out);
static int agent_options_portal(const char *url, agent_options_t *o);
static int agent_options_device_id(const char *option, const char *id);
static int agent_options_check(agent_options_t *o);


int
agent_options_parse(int argc, char **argv, agent_options_t *o)
{
    int  c;

    memset(o, 0, sizeof(*o));
    o->timeout = AGENT_TIMEOUT_DEFAULT;

    opterr = 0;

    for ( ;; ) {
        c = getopt_long(argc, argv, ":vh", agent_long_options, NULL);
        if (c == -1) {
            break;
        }

        switch (c) {

        case AGENT_OPT_PORTAL:
            if (agent_options_portal(optarg, o) != 0) {
                return -1;
            }
            break;

        case AGENT_OPT_INSECURE:
            o->insecure = 1;
            break;

        case AGENT_OPT_CA_FILE:
            o->ca_file = optarg;
            break;

        case AGENT_OPT_PKI_CA_FILE:
            o->pki_ca_file = optarg;
            break;

        case AGENT_OPT_USER:
            o->user = optarg;
            break;

        case AGENT_OPT_PASSWORD_FILE:
            o->password_file = optarg;
            break;

        case AGENT_OPT_HOST_ID:
            o->host_id = optarg;
            break;

        case AGENT_OPT_UDID:
            o->udid = optarg;
            break;

        case AGENT_OPT_OUT_DIR:
            o->out_dir = optarg;
            break;

        case AGENT_OPT_TIMEOUT:
            if (agent_options_number("--timeout", optarg, 1,
                                     AGENT_TIMEOUT_MAX, &o->timeout)
                != 0)
            {
                return -1;
            }
            break;

        case AGENT_OPT_WAIT:
            if (agent_options_number("--wait", optarg, 0, AGENT_WAIT_MAX,
                                     &o->wait)
                != 0)
            {
                return -1;
            }
            break;

        case 'v':
            o->verbose = 1;
            break;

        case 'h':
            fputs(agent_usage, stdout);
            return 1;

        case ':':
            agent_log_error("%s needs a value; see --help",
                            argv[optind - 1]);
            return -1;

        default:
            agent_log_error("unknown option %s; see --help",
                            argv[optind - 1]);
            return -1;
        }
    }

    if (optind < argc) {
        agent_log_error("unexpected argument \"%s\"; see --help",
                        argv[optind]);
        return -1;
    }

    return agent_options_check(o);
}


static int
agent_options_check(agent_options_t *o)
{
    size_t  len;

    if (o->portal[0] == '\0') {
        agent_log_error("--portal is required; see --help");
        return -1;
    }

    if (o->user == NULL) {
        agent_log_error("--user is required; see --help");
        return -1;
    }

    if (o->out_dir == NULL || o->out_dir[0] == '\0') {
        agent_log_error("--out-dir is required; see --help");
        return -1;
    }

    if (o->insecure && o->ca_file != NULL) {
        agent_log_error("--insecure and --ca-file exclude each other");
        return -1;
    }

    /* the portal would refuse these with the same 512 as a wrong password */
    len = strlen(o->user);

    if (len == 0 || len > AGENT_USER_MAX) {
        agent_log_error("--user must be 1 to %d bytes long", AGENT_USER_MAX);
        return -1;
    }

    if (o->host_id != NULL
        && agent_options_device_id("--host-id", o->host_id) != 0)
    {
        return -1;
    }

    if (o->udid != NULL && agent_options_device_id("--udid", o->udid) != 0) {
        return -1;
    }

    return 0;
}


static int
agent_options_number(const char *option, const char *s, long min, long max,
    long *out)
{
    long   n;
    char  *end;

    errno = 0;
    n = strtol(s, &end, 10);

    if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0
        || n < min || n > max)
    {
        agent_log_error("%s takes a whole number of seconds from %ld to %ld",
                        option, min, max);
        return -1;
    }

    *out = n;

    return 0;
}


/* https://HOST[:PORT] with at most a trailing '/': the endpoints follow. */
static int
agent_options_portal(const char *url, agent_options_t *o)
{
    size_t        len;
    const char   *path;
    scep_error_t  err;

    if (scep_check_url(url, 1, &err) != 0) {
        agent_log_error("--portal \"%s\" is not usable: %s", url,
                        err.message);
        return -1;
    }

    path = strpbrk(url + strlen("https://"), "/?");

    if (path != NULL && strcmp(path, "/") != 0) {
        agent_log_error("--portal takes only https://HOST[:PORT], without a "
                        "path or query; the agent adds /global-protect/");
        return -1;
    }

    len = (path != NULL) ? (size_t) (path - url) : strlen(url);

    if (len > AGENT_PORTAL_URL_MAX) {
        agent_log_error("--portal is longer than %d bytes",
                        AGENT_PORTAL_URL_MAX);
        return -1;
    }

    memcpy(o->portal, url, len);
    o->portal[len] = '\0';

    return 0;
}


/* As the portal checks host-id and udid (PROTOCOL.md, section 4.2). */
static int
agent_options_device_id(const char *option, const char *id)
{
    size_t  i, len;

    len = strlen(id);

    if (len == 0 || len > AGENT_DEVICE_ID_MAX) {
        agent_log_error("%s must be 1 to %d characters long", option,
                        AGENT_DEVICE_ID_MAX);
        return -1;
    }

    for (i = 0; i < len; i++) {
        if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z')
              || (id[i] >= '0' && id[i] <= '9')
              || strchr("._:{}-", id[i]) != NULL))
        {
            agent_log_error("%s may hold only letters, digits and . _ : { } -",
                            option);
            return -1;
        }
    }

    return 0;
}
