#!/bin/bash
# make fresh-check: the README's two commands on a brand-new Debian 12.
#
# Builds a minimal Debian 12 root (debootstrap --variant=minbase) under
# build/fresh-check/, from the apt mirror this machine uses, clones the
# repository's committed HEAD into it, and runs there:
#
#   run 1, as root:    make demo, an agent login against the demo portal,
#                      the openconnect command make demo printed (bob's
#                      certificate through the portal to the demo's
#                      gateway), make demo-stop, make test
#   run 2, as a user with passwordless sudo, in a second pristine root:
#                      make demo (its packages install through sudo), the
#                      agent login, the openconnect command, make demo-stop
#   run 3, as root, in a third pristine root: the Debian packages that
#                      run 1 built (make deb) installed with apt-get and
#                      checked, removed and purged (tools/deb-check.sh)
#
# With --packages DIR (make deb-check) only run 3, with the packages in
# DIR, in a root bootstrapped for it.
#
# Nothing is cached between runs: each run bootstraps anew and downloads
# every package.  Within a run, a tarball of the bootstrapped root makes the
# second and third roots.  The roots are always removed at the end, even after a
# failure or an interrupt, after every process running inside them is
# killed and everything mounted below them unmounted; KEEP_FRESH_ROOT=1
# keeps them (unmounted, with nothing running) to look into.  Logs stay in
# build/fresh-check/logs/.
#
# Needs root (debootstrap, chroot, mount): as another user it runs itself
# again through sudo.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SUITE=bookworm
TOP=$REPO/build/fresh-check
LOGS=$TOP/logs
TARBALL=$TOP/pristine.tar
USER2=tester                      # run 2's unprivileged user
# The demo's admin enrolls in the portal's "admins" profile, whose subject
# is CN=$EMAILADDRESS (tools/demo/nginx.conf.in; tests/harness/directory.py)
AGENT_USER=alice
AGENT_CN=alice@example.org

say() { printf '%s\n' "fresh-check: $*"; }
die() { printf '%s\n' "fresh-check: $*" >&2; exit 1; }

# --packages DIR: run 3 alone (make deb-check)
PACKAGES=
if [ "${1:-}" = --packages ]; then
    [ -n "${2:-}" ] || die "--packages needs the directory of the .deb files"
    PACKAGES=$(cd "$2" && pwd) || die "no directory $2"
    shift 2
fi

if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null \
        || die "needs root (debootstrap, chroot, mount); run it as root"
    say "needs root (debootstrap, chroot, mount): running through sudo"
    exec sudo env KEEP_FRESH_ROOT="${KEEP_FRESH_ROOT:-0}" \
        bash "$0" ${PACKAGES:+--packages "$PACKAGES"} "$@"
fi


# -- clean-up: processes, mounts, files -------------------------------------

