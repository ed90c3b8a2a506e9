#!/bin/sh
# Installs, with apt-get, every Debian package the build, the tests and the
# demo need.  Quiet and quick when everything is already there.
#
#   sh tools/deps.sh              the project's packages (make deps)
#   sh tools/deps.sh PACKAGE...   these packages instead (a tool's own
#                                 needs, e.g. debootstrap for fresh-check)
set -eu

packages="
    build-essential clang libclang-rt-14-dev
    nginx nginx-dev libpcre2-dev zlib1g-dev
    libssl-dev openssl libldap-dev libcurl4-openssl-dev libcmocka-dev
    libxml2-dev
    slapd ldap-utils scep openconnect certmonger prometheus
    samba samba-dsdb-modules samba-vfs-modules samba-ad-provision ldb-tools
    python3 python3-pytest python3-cryptography libxml2-utils
    curl ca-certificates procps iproute2 wrk
    systemd
"
[ $# -gt 0 ] && packages="$*"

missing=
for p in $packages; do
    if ! dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null \
         | grep -q '^install ok installed$'
    then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "deps: installing$missing"

# As root apt-get runs as it is; otherwise through sudo, with the
# environment passed by env(1), which sudo's env_reset does not filter.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        env DEBIAN_FRONTEND=noninteractive "$@"
    else
        sudo env DEBIAN_FRONTEND=noninteractive "$@"
    fi
}

as_root apt-get update -qq
# shellcheck disable=SC2086
as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
