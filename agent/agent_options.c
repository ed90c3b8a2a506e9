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
    AGENT_OPT_WAIT,
    AGENT_OPT_FORCE,
    AGENT_OPT_ALL,
    AGENT_OPT_ROOT,
    AGENT_OPT_JSON,
    AGENT_OPT_SAME_KEY,
    AGENT_OPT_RENEW_AT,
    AGENT_OPT_RENEW_BEFORE
};

/* Which commands take an option. */
#define AGENT_FOR_ENROLL  0x01
#define AGENT_FOR_RENEW   0x02
#define AGENT_FOR_STATUS  0x04
#define AGENT_FOR_ALL     0x07

typedef struct {
    struct option  opt;
    unsigned       commands;
} agent_option_t;


static const agent_option_t  agent_options[] = {
    { { "portal", required_argument, NULL, AGENT_OPT_PORTAL },
      AGENT_FOR_ENROLL },
    { { "insecure", no_argument, NULL, AGENT_OPT_INSECURE },
      AGENT_FOR_ENROLL },
    { { "ca-file", required_argument, NULL, AGENT_OPT_CA_FILE },
      AGENT_FOR_ENROLL },
    { { "pki-ca-file", required_argument, NULL, AGENT_OPT_PKI_CA_FILE },
      AGENT_FOR_ENROLL },
    { { "user", required_argument, NULL, AGENT_OPT_USER },
      AGENT_FOR_ENROLL },
    { { "password-file", required_argument, NULL, AGENT_OPT_PASSWORD_FILE },
      AGENT_FOR_ENROLL | AGENT_FOR_RENEW },
    { { "host-id", required_argument, NULL, AGENT_OPT_HOST_ID },
      AGENT_FOR_ENROLL },
    { { "udid", required_argument, NULL, AGENT_OPT_UDID },
      AGENT_FOR_ENROLL },
    { { "dir", required_argument, NULL, AGENT_OPT_OUT_DIR },
      AGENT_FOR_ALL },
    { { "out-dir", required_argument, NULL, AGENT_OPT_OUT_DIR },
      AGENT_FOR_ALL },
    { { "timeout", required_argument, NULL, AGENT_OPT_TIMEOUT },
      AGENT_FOR_ENROLL | AGENT_FOR_RENEW },
    { { "wait", required_argument, NULL, AGENT_OPT_WAIT },
      AGENT_FOR_ENROLL | AGENT_FOR_RENEW },
    { { "force", no_argument, NULL, AGENT_OPT_FORCE },
      AGENT_FOR_ENROLL | AGENT_FOR_RENEW },
    { { "all", no_argument, NULL, AGENT_OPT_ALL },
      AGENT_FOR_RENEW | AGENT_FOR_STATUS },
    { { "root", required_argument, NULL, AGENT_OPT_ROOT },
      AGENT_FOR_RENEW | AGENT_FOR_STATUS },
    { { "json", no_argument, NULL, AGENT_OPT_JSON },
      AGENT_FOR_STATUS },
    { { "same-key", no_argument, NULL, AGENT_OPT_SAME_KEY },
      AGENT_FOR_RENEW },
    { { "renew-at", required_argument, NULL, AGENT_OPT_RENEW_AT },
      AGENT_FOR_RENEW | AGENT_FOR_STATUS },
    { { "renew-before", required_argument, NULL, AGENT_OPT_RENEW_BEFORE },
      AGENT_FOR_RENEW | AGENT_FOR_STATUS },
    { { "verbose", no_argument, NULL, 'v' }, AGENT_FOR_ALL },
    { { "help", no_argument, NULL, 'h' }, AGENT_FOR_ALL },
    { { NULL, 0, NULL, 0 }, 0 }
};

#define AGENT_NOPTIONS  (sizeof(agent_options) / sizeof(agent_option_t))

static const char  *agent_command_names[] = { "enroll", "renew", "status" };