# PIDs of the processes whose root directory is inside $1
procs_in() {
    local p root
    for p in /proc/[0-9]*; do
        root=$(readlink "$p/root" 2>/dev/null) || continue
        case "$root" in
            "$1"|"$1"/*) echo "${p#/proc/}" ;;
        esac
    done
}

kill_procs_in() {
    local dir=$1 pids deadline
    pids=$(procs_in "$dir")
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086
    say "killing the processes left in $dir:" $pids
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    deadline=$((SECONDS + 5))
    while [ -n "$(procs_in "$dir")" ] && [ $SECONDS -lt $deadline ]; do
        sleep 0.1
    done
    pids=$(procs_in "$dir")
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while [ -n "$(procs_in "$dir")" ] && [ $SECONDS -lt $deadline ]; do
        sleep 0.1
    done
    pids=$(procs_in "$dir")
    # shellcheck disable=SC2086
    [ -z "$pids" ] || say "still running in $dir:" $pids
}

# Ends a step's process group (debootstrap runs on the host, not in the
# root): SIGTERM, then SIGKILL for what is left after 5 seconds
end_group() {
    local deadline=$((SECONDS + 5))
    kill -TERM -- "-$1" 2>/dev/null || return 0
    while kill -0 -- "-$1" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
        sleep 0.1
    done
    kill -KILL -- "-$1" 2>/dev/null || true
}

# Mount points at or below $1, the last mounted first (mountinfo lists
# them in the order they were mounted; octal escapes such as \040 decoded)
mounts_below() {
    DIR=$1 awk 'BEGIN { dir = ENVIRON["DIR"] }
        {
            m = $5
            while (match(m, /\\[0-7][0-7][0-7]/)) {
                c = substr(m, RSTART + 1, 1) * 64
                c += substr(m, RSTART + 2, 1) * 8
                c += substr(m, RSTART + 3, 1)
                m = substr(m, 1, RSTART - 1) sprintf("%c", c) \
                    substr(m, RSTART + 4)
            }
            if (m == dir || index(m, dir "/") == 1)
                found[++n] = m
        }
        END { for (i = n; i >= 1; i--) print found[i] }' /proc/self/mountinfo
}

unmount_below() {
    local dir=$1 m
    while IFS= read -r m; do
        umount "$m" 2>/dev/null || true
    done < <(mounts_below "$dir")
    # what is still busy goes lazily: gone from the tree now, freed once
    # its last user is
    while IFS= read -r m; do
        say "unmounting $m lazily"
        umount -l "$m" || true
    done < <(mounts_below "$dir")
}

# Ends everything in a root and removes it (keeps it, unmounted, with
# KEEP_FRESH_ROOT=1).  Never removes a root that still has a mount below
# it, or when that cannot be told: rm would go into the host's /dev (and
# --one-file-system guards once more).
dispose_root() {
    local dir=$1 left
    [ -d "$dir" ] || return 0
    kill_procs_in "$dir"
    unmount_below "$dir"
    if ! left=$(mounts_below "$dir") || [ -n "$left" ]; then
        say "NOT removing $dir: still mounted below it (or unknown):"
        printf '%s\n' "$left" >&2
        return 1
    fi
    if [ "${KEEP_FRESH_ROOT:-0}" = 1 ]; then
        say "kept $dir (KEEP_FRESH_ROOT=1; the next run removes it)"
    else
        rm -rf --one-file-system "$dir"
    fi
}

# the step that is running, its process group (0: none) and start
CURRENT_STEP=
STEP_PGID=0
STEP_T0=0
FAILED_STEP=
FAILED_LOG=
STEP_NAMES=()
STEP_TIMES=()
STEP_RESULTS=()
ROOTS=()
STARTED=$SECONDS

duration() {
    printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}

summary() {
    local i
    echo
    echo "fresh-check: durations"
    for i in "${!STEP_NAMES[@]}"; do
        printf '  %-52s %9s  %s\n' "${STEP_NAMES[$i]}" \
            "$(duration "${STEP_TIMES[$i]}")" "${STEP_RESULTS[$i]}"
    done
    printf '  %-52s %9s\n' "total" "$(duration $((SECONDS - STARTED)))"
}

# The reasons a failed step gives, last of all (a reader of a long run
# often sees only its end): the test failures pytest named and the
# assertions that ended them
failure_reasons() {
    local reasons
    reasons=$(grep -E '^(FAILED |ERROR |E   )' "$1" | head -n 40) || true
    [ -n "$reasons" ] || return 0
    echo
    echo "fresh-check: why the step failed (from ${1#"$REPO"/}):"
    printf '%s\n' "$reasons" | cut -c1-300 | sed 's/^/  /'
}

cleanup() {
    local status=$? root
    trap '' INT TERM HUP
    if [ "$STEP_PGID" -ne 0 ]; then
        end_group "$STEP_PGID"
    fi
    for root in "${ROOTS[@]}"; do
        dispose_root "$root" || status=1
    done
    rm -f "$TARBALL"
    [ ${#STEP_NAMES[@]} -gt 0 ] && summary
    if [ -n "$FAILED_LOG" ]; then
        failure_reasons "$FAILED_LOG"
    fi
    if [ -n "$FAILED_STEP" ]; then
        say "FAILED: $FAILED_STEP (logs: ${LOGS#"$REPO"/})"
        [ "$status" -eq 0 ] && status=1
    elif [ "$status" -eq 0 ] && [ -n "$PACKAGES" ]; then
        say "OK: the packages install on a fresh Debian 12, serve a" \
            "login, and go with remove and purge"
    elif [ "$status" -eq 0 ]; then
        say "OK: make demo and make test work on a fresh Debian 12," \
            "as root and through sudo; make deb's packages install," \
            "serve a login, and go with remove and purge"
    fi
    exit "$status"
}

interrupted() {
    FAILED_STEP="interrupted by $1"
    if [ -n "$CURRENT_STEP" ]; then
        FAILED_STEP="$CURRENT_STEP, $FAILED_STEP"
        STEP_NAMES+=("$CURRENT_STEP")
        STEP_TIMES+=($((SECONDS - STEP_T0)))
        STEP_RESULTS+=("INTERRUPTED")
    fi
    exit 130
}


# -- steps: one command each, timed, logged ---------------------------------

# a command as it would be typed, paths in the repository made relative
shown() {
    local a out=
    for a in "$@"; do
        a=${a//"$REPO"\//}
        case $a in
            *[!A-Za-z0-9_./:=@%+,-]*|'') a="'${a//\'/\'\\\'\'}'" ;;
        esac
        out="$out${out:+ }$a"
    done
    printf '%s\n' "$out"
}

# step NAME LOG COMMAND...: runs COMMAND in its own session (so that an
# interrupt ends its whole process group), output to LOG.  The default
# action of SIGINT and SIGQUIT is restored: a background command of a
# script starts with both ignored, and every process below would inherit
# that.  A COMMAND that is a function of this script runs in a new
# instance of it (--call).
step() {
    local name=$1 log=$2 rc
    shift 2
    CURRENT_STEP=$name
    say "[$name] $(shown "$@")"
    say "    log: ${log#"$REPO"/}"
    STEP_T0=$SECONDS
    if [ "$(type -t "$1")" = function ]; then
        set -- bash "$0" --call "$@"
    fi
    setsid -w env --default-signal=INT,QUIT "$@" </dev/null >"$log" 2>&1 &
    STEP_PGID=$!
    rc=0
    wait "$STEP_PGID" || rc=$?
    STEP_PGID=0
    CURRENT_STEP=
    STEP_NAMES+=("$name")
    STEP_TIMES+=($((SECONDS - STEP_T0)))
    if [ "$rc" -ne 0 ]; then
        STEP_RESULTS+=("FAILED (exit $rc)")
        FAILED_STEP=$name
        FAILED_LOG=$log
        say "[$name] FAILED (exit $rc) after" \
            "$(duration $((SECONDS - STEP_T0))); last lines of" \
            "${log#"$REPO"/}:"
        tail -n 60 "$log" | sed 's/^/    | /'
        exit 1
    fi
    STEP_RESULTS+=("ok")
    say "[$name] ok ($(duration $((SECONDS - STEP_T0))))"
    if [ "$1 $2 $3" = "bash $0 --call" ]; then
        # a function's own account of what it ran
        grep -E '^(\$ |certificate )' "$log" | sed 's/^/    /'
    fi
}

# in_root ROOT USER COMMAND: COMMAND in a login shell of USER inside ROOT,
# as on a console of that machine: a clean environment, the user's own
# PATH and home, the locale the machine has (none set)
in_root() {
    chroot "$1" /usr/sbin/runuser -l "$2" -c "$3"
}

# step NAME LOG as USER in ROOT: COMMAND, shown as it runs
step_in_root() {
    step "$1" "$2" chroot "$3" /usr/sbin/runuser -l "$4" -c "$5"
}


# -- the host's apt mirror ---------------------------------------------------

# Every "deb" entry of the host's apt sources, one per line:
# URI SUITE COMPONENT...  (one-line .list files and deb822 .sources files)
host_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '{ sub(/#.*/, "") }
            $1 != "deb" { next }
            {
                i = 2
                if ($i ~ /^\[/) {             # [ options ]
                    while (i <= NF && $i !~ /\]$/)
                        i++
                    i++
                }
                line = $i " " $(i + 1)
                for (j = i + 2; j <= NF; j++)
                    line = line " " $j
                print line
            }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'function flush(   nu, ns, u, s, U, S) {
                if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") {
                    nu = split(uris, U, " ")
                    ns = split(suites, S, " ")
                    for (u = 1; u <= nu; u++)
                        for (s = 1; s <= ns; s++)
                            print U[u], S[s], comps
                }
                types = uris = suites = comps = enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]/ { next }                  # a folded value (a key)
            {
                k = tolower(substr($0, 1, index($0, ":") - 1))
                v = substr($0, index($0, ":") + 1)
                gsub(/^[ \t]+|[ \t]+$/, "", v)
                if (k == "types") types = v
                else if (k == "uris") uris = v
                else if (k == "suites") suites = v
                else if (k == "components") comps = v
                else if (k == "enabled") enabled = v
            }
            END { flush() }' "$f"
    done
}

