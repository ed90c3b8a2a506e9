/*
 * The ids of an entry as text: Active Directory's binary objectSid and
 * objectGUID, the RFC 4530 entryUUID; and the SID of a user's primary
 * group, made from the user's.
 */

#include <stdio.h>
#include <string.h>

#include "dir.h"
#include "dir_priv.h"


int
dir_sid_text(const unsigned char *sid, size_t len, char *out, size_t size)
{
    int                 n;
    size_t              i, count, o;
    unsigned long long  authority;
    unsigned long       sub;

    /* revision 1, up to 15 sub-authorities, nothing after the last */
    if (len < 8 || sid[0] != 1 || sid[1] > 15
        || len != 8 + 4 * (size_t) sid[1])
    {
        return -1;
    }

    count = sid[1];
    authority = 0;

    for (i = 2; i < 8; i++) {
        authority = (authority << 8) | sid[i];
    }

    n = snprintf(out, size, "S-1-%llu", authority);
    if (n < 0 || (size_t) n >= size) {
        return -1;
    }

    o = (size_t) n;

    for (i = 0; i < count; i++) {
        sub = (unsigned long) sid[8 + 4 * i]
              | (unsigned long) sid[9 + 4 * i] << 8
              | (unsigned long) sid[10 + 4 * i] << 16
              | (unsigned long) sid[11 + 4 * i] << 24;

        n = snprintf(out + o, size - o, "-%lu", sub);
        if (n < 0 || (size_t) n >= size - o) {
            return -1;
        }

        o += (size_t) n;
    }

    return 0;
}


int
dir_guid_text(const unsigned char *g, size_t len, char *out, size_t size)
{
    int  n;

    if (len != 16 || size < DIR_GUID_TEXT_LEN) {
        return -1;
    }

    /* Data1, Data2 and Data3 little-endian, Data4 as it is */
    n = snprintf(out, size,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                 "%02x%02x%02x%02x%02x%02x",
                 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6],
                 g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);

    return (n == DIR_GUID_TEXT_LEN - 1) ? 0 : -1;
}


int
dir_uuid_text(const char *uuid, size_t len, char *out, size_t size)
{
    size_t  i;
    char    c;

    if (len != DIR_GUID_TEXT_LEN - 1 || size < DIR_GUID_TEXT_LEN) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        c = uuid[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return -1;
            }

        } else if (c >= 'A' && c <= 'F') {
            c = (char) (c + 32);

        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return -1;
        }

        out[i] = c;
    }

    out[len] = '\0';

    return 0;
}


int
dir_sid_with_rid(const unsigned char *sid, size_t len, unsigned long rid,
    unsigned char *out, size_t size)
{
    if (len < 12 || sid[0] != 1 || sid[1] == 0
        || len != 8 + 4 * (size_t) sid[1] || size < len)
    {
        return -1;
    }

    memcpy(out, sid, len);

    out[len - 4] = (unsigned char) (rid & 0xff);
    out[len - 3] = (unsigned char) ((rid >> 8) & 0xff);
    out[len - 2] = (unsigned char) ((rid >> 16) & 0xff);
    out[len - 1] = (unsigned char) ((rid >> 24) & 0xff);

    return (int) len;
}
