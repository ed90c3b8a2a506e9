/*
 * dir_login_name_parse: a login as an agent typed it, split by the
 * domains of the directory.  Checked besides the sanitizers: %u is a
 * non-empty part of the login with no domain separator in front of it,
 * and %p is the login or its user part, NUL-terminated and bounded.
 *
 * Input: "flags byte, login" (flag 1: no domains configured).
 */

#include "ldap/dir.h"
#include "fuzz/fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                rc;
    char              *login;
    size_t             len;
    unsigned           flags;
    dir_config_t       cfg;
    fuzz_reader_t      r;
    dir_login_name_t   name;
    static const char *domains[] = { "CORP", "corp.example.test" };

    fuzz_reader_init(&r, data, size);

    flags = fuzz_byte(&r);
    len = (size_t) (r.end - r.p);
    login = fuzz_memdup(r.p, len);

    dir_config_init(&cfg);
    cfg.domains = (flags & 1) ? NULL : domains;
    cfg.ndomains = (flags & 1) ? 0 : 2;

    rc = dir_login_name_parse(&cfg, login, len, &name);

    if (rc < -1 || rc > 1) {
        abort();
    }

    if (rc >= 0) {
        if (name.user_len == 0 || name.user < login
            || name.user + name.user_len > login + len
            || name.upn_len > DIR_LOGIN_LEN_MAX
            || name.upn[name.upn_len] != '\0'
            || (name.upn_len != len && name.upn_len != name.user_len))
        {
            abort();
        }

        if (cfg.ndomains == 0 && (rc != 0 || name.user_len != len)) {
            abort();
        }
    }

    free(login);

    return 0;
}