# The host's Debian entries for $SUITE (main, -updates, -security).  A
# host of another release lends its Debian mirrors (suites named after a
# Debian release); other repositories (third-party suites) are ignored.
find_mirrors() {
    local all uri suite comps kind
    all=$(host_sources | sed 's|/* | |')
    MIRROR='' UPDATES='' SECURITY='' COMPONENTS=''
    for pass in exact any; do
        while read -r uri suite comps; do
            case "$pass:$suite" in
                exact:"$SUITE") kind=main ;;
                exact:"$SUITE"-updates) kind=updates ;;
                exact:"$SUITE"-security) kind=security ;;
                any:*-security) kind=security ;;
                any:*-updates) kind=updates ;;
                any:*-*|any:*/*) continue ;;
                any:buster|any:bullseye|any:bookworm|any:trixie|any:forky \
                    |any:sid|any:stable|any:oldstable|any:testing \
                    |any:unstable) kind=main ;;
                *) continue ;;
            esac
            case "$pass:$suite" in
                any:*-security|any:*-updates)
                    case "${suite%-*}" in
                        buster|bullseye|bookworm|trixie|forky|stable \
                            |oldstable|testing) ;;
                        *) continue ;;
                    esac ;;
            esac
            case $kind in
                main)
                    [ -n "$MIRROR" ] || { MIRROR=$uri; COMPONENTS=$comps; } ;;
                updates) [ -n "$UPDATES" ] || UPDATES=$uri ;;
                security) [ -n "$SECURITY" ] || SECURITY=$uri ;;
            esac
        done <<<"$all"
        [ -n "$MIRROR" ] && break
    done
    [ -n "$MIRROR" ] || die "no Debian mirror in the host's apt sources" \
        "(/etc/apt/sources.list, /etc/apt/sources.list.d/)"
    [ -n "$COMPONENTS" ] || COMPONENTS=main
}

# The new root's apt sources: deb822, as Debian 12 images have them
write_sources() {
    local root=$1 keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    local signed=
    [ -f "$root$keyring" ] && signed="Signed-By: $keyring"
    rm -f "$root/etc/apt/sources.list"
    {
        if [ -n "$UPDATES" ] && [ "$UPDATES" = "$MIRROR" ]; then
            printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\n' \
                "$MIRROR" "$SUITE" "$SUITE"
        else
            printf 'Types: deb\nURIs: %s\nSuites: %s\n' "$MIRROR" "$SUITE"
        fi
        printf 'Components: %s\n%s\n' "$COMPONENTS" "$signed"
        if [ -n "$UPDATES" ] && [ "$UPDATES" != "$MIRROR" ]; then
            printf '\nTypes: deb\nURIs: %s\nSuites: %s-updates\n' \
                "$UPDATES" "$SUITE"
            printf 'Components: %s\n%s\n' "$COMPONENTS" "$signed"
        fi
        if [ -n "$SECURITY" ]; then
            printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\n' \
                "$SECURITY" "$SUITE"
            printf 'Components: %s\n%s\n' "$COMPONENTS" "$signed"
        fi
    } >"$root/etc/apt/sources.list.d/debian.sources"
}


# -- a root ready to use ------------------------------------------------------

# What a machine or a container has that a bootstrapped directory lacks,
# and nothing more: apt sources, resolv.conf, the kernel's file systems.
# No /etc/hosts (debootstrap writes none): nothing may depend on the name
# "localhost" resolving.
prepare_root() {
    local root=$1
    write_sources "$root"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    # This root shares the host's network: a package's postinst must not
    # start its service (slapd on 389, nginx on 80) there, where it would
    # take the host's ports and keep running outside of any test.
    # invoke-rc.d asks policy-rc.d first; 101 is "action forbidden", as
    # container images answer.
    printf '#!/bin/sh\n# services are not started in this root\nexit 101\n' \
        >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"

    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --bind /dev "$root/dev"
    mount --bind /dev/pts "$root/dev/pts"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
}

# clone_into ROOT DIR [OWNER]: the committed HEAD of this checkout
clone_into() {
    local root=$1 dir=$2 owner=${3:-}
    git clone -q --no-hardlinks "$REPO" "$root$dir"
    git -C "$root$dir" checkout -q --detach "$HEAD"
    if [ -n "$owner" ]; then
        chown -R "$owner" "$root$dir"
    fi
}

# agent_login ROOT USER REPO_DIR LOG_OF_MAKE_DEMO: the agent command that
# make demo printed, run by USER; exit 0 and a certificate for $AGENT_CN
agent_login() {
    local root=$1 user=$2 dir=$3 demo_log=$4 cmd password out
    # "  build/scep-agent --portal URL --insecure --user alice \"
    # "       --out-dir /tmp/alice-cert        (password: ...)"
    cmd=$(sed -n '/^  [^ ]*scep-agent --portal .* --user '"$AGENT_USER"' \\$/{
                      N;p;q
                  }' "$demo_log" | tr -d '\\\n')
    [ -n "$cmd" ] || { echo "no agent command in $demo_log"; return 1; }
    password=$(printf '%s\n' "$cmd" | sed -n 's/.*(password: \(.*\)).*/\1/p')
    cmd=$(printf '%s\n' "$cmd" | sed 's/(password: .*//' | tr -s ' ' \
          | sed 's/^ //; s/ $//')
    out=$(printf '%s\n' "$cmd" | sed -n 's/.*--out-dir \([^ ]*\).*/\1/p')
    if [ -z "$password" ] || [ -z "$out" ]; then
        echo "cannot read the command: $cmd"
        return 1
    fi
    echo "\$ NGX_SCEP_PASSWORD=... $cmd"
    rm -rf "$root$out"
    # the password travels in the environment, as the README shows
    printf '%s\n' "$password" | in_root "$root" "$user" \
        "cd $dir && read -r NGX_SCEP_PASSWORD && export NGX_SCEP_PASSWORD \
         && exec $cmd" || return 1
    in_root "$root" "$user" "openssl x509 -in $out/cert.pem -noout \
        -subject -issuer -enddate -nameopt RFC2253" >"$root/tmp/agent.x509" \
        || { echo "openssl cannot read $out/cert.pem"; return 1; }
    cat "$root/tmp/agent.x509"
    if ! grep -q "^subject=CN=$AGENT_CN," "$root/tmp/agent.x509"; then
        echo "$out/cert.pem: the CN is not $AGENT_CN"
        return 1
    fi
    echo "certificate $out/cert.pem: CN=$AGENT_CN"
}

