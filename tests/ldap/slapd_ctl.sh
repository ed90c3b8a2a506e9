#!/bin/sh
# Controls the rig's slapd: start | stop | restart | pause | resume.
# The run's temp dir is $LDAP_RIG_DIR; its file "ports" holds PORT and
# TLS_PORT.  slapd runs in the foreground (-d 0), as our own child, and its
# pid is kept in $LDAP_RIG_DIR/slapd.rig.pid.
set -eu

dir=${LDAP_RIG_DIR:?LDAP_RIG_DIR is not set}
. "$dir/ports"
pidfile=$dir/slapd.rig.pid
deadline_s=10

# a zombie is not running: an orphaned slapd may wait long to be reaped
running() {
    [ -s "$pidfile" ] || return 1
    state=$(ps -o stat= -p "$(cat "$pidfile")" 2>/dev/null) || return 1
    case "$state" in
        Z*) return 1 ;;
    esac
}

answers() {
    ldapwhoami -x -H "ldap://127.0.0.1:$PORT" -o nettimeout=1 \
        -D cn=admin,dc=example,dc=org -w admin-secret >/dev/null 2>&1
}

# polls cmd until it succeeds or the deadline passes
poll() {
    end=$(( $(date +%s) + deadline_s ))
    while ! "$@"; do
        if [ "$(date +%s)" -ge "$end" ]; then
            return 1
        fi
        sleep 0.05
    done
}

gone() {
    ! running
}

# every thread stopped: kill(2) returns before a busy process has
stopped() {
    for task in /proc/"$(cat "$pidfile")"/task/*/stat; do
        # the state follows the command name, which ends in ") "
        state=$(sed 's/.*) //' "$task" 2>/dev/null | cut -c1) || return 1
        [ "$state" = T ] || return 1
    done
}

pause() {
    kill -STOP "$(cat "$pidfile")"
    if ! poll stopped; then
        echo "slapd_ctl: slapd did not stop within ${deadline_s}s" >&2
        return 1
    fi
}

start() {
    if running; then
        echo "slapd_ctl: slapd already runs" >&2
        return 1
    fi
    /usr/sbin/slapd -d 0 -f "$dir/slapd.conf" \
        -h "ldap://127.0.0.1:$PORT/ ldaps://127.0.0.1:$TLS_PORT/" \
        >>"$dir/slapd.log" 2>&1 &
    echo $! >"$pidfile"
    if ! poll answers; then
        echo "slapd_ctl: slapd did not answer within ${deadline_s}s;" \
             "see $dir/slapd.log" >&2
        return 1
    fi
}

stop() {
    if ! running; then
        return 0
    fi
    pid=$(cat "$pidfile")
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    if ! poll gone; then
        kill -KILL "$pid" 2>/dev/null || true
        poll gone
    fi
    rm -f "$pidfile"
}

case "${1:-}" in
    start)   start ;;
    stop)    stop ;;
    restart) stop; start ;;
    pause)   pause ;;
    resume)  kill -CONT "$(cat "$pidfile")" ;;
    *)       echo "usage: slapd_ctl.sh start|stop|restart|pause|resume" >&2
             exit 2 ;;
esac
