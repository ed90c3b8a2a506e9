#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "portal/portal_pending.h"


portal_pending_fate_t
portal_pending_fate(const portal_result_t *res, int answered)
{
    if (res->pending != NULL
        && (res->kind == PORTAL_RESULT_PENDING
            || (res->kind == PORTAL_RESULT_ISSUED && !answered)))
    {
        return PORTAL_PENDING_KEEP;
    }

    if (res->kind == PORTAL_RESULT_ISSUED
        || res->kind == PORTAL_RESULT_REFUSED)
    {
        return PORTAL_PENDING_DROP;
    }

    return PORTAL_PENDING_LEAVE;
}


void
portal_login_finish_stored(portal_session_t *s, scep_pki_t *pki,
    const scep_pending_store_t *store, portal_result_t *res,
    portal_pending_report_t *report)
{
    int             found;
    size_t          len;
    const char     *key;
    unsigned char  *data;

    memset(report, 0, sizeof(portal_pending_report_t));

    key = portal_session_pending_key(s);

    if (key == NULL) {
        portal_login_finish(s, pki, NULL, 0, res);
        return;
    }

    found = scep_pending_get(store, key, time(NULL), &data, &len,
                             &report->read_err);

    report->resumed = (found == 1);

    portal_login_finish(s, pki, data, len, res);

    if (data != NULL) {
        OPENSSL_cleanse(data, len);
        free(data);
    }

    switch (portal_pending_fate(res, 1)) {

    case PORTAL_PENDING_KEEP:
        report->kept = (scep_pending_put(store, key, time(NULL),
                                         res->pending, res->pending_len,
                                         &report->write_err)
                        == 0);
        break;

    case PORTAL_PENDING_DROP:
        /* a record that would not open goes too: it is of no use */
        if (found != 0) {
            report->dropped = (scep_pending_delete(store, key,
                                                   &report->write_err)
                               == 0);
        }
        break;

    default:
        break;
    }
}
