#!/usr/bin/env bash
# make bench: throughput of the service behind nginx as ratios of baselines measured in the
# same run on this machine (absolute numbers on a shared 2-core machine are noise).
#   usage: Tests/Benchmarks/bench.sh BIN_DIR
# All traffic goes to 127.0.0.1; every process started here is stopped by its pid.
set -euo pipefail
bin=${1:?usage: bench.sh BIN_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/Tests/Benchmarks"
run=$(mktemp -d /tmp/payments-bench.XXXXXX)
# nginx workers run as an unprivileged user when nginx starts as root: they must reach the sockets.
chmod 755 "$run"
duration=${BENCH_SECONDS:-8}
connections=${BENCH_CONNECTIONS:-32}
workers=${WORKERS:-2}
threads=${THREADS:-16}  # the worker's default (docs/benchmarks.md says why)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    # One 10-s grace period for all (the supervisors drain their workers first), then SIGKILL.
    local deadline=$((SECONDS + 10))
    for pid in "${pids[@]}"; do
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
}
stop_postgres() { :; }
trap 'cleanup; stop_postgres' EXIT
# shellcheck source=../Support/stack.sh
source "$root/Tests/Support/stack.sh"  # free_port
wait_for() { for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.05; done; echo "timed out waiting for $1" >&2; exit 1; }

free_port service_port; free_port sandbox_port; free_port baseline_port; free_port detached_port
gcc -O2 -o "$run/hello_responder" "$here/hello_responder.c" -lfcgi -lpthread

# The service: sandbox + worker supervisor, as make run starts them, at the default settings.
# wrk -c1024 needs more than the usual 1,024 descriptors.
ulimit -n 65536 2> /dev/null || ulimit -n "$(ulimit -Hn)" || true
SANDBOX_PUBLIC_URL="http://127.0.0.1:$sandbox_port" SANDBOX_CALLBACK_ATTEMPTS=0 \
    "$bin/dintero-sandbox" --socket "$run/sandbox.sock" --threads 4 > "$run/sandbox.log" 2>&1 & pids+=($!)
ORDERS_DB="$run/orders.sqlite" PUBLIC_BASE_URL="http://127.0.0.1:$service_port" FCGI_SOCKET_MODE=666 \
    DINTERO_API_URL="http://127.0.0.1:$sandbox_port" DINTERO_CHECKOUT_URL="http://127.0.0.1:$sandbox_port" \
    PROVIDER_URL="http://127.0.0.1:$sandbox_port/provider" \
    "$bin/payments-worker" --socket "$run/worker.sock" --workers "$workers" --threads "$threads" > "$run/worker.log" 2>&1 & pids+=($!)
# The same service on PostgreSQL (a throwaway cluster on loopback, Tests/Support/postgres.sh),
# side by side: its own supervisor and nginx, the same sandbox. BENCH_POSTGRES=0 skips it.
postgres=${BENCH_POSTGRES:-1}
if [ "$postgres" = 1 ]; then
    free_port pg_port; free_port pg_service_port
    pg_dir="$run/postgres"
    pg_url=$(bash "$root/Tests/Support/postgres.sh" start "$pg_dir" "$pg_port")
    stop_postgres() { bash "$root/Tests/Support/postgres.sh" stop "$pg_dir" || true; }
    psql -q "$pg_url" -c "CREATE DATABASE bench"
    pg_bench_url="${pg_url%/postgres}/bench"
    DATABASE_URL="$pg_bench_url" PUBLIC_BASE_URL="http://127.0.0.1:$pg_service_port" FCGI_SOCKET_MODE=666 \
        DINTERO_API_URL="http://127.0.0.1:$sandbox_port" DINTERO_CHECKOUT_URL="http://127.0.0.1:$sandbox_port" \
        PROVIDER_URL="http://127.0.0.1:$sandbox_port/provider" \
        "$bin/payments-worker" --socket "$run/worker-pg.sock" --workers "$workers" --threads "$threads" > "$run/worker-pg.log" 2>&1 & pids+=($!)
    pg_supervisor=$!
fi
# The php-fpm reference (Tests/Benchmarks/php): the three /orders routes in plain PHP against
# the same sandbox, behind its own nginx, so "faster than PHP" is measured in the same run.
# BENCH_PHP=0 skips it; PHP_CHILDREN sets its static pool (8, as in the performance issue).
php=${BENCH_PHP:-1}
php_fpm=$(command -v php-fpm8.2 php-fpm 2>/dev/null | head -1 || true)
[ -n "$php_fpm" ] || php=0
if [ "$php" = 1 ]; then
    free_port php_port
    sqlite3 "$run/php-orders.sqlite" < "$here/php/schema.sql" > /dev/null
    sed -e "s|@RUN@|$run|g" -e "s|@CHILDREN@|${PHP_CHILDREN:-8}|g" -e "s|@PUBLIC_BASE_URL@|http://127.0.0.1:$php_port|g" \
        -e "s|@SANDBOX_URL@|http://127.0.0.1:$sandbox_port|g" "$here/php/php-fpm.conf.in" > "$run/php-fpm.conf"
    mkdir -p "$run/nginx-php/tmp"
    sed -e "s|@PREFIX@|$run/nginx-php|g" -e "s|@RUN@|$run|g" -e "s|@PORT@|$php_port|g" -e "s|@SCRIPT@|$here/php/orders.php|g" \
        "$here/php/nginx.conf.in" > "$run/nginx-php/nginx.conf"
    # -R: the bench may run as root (CI does); the pool then runs as root too, on loopback only.
    "$php_fpm" -F -R -y "$run/php-fpm.conf" > "$run/php-fpm.out" 2>&1 & pids+=($!)
    php_master=$!
