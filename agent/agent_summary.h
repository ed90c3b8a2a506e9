/*
 * The few lines a person reads at the end: what was issued, by whom, until
 * when, and where the files are.
 */

#ifndef AGENT_SUMMARY_H
#define AGENT_SUMMARY_H

#include <stdio.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "agent_credentials.h"
#include "agent_files.h"


/*
 * title: "Certificate issued", "Certificate renewed"; how: "push mode",
 * "RenewalReq to URL"...; profile may be NULL.
 */
void agent_summary_print(FILE *f, const char *title, const char *how,
    const char *profile, const agent_credentials_t *c,
    const agent_paths_t *paths);

/* Upper-case hex of the serial, in whole bytes. */
const char *agent_summary_serial(const X509 *cert, char *buf, size_t size);

/* RFC 3339 in UTC. */
const char *agent_summary_time(const ASN1_TIME *t, char *buf, size_t size);
const char *agent_summary_epoch(time_t t, char *buf, size_t size);

/* notBefore and notAfter as time_t; -1 when they cannot be read. */
int agent_summary_validity(const X509 *cert, time_t *not_before,
    time_t *not_after);


#endif /* AGENT_SUMMARY_H */