# gateway_login ROOT USER REPO_DIR LOG_OF_MAKE_DEMO: the openconnect command
# that make demo printed, pasted as it stands (it takes bob's certificate
# from the sample agent through the portal to the demo's gateway), run by
# USER; exit 0 and the gateway's cookie for bob
gateway_login() {
    local root=$1 user=$2 dir=$3 demo_log=$4 cmd out rc cookie
    # "  echo PASSWORD | [/usr/sbin/]openconnect --protocol=gp ... \"
    # "       ... \"   (up to the first line without a backslash)
    cmd=$(sed -n '/^  echo .* | [^ ]*openconnect --protocol=gp /,/[^\\]$/p' \
          "$demo_log")
    [ -n "$cmd" ] || { echo "no openconnect command in $demo_log"; return 1; }
    printf '%s\n' "$cmd" | sed 's/^  echo [^ ]* |/$ echo ... |/'
    rc=0
    out=$(in_root "$root" "$user" "cd $dir && $cmd" 2>&1) || rc=$?
    # the cookie is the session's credential: its fields are checked here,
    # the log shows it hidden
    printf '%s\n' "$out" | sed "s/^COOKIE='\(.*\)'$/COOKIE=(hidden)/"
    [ $rc -eq 0 ] || { echo "openconnect failed (exit $rc)"; return 1; }
    cookie=$(printf '%s\n' "$out" | grep "^COOKIE='") || cookie=
    printf '%s\n' "$cookie" | grep -Eq "authcookie=[0-9a-f]{32}" \
        && printf '%s\n' "$cookie" | grep -Eq "(^COOKIE='|&)user=bob(&|'$)" \
        || { echo "no cookie for bob in openconnect's output"; return 1; }
    echo "openconnect: the gateway's cookie for bob"
}