static const char  agent_usage[] =
"Usage: " AGENT_PROGRAM " [enroll] --portal https://HOST[:PORT]\n"
"           [--insecure | --ca-file FILE] --user NAME\n"
"           [--password-file FILE] [--host-id ID] [--udid ID]\n"
"           --dir DIR [--pki-ca-file FILE] [--timeout SECONDS]\n"
"           [--wait SECONDS] [--force] [-v]\n"
"       " AGENT_PROGRAM " renew (--dir DIR | --all [--root DIR])\n"
"           [--renew-at PERCENT | --renew-before DURATION] [--force]\n"
"           [--same-key] [--password-file FILE] [--wait SECONDS]\n"
"           [--timeout SECONDS] [-v]\n"
"       " AGENT_PROGRAM " status [--dir DIR | --all [--root DIR]] [--json]\n"
"           [--renew-at PERCENT | --renew-before DURATION]\n"
"\n"
"enroll logs in to a GlobalProtect-style portal, obtains a client\n"
"certificate through SCEP and writes DIR/key.pem (mode 0600),\n"
"DIR/cert.pem, DIR/ca.pem and DIR/state.  It refuses a directory that\n"
"holds a valid certificate unless --force, and resumes a request the CA\n"
"left pending.  renew renews a certificate that is due: by RenewalReq,\n"
"signed with the current certificate (no password), where the CA offers\n"
"it, else through the portal (a login).  status tells what is held.\n"
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
"  --dir DIR             the certificate's directory (--out-dir DIR too)\n"
"  --pki-ca-file FILE    trusted roots for an https SCEP server (default:\n"
"                        the system's roots; through the portal's proxy,\n"
"                        those of the portal)\n"
"  --timeout SECONDS     bound on each exchange, 1..600 (30)\n"
"  --wait SECONDS        wait up to this long for a certificate that needs\n"
"                        approval, asking again as the CA or portal says (0)\n"
"  --force               enroll: replace a valid certificate;\n"
"                        renew: renew now, before the window\n"
"  --all                 every certificate directory under the root\n"
"  --root DIR            where --all looks ($" AGENT_ROOT_ENV ", else\n"
"                        " AGENT_ROOT_DEFAULT ")\n"
"  --renew-at PERCENT    renew once this share of the lifetime has passed\n"
"                        (default 66.667: two thirds)\n"
"  --renew-before DURATION\n"
"                        renew this long before the end: 30d, 12h, 90m, 60s\n"
"  --same-key            renew for the current key, not a new one\n"
"  --json                status as JSON\n"
"  -v, --verbose         tell each step on stderr\n"
"\n"
"Exit status: 0 done (or nothing due), 1 local error (options, password,\n"
"files), 2 user name or password refused, 3 the portal refused the user\n"
"or the request, 4 the portal or the PKI failed, 5 try again later (the\n"
"certificate awaits approval, or the portal is busy), 6 the renewal\n"
"needs a login and no password source was given, 129/130/143 ended by\n"
"SIGHUP/SIGINT/SIGTERM.\n";


static int agent_options_prescan(int argc, char **argv);
static int agent_options_command(const char *word, agent_command_t *cmd);
static int agent_options_number(const char *option, const char *s, long min,
    long max, long *out);
static int agent_options_portal(const char *url, agent_options_t *o);
static int agent_options_device_id(const char *option, const char *id);
static int agent_options_check(agent_options_t *o);
static int agent_options_one(int c, const char *arg, agent_options_t *o,
    int *window_given);


