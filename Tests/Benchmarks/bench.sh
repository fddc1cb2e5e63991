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
threads=${THREADS:-4}
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.05; done; echo "timed out waiting for $1" >&2; exit 1; }

service_port=$(free_port); sandbox_port=$(free_port); baseline_port=$(free_port)
gcc -O2 -o "$run/hello_responder" "$here/hello_responder.c" -lfcgi -lpthread

# The service: sandbox + worker supervisor, as make run starts them. Every thread may call
# Dintero: the bench measures throughput, not the bulkhead's load shedding (BulkheadTests do).
SANDBOX_PUBLIC_URL="http://127.0.0.1:$sandbox_port" SANDBOX_CALLBACK_ATTEMPTS=0 \
    "$bin/dintero-sandbox" --socket "$run/sandbox.sock" --threads 4 > "$run/sandbox.log" 2>&1 & pids+=($!)
ORDERS_DB="$run/orders.sqlite" PUBLIC_BASE_URL="http://127.0.0.1:$service_port" FCGI_SOCKET_MODE=666 \
    DINTERO_API_URL="http://127.0.0.1:$sandbox_port" DINTERO_CHECKOUT_URL="http://127.0.0.1:$sandbox_port" \
    PROVIDER_URL="http://127.0.0.1:$sandbox_port/provider" \
    OUTBOUND_CONCURRENCY="${OUTBOUND_CONCURRENCY:-$threads}" \
    "$bin/payments-worker" --socket "$run/worker.sock" --workers "$workers" --threads "$threads" > "$run/worker.log" 2>&1 & pids+=($!)
# The ceiling: the C responder with as many threads as all workers together.
"$run/hello_responder" "$run/baseline.sock" $((workers * threads)) > "$run/baseline.log" 2>&1 & pids+=($!)
wait_for "$run/worker.sock"; wait_for "$run/sandbox.sock"; wait_for "$run/baseline.sock"
chmod 666 "$run/baseline.sock"

NGINX_PREFIX="$run/nginx-service" NGINX_PORT=$service_port FCGI_SOCKET="$run/worker.sock" ACCESS_LOG=off \
    SANDBOX_PORT=$sandbox_port SANDBOX_SOCKET="$run/sandbox.sock" "$root/nginx/render.sh" > /dev/null
NGINX_PREFIX="$run/nginx-baseline" NGINX_PORT=$baseline_port FCGI_SOCKET="$run/baseline.sock" ACCESS_LOG=off \
    "$root/nginx/render.sh" > /dev/null
for name in service baseline; do
    /usr/sbin/nginx -c "$run/nginx-$name/nginx.conf" -p "$run/nginx-$name" -e "$run/nginx-$name/error.log" & pids+=($!)
done
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$service_port/orders" > /dev/null && break; sleep 0.1; done

service="http://127.0.0.1:$service_port"
for i in $(seq 20); do
    curl -sf -X POST "$service/orders" -H 'Content-Type: application/json' -d '{"amount": 1000, "currency": "NOK"}' > /dev/null
done
order_id=$(curl -sf "$service/orders?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["orders"][0]["id"])')

# One million payments, to show the list stays fast with filters (inserted straight into the
# migrated database; the service reads them like any other).
echo "seeding 1,000,000 payments..."
sqlite3 "$run/orders.sqlite" <<'SQL'
PRAGMA busy_timeout = 10000;
BEGIN IMMEDIATE;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT INTO payments (transaction_id, reference, amount, return_url, state, payment_id, created_at, updated_at)
SELECT lower(hex(randomblob(16))), 'REF-' || i, 1 + abs(random() % 100000), 'http://service/return',
       CASE i % 4 WHEN 0 THEN 'init' WHEN 1 THEN 'OK' WHEN 2 THEN 'ERROR' ELSE 'card' END,
       CASE WHEN i % 4 IN (1, 2) THEN 'pay_' || i END,
       1790000000000 + i * 1000, 1790000000000 + i * 1000
FROM n;
COMMIT;
ANALYZE;
SQL

results="$run/results.txt"
measure() {  # name url [wrk args...]
    local name=$1 url=$2; shift 2
    local out rps
    out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" "$url")
    rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
    local p50 p99 errors
    p50=$(awk '$1 == "50%" {print $2}' <<< "$out"); p99=$(awk '$1 == "99%" {print $2}' <<< "$out")
    errors=$(awk '/Non-2xx/ {print $5}' <<< "$out")
    printf '%s %s %s %s %s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}" >> "$results"
    printf '  %-34s %10s req/s   p50 %-9s p99 %-9s non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}
echo "wrk -t2 -c$connections -d${duration}s on 127.0.0.1; workers=$workers threads=$threads"
measure "nginx static return (reference)" "http://127.0.0.1:$baseline_port/elsewhere"
measure "C libfcgi hello (ceiling)" "http://127.0.0.1:$baseline_port/orders"
measure "GET /orders/{id}" "$service/orders/$order_id"
measure "GET /orders?limit=20" "$service/orders?limit=20"
measure "GET /payments?limit=100 (1M rows)" "$service/payments?limit=100"
measure "GET /payments filtered (1M rows)" "$service/payments?status=ok&minAmount=50000&maxAmount=60000&minDate=2026-09-01&limit=100"
measure "GET /payments date range (1M rows)" "$service/payments?minDate=2026-09-20&maxDate=2026-09-21&limit=100"
# Worst case: an amount range matching 0.01% of rows, with nothing else to narrow the scan.
measure "GET /payments rare amount (1M rows)" "$service/payments?minAmount=99990&limit=100"
measure "POST /orders (+ sandbox session)" "$service/orders" -s "$here/post_order.lua"
echo
echo "ab -n 5000 -c 16 GET /orders/{id}:"
ab -q -n 5000 -c 16 "$service/orders/$order_id" | awk '/Requests per second|Failed requests|Time per request.*mean\)/'

echo
echo "Ratios against the C libfcgi ceiling measured above:"
python3 - "$results" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
names = {}
for row in rows:
    # The name has spaces: the last four fields are numbers.
    names[" ".join(row[:-4])] = float(row[-4])
ceiling = names["C libfcgi hello (ceiling)"]
for name, rps in names.items():
    print(f"  {name:34s} {rps / ceiling:6.2f} x ceiling")
PY
echo "(raw wrk output and logs: $run)"