# -- the run ---------------------------------------------------------------

# a step that is a function of this script (see step)
if [ "${1:-}" = --call ]; then
    shift
    case $1 in
        agent_login|gateway_login) "$@"; exit ;;
        *) die "--call: unknown function $1" ;;
    esac
fi

trap cleanup EXIT
trap 'interrupted SIGINT' INT
trap 'interrupted SIGTERM' TERM
trap 'interrupted SIGHUP' HUP

command -v git >/dev/null || die "needs git (apt-get install git)"
HEAD=$(git -C "$REPO" rev-parse HEAD)

# A previous run's leftovers (kept, or killed without its clean-up)
if [ -d "$TOP" ]; then
    for old in "$TOP"/root-*; do
        [ -d "$old" ] || continue
        say "removing the root of a previous run: ${old#"$REPO"/}"
        KEEP_FRESH_ROOT=0 dispose_root "$old" \
            || die "cannot remove ${old#"$REPO"/}"
    done
    rm -rf "$TOP"
fi
mkdir -p "$LOGS"

# the host's own tools: debootstrap, and ip for the loopback of make test
host_missing=
command -v debootstrap >/dev/null || host_missing="$host_missing debootstrap"
command -v ip >/dev/null || host_missing="$host_missing iproute2"
if [ -n "$host_missing" ]; then
    # shellcheck disable=SC2086
    step "host: install$host_missing" "$LOGS/host-deps.log" \
        sh "$REPO/tools/deps.sh" $host_missing
