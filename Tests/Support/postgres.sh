#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks, on loopback only.
#   postgres.sh start DIR PORT   initdb (first time) and start it; prints the DATABASE_URL
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

case "$command" in
start)
    port=${3:?PORT}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$data" -U payments -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    echo "$port" >"$dir/port"
    # The postmaster outlives this script: it must not inherit the caller's descriptors (a
    # process watching a pipe for our exit, as Foundation's Process does, would wait for it).
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
    done
    as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 start -o \
        "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=600 -c shared_buffers=128MB -c log_min_duration_statement=50 -c log_lock_waits=on" \
        >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://payments@127.0.0.1:$port/postgres"
    ;;
stop)
    [ -f "$data/postmaster.pid" ] || exit 0
    pid=$(head -1 "$data/postmaster.pid")
    kill -INT "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
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