fi
# The ceiling: the C responder with as many threads as all workers together, under the
# workers' scheduling policy (SCHED_BATCH unless WORKER_SCHED_POLICY=other;
# docs/benchmarks.md: the responder itself gains nothing from it, the workers do).
policy=(chrt --batch 0)
[ "${WORKER_SCHED_POLICY:-batch}" = other ] && policy=()
"${policy[@]}" "$run/hello_responder" "$run/baseline.sock" $((workers * threads)) > "$run/baseline.log" 2>&1 & pids+=($!)
baseline_pid=$!
# A reference beside it: the same responder closing at once after reading the request to its
# end, as the workers do (FCGX_Detach), instead of waiting for nginx to close first.
"${policy[@]}" "$run/hello_responder" "$run/detached.sock" $((workers * threads)) detach > "$run/detached.log" 2>&1 & pids+=($!)
detached_pid=$!
wait_for "$run/worker.sock"; wait_for "$run/sandbox.sock"; wait_for "$run/baseline.sock"; wait_for "$run/detached.sock"
chmod 666 "$run/baseline.sock" "$run/detached.sock"

NGINX_PREFIX="$run/nginx-service" NGINX_PORT=$service_port FCGI_SOCKET="$run/worker.sock" ACCESS_LOG=off \
    SANDBOX_PORT=$sandbox_port SANDBOX_SOCKET="$run/sandbox.sock" "$root/nginx/render.sh" > /dev/null
NGINX_PREFIX="$run/nginx-baseline" NGINX_PORT=$baseline_port FCGI_SOCKET="$run/baseline.sock" ACCESS_LOG=off \
    "$root/nginx/render.sh" > /dev/null
NGINX_PREFIX="$run/nginx-detached" NGINX_PORT=$detached_port FCGI_SOCKET="$run/detached.sock" ACCESS_LOG=off \
    "$root/nginx/render.sh" > /dev/null
names="service baseline detached"
if [ "$postgres" = 1 ]; then
    wait_for "$run/worker-pg.sock"
    NGINX_PREFIX="$run/nginx-service-pg" NGINX_PORT=$pg_service_port FCGI_SOCKET="$run/worker-pg.sock" ACCESS_LOG=off \
        "$root/nginx/render.sh" > /dev/null
    names="$names service-pg"
fi
if [ "$php" = 1 ]; then wait_for "$run/php.sock"; names="$names php"; fi
for name in $names; do
    /usr/sbin/nginx -c "$run/nginx-$name/nginx.conf" -p "$run/nginx-$name" -e "$run/nginx-$name/error.log" & pids+=($!)
done
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$service_port/orders" > /dev/null && break; sleep 0.1; done

service="http://127.0.0.1:$service_port"
for i in $(seq 20); do
    curl -sf -X POST "$service/orders" -H 'Content-Type: application/json' -d '{"amount": 1000, "currency": "NOK"}' > /dev/null