fi

find_mirrors
ROOT1=$TOP/root-1
ROOT2=$TOP/root-2
ROOT3=$TOP/root-3
DEBS=$TOP/debs                      # the packages run 1 builds

if [ -n "$PACKAGES" ]; then
    say "Debian root: ${ROOT3#"$REPO"/}"
else
    say "Debian root: ${ROOT1#"$REPO"/} (and ${ROOT2#"$REPO"/}," \
        "${ROOT3#"$REPO"/} for runs 2 and 3)"
fi
say "    debootstrap --variant=minbase $SUITE, mirror $MIRROR"
suites="$SUITE${UPDATES:+, $SUITE-updates ($UPDATES)}"
suites="$suites${SECURITY:+, $SUITE-security ($SECURITY)}"
say "    apt sources: $suites; components: $COMPONENTS"
say "repository: commit $HEAD, cloned with git clone from $REPO"
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
    say "    (uncommitted changes in $REPO are NOT used: commit them first)"
else
    say "    (committed files only: uncommitted changes would not be used)"
fi
[ -z "$PACKAGES" ] || say "packages: ${PACKAGES#"$REPO"/}"

# Run 3: the Debian packages in $1, as an admin installs them: apt-get
# install of the two .deb files on a machine without them (dependencies
# from the mirror), then tools/deb-check.sh, whose check and removal run
# in a network namespace of their own, loopback only (they start nginx on
# port 80, slapd, scepserver).  The repository (its tools/ and tests/
# harness) is cloned as in the other runs; nothing is built in this root.
run3() {
    local debs=$1 f n=0
    prepare_root "$ROOT3"
    mkdir -p "$ROOT3/tmp/ngx-scep-debs"
    for f in "$debs"/libnginx-mod-http-scep_*.deb "$debs"/scep-agent_*.deb; do
        [ -f "$f" ] || die "no libnginx-mod-http-scep_*.deb or" \
            "scep-agent_*.deb in ${debs#"$REPO"/} (make deb)"
        cp "$f" "$ROOT3/tmp/ngx-scep-debs/"
        n=$((n + 1))
    done
    [ $n -eq 2 ] || die "${debs#"$REPO"/} holds $n packages, not 2"
    clone_into "$ROOT3" /root/ngx_scep
    say "run 3: as root in ${ROOT3#"$REPO"/}, packages" \
        "$(cd "$ROOT3/tmp/ngx-scep-debs" && echo *.deb)"
    step_in_root "run 3 (root): apt-get install ./*.deb" \
        "$LOGS/run3-install.log" "$ROOT3" root \
        "sh ngx_scep/tools/deb-check.sh install /tmp/ngx-scep-debs"
    step_in_root "run 3 (root): servers of the login check" \
        "$LOGS/run3-rig.log" "$ROOT3" root "sh ngx_scep/tools/deb-check.sh rig"
    step "run 3 (root): files, nginx -t, example, a login" \
        "$LOGS/run3-check.log" \
        unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
        chroot "$ROOT3" /usr/sbin/runuser -l root \
        -c "sh ngx_scep/tools/deb-check.sh check"
    step "run 3 (root): remove, purge, nginx without it" \
        "$LOGS/run3-remove.log" \
        unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
        chroot "$ROOT3" /usr/sbin/runuser -l root \
        -c "sh ngx_scep/tools/deb-check.sh remove"
    dispose_root "$ROOT3"
}

