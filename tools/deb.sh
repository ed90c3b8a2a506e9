#!/bin/sh
# make deb: the Debian packages libnginx-mod-http-scep and scep-agent.
#
# Installs the build dependencies that debian/control names (and lintian)
# with tools/deps.sh, copies the tree (without build/ and .git) to
# build/deb/ngx-scep-VERSION/, runs "dpkg-buildpackage -us -uc -b" there
# (unsigned, binary packages only) and lintian on the result.  What is
# left in build/deb/:
#
#   libnginx-mod-http-scep_VERSION_ARCH.deb   the module, the verifier
#   scep-agent_VERSION_ARCH.deb               the agent, its timer
#   *-dbgsym_*.ddeb                           their debugging symbols
#   ngx-scep_VERSION_ARCH.changes, .buildinfo
#   build.log, lintian.log
#
# Building from a copy keeps the build away from the checkout's own
# build/ (debian/rules clean removes it) and from its parent directory,
# where dpkg-buildpackage would put the packages.  Exits non-zero when the
# build fails or lintian reports an error.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPO/build/deb
T0=$(date +%s)

say() { printf '%s\n' "deb: $*"; }

# Build-Depends of debian/control, one name each: versions, architectures
# and alternatives after the first dropped; debhelper-compat is debhelper,
# and dh-sequence-* come with the package that provides them (listed too)
build_deps() {
    awk '/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); print; next }
         on && /^[ \t]/ { print; next }
         { on = 0 }' "$REPO/debian/control" \
    | tr ',' '\n' \
    | sed 's/|.*//; s/[[(<].*//; s/^[ \t]*//; s/[ \t]*$//' \
    | sed 's/^debhelper-compat$/debhelper/; /^dh-sequence-/d; /^$/d'
}

# shellcheck disable=SC2046
sh "$REPO/tools/deps.sh" build-essential dpkg-dev lintian $(build_deps)
TD=$(date +%s)

VERSION=$(dpkg-parsechangelog -l "$REPO/debian/changelog" -S Version)
SOURCE=$(dpkg-parsechangelog -l "$REPO/debian/changelog" -S Source)
SRC=$OUT/$SOURCE-$VERSION

rm -rf "$OUT"
mkdir -p "$SRC"
# the tree as it is, uncommitted changes included, without what was built
# (and without what an earlier dpkg-buildpackage in the tree left: see
# debian/.gitignore)
tar -C "$REPO" -cf - --exclude=./build --exclude=./.git \
    --exclude='__pycache__' --exclude=.pytest_cache --exclude='*.o' \
    --exclude='./obj-*' --exclude=./debian/.debhelper --exclude=./debian/tmp \
    --exclude=./debian/files --exclude='./debian/*.substvars' \
    --exclude='./debian/*.debhelper' --exclude='./debian/*.debhelper.log' \
    --exclude=./debian/debhelper-build-stamp \
    --exclude=./debian/libnginx-mod-http-scep --exclude=./debian/scep-agent . \
    | tar -C "$SRC" -xf -

say "dpkg-buildpackage -us -uc -b in ${SRC#"$REPO"/}" \
    "(log: ${OUT#"$REPO"/}/build.log)"
if ! (cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1
then
    tail -n 40 "$OUT/build.log" | sed 's/^/    | /'
    say "FAILED: dpkg-buildpackage (log: ${OUT#"$REPO"/}/build.log," \
        "tree: ${SRC#"$REPO"/})"
    exit 1
fi
rm -rf "$SRC"
T1=$(date +%s)

CHANGES=$(ls "$OUT"/"${SOURCE}"_*.changes)
say "lintian ${CHANGES#"$REPO"/}"
rc=0
lintian --fail-on error "$CHANGES" >"$OUT/lintian.log" 2>&1 || rc=$?
sed 's/^/    /' "$OUT/lintian.log"
T2=$(date +%s)

say "build dependencies $((TD - T0)) s, dpkg-buildpackage $((T1 - TD)) s," \
    "lintian $((T2 - T1)) s; in ${OUT#"$REPO"/}/:"
(cd "$OUT" && ls -1 ./*.deb ./*.ddeb ./*.changes 2>/dev/null \
    | sed 's|^\./|    |')
if [ "$rc" -ne 0 ]; then
    say "FAILED: lintian reports errors (exit $rc)"
    exit 1
fi
