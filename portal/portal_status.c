/*
 * The status page's snapshot: histogram buckets, what counts as an
 * error, and the words both renderings use (portal_status_text.c,
 * portal_status_json.c).
 */

#include <inttypes.h>
#include <stdio.h>

#include "portal/portal_status.h"


const long  portal_status_bounds[PORTAL_STATUS_BUCKETS] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000, 30000000, 60000000
};


static const char  *portal_status_origin_names[PORTAL_STATUS_ORIGINS] = {
    "enroll", "admin"
};

static const char  *portal_status_cert_names[PORTAL_STATUS_CERT_RESULTS] = {
    "issued", "refused", "pending", "failed"
};


size_t
portal_status_bucket(long usec)
{
    size_t  i;

    for (i = 0; i < PORTAL_STATUS_BUCKETS; i++) {
        if (usec <= portal_status_bounds[i]) {
            break;
        }
    }

    return i;
}


portal_status_cert_t
portal_status_cert_result(portal_result_kind_t kind)
{
    switch (kind) {

    case PORTAL_RESULT_ISSUED:
        return PORTAL_STATUS_CERT_ISSUED;

    case PORTAL_RESULT_PENDING:
        return PORTAL_STATUS_CERT_PENDING;

    case PORTAL_RESULT_REFUSED:
        return PORTAL_STATUS_CERT_REFUSED;

    default:
        return PORTAL_STATUS_CERT_FAILED;
    }
}


int
portal_status_dir_error(dir_code_t code)
{
    switch (code) {

    case DIR_OK:
    case DIR_ERR_EMPTY_PASSWORD:
    case DIR_ERR_BAD_CREDENTIALS:
    case DIR_ERR_ACCOUNT:
        return 0;

    default:
        return code > DIR_OK && code < DIR_ERR_LAST;
    }
}


int
portal_status_pki_error(scep_code_t code)
{
    return code > SCEP_OK && code < SCEP_ERR_LAST
           && code != SCEP_ERR_PENDING;
}


const char *
portal_status_origin_name(portal_status_origin_t origin)
{
    return portal_status_origin_names[origin];
}


const char *
portal_status_cert_name(portal_status_cert_t result)
{
    return portal_status_cert_names[result];
}


/* Microseconds as seconds, exactly, without trailing zeros: "0.0025". */

void
portal_status_seconds(char *buf, size_t size, uint64_t usec)
{
    int  len;

    len = snprintf(buf, size, "%" PRIu64 ".%06" PRIu64, usec / 1000000,
                   usec % 1000000);

    if (len <= 0 || (size_t) len >= size) {
        return;
    }

    while (buf[len - 1] == '0') {
        buf[--len] = '\0';
    }

    if (buf[len - 1] == '.') {
        buf[--len] = '\0';
    }
}
