#!/bin/sh
# The packages of make deb on a Debian 12 machine, as an admin installs
# them.  tools/fresh-check.sh runs it as root in a brand-new root
# (make deb-check, and the last run of make fresh-check); each step is one
# command:
#
#   sh tools/deb-check.sh install DIR   apt-get install ./libnginx-mod-http-
#                                       scep_*.deb ./scep-agent_*.deb from
#                                       DIR: dependencies from the mirror
#   sh tools/deb-check.sh rig           what the login check runs besides
#                                       the packages: slapd, scepserver,
#                                       python3, openssl (not the packages'
#                                       business, so installed after them)
#   sh tools/deb-check.sh check         the files and the enabling link;
#                                       nginx -t of Debian's configuration
#                                       and of conf.example/ put in
#                                       /etc/nginx with its files made up;
#                                       a login through the packages
#                                       (tools/deb_check.py); nginx starts
#   sh tools/deb-check.sh remove        apt-get remove, then purge: the link
#                                       goes, nginx refuses a directive of
#                                       the module and starts without it
#
# check and remove use loopback only (a network namespace of their own in
# fresh-check) and change /etc/nginx: run them on a machine made for it.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
MODULE=/usr/lib/nginx/modules/ngx_http_scep_module.so
AVAILABLE=/usr/share/nginx/modules-available/mod-http-scep.conf
ENABLED=/etc/nginx/modules-enabled/50-mod-http-scep.conf
TIMER_LINK=/etc/systemd/system/timers.target.wants/scep-agent-renew.timer
SNIPPET=/etc/nginx/conf.d/scep-deb-check.conf
WORK=/tmp/deb-check

say() { printf '%s\n' "$*"; }
die() { printf '%s\n' "deb-check: FAILED: $*" >&2; exit 1; }

# run COMMAND...: shown, then run
run() {
    say "\$ $*"
    "$@"
}

# nginx_start: Debian's nginx as the service starts it (its own
# configuration, port 80), asked for a page, and stopped
nginx_start() {
    run nginx
    /usr/bin/python3 - <<'EOF' || { nginx -s quit; die "nginx does not answer"; }
import time, urllib.request
deadline = time.monotonic() + 10
while True:
    try:
        with urllib.request.urlopen("http://127.0.0.1/", timeout=2) as r:
            print(f"GET http://127.0.0.1/: {r.status}")
            break
    except OSError as e:
        if time.monotonic() > deadline:
            raise SystemExit(f"GET http://127.0.0.1/: {e}")
        time.sleep(0.1)
EOF
    pid=$(cat /run/nginx.pid)
    run nginx -s quit
    # quit is asynchronous: wait for the master to be gone
    i=0
    while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 100 ] || die "nginx (pid $pid) still runs 10 s after quit"
        sleep 0.1
    done
    say "nginx (pid $pid) stopped"
}

