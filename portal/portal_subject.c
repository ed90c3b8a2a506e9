/*
 * The certificate subject and subject alternative names of one login:
 * the profile's templates filled with the user's values from the
 * directory and the agent's own.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "portal/portal_session.h"
#include "portal/portal_subject.h"
#include "scep/scep_subject.h"


int
portal_subject(portal_session_t *s, const gp_login_t *login,
    portal_result_t *res)
{
    unsigned               tokens;
    scep_error_t           err;
    scep_subject_values_t  values;

    tokens = scep_subject_tokens(s->profile->subject_tpl)
             | scep_san_tokens(s->profile->san_tpl);

    memset(&values, 0, sizeof(values));
    values.username = s->user.username;
    values.hostid = login->host_id;
    values.udid = login->udid;
    values.sid = s->user.sid;
    values.upn = s->user.upn;

    if (s->user.nmails) {
        values.email = s->user.mails[0];

    } else if (tokens & SCEP_TOKEN_EMAILADDRESS) {
        if (portal_mailless_id(s->user.guid, s->user.dn, s->mailless) != 0) {
            portal_fail(res, PORTAL_RESULT_FAILED, 500, PORTAL_MSG_INTERNAL,
                        PORTAL_LOG_ERR, "cannot compute the mail-less "
                        "identifier (SHA-1)");
            return -1;
        }

        values.email = s->mailless;
    }

    scep_error_clear(&err);

    s->subject = scep_subject_render(s->profile->subject_tpl, &values, &err);

    /* the names of the certificate, from the same values, in one place */
    if (s->subject != NULL
        && scep_san_render(s->profile->san_tpl, &values, &s->sans, &err) == 0)
    {
        return 0;
    }

    if (strcmp(err.field, "$HOSTID") == 0 || strcmp(err.field, "$UDID") == 0)
    {
        /* the agent's own values: it can be told what to fix */
        portal_fail(res, PORTAL_RESULT_BAD_REQUEST, 400, err.message,
                    PORTAL_LOG_INFO, "profile \"%s\": %s", s->profile->name,
                    err.message);

    } else {
        portal_fail(res, PORTAL_RESULT_REFUSED, 403,
                    "A certificate subject cannot be made for your "
                    "account; ask your administrator", PORTAL_LOG_WARN,
                    "profile \"%s\": %s", s->profile->name, err.message);
    }

    return -1;
}


/*
 * The user's own stable id when the directory has one (objectGUID,
 * entryUUID): it survives renames and moves.  Else an RFC 4122 version 5
 * (SHA-1, name-based) UUID of the lower-cased DN in the project's own
 * namespace, so that a user without mail always gets the same
 * identifier, and the identifier does not reveal the DN.
 */

int
portal_mailless_id(const char *guid, const char *dn, char *out)
{
    static const unsigned char  ns[16] = {
        0x4e, 0x2b, 0x8c, 0x51, 0x0d, 0x6a, 0x4f, 0x93,
        0xa1, 0x7e, 0x5c, 0x20, 0x39, 0xd4, 0x86, 0xfb
    };

    int             rc;
    size_t          i, len;
    char           *lower;
    unsigned int    mdlen;
    unsigned char   md[EVP_MAX_MD_SIZE];
    EVP_MD_CTX     *ctx;

    /* the directory client gives it as 36 lower-case characters */
    if (guid != NULL && strlen(guid) == 36) {
        memcpy(out, guid, 37);
        return 0;
    }

    len = strlen(dn);
    lower = malloc(len + 1);
    ctx = EVP_MD_CTX_new();
    rc = -1;

    if (lower == NULL || ctx == NULL) {
        goto done;
    }

    for (i = 0; i <= len; i++) {
        lower[i] = (dn[i] >= 'A' && dn[i] <= 'Z') ? dn[i] + 32 : dn[i];
    }

    if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1
        || EVP_DigestUpdate(ctx, ns, sizeof(ns)) != 1
        || EVP_DigestUpdate(ctx, lower, len) != 1
        || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
    {
        goto done;
    }

    md[6] = (md[6] & 0x0f) | 0x50;      /* version 5 */
    md[8] = (md[8] & 0x3f) | 0x80;      /* RFC 4122 variant */

    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7],
             md[8], md[9], md[10], md[11], md[12], md[13], md[14], md[15]);

    rc = 0;

done:

    EVP_MD_CTX_free(ctx);
    free(lower);

    return rc;
}
