#!/bin/sh
# The directory client against a real slapd: starts Debian's slapd on
# free loopback ports in a temp dir, seeds it through ldapmodify (so that
# the memberof overlay maintains memberOf, and then, with the relax
# control, the password states the ppolicy overlay keeps), builds
# dir_smoke.c with ldap/*.c and runs it.  Prints PASS/FAIL lines; exits non-zero on any
# failure; slapd is always stopped.  KEEP=1 keeps the temp dir,
# VERBOSE=1 shows the error messages the checks met.
set -eu

src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../.." && pwd)
dir=$(mktemp -d /tmp/ldap-rig.XXXXXX)
export LDAP_RIG_DIR="$dir"

cleanup() {
    status=$?
    sh "$src/slapd_ctl.sh" stop 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ] || [ "$status" -ne 0 ]; then
        echo "rig: files kept in $dir"
    else
        rm -rf "$dir"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL rig: $*"
    exit 1
}

# Two ports the kernel just handed out, free at that moment.
/usr/bin/python3 - >"$dir/ports" <<'PY'
import socket
ports = []
socks = []
for _ in range(3):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
    ports.append(s.getsockname()[1])
print("PORT=%d" % ports[0])
print("TLS_PORT=%d" % ports[1])
print("CLOSED_PORT=%d" % ports[2])
PY
. "$dir/ports"
export PORT TLS_PORT CLOSED_PORT

# A CA, a server certificate for 127.0.0.1 and localhost, and a second CA
# that did not sign it.
(
    cd "$dir"
    ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
    # shellcheck disable=SC2086
    openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 \
        -subj "/CN=ldap rig CA" \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign
    # shellcheck disable=SC2086
    openssl req -x509 $ec -keyout other-ca.key -out other-ca.pem -days 2 \
        -subj "/CN=ldap rig other CA" \
        -addext basicConstraints=critical,CA:TRUE
    # shellcheck disable=SC2086
    openssl req $ec -keyout server.key -out server.csr -subj "/CN=localhost"
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
        -CAcreateserial -out server.pem -days 2 -extfile server.ext
) >"$dir/openssl.log" 2>&1 || fail "certificates: see $dir/openssl.log"

sed -e "s|@DIR@|$dir|g" -e "s|@SRC@|$src|g" "$src/slapd.conf.in" \
    >"$dir/slapd.conf"
mkdir "$dir/db"

/usr/sbin/slaptest -Q -u -f "$dir/slapd.conf" \
    || fail "slaptest refused $dir/slapd.conf"

sh "$src/slapd_ctl.sh" start || fail "slapd did not start"

ldapmodify -x -H "ldap://127.0.0.1:$PORT" -D cn=admin,dc=example,dc=org \
    -w admin-secret -f "$src/seed.ldif" >"$dir/seed.log" 2>&1 \
    || fail "seeding: see $dir/seed.log"

ldapmodify -x -H "ldap://127.0.0.1:$PORT" -D cn=admin,dc=example,dc=org \
    -w admin-secret -e relax -f "$src/seed-ppolicy.ldif" \
    >>"$dir/seed.log" 2>&1 \
    || fail "seeding the password states: see $dir/seed.log"

# CC=clang SMOKE_CFLAGS=-fsanitize=address,undefined runs it sanitized.
cc=${CC:-gcc}
# shellcheck disable=SC2046,SC2086
$cc -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -pthread \
    ${SMOKE_CFLAGS:-} -I"$root" "$src/dir_smoke.c" $(ls "$root"/ldap/*.c) \
    -o "$dir/dir_smoke" -lldap -llber -lssl -lcrypto \
    || fail "dir_smoke did not build"

# a hung login is a failure too, not a hung run
SLAPD_CTL="sh $src/slapd_ctl.sh" timeout 300 "$dir/dir_smoke"