int
agent_options_parse(int argc, char **argv, agent_options_t *o)
{
    int            c, i, window_given;
    size_t         n;
    const char    *root;
    struct option  longs[AGENT_NOPTIONS];

    memset(o, 0, sizeof(*o));
    o->timeout = AGENT_TIMEOUT_DEFAULT;
    agent_window_default(&o->window);
    window_given = 0;

    for (n = 0; n < AGENT_NOPTIONS; n++) {
        longs[n] = agent_options[n].opt;
    }

    /* the command comes first, when there is one */
    o->command = AGENT_CMD_ENROLL;

    if (argc > 1 && argv[1][0] != '-') {
        if (agent_options_command(argv[1], &o->command) != 0) {
            return -1;
        }

        argv++;
        argc--;
    }

    if (agent_options_prescan(argc, argv) != 0) {
        return -1;
    }

    opterr = 0;
    optind = 1;

    for ( ;; ) {
        i = -1;
        c = getopt_long(argc, argv, "+:vh", longs, &i);
        if (c == -1) {
            break;
        }

        if (c == ':' || c == '?') {
            /* names only: agent_options_prescan checked the long ones */
            for (n = 0; c == ':' && i < 0 && n < AGENT_NOPTIONS - 1; n++) {
                if (longs[n].val == optopt) {
                    i = (int) n;
                }
            }

            if (c == ':' && i >= 0) {
                agent_log_error("--%s needs a value; see --help",
                                longs[i].name);

            } else if (c == ':') {
                agent_log_error("an option needs a value; see --help");

            } else if (optopt > 0x20 && optopt < 0x7f) {
                agent_log_error("unknown option -%c; see --help", optopt);

            } else {
                agent_log_error("unknown option; see --help");
            }

            return -1;
        }

        if (c == 'v' || c == 'h') {
            i = (int) AGENT_NOPTIONS - ((c == 'v') ? 3 : 2);
        }

        if (!(agent_options[i].commands & (1U << o->command))) {
            agent_log_error("--%s is not an option of %s; see --help",
                            longs[i].name, agent_command_names[o->command]);
            return -1;
        }

        if (c == 'h') {
            fputs(agent_usage, stdout);
            return 1;
        }

        if (agent_options_one(c, optarg, o, &window_given) != 0) {
            return -1;
        }
    }

    if (window_given == 3) {
        agent_log_error("--renew-at and --renew-before exclude each other");
        return -1;
    }

    if (optind < argc) {
        /* never shown: it may be a password typed where it does not go */
        agent_log_error("unexpected argument (not shown here); see --help");
        return -1;
    }

    if (o->all || o->command == AGENT_CMD_STATUS) {
        root = getenv(AGENT_ROOT_ENV);

        /* systemd may list several directories: then --root says which */
        if (o->root == NULL) {
            o->root = (root != NULL && root[0] != '\0'
                       && strchr(root, ':') == NULL)
                      ? root : AGENT_ROOT_DEFAULT;
        }
    }

    return agent_options_check(o);
}


static int
agent_options_one(int c, const char *arg, agent_options_t *o,
    int *window_given)
{
    long  before;

    switch (c) {

    case AGENT_OPT_PORTAL:
        return agent_options_portal(arg, o);

    case AGENT_OPT_INSECURE:
        o->insecure = 1;
        return 0;

    case AGENT_OPT_CA_FILE:
        o->ca_file = arg;
        return 0;

    case AGENT_OPT_PKI_CA_FILE:
        o->pki_ca_file = arg;
        return 0;

    case AGENT_OPT_USER:
        o->user = arg;
        return 0;

    case AGENT_OPT_PASSWORD_FILE:
        o->password_file = arg;
        return 0;

    case AGENT_OPT_HOST_ID:
        o->host_id = arg;
        return 0;

    case AGENT_OPT_UDID:
        o->udid = arg;
        return 0;

    case AGENT_OPT_OUT_DIR:
        o->out_dir = arg;
        return 0;

    case AGENT_OPT_TIMEOUT:
        return agent_options_number("--timeout", arg, 1, AGENT_TIMEOUT_MAX,
                                    &o->timeout);

    case AGENT_OPT_WAIT:
        return agent_options_number("--wait", arg, 0, AGENT_WAIT_MAX,
                                    &o->wait);

    case AGENT_OPT_FORCE:
        o->force = 1;
        return 0;

    case AGENT_OPT_ALL:
        o->all = 1;
        return 0;

    case AGENT_OPT_ROOT:
        o->root = arg;
        return 0;

    case AGENT_OPT_JSON:
        o->json = 1;
        return 0;

    case AGENT_OPT_SAME_KEY:
        o->same_key = 1;
        return 0;

    case AGENT_OPT_RENEW_AT:
        if (agent_window_parse_percent(arg, &o->window) != 0) {
            agent_log_error("--renew-at takes a percentage of the lifetime "
                            "from 1 to 100, e.g. 66.667");
            return -1;
        }

        *window_given |= 1;
        return 0;

    case AGENT_OPT_RENEW_BEFORE:
        if (agent_window_parse_duration(arg, &before) != 0) {
            agent_log_error("--renew-before takes a duration: a whole number "
                            "followed by d, h, m or s");
            return -1;
        }

        o->window.elapsed = 0;
        o->window.scale = 0;
        o->window.before = before;
        *window_given |= 2;
        return 0;

    default:
        /* 'v' */
        o->verbose = 1;
        return 0;
    }
}


