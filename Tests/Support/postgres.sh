#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks, on loopback only.
#   postgres.sh start DIR PORT [replicated]
#                                initdb (first time) and start it; prints the DATABASE_URL.
#                                `replicated`: a primary that streams to standbys and whose
#                                commits wait for them once synchronous_standby_names is set
#                                (synchronous_commit on, wal_log_hints on for pg_rewind)
#   postgres.sh standby DIR PRIMARY_PORT PORT
#                                a streaming standby of the primary (pg_basebackup -R), started
#   postgres.sh promote DIR      promotes a standby to primary (pg_ctl promote, waits)
#   postgres.sh kill DIR         SIGKILL of the postmaster, by its pid: a lost server
#   postgres.sh rejoin DIR PRIMARY_PORT PORT
#                                a killed former primary rewound (pg_rewind) onto the new
#                                primary and started as its standby
#   postgres.sh stop DIR         fast shutdown of the postmaster, by the pid in DIR/data/postmaster.pid
#   postgres.sh url DIR          the DATABASE_URL of a started cluster
# Runs initdb/pg_ctl as the `postgres` user when started as root (PostgreSQL refuses root), as
# the caller otherwise. Trust authentication: the cluster listens on 127.0.0.1 and a socket in
# DIR only, and lives as long as the test run. fsync off: a crash loses a test run, nothing else.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found (Debian package postgresql)" >&2; exit 1; }

# setpriv (util-linux) rather than runuser/su: no PAM session, so nothing signals the caller's
# process group when it ends (runuser did, from inside a test process).
as_owner() {
    if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}

command=${1:?usage: postgres.sh start DIR PORT | stop DIR | url DIR}
dir=${2:?DIR}
data="$dir/data"

# The postmaster outlives this script: it must not inherit the caller's descriptors (a
# process watching a pipe for our exit, as Foundation's Process does, would wait for it).
close_descriptors() {
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
    done
}

common="-c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=600 -c shared_buffers=128MB -c log_min_duration_statement=50 -c log_lock_waits=on"
# A replicated pair keeps every commit's promise: synchronous commit, full pages for pg_rewind.
replicated="-c wal_level=replica -c max_wal_senders=10 -c wal_log_hints=on -c wal_keep_size=512MB -c hot_standby=on"

# start_server DIR PORT OPTIONS: pg_ctl start, waiting until it accepts connections.
start_server() {
    echo "$2" >"$1/port"
    close_descriptors
    as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 30 start -o "-p $2 -k $1 $common $3" >/dev/null \
        || { cat "$1/server.log" >&2; exit 1; }
}

# wait_gone PID: true once the process is gone, within 10 s.
wait_gone() {
    for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}

prepare() {
    mkdir -p "$1"
    [ "$(id -u)" = 0 ] && chown postgres "$1"
    return 0
}

case "$command" in
start)
    port=${3:?PORT}
    prepare "$dir"
    if [ ! -f "$data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$data" -U payments -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if [ "${4:-}" = replicated ]; then
        # In the configuration file too: pg_rewind's crash recovery of this server, after it is
        # lost, starts it without our command line (and must keep the WAL from before the fork).
        grep -q '^wal_log_hints' "$data/postgresql.conf" \
            || printf 'wal_level = replica\nmax_wal_senders = 10\nwal_log_hints = on\nwal_keep_size = 512MB\nhot_standby = on\n' >>"$data/postgresql.conf"
        start_server "$dir" "$port" "$replicated"
    else
        start_server "$dir" "$port" "-c synchronous_commit=off -c full_page_writes=off"
    fi
    echo "postgres://payments@127.0.0.1:$port/postgres"
    ;;
standby)
    primary_port=${3:?PRIMARY_PORT}
    port=${4:?PORT}
    prepare "$dir"
    as_owner "$bin/pg_basebackup" -D "$data" -h 127.0.0.1 -p "$primary_port" -U payments -X stream -R -c fast \
        >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
    start_server "$dir" "$port" "$replicated"
    echo "postgres://payments@127.0.0.1:$port/postgres"
    ;;
promote)
    as_owner "$bin/pg_ctl" -D "$data" -w -t 30 promote >/dev/null
    ;;
kill)
    [ -f "$data/postmaster.pid" ] || exit 0
    pid=$(head -1 "$data/postmaster.pid")
    kill -KILL "$pid" 2>/dev/null || exit 0
    # Its backends notice the postmaster's death by themselves and exit.
    wait_gone "$pid" || { echo "postmaster $pid still there 10 s after SIGKILL" >&2; exit 1; }
    ;;
rejoin)
    primary_port=${3:?PRIMARY_PORT}
    port=${4:?PORT}
    # A promoted server records its new timeline at its next checkpoint: until then pg_rewind
    # sees one timeline and rewinds nothing. pg_rewind recovers the killed server's data
    # directory itself, then rewinds it to where the new primary's timeline forked, and -R
    # makes it follow that primary.
    "$bin/psql" -qAt -h 127.0.0.1 -p "$primary_port" -U payments -d postgres -c CHECKPOINT >/dev/null
    as_owner "$bin/pg_rewind" --target-pgdata="$data" -R \
        --source-server="host=127.0.0.1 port=$primary_port user=payments dbname=postgres" >"$dir/rewind.log" 2>&1 \
        || { cat "$dir/rewind.log" >&2; exit 1; }
    start_server "$dir" "$port" "$replicated"
    ;;
stop)
    [ -f "$data/postmaster.pid" ] || exit 0
    pid=$(head -1 "$data/postmaster.pid")
    kill -INT "$pid" 2>/dev/null || exit 0
    wait_gone "$pid" && exit 0
    echo "postmaster $pid still running after 10 s; sending SIGQUIT" >&2
    kill -QUIT "$pid" 2>/dev/null || true
    ;;
url)
    echo "postgres://payments@127.0.0.1:$(cat "$dir/port")/postgres"
    ;;
*)
    echo "unknown command $command" >&2; exit 2
    ;;
esac