# conf_example: conf.example/, as the package ships it, put in /etc/nginx
# unchanged, with every file under scep/ that it names made up (a
# self-signed certificate and key, placeholder secrets), then nginx -t;
# Debian's configuration is put back afterwards
conf_example() {
    examples=/usr/share/doc/libnginx-mod-http-scep/examples
    [ -f $examples/nginx.conf ] || die "no $examples/nginx.conf"
    cp /etc/nginx/nginx.conf $WORK/nginx.conf.debian
    cp $examples/nginx.conf /etc/nginx/nginx.conf
    rm -rf /etc/nginx/scep
    cp -r $examples/scep /etc/nginx/scep
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=vpn.example.org \
        -keyout $WORK/placeholder.key -out $WORK/placeholder.crt 2>/dev/null
    # (a word that starts with scep/, not the one in .../mscep/mscep.dll)
    for f in $(cat /etc/nginx/nginx.conf /etc/nginx/scep/*.conf \
               | grep -oE '(^|[[:space:]])scep/[A-Za-z0-9._/-]+' \
               | tr -d ' \t' | sort -u); do
        [ -e "/etc/nginx/$f" ] && continue
        mkdir -p "$(dirname "/etc/nginx/$f")"
        case $f in
            # scep_key_file: random bytes in base64, as the README makes it
            scep/keys/*) (umask 077; openssl rand -base64 32 >"/etc/nginx/$f") ;;
            *.password) echo placeholder-Secret >"/etc/nginx/$f" ;;
            *.key) cp $WORK/placeholder.key "/etc/nginx/$f" ;;
            *) cp $WORK/placeholder.crt "/etc/nginx/$f" ;;
        esac
        say "made up /etc/nginx/$f"
    done
    rc=0
    run nginx -t || rc=$?
    cp $WORK/nginx.conf.debian /etc/nginx/nginx.conf
    rm -rf /etc/nginx/scep
    [ $rc -eq 0 ] || die "nginx -t refuses conf.example/"
}

# gone PATH...: none of them exists (not even as a dangling link)
gone() {
    for p in "$@"; do
        if [ -e "$p" ] || [ -L "$p" ]; then
            die "$p is still there"
        fi
        say "gone: $p"
    done
}

cmd_install() {
    dir=${1:?"install needs the directory of the .deb files"}
    cd "$dir"
    set -- ./libnginx-mod-http-scep_*.deb ./scep-agent_*.deb
    [ $# -eq 2 ] && [ -f "$1" ] && [ -f "$2" ] \
        || die "$dir needs one libnginx-mod-http-scep_*.deb and one" \
               "scep-agent_*.deb (found: $*)"
    export DEBIAN_FRONTEND=noninteractive
    run apt-get update -qq
    run apt-get install -y "$@"
    run dpkg-query -W -f '${Package} ${Version} ${Status}\n' \
        libnginx-mod-http-scep scep-agent nginx nginx-common
}

cmd_rig() {
    export DEBIAN_FRONTEND=noninteractive
    run apt-get install -y -qq --no-install-recommends \
        slapd ldap-utils scep python3 python3-cryptography openssl >/dev/null
    say "installed: slapd ldap-utils scep python3 python3-cryptography openssl"
}

cmd_check() {
    rm -rf $WORK
    mkdir -p $WORK

    say "== what the packages installed"
    [ -f $MODULE ] || die "no $MODULE"
    say "$MODULE: $(stat -c %s $MODULE) bytes"
    [ "$(cat $AVAILABLE)" = "load_module modules/ngx_http_scep_module.so;" ] \
        || die "$AVAILABLE: $(cat $AVAILABLE)"
    [ "$(readlink $ENABLED)" = $AVAILABLE ] \
        || die "$ENABLED is not a link to $AVAILABLE"
    say "$ENABLED -> $AVAILABLE"
    [ -x /usr/bin/scep-agent ] || die "no /usr/bin/scep-agent"
    [ -f /usr/share/man/man1/scep-agent.1.gz ] || die "no manual page"
    [ "$(readlink $TIMER_LINK)" = /lib/systemd/system/scep-agent-renew.timer ] \
        || die "the renewal timer is not enabled ($TIMER_LINK)"
    say "$TIMER_LINK -> $(readlink $TIMER_LINK)"
    for f in $(dpkg -L libnginx-mod-http-scep | grep '^/usr/bin/'); do
        [ -x "$f" ] || die "$f is not executable"
        say "program: $f"
    done

    say "== nginx -t: Debian's configuration, the module from $ENABLED"
    run nginx -t

    say "== nginx -t: conf.example/ in /etc/nginx"
    conf_example

    say "== a login through the packages"
    run /usr/bin/python3 "$REPO/tools/deb_check.py" $WORK/login

    say "== nginx starts with the module loaded"
    nginx_start
}

cmd_remove() {
    export DEBIAN_FRONTEND=noninteractive
    # an admin's configuration that uses the module
    echo "scep_pending_cache 1m 1d;" >$SNIPPET
    say "$SNIPPET: $(cat $SNIPPET)"
    run nginx -t

    say "== apt-get remove"
    run apt-get remove -y libnginx-mod-http-scep scep-agent
    gone $ENABLED $MODULE /usr/bin/scep-agent
    # Debian's way: the link is kept aside, named so that nginx does not
    # read it, for a reinstallation to restore; purge removes it
    [ -L $ENABLED.removed ] || die "no $ENABLED.removed"
    say "kept aside until purge: $ENABLED.removed"
    out=$(nginx -t 2>&1) && die "nginx -t accepts $SNIPPET without the module"
    say "$out"
    case $out in
        *'unknown directive "scep_pending_cache"'*) ;;
        *) die "nginx -t does not fail for the module's directive" ;;
    esac
    run rm $SNIPPET
    run nginx -t
    nginx_start

    say "== apt-get purge"
    run apt-get purge -y libnginx-mod-http-scep scep-agent
    gone $ENABLED.removed $TIMER_LINK
    status=$(dpkg-query -W -f '${db:Status-Abbrev}' libnginx-mod-http-scep \
             scep-agent 2>/dev/null || true)
    case $status in
        *i*|*c*) die "still known to dpkg: $status" ;;
    esac
    run nginx -t
    nginx_start
}

command=${1:-}
case $command in
    install) shift; cmd_install "$@" ;;
    rig) cmd_rig ;;
    check) cmd_check ;;
    remove) cmd_remove ;;
    *) say "usage: sh tools/deb-check.sh install DIR | rig | check | remove" >&2
       exit 2 ;;
esac
say "deb-check: $command: ok"