if [ -n "$PACKAGES" ]; then
    ROOTS+=("$ROOT3")
    step "debootstrap --variant=minbase $SUITE" "$LOGS/debootstrap.log" \
        debootstrap --variant=minbase "$SUITE" "$ROOT3" "$MIRROR"
    run3 "$PACKAGES"
    exit 0
fi

ROOTS+=("$ROOT1")
step "debootstrap --variant=minbase $SUITE" "$LOGS/debootstrap.log" \
    debootstrap --variant=minbase "$SUITE" "$ROOT1" "$MIRROR"
step "pristine copy for runs 2 and 3 (tar)" "$LOGS/tar.log" \
    tar -C "$ROOT1" --numeric-owner -cpf "$TARBALL" .

# Run 1: root
prepare_root "$ROOT1"
clone_into "$ROOT1" /root/ngx_scep
say "run 1: as root in ${ROOT1#"$REPO"/}, repository /root/ngx_scep"
# The README's first line for a brand-new machine: make itself
step_in_root "run 1 (root): apt-get install make" "$LOGS/run1-make.log" \
    "$ROOT1" root "apt-get update -qq && apt-get install -y make"
step_in_root "run 1 (root): make demo" "$LOGS/run1-demo.log" \
    "$ROOT1" root "cd ngx_scep && make demo"
