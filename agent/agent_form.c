#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agent_form.h"


/* The client version GlobalProtect 4.1 agents and openconnect announce. */
#define AGENT_CLIENT_VERSION  "4100"


static void agent_form_encode(gp_buf_t *b, const char *s);
static void agent_form_device(gp_buf_t *b, const agent_options_t *o);


void
agent_form_prelogin(gp_buf_t *b, const agent_options_t *o)
{
    agent_form_add(b, "tmp", "tmp");
    agent_form_add(b, "clientVer", AGENT_CLIENT_VERSION);
    agent_form_device(b, o);
}


void
agent_form_getconfig(gp_buf_t *b, const agent_options_t *o,
    const char *password)
{
    const char  *host;

    /* what openconnect sends, so that the portal sees a familiar agent */
    agent_form_add(b, "jnlpReady", "jnlpReady");
    agent_form_add(b, "ok", "Login");
    agent_form_add(b, "direct", "yes");
    agent_form_add(b, "clientVer", AGENT_CLIENT_VERSION);
    agent_form_add(b, "prot", "https:");
    agent_form_add(b, "internal", "no");
    agent_form_add(b, "ipv6-support", "yes");

    host = o->portal + strlen("https://");
    agent_form_add(b, "server", host);

    agent_form_device(b, o);

    agent_form_add(b, "user", o->user);
    agent_form_add(b, "passwd", password);
}


/* clientos, os-version and computer, then the ids the user gave. */
static void
agent_form_device(gp_buf_t *b, const agent_options_t *o)
{
    struct utsname   un;
    char             computer[256];
    char             version[sizeof(un.sysname) + sizeof(un.release) + 1];

    agent_form_add(b, "clientos", "Linux");

    if (uname(&un) == 0) {
        strcpy(version, un.sysname);
        strcat(version, " ");
        strcat(version, un.release);
        agent_form_add(b, "os-version", version);
    }

    if (gethostname(computer, sizeof(computer)) == 0) {
        computer[sizeof(computer) - 1] = '\0';
        agent_form_add(b, "computer", computer);
    }

    if (o->host_id != NULL) {
        agent_form_add(b, "host-id", o->host_id);
    }

    if (o->udid != NULL) {
        agent_form_add(b, "udid", o->udid);
    }
}


void
agent_form_add(gp_buf_t *b, const char *name, const char *value)
{
    if (b->len > 0) {
        gp_buf_add(b, "&", 1);
    }

    agent_form_encode(b, name);
    gp_buf_add(b, "=", 1);
    agent_form_encode(b, value);
}


/* RFC 3986's unreserved characters as they are, a space as '+'. */
static void
agent_form_encode(gp_buf_t *b, const char *s)
{
    char                hex[3];
    unsigned char       c;
    static const char   digits[] = "0123456789ABCDEF";

    for ( /* void */ ; *s != '\0'; s++) {
        c = (unsigned char) *s;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~')
        {
            gp_buf_add(b, s, 1);

        } else if (c == ' ') {
            gp_buf_add(b, "+", 1);

        } else {
            hex[0] = '%';
            hex[1] = digits[c >> 4];
            hex[2] = digits[c & 0x0f];
            gp_buf_add(b, hex, 3);
        }
    }

    /* the password passes through here: leave no byte of it behind */
    OPENSSL_cleanse(hex, sizeof(hex));
}
