#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "verify_config.h"


#define VERIFY_LINE_MAX  2048


static char *verify_config_trim(char *s);


void
verify_config_init(verify_config_t *c)
{
    memset(c, 0, sizeof(verify_config_t));
    scep_keyring_init(&c->keys);
}


int
verify_config_set(verify_config_t *c, const char *name, const char *value,
    char *why, size_t size)
{
    size_t        len;
    scep_error_t  err;

    len = strlen(value);

    if (len == 0) {
        snprintf(why, size, "%s needs a value", name);
        return -1;
    }

    if (strcmp(name, "key_file") == 0) {
        scep_error_clear(&err);

        if (scep_keyring_add_file(&c->keys, value, &err) != 0) {
            snprintf(why, size, "key_file: %s", err.message);
            return -1;
        }

        return 0;
    }

    if (strcmp(name, "replay_dir") == 0 || strcmp(name, "log_file") == 0) {
        if (len >= VERIFY_PATH_MAX) {
            snprintf(why, size, "%s is longer than %d bytes", name,
                     VERIFY_PATH_MAX - 1);
            return -1;
        }

        if (strcmp(name, "replay_dir") == 0) {
            memcpy(c->replay_dir, value, len + 1);

        } else {
            memcpy(c->log_file, value, len + 1);
        }

        return 0;
    }

    if (strcmp(name, "profile") == 0) {
        if (len > 64 || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
                                      "klmnopqrstuvwxyz0123456789._-")
                        != len)
        {
            snprintf(why, size, "profile \"%.64s\" is not a profile name "
                     "(1 to 64 characters of A-Z a-z 0-9 . _ -)", value);
            return -1;
        }

        if (c->nprofiles == VERIFY_PROFILES_MAX) {
            snprintf(why, size, "at most %d profiles", VERIFY_PROFILES_MAX);
            return -1;
        }

        memcpy(c->profiles[c->nprofiles++], value, len + 1);

        return 0;
    }

    snprintf(why, size, "unknown setting \"%.32s\" (key_file, replay_dir, "
             "profile, log_file)", name);

    return -1;
}


int
verify_config_read(verify_config_t *c, const char *path, char *why,
    size_t size)
{
    int          lineno;
    FILE        *f;
    char         line[VERIFY_LINE_MAX + 2], msg[320], *name, *value, *p;
    struct stat  st;

    f = fopen(path, "re");
    if (f == NULL) {
        snprintf(why, size, "cannot read the configuration \"%s\": %s",
                 path, strerror(errno));
        return -1;
    }

    /* it names the keys: nobody else should be able to change it */
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IWOTH)) {
        snprintf(why, size, "the configuration \"%s\" is writable by "
                 "anyone: refused", path);
        fclose(f);
        return -1;
    }

    lineno = 0;

    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;

        if (strlen(line) > VERIFY_LINE_MAX) {
            snprintf(why, size, "%s:%d: the line is too long", path, lineno);
            fclose(f);
            return -1;
        }

        p = strchr(line, '#');
        if (p != NULL) {
            *p = '\0';
        }

        name = verify_config_trim(line);
        if (*name == '\0') {
            continue;
        }

        value = name + strcspn(name, " \t");
        if (*value != '\0') {
            *value++ = '\0';
        }

        value = verify_config_trim(value);

        if (verify_config_set(c, name, value, msg, sizeof(msg)) != 0) {
            snprintf(why, size, "%s:%d: %s", path, lineno, msg);
            fclose(f);
            return -1;
        }
    }

    fclose(f);

    return 0;
}


int
verify_config_check(const verify_config_t *c, char *why, size_t size)
{
    struct stat  st;

    if (c->keys.n == 0) {
        snprintf(why, size, "no key_file: scep-verify needs the keys the "
                 "portal's scep_key_file lists");
        return -1;
    }

    if (c->replay_dir[0] == '\0') {
        snprintf(why, size, "no replay_dir: scep-verify needs a directory "
                 "where it keeps the challenges used");
        return -1;
    }

    if (stat(c->replay_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, size, "replay_dir \"%s\" is not a directory",
                 c->replay_dir);
        return -1;
    }

    return 0;
}


int
verify_config_serves(const verify_config_t *c, const char *profile)
{
    size_t  i;

    if (c->nprofiles == 0) {
        return 1;
    }

    for (i = 0; i < c->nprofiles; i++) {
        if (strcmp(c->profiles[i], profile) == 0) {
            return 1;
        }
    }

    return 0;
}


void
verify_config_wipe(verify_config_t *c)
{
    scep_keyring_wipe(&c->keys);
    OPENSSL_cleanse(c, sizeof(verify_config_t));
}


static char *
verify_config_trim(char *s)
{
    size_t  n;

    while (*s == ' ' || *s == '\t') {
        s++;
    }

    n = strlen(s);

    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'
                     || s[n - 1] == '\n' || s[n - 1] == '\r'))
    {
        s[--n] = '\0';
    }

    return s;
}