step "run 1 (root): agent login to the demo portal" "$LOGS/run1-agent.log" \
    agent_login "$ROOT1" root /root/ngx_scep "$LOGS/run1-demo.log"
step "run 1 (root): openconnect with bob's certificate" \
    "$LOGS/run1-openconnect.log" \
    gateway_login "$ROOT1" root /root/ngx_scep "$LOGS/run1-demo.log"
step_in_root "run 1 (root): make demo-stop" "$LOGS/run1-demo-stop.log" \
    "$ROOT1" root "cd ngx_scep && make demo-stop"
# make test in a network namespace of its own (loopback only): a chroot
# shares the host's ports, and test runs of other checkouts on this
# machine must not meet its servers there, as they could not on another
# machine.  Its packages are installed already (make demo), so it needs
# no network.
step "run 1 (root): make test" "$LOGS/run1-test.log" \
    unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
    chroot "$ROOT1" /usr/sbin/runuser -l root -c "cd ngx_scep && make test"
# the Debian packages, for run 3 (their build dependencies and lintian
# come from the mirror)
step_in_root "run 1 (root): make deb" "$LOGS/run1-deb.log" \
    "$ROOT1" root "cd ngx_scep && make deb"
mkdir -p "$DEBS"
cp "$ROOT1"/root/ngx_scep/build/deb/*.deb "$DEBS/"
dispose_root "$ROOT1"

# Run 2: a user with passwordless sudo, as on a cloud image
ROOTS+=("$ROOT2")
mkdir -p "$ROOT2"
step "run 2: unpack the pristine root" "$LOGS/untar.log" \
    tar -C "$ROOT2" --numeric-owner -xpf "$TARBALL"
prepare_root "$ROOT2"
step "run 2: install sudo, add user $USER2" "$LOGS/run2-sudo.log" \
    chroot "$ROOT2" /bin/sh -c "
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq sudo >/dev/null &&
        useradd -m -s /bin/bash $USER2 &&
        echo '$USER2 ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/$USER2 &&
        chmod 440 /etc/sudoers.d/$USER2"
clone_into "$ROOT2" "/home/$USER2/ngx_scep" \
    "$(chroot "$ROOT2" id -u "$USER2"):$(chroot "$ROOT2" id -g "$USER2")"
say "run 2: as $USER2 (sudo) in ${ROOT2#"$REPO"/}, repository ~/ngx_scep"
step_in_root "run 2 ($USER2, sudo): sudo apt-get install make" \
    "$LOGS/run2-make.log" "$ROOT2" "$USER2" \
    "sudo apt-get update -qq && sudo apt-get install -y make"
step_in_root "run 2 ($USER2, sudo): make demo" "$LOGS/run2-demo.log" \
    "$ROOT2" "$USER2" "cd ngx_scep && make demo"
step "run 2 ($USER2, sudo): agent login to the demo portal" \
    "$LOGS/run2-agent.log" \
    agent_login "$ROOT2" "$USER2" "/home/$USER2/ngx_scep" \
    "$LOGS/run2-demo.log"
step "run 2 ($USER2, sudo): openconnect, bob's certificate" \
    "$LOGS/run2-openconnect.log" \
    gateway_login "$ROOT2" "$USER2" "/home/$USER2/ngx_scep" \
    "$LOGS/run2-demo.log"
step_in_root "run 2 ($USER2, sudo): make demo-stop" \
    "$LOGS/run2-demo-stop.log" "$ROOT2" "$USER2" \
    "cd ngx_scep && make demo-stop"
dispose_root "$ROOT2"

# Run 3: make deb's packages on a pristine root
ROOTS+=("$ROOT3")
mkdir -p "$ROOT3"
step "run 3: unpack the pristine root" "$LOGS/untar3.log" \
    tar -C "$ROOT3" --numeric-owner -xpf "$TARBALL"
rm -f "$TARBALL"
run3 "$DEBS"