static int
agent_options_command(const char *word, agent_command_t *cmd)
{
    size_t  i;

    for (i = 0; i < sizeof(agent_command_names) / sizeof(char *); i++) {
        if (strcmp(word, agent_command_names[i]) == 0) {
            *cmd = (agent_command_t) i;
            return 0;
        }
    }

    agent_log_error("the first argument is neither a command (enroll, "
                    "renew, status) nor an option; it is not shown here; "
                    "see --help");
    return -1;
}


/*
 * Before getopt: every "--name" must be an option's whole name.  getopt
 * would take "--password" for "--password-file" (a unique prefix) and
 * then tell the password back as a file that cannot be opened.
 */
static int
agent_options_prescan(int argc, char **argv)
{
    int                    i;
    size_t                 len;
    const char            *arg, *eq;
    const agent_option_t  *o;

    for (i = 1; i < argc; i++) {
        arg = argv[i];

        if (strcmp(arg, "--") == 0) {
            return 0;
        }

        if (strncmp(arg, "--", 2) != 0) {
            continue;
        }

        eq = strchr(arg, '=');
        len = (eq != NULL) ? (size_t) (eq - arg - 2) : strlen(arg + 2);

        for (o = agent_options; o->opt.name != NULL; o++) {
            if (strlen(o->opt.name) == len
                && strncmp(o->opt.name, arg + 2, len) == 0)
            {
                break;
            }
        }

        if (o->opt.name == NULL) {
            if (len == strlen("password")
                && strncmp(arg + 2, "password", len) == 0)
            {
                agent_log_error("there is no --password option (what "
                                "followed it is not shown): give the "
                                "password in a file with --password-file "
                                "FILE, in NGX_SCEP_PASSWORD, or type it "
                                "when asked");
                return -1;
            }

            agent_log_error("an argument is not an option of "
                            AGENT_PROGRAM " (neither it nor what follows "
                            "is shown here); see --help");
            return -1;
        }

        /* its value is the next argument, whatever it looks like */
        if (o->opt.has_arg == required_argument && eq == NULL) {
            i++;
        }
    }

    return 0;
}


static int
agent_options_check(agent_options_t *o)
{
    size_t  len;

    if (o->command == AGENT_CMD_RENEW || o->command == AGENT_CMD_STATUS) {
        if (o->all && o->out_dir != NULL) {
            agent_log_error("--dir and --all exclude each other");
            return -1;
        }

        if (o->command == AGENT_CMD_RENEW && !o->all
            && (o->out_dir == NULL || o->out_dir[0] == '\0'))
        {
            agent_log_error("renew needs --dir DIR or --all; see --help");
            return -1;
        }

        if (o->command == AGENT_CMD_STATUS && o->out_dir == NULL) {
            o->all = 1;
        }

        return 0;
    }

    if (o->portal[0] == '\0') {
        agent_log_error("--portal is required; see --help");
        return -1;
    }

    if (o->user == NULL) {
        agent_log_error("--user is required; see --help");
        return -1;
    }

    if (o->out_dir == NULL || o->out_dir[0] == '\0') {
        agent_log_error("--dir is required; see --help");
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
        agent_log_error("--portal is not usable: %s", err.message);
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