done
order_id=$(curl -sf "$service/orders?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["orders"][0]["id"])')
supervisor=${pids[1]}
worker_pids() { cat /proc/"$supervisor"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true; }
cpu_ticks() {  # utime + stime of the given pids, in clock ticks
    local total=0 pid
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        total=$((total + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat")))
    done
    echo "$total"
}
pss_kib() {  # the largest PSS among the given pids
    local max=0 pid value
    for pid in "$@"; do
        value=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
        [ "${value:-0}" -gt "$max" ] && max=$value
    done
    echo "$max"
}
pss_sum_kib() {  # the PSS of the given pids together
    local total=0 pid value
    for pid in "$@"; do
        value=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
        total=$((total + ${value:-0}))
    done
    echo "$total"
}
fd_count() {  # open file descriptors of the given pids together
    local total=0 pid
    for pid in "$@"; do total=$((total + $(ls "/proc/$pid/fd" 2>/dev/null | wc -l))); done
    echo "$total"
}
ticks_per_second=$(getconf CLK_TCK)

# Rows straight into the migrated database (the service reads them like any other), up to a
# total: orders and payments spread over the past, with realistic status and amount mixes.
seed() {  # total
    local total=$1
    sqlite3 -cmd ".timeout 10000" "$run/orders.sqlite" <<SQL
BEGIN IMMEDIATE;
WITH RECURSIVE n(i) AS (SELECT (SELECT count(*) FROM payments) + 1 UNION ALL SELECT i + 1 FROM n WHERE i < $total)
INSERT INTO payments (transaction_id, reference, amount, return_url, state, payment_id, created_at, updated_at)
SELECT lower(hex(randomblob(16))), 'REF-' || i, 1 + abs(random() % 100000), 'http://service/return',
       -- Settled history: 'card' lasts only as long as a provider call.
       CASE i % 4 WHEN 0 THEN 'init' WHEN 2 THEN 'ERROR' ELSE 'OK' END,
       CASE WHEN i % 4 <> 0 THEN 'pay_' || i END,
       1790000000000 + i * 1000, 1790000000000 + i * 1000
FROM n;
WITH RECURSIVE n(i) AS (SELECT (SELECT count(*) FROM orders) + 1 UNION ALL SELECT i + 1 FROM n WHERE i < $total)
INSERT INTO orders (id, created_at, updated_at, checked_at, amount, currency, receipt, status, session_id, session_url)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       1700000000000 + i * 1000, 1700000000000 + i * 1000, 1700000000000 + i * 1000, 100 + i % 50000, 'NOK', NULL,
       CASE i % 3 WHEN 0 THEN 'AUTHORIZED' WHEN 1 THEN 'PENDING' ELSE 'CAPTURED' END, 'seed.' || i, 'http://sandbox/v1/view/seed.' || i
FROM n;
COMMIT;
ANALYZE;
SQL
    # The bulk insert leaves hundreds of MiB in the WAL: copy them and cut the file to zero now,
    # so the checkpointer's catching up is not measured as list latency and the WAL scenario
    # starts from an empty file. A TRUNCATE answers busy (1|-1|-1) at once while the
    # supervisor's checkpointer is in a round: try again.
    local attempt
    for attempt in $(seq 50); do
        [ "$(sqlite3 -cmd ".timeout 10000" "$run/orders.sqlite" 'PRAGMA wal_checkpoint(TRUNCATE);')" = "0|0|0" ] && return 0
        sleep 0.1
    done
    echo "the seeded WAL could not be truncated" >&2
    exit 1
}

# The same rows into the PostgreSQL database, then VACUUM ANALYZE (statistics for the
# planner, the visibility map for index-only scans) and a checkpoint.
seed_postgres() {  # total
    psql -q "$pg_bench_url" <<SQL
INSERT INTO payments (transaction_id, reference, amount, return_url, state, payment_id, created_at, updated_at)
SELECT md5(random()::text || i), 'REF-' || i, 1 + floor(random() * 100000)::int, 'http://service/return',
       CASE i % 4 WHEN 0 THEN 'init' WHEN 2 THEN 'ERROR' ELSE 'OK' END,
       CASE WHEN i % 4 <> 0 THEN 'pay_' || i END,
       1790000000000 + i * 1000, 1790000000000 + i * 1000
FROM generate_series((SELECT count(*) FROM payments) + 1, $1) AS i;
INSERT INTO orders (id, created_at, updated_at, checked_at, amount, currency, receipt, status, session_id, session_url)
SELECT gen_random_uuid()::text, 1700000000000 + i * 1000, 1700000000000 + i * 1000, 1700000000000 + i * 1000, 100 + i % 50000, 'NOK', NULL,
       CASE i % 3 WHEN 0 THEN 'AUTHORIZED' WHEN 1 THEN 'PENDING' ELSE 'CAPTURED' END, 'seed.' || i, 'http://sandbox/v1/view/seed.' || i
FROM generate_series((SELECT count(*) FROM orders) + 1, $1) AS i;
VACUUM ANALYZE;
-- Write the bulk load's dirty pages now, so the checkpointer's catching up is not measured.
CHECKPOINT;
SQL
}
# The cluster's processes (postmaster and backends), for CPU per request including the database.
postgres_pids() { local main; main=$(head -1 "$pg_dir/data/postmaster.pid"); echo "$main"; cat /proc/"$main"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true; }

results="$run/results.txt"
# One results row per scenario. Throughput counts 2xx answers only (a 503 is not work done);
# the non-2xx answers and socket errors are printed beside it, and CPU is per 2xx answer.
measure() {  # name url [wrk args...]
    local name=$1 url=$2; shift 2
    local out rps workers before after requests cpu
    workers=$(worker_pids)
    # shellcheck disable=SC2086
    before=$(cpu_ticks ${measured_pids:-$workers})
    out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" "$url")
    # shellcheck disable=SC2086
    after=$(cpu_ticks ${measured_pids:-$workers})
    echo "$out" >> "$run/wrk.log"
    local p50 p99 errors socket seconds ok
    requests=$(awk '/requests in/ {print $1}' <<< "$out")
    seconds=$(awk '/requests in/ {sub(/s,$/, "", $4); print $4}' <<< "$out")
    errors=$(awk '/Non-2xx/ {print $5}' <<< "$out")
    socket=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<< "$out")
    ok=$((requests - ${errors:-0}))
    rps=$(python3 -c "print(round($ok / $seconds, 2))")
    cpu=$(python3 -c "print(round(($after - $before) * 1e6 / $ticks_per_second / max(1, $ok)))")
    p50=$(awk '$1 == "50%" {print $2}' <<< "$out"); p99=$(awk '$1 == "99%" {print $2}' <<< "$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}" "$cpu" >> "$results"
    printf '  %-48s %10s 2xx/s   p50 %-9s p99 %-9s non-2xx %-6s socket errors %-5s %6s us CPU/2xx\n' \
        "$name" "$rps" "$p50" "$p99" "${errors:-0}" "${socket:-0}" "$cpu"
}
echo "wrk -t2 -c$connections -d${duration}s on 127.0.0.1; workers=$workers threads=$threads (ceiling: $((workers * threads)) C threads)"
measured_pids=$baseline_pid measure "nginx static return (reference)" "http://127.0.0.1:$baseline_port/favicon.ico"
# The machine's speed drifts by up to a third within a run: each section measures the ceiling
# again right before it, and its rows' ratios are to that one (the table shows each against the
# first).
ceiling() {  # [section]
    measured_pids=$baseline_pid measure "C libfcgi hello (ceiling${1:+, $1})" "http://127.0.0.1:$baseline_port/orders"
}
ceiling
measured_pids=$detached_pid measure "C libfcgi hello, closing at once (reference)" "http://127.0.0.1:$detached_port/orders"
measure "GET /orders/{id}" "$service/orders/$order_id"
measure "POST /orders (+ sandbox session)" "$service/orders" -s "$here/post_order.lua"
# The php-fpm reference right after, in the same phase of the machine: its master and children.
php_pids() { echo "$php_master"; cat /proc/"$php_master"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true; }
php_measure() {  # name path [wrk args...]
    local name=$1 path=$2; shift 2
    # shellcheck disable=SC2046
    measured_pids="$(php_pids)" measure "php: $name" "http://127.0.0.1:$php_port$path" "$@"
}
if [ "$php" = 1 ]; then
    for i in $(seq 20); do
        curl -sf -X POST "http://127.0.0.1:$php_port/orders" -H 'Content-Type: application/json' -d '{"amount": 1000, "currency": "NOK"}' > /dev/null
    done
    php_order_id=$(curl -sf "http://127.0.0.1:$php_port/orders?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["orders"][0]["id"])')
    php_measure "GET /orders/{id}" "/orders/$php_order_id"
    php_measure "POST /orders (+ sandbox session)" "/orders" -s "$here/post_order.lua"
fi

# The Dintero session call alone, made as a worker makes it (dintero-call-bench: one URLSession
# per process, the same client and guarded transport, blocking calls from dedicated threads)
# against the same sandbox: what POST /orders costs before FastCGI, JSON and SQLite.
# One results row from the tools' `calls= failed= cpu_us=` lines (dintero-call-bench's, or
# php/session-calls.php's): calls a second over `seconds`, CPU per call.
record_calls() {  # name seconds file...
    python3 - "$@" >> "$results" <<'PY'
import sys
name, seconds, files = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
totals = {"calls": 0, "failed": 0, "cpu_us": 0}
for path in files:
    # The tool's one line on stdout (why calls failed goes to call-bench.log).
    fields = dict(item.split("=", 1) for item in open(path).read().split() if "=" in item)
    if "calls" not in fields:
        sys.exit(f"a call tool gave no result: see {path.rsplit('/', 1)[0]}/call-bench.log")
    for key in totals:
        totals[key] += int(fields[key])
calls = max(1, totals["calls"])
print(f"{name}\t{totals['calls'] / seconds:.1f}\t-\t-\t{totals['failed']}\t{round(totals['cpu_us'] / calls)}")
PY
    tail -1 "$results" | awk -F'\t' '{printf "  %-40s %10s calls/s   failed %-6s %6s us CPU/call\n", $1, $2, $5, $6}'
}
call_bench() {  # name processes threads seconds [VAR=value ...]
    local name=$1 processes=$2 call_threads=$3 seconds=$4; shift 4
    local outputs=() i pin cpus=()
    # As many processes as workers: pinned as the supervisor pinned the workers (the CPUs its
    # log names by slot, none when it pinned nothing).
    if [ "$processes" = "$workers" ]; then
        read -ra cpus <<< "$(sed -n 's/.*workers pinned to CPUs \([0-9, ]*\) by slot.*/\1/p' "$run/worker.log" | head -1 | tr -d ',')"
    fi
    # call_wrapper: a command the tool runs under (the HTTPS rows' private trust store).
    for i in $(seq "$processes"); do
        pin=()
        [ "${#cpus[@]}" -gt 0 ] && pin=(taskset -c "${cpus[$(((i - 1) % ${#cpus[@]}))]}")
        env DINTERO_API_URL="http://127.0.0.1:$sandbox_port" DINTERO_CHECKOUT_URL="http://127.0.0.1:$sandbox_port" "$@" \
            "${call_wrapper[@]}" "${pin[@]}" "${policy[@]}" "$bin/dintero-call-bench" "$call_threads" "$seconds" > "$run/call-bench-$i.txt" 2>> "$run/call-bench.log" &
        outputs+=($!)
    done
    for i in "${outputs[@]}"; do
        wait "$i" || { echo "dintero-call-bench failed: $(cat "$run/call-bench.log")" >&2; exit 1; }
    done
    record_calls "$name" "$seconds" "$run"/call-bench-*.txt
    rm -f "$run"/call-bench-*.txt
}
call_wrapper=()
call_bench "Dintero session call alone" "$workers" "$threads" "$duration"

# The call one at a time, URLSession (its connection kept) against PHP's curl as php-fpm makes
# it (a new connection per call), over plain HTTP and then over HTTPS, as the real Dintero is:
# nginx terminates TLS in front of the sandbox with a throwaway certificate. URLSession trusts
# only the system's CA bundle, so its tool runs in a private mount namespace where that file
# is the throwaway certificate (root only; the system's trust store is never touched).
php_calls() {  # name seconds base_url [ca_file]
    local name=$1 seconds=$2; shift 2
    php "$here/php/session-calls.php" "$seconds" "$@" > "$run/php-calls.txt" 2>> "$run/call-bench.log" \
        || { echo "php session-calls.php failed: $(cat "$run/call-bench.log")" >&2; exit 1; }
    record_calls "$name" "$seconds" "$run/php-calls.txt"
}
if [ "$php" = 1 ]; then
    call_bench "session call, 1 thread, HTTP: URLSession" 1 1 "$duration"
    php_calls "session call, 1 thread, HTTP: PHP curl" "$duration" "http://127.0.0.1:$sandbox_port"
    if [ "$(id -u)" = 0 ] && command -v openssl > /dev/null && command -v unshare > /dev/null; then
        free_port tls_port
        mkdir -p "$run/nginx-tls/tmp"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=127.0.0.1" \
            -addext "subjectAltName=IP:127.0.0.1" -keyout "$run/nginx-tls/key.pem" -out "$run/nginx-tls/cert.pem" 2> /dev/null
        sed -e "s|@PREFIX@|$run/nginx-tls|g" -e "s|@PORT@|$tls_port|g" -e "s|@SANDBOX_PORT@|$sandbox_port|g" \
            "$here/tls-nginx.conf.in" > "$run/nginx-tls/nginx.conf"
        /usr/sbin/nginx -c "$run/nginx-tls/nginx.conf" -p "$run/nginx-tls" -e "$run/nginx-tls/error.log" & pids+=($!)
        for _ in $(seq 100); do curl -s -o /dev/null --cacert "$run/nginx-tls/cert.pem" "https://127.0.0.1:$tls_port/" && break; sleep 0.1; done
        # shellcheck disable=SC2016
        call_wrapper=(unshare --mount -- sh -c 'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt && exec "$@"' "$run/nginx-tls/cert.pem")
        call_bench "session call, 1 thread, HTTPS: URLSession" 1 1 "$duration" \
            DINTERO_API_URL="https://127.0.0.1:$tls_port" DINTERO_CHECKOUT_URL="https://127.0.0.1:$tls_port"
        call_wrapper=()
        php_calls "session call, 1 thread, HTTPS: PHP curl" "$duration" "https://127.0.0.1:$tls_port" "$run/nginx-tls/cert.pem"
    else
        echo "  (the HTTPS rows need root, openssl and unshare: skipped)"
    fi
fi

# Dintero answering in 300 ms, as it may in production, with new connections: FoundationNetworking
# busy-waits through the first call on each new connection unless CURLSessionFix drops the
# write source it leaves behind (docs/dintero.md). The fix on and off, then the service
# itself after a reload (fresh worker processes, so fresh connections), 4 creates at a time.
slow_dintero() {  # delay_ms
    curl -sf -X POST "http://127.0.0.1:$sandbox_port/__sandbox/faults" -H 'Content-Type: application/json' \
        -d "{\"endpoint\": \"sessions\", \"delay_ms\": $1, \"count\": $((${1} > 0 ? 1000000 : 0))}" > /dev/null
}
slow_dintero 300
call_bench "Dintero call, 300 ms answers, 4 threads" 1 4 "$duration"
call_bench "the same, URLSESSION_SOCKET_FIX=0" 1 4 "$duration" URLSESSION_SOCKET_FIX=0
old_workers=$(worker_pids)
kill -HUP "$supervisor"
for _ in $(seq 200); do
    current=$(worker_pids)
    # Reloaded: as many workers as configured, none of them an old one.
    if [ "$(wc -w <<< "$current")" = "$workers" ] && ! grep -qxF -f <(tr ' ' '\n' <<< "$old_workers" | grep -v '^$') <(tr ' ' '\n' <<< "$current"); then break; fi
    sleep 0.1
done
connections=4 measure "POST /orders, Dintero answering in 300 ms" "$service/orders" -s "$here/post_order.lua"

# Capacity: many creates waiting on a 300 ms Dintero at once, at the default settings. Each
# is parked off the accept threads; the 2xx rate is set against what the clients allow
# (clients ÷ 0.3 s). Meanwhile a separate reader's GET /orders/{id}, and the workers' peak PSS
# (together) and open descriptors, sampled every half second.
capacity() {  # clients
    local clients=$1 sampler reader_out
    ( while true; do
        # shellcheck disable=SC2046
        echo "$(pss_sum_kib $(worker_pids)) $(fd_count $(worker_pids))"; sleep 0.5
    done ) > "$run/capacity-$clients.txt" & sampler=$!
    pids+=("$sampler")
    wrk -t1 -c2 -d"${duration}s" --latency "$service/orders/$order_id" > "$run/reader-$clients.txt" & reader_out=$!
    connections=$clients measure "POST /orders, 300 ms Dintero, -c$clients" "$service/orders" -s "$here/post_order.lua"
    wait "$reader_out"
    kill "$sampler"
    python3 - "$results" "$clients" "$run/capacity-$clients.txt" "$run/reader-$clients.txt" >> "$run/capacity.txt" <<'PY'
import sys
results, clients, samples, reader = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
row = [r.rstrip("\n").split("\t") for r in open(results)][-1]
pss, fds = zip(*[tuple(map(int, line.split())) for line in open(samples) if line.strip()])
p99 = next(line.split()[1] for line in open(reader) if line.split()[:1] == ["99%"])
share = float(row[1]) / (clients / 0.3)
print(f"| -c{clients} | {float(row[1]):,.0f} | {share:.2f} | {row[4]} | {row[3]} | {row[5]} | {max(pss) / 1024:.1f} | {max(fds)} | {p99} |")
PY
    tail -1 "$run/capacity.txt"
}
echo "| clients | 2xx/s | × clients ÷ 0.3 s | non-2xx | p99 | worker CPU µs/create | peak worker PSS, MiB (sum) | peak worker fds | reader GET /orders/{id} p99 |" > "$run/capacity.txt"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" >> "$run/capacity.txt"
for clients in 64 256 1024; do capacity "$clients"; done
slow_dintero 0

# ab, as a user would try it: POST /orders at the defaults against the quick sandbox.
echo '{"amount": 29900, "currency": "NOK", "receipt": "bench"}' > "$run/order.json"
echo "ab -n 2000 -c 32 POST /orders:"
ab -q -n 2000 -c 32 -p "$run/order.json" -T application/json "$service/orders" > "$run/ab-post.txt"
awk '/Requests per second|Failed requests|Non-2xx responses/' "$run/ab-post.txt"

echo "seeding 10,000 orders and payments..."
seed 10000
ceiling "10k rows"
measure "GET /orders?limit=20 (10k rows)" "$service/orders?limit=20"
if [ "$php" = 1 ]; then
    sqlite3 -cmd ".timeout 10000" "$run/php-orders.sqlite" > /dev/null <<SQL
WITH RECURSIVE n(i) AS (SELECT (SELECT count(*) FROM orders) + 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO orders (id, created_at, updated_at, amount, currency, receipt, status, session_id, session_url)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       1700000000000 + i * 1000, 1700000000000 + i * 1000, 100 + i % 50000, 'NOK', NULL,
       CASE i % 3 WHEN 0 THEN 'AUTHORIZED' WHEN 1 THEN 'PENDING' ELSE 'CAPTURED' END, 'seed.' || i, 'http://sandbox/v1/view/seed.' || i
FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
    php_measure "GET /orders?limit=20 (10k rows)" "/orders?limit=20"
fi
measure "GET /payments?limit=100 (10k rows)" "$service/payments?limit=100"
echo "seeding 1,000,000 orders and payments..."
seed 1000000
ceiling "1M rows"
measure "GET /orders?limit=20 (1M rows)" "$service/orders?limit=20"
measure "GET /payments?limit=100 (1M rows)" "$service/payments?limit=100"
measure "GET /orders?status=AUTHORIZED (1M rows)" "$service/orders?status=AUTHORIZED&limit=20"
# /payments filters at 1M rows: each shape once, including amount ranges matching almost
# nothing (0.01 %) and almost everything (90 %).
measure "payments status (1M)" "$service/payments?status=ok&limit=100"
measure "payments rare amount (1M)" "$service/payments?minAmount=99990&limit=100"
measure "payments broad amount (1M)" "$service/payments?minAmount=10000&limit=100"
measure "payments status+rare amount (1M)" "$service/payments?status=ok&minAmount=99990&limit=100"
measure "payments status+amount+date (1M)" "$service/payments?status=ok&minAmount=50000&maxAmount=60000&minDate=2026-09-01&limit=100"
measure "payments date range (1M)" "$service/payments?minDate=2026-09-20&maxDate=2026-09-21&limit=100"
measure "payments rare amount+date (1M)" "$service/payments?minAmount=99990&minDate=2026-09-01&limit=100"

if [ "$postgres" = 1 ]; then
    echo
    echo "PostgreSQL: the same scenarios (CPU µs/req: workers + database processes)"
    pg_service="http://127.0.0.1:$pg_service_port"
    for i in $(seq 20); do
        curl -sf -X POST "$pg_service/orders" -H 'Content-Type: application/json' -d '{"amount": 1000, "currency": "NOK"}' > /dev/null
    done
    pg_order_id=$(curl -sf "$pg_service/orders?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["orders"][0]["id"])')
    sqlite_supervisor=$supervisor
    supervisor=$pg_supervisor
    pg_measure() {  # name path [wrk args...]
        local name=$1 path=$2; shift 2
        # shellcheck disable=SC2046
        measured_pids="$(worker_pids) $(postgres_pids)" measure "pg: $name" "$pg_service$path" "$@"
    }
    ceiling "PostgreSQL"
    pg_measure "GET /orders/{id}" "/orders/$pg_order_id"
    pg_measure "POST /orders (+ sandbox session)" "/orders" -s "$here/post_order.lua"
    echo "seeding 10,000 orders and payments..."
    seed_postgres 10000
    ceiling "PostgreSQL, 10k rows"
    pg_measure "GET /orders?limit=20 (10k rows)" "/orders?limit=20"
    pg_measure "GET /payments?limit=100 (10k rows)" "/payments?limit=100"
    echo "seeding 1,000,000 orders and payments..."
    seed_postgres 1000000
    ceiling "PostgreSQL, 1M rows"
    pg_measure "GET /orders?limit=20 (1M rows)" "/orders?limit=20"
    pg_measure "GET /payments?limit=100 (1M rows)" "/payments?limit=100"
    pg_measure "GET /orders?status=AUTHORIZED (1M rows)" "/orders?status=AUTHORIZED&limit=20"
    pg_measure "payments status (1M)" "/payments?status=ok&limit=100"
    pg_measure "payments rare amount (1M)" "/payments?minAmount=99990&limit=100"
    pg_measure "payments broad amount (1M)" "/payments?minAmount=10000&limit=100"
    pg_measure "payments status+rare amount (1M)" "/payments?status=ok&minAmount=99990&limit=100"
    pg_measure "payments status+amount+date (1M)" "/payments?status=ok&minAmount=50000&maxAmount=60000&minDate=2026-09-01&limit=100"
    pg_measure "payments date range (1M)" "/payments?minDate=2026-09-20&maxDate=2026-09-21&limit=100"
    pg_measure "payments rare amount+date (1M)" "/payments?minAmount=99990&minDate=2026-09-01&limit=100"
    supervisor=$sqlite_supervisor

    # Failover: a primary with a synchronous standby, the service on both (libpq's multi-host
    # URL), the primary SIGKILLed under creates and the standby promoted 1 s later.
    echo
    echo "PostgreSQL failover (synchronous standby, 4 creating clients):"
    free_port fo_primary_port; free_port fo_standby_port; free_port fo_service_port
    fo_pg=(bash "$root/Tests/Support/postgres.sh")
    "${fo_pg[@]}" start "$run/fo-primary" "$fo_primary_port" replicated > /dev/null
    stop_postgres() {
        for dir in "$pg_dir" "$run/fo-primary" "$run/fo-standby"; do bash "$root/Tests/Support/postgres.sh" stop "$dir" || true; done
    }
    "${fo_pg[@]}" standby "$run/fo-standby" "$fo_primary_port" "$fo_standby_port" > /dev/null
    psql -q "postgres://payments@127.0.0.1:$fo_primary_port/postgres" -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" > /dev/null
    DATABASE_URL="postgres://payments@127.0.0.1:$fo_primary_port,127.0.0.1:$fo_standby_port/postgres?target_session_attrs=read-write" \
        PUBLIC_BASE_URL="http://127.0.0.1:$fo_service_port" FCGI_SOCKET_MODE=666 \
        DINTERO_API_URL="http://127.0.0.1:$sandbox_port" DINTERO_CHECKOUT_URL="http://127.0.0.1:$sandbox_port" \
        PROVIDER_URL="http://127.0.0.1:$sandbox_port/provider" \
        "$bin/payments-worker" --socket "$run/worker-fo.sock" --workers "$workers" --threads "$threads" > "$run/worker-fo.log" 2>&1 & pids+=($!)
    wait_for "$run/worker-fo.sock"
    NGINX_PREFIX="$run/nginx-fo" NGINX_PORT=$fo_service_port FCGI_SOCKET="$run/worker-fo.sock" ACCESS_LOG=off \
        "$root/nginx/render.sh" > /dev/null
    /usr/sbin/nginx -c "$run/nginx-fo/nginx.conf" -p "$run/nginx-fo" -e "$run/nginx-fo/error.log" & pids+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$fo_service_port/orders" > /dev/null && break; sleep 0.1; done
    python3 "$here/failover.py" "http://127.0.0.1:$fo_service_port" "$root/Tests/Support/postgres.sh" \
        "$run/fo-primary" "$run/fo-standby" "postgres://payments@127.0.0.1:$fo_standby_port/postgres" | tee "$run/failover.txt"
fi

echo
echo "ab -n 5000 -c 16 GET /orders/{id}:"
ab -q -n 5000 -c 16 "$service/orders/$order_id" | awk '/Requests per second|Failed requests|Time per request.*mean\)/'
# shellcheck disable=SC2046
peak_pss=$(pss_kib $(worker_pids))

# The WAL under sustained mixed writes and overlapping reads from every worker process.
wal_seconds=${BENCH_WAL_SECONDS:-60}
echo
echo "WAL: ${wal_seconds}s of mixed POST /orders, POST /payments and GET /orders?limit=20..."
wal_samples="$run/wal-samples.txt"
( while true; do stat -c %s "$run/orders.sqlite-wal" 2>/dev/null || echo 0; sleep 0.2; done ) > "$wal_samples" & sampler=$!
pids+=("$sampler")
wal_out=$(wrk -t2 -c"$connections" -d"${wal_seconds}s" -s "$here/mixed.lua" "$service")
kill "$sampler"
wal_max=$(sort -n "$wal_samples" | tail -1)
integrity=$(sqlite3 -cmd ".timeout 10000" "$run/orders.sqlite" 'PRAGMA integrity_check;' | tail -1)
wal_rps=$(awk '/Requests\/sec/ {print $2}' <<< "$wal_out")
wal_errors=$(awk '/Non-2xx/ {print $5}' <<< "$wal_out")
printf '  %s req/s, non-2xx %s, largest -wal %s bytes (%.1f MiB), integrity_check: %s\n' "$wal_rps" "${wal_errors:-0}" "$wal_max" "$(python3 -c "print($wal_max / 1048576)")" "$integrity"
# Refused writes would write nothing to the WAL and flatter the figure.
if [ "${wal_errors:-0}" != 0 ]; then echo "the WAL scenario had non-2xx answers: its figure does not count" >&2; exit 1; fi

echo
python3 - "$results" "$peak_pss" "$wal_max" "$integrity" "$wal_rps" <<'PY'
import os
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
# Each row's ratio is to the ceiling measured last before it (its section's); the references
# measured before the first ceiling are to the first.
def is_ceiling(name):
    return name.startswith("C libfcgi hello (ceiling")
first_ceiling = ceiling = next(float(r[1]) for r in rows if is_ceiling(r[0]))
ceiling_of = {}
for r in rows:
    if is_ceiling(r[0]):
        ceiling = float(r[1])
    ceiling_of[r[0]] = ceiling
def ratio(r):
    """req/s as a share of the section's ceiling; a re-measured ceiling against the first."""
    base = first_ceiling if is_ceiling(r[0]) else ceiling_of[r[0]]
    return float(r[1]) / base
def ms(text):
    unit = text.lstrip("0123456789.")
    value = float(text[: len(text) - len(unit)])
    return value * {"us": 0.001, "ms": 1, "s": 1000}.get(unit, 1)
data = {r[0]: r for r in rows}
sqlite = [r for r in rows if not r[0].startswith(("pg: ", "php: "))]
php = {r[0][5:]: r for r in rows if r[0].startswith("php: ")}
pg = {r[0][4:]: r for r in rows if r[0].startswith("pg: ")}
print("| scenario | 2xx/s | × ceiling | p50 | p99 | worker CPU µs per 2xx (call bench: µs/call) |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for name, rps, p50, p99, errors, cpu in sqlite:
    # Rows without latencies are dintero-call-bench's (calls/s and CPU per call), and the slow
    # Dintero scenario's rate is set by the 300 ms answers: neither compares to the ceiling.
    share = "-" if p50 == "-" or "300 ms" in name else f"{ratio(data[name]):.2f}"
    print(f"| {name} | {float(rps):,.0f} | {share} | {p50} | {p99} | {cpu} |")
for label, table in (("SQLite", sqlite), ("PostgreSQL", list(pg.values()))):
    for kind in ("orders?limit=20", "payments?limit=100"):
        small = [r for r in table if kind in r[0] and "10k" in r[0]]
        large = [r for r in table if kind in r[0] and "1M" in r[0]]
        if small and large:
            # A slower phase of the machine lengthens p50 as it lowers the ceiling's rate.
            steady = ms(large[0][2]) * ceiling_of[large[0][0]] / (ms(small[0][2]) * ceiling_of[small[0][0]])
            print(f"\n{label} GET /{kind}: p50 at 1M rows / p50 at 10k rows = {ms(large[0][2]) / ms(small[0][2]):.2f}"
                  f" ({steady:.2f} with each p50 scaled by its section's ceiling)")
def side_by_side(others, title, header, row):
    """One row per SQLite scenario the other set also ran, under a Markdown header."""
    if not others:
        return
    print(f"\n{title}\n")
    print(header)
    print("| --- " + "| ---: " * (header.count("|") - 2) + "|")
    for name, rps, p50, p99, errors, cpu in sqlite:
        if name in others:
            print(row(name, rps, p50, cpu, others[name]))
side_by_side(
    pg, "SQLite and PostgreSQL side by side (same run, each against its section's C ceiling; PostgreSQL CPU includes the database's processes):",
    "| scenario | SQLite × ceiling | PostgreSQL × ceiling | SQLite p50 | PostgreSQL p50 | SQLite CPU µs/req | PostgreSQL CPU µs/req |",
    lambda name, rps, p50, cpu, other: f"| {name} | {ratio(data[name]):.2f} | {ratio(other):.2f} | {p50} | {other[2]} | {cpu} | {other[5]} |",
)
side_by_side(
    php, "The Swift workers and the php-fpm reference side by side (same run, same sandbox, same nginx set-up):",
    "| scenario | Swift req/s | php-fpm req/s | Swift CPU µs/req | php-fpm CPU µs/req | Swift CPU ÷ php-fpm CPU |",
    lambda name, rps, p50, cpu, other: f"| {name} | {float(rps):,.0f} | {float(other[1]):,.0f} | {cpu} | {other[5]} | {int(cpu) / max(1, int(other[5])):.2f} |",
)
print(f"peak worker PSS: {int(sys.argv[2]) / 1024:.1f} MiB")
print("\nPOST /orders with Dintero answering in 300 ms, at the default settings:\n")
print(open(sys.argv[1].rsplit("/", 1)[0] + "/capacity.txt").read().rstrip())
failover = sys.argv[1].rsplit("/", 1)[0] + "/failover.txt"
if os.path.exists(failover):
    print("\nPostgreSQL failover:" + open(failover).read().rstrip())
print(f"WAL scenario: {float(sys.argv[5]):,.0f} req/s, largest -wal {int(sys.argv[3]) / 1048576:.1f} MiB, integrity_check {sys.argv[4]}")
PY
echo "(raw wrk output and logs: $run)"
