/*
 * The agent's state file: what is written is read back the same, and a
 * damaged or foreign file is refused with the line at fault.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent_state.h"


static void
filled(agent_state_t *s)
{
    size_t  i;

    agent_state_init(s);

    snprintf(s->portal, sizeof(s->portal), "https://vpn.example.org:8443");
    snprintf(s->portal_ca_file, sizeof(s->portal_ca_file),
             "/etc/vpn/portal root.pem");
    s->insecure = 0;
    snprintf(s->user, sizeof(s->user), "smith, john");
    snprintf(s->host_id, sizeof(s->host_id), "{4F7C1C2E-8A3B}");
    snprintf(s->profile, sizeof(s->profile), "staff");
    s->mode = SCEP_MODE_PUSH;
    snprintf(s->server_url, sizeof(s->server_url),
             "http://ca.example.org/scep?x=1&y=2");
    snprintf(s->ca_ident, sizeof(s->ca_ident), "Example CA");

    for (i = 0; i < 32; i++) {
        s->ca_fingerprint[i] = (unsigned char) (i * 7 + 1);
    }

    s->ca_fingerprint_len = 32;

    for (i = 0; i < 20; i++) {
        s->next_ca_fingerprint[i] = (unsigned char) (0xf0 - i);
    }

    s->next_ca_fingerprint_len = 20;
    s->key_bits = 3072;
    s->digest = SCEP_DIGEST_SHA384;
    s->key_usage = SCEP_KU_DIGITAL_SIGNATURE;
    s->pending = AGENT_PENDING_RENEWAL;
    snprintf(s->pending_id, sizeof(s->pending_id), "%064d", 7);
    s->pending_since = 1700000000;
}


static void
test_round_trip(void **state)
{
    char           buf[AGENT_STATE_MAX_LEN];
    size_t         len;
    scep_error_t   err;
    agent_state_t  s, back;

    (void) state;

    filled(&s);
    len = agent_state_format(&s, buf, sizeof(buf));
    assert_true(len > 0);
    assert_int_equal(strlen(buf), len);

    /* readable by a person: one name = value a line */
    assert_non_null(strstr(buf, "\nuser = smith, john\n"));
    assert_non_null(strstr(buf, "\nmode = push\n"));
    assert_non_null(strstr(buf, "\nkey-usage = digital_signature\n"));
    assert_non_null(strstr(buf, "\nca-fingerprint = 01:08:0F:"));
    assert_non_null(strstr(buf, "\nnext-ca-fingerprint = F0:EF:EE:"));
    assert_non_null(strstr(buf, "\npending = renewal\n"));

    assert_int_equal(agent_state_parse(buf, len, &back, &err), 0);
    assert_memory_equal(&s, &back, sizeof(s));

    /* and every other kind of value */
    agent_state_init(&s);
    s.mode = SCEP_MODE_ENROLL;
    s.insecure = 1;
    s.digest = SCEP_DIGEST_SHA1;
    len = agent_state_format(&s, buf, sizeof(buf));
    assert_int_equal(agent_state_parse(buf, len, &back, &err), 0);
    assert_memory_equal(&s, &back, sizeof(s));
    assert_non_null(strstr(buf, "\npending = none\n"));
    assert_non_null(strstr(buf, "\nkey-usage = digital_signature,"
                                "key_encipherment\n"));

    /* what earlier agents wrote of the names is read, and left aside */
    filled(&s);
    len = agent_state_format(&s, buf, sizeof(buf));
    assert_null(strstr(buf, "san-"));
    assert_true(len + 64 < sizeof(buf));
    len += (size_t) snprintf(buf + len, sizeof(buf) - len,
                             "san-type = rfc822\n"
                             "san-value = john.smith@example.org\n");
    assert_int_equal(agent_state_parse(buf, len, &back, &err), 0);
    assert_memory_equal(&s, &back, sizeof(s));
}


static void
refused(const char *text, const char *field, const char *words)
{
    scep_error_t   err;
    agent_state_t  s;

    memset(&err, 0, sizeof(err));
    assert_int_equal(agent_state_parse(text, strlen(text), &s, &err), -1);
    assert_int_equal(err.code, SCEP_ERR_INPUT);
    assert_string_equal(err.field, field);

    if (strstr(err.message, words) == NULL) {
        fail_msg("\"%s\" lacks \"%s\"", err.message, words);
    }
}


static void
test_damaged_files(void **state)
{
    (void) state;

    refused("", "version", "no version line");
    refused("user = alice\n", "version", "no version line");
    refused("version = 2\n", "version", "another version");
    refused("version = 1\ncolour = blue\n", "state", "unknown line");
    refused("version = 1\nuser alice\n", "state", "not \"name = value\"");
    refused("version = 1\nuser = a\nuser = b\n", "state", "twice");
    refused("version = 1\nuser = a\x1b[2Jb\n", "state", "control");
    refused("version = 1\nmode = sideways\n", "mode", "not a value");
    refused("version = 1\ndigest = md5\n", "digest", "not a value");
    refused("version = 1\nkey-bits = 1000\n", "key-bits", "not a value");
    refused("version = 1\nkey-bits = -2048\n", "key-bits", "not a value");
    refused("version = 1\nkey-usage = ,\n", "key-usage", "not a value");
    refused("version = 1\nkey-usage = digital_signature,\n", "key-usage",
            "not a value");
    refused("version = 1\nca-fingerprint = AB:CD\n", "ca-fingerprint",
            "not a value");
    refused("version = 1\ninsecure = maybe\n", "insecure", "not a value");
    refused("version = 1\npending = renewal\n", "pending",
            "without its transaction");
    refused("version = 1\npending-transaction = AB\n", "pending",
            "without its transaction");
    refused("version = 1\npending-since = 99999999999999\n", "pending-since",
            "not a value");
}


static void
test_bounds(void **state)
{
    char           buf[AGENT_STATE_MAX_LEN + 64];
    scep_error_t   err;
    agent_state_t  s;

    (void) state;

    /* a user name longer than the field */
    memset(buf, 0, sizeof(buf));
    strcpy(buf, "version = 1\nuser = ");
    memset(buf + strlen(buf), 'a', AGENT_STATE_NAME_MAX + 1);
    strcat(buf, "\n");
    assert_int_equal(agent_state_parse(buf, strlen(buf), &s, &err), -1);
    assert_string_equal(err.field, "user");

    /* a file longer than any the agent writes */
    memset(buf, '#', sizeof(buf));
    assert_int_equal(agent_state_parse(buf, AGENT_STATE_MAX_LEN + 1, &s,
                                       &err), -1);

    /* a NUL inside a line is damage, not the end of the file */
    memcpy(buf, "version = 1\nuser = a\0b\n", 23);
    assert_int_equal(agent_state_parse(buf, 23, &s, &err), -1);

    /* comments, blank lines and CRLF are fine */
    strcpy(buf, "# made by hand\r\n\r\nversion = 1\r\n  \nuser = bob\r\n");
    assert_int_equal(agent_state_parse(buf, strlen(buf), &s, &err), 0);
    assert_string_equal(s.user, "bob");

    /* no room: nothing half written */
    agent_state_init(&s);
    assert_int_equal(agent_state_format(&s, buf, 40), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
