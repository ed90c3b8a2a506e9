#!/bin/sh
# The directory client against a real Samba AD DC: builds ad_smoke.c with
# ldap/*.c and runs it through ad_rig.py, which provisions the test domain
# (tests/harness/samba.py), starts samba on 127.0.0.1 (ports 389 and 636:
# Samba's are fixed) and always stops it.  Needs root.  Prints PASS/FAIL
# lines; exits non-zero on any failure.  VERBOSE=1 shows the messages the
# checks met.
set -eu

src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../.." && pwd)
dir=$(mktemp -d /tmp/ad-rig.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# CC=clang SMOKE_CFLAGS=-fsanitize=address,undefined runs it sanitized.
cc=${CC:-gcc}
# shellcheck disable=SC2046,SC2086
$cc -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -pthread \
    ${SMOKE_CFLAGS:-} -I"$root" "$src/ad_smoke.c" $(ls "$root"/ldap/*.c) \
    -o "$dir/ad_smoke" -lldap -llber -lssl -lcrypto \
    || { echo "FAIL rig: ad_smoke did not build"; exit 1; }

/usr/bin/python3 "$src/ad_rig.py" "$dir/ad_smoke"
