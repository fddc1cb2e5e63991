#!/usr/bin/env bash
# Checks nginx/openapi: the served OpenAPI document against the running stack with schemathesis
# (status codes, content types, headers and bodies of every documented operation, undeclared
# methods, authentication, invalid input rejected). Bounded in time; loopback only; every
# process it starts is stopped by its pid.
#   usage: Tests/OpenAPI/check.sh BIN_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:?usage: check.sh BIN_DIR}
venv="$root/.build/test-venv"
schemathesis_version=4.32.5
# Prefer a current python3 on PATH (CPython before 3.11.5 has `ast` bugs hypothesis trips
# over), else Debian's. Schemathesis runs with one worker: hypothesis parses lambda sources
# with `ast`, which is not thread-safe in CPython 3.11.
python=/usr/bin/python3
if command -v python3 >/dev/null && python3 -c 'import sys, venv; sys.exit(sys.version_info < (3, 11, 5))' 2>/dev/null; then
    python=$(command -v python3)
fi

if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "$schemathesis_version"; then
    echo "Creating $venv with schemathesis $schemathesis_version (PyPI)"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
port=$(free_port)
sandbox_port=$(free_port)
run=$(mktemp -d /tmp/payments-openapi-XXXXXX)
chmod 755 "$run"  # nginx workers run unprivileged and must reach the sockets
key="openapi-check-$(date +%s)"

PORT=$port SANDBOX_PORT=$sandbox_port RUN_DIR="$run" BIN_DIR="$bin" PUBLIC_HOST=127.0.0.1 \
    PAYMENTS_API_KEY="$key" DINTERO_TIMEOUT_SECONDS=2 "$bin/payments-stack" > "$run/stack.log" 2>&1 &
stack=$!
stop() { kill -INT "$stack" 2>/dev/null || true; wait "$stack" 2>/dev/null || true; }
trap stop EXIT

for _ in $(seq 1 150); do
    if curl -fsS "http://127.0.0.1:$port/orders/openapi.json" -o /dev/null 2>/dev/null; then break; fi
    if ! kill -0 "$stack" 2>/dev/null; then echo "the stack did not start:"; cat "$run/stack.log"; exit 1; fi
    sleep 0.2
done

# Both prefixes serve the same document.
cmp <(curl -fsS "http://127.0.0.1:$port/orders/openapi.json") <(curl -fsS "http://127.0.0.1:$port/payments/openapi.json")

status=0
"$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "http://127.0.0.1:$port/orders/openapi.json" \
    --header "Authorization: Bearer $key" --checks all --exclude-checks positive_data_acceptance --workers 1 --max-examples 25 --max-time 60 \
    --seed 20261123 --no-color > "$run/schemathesis.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
    cat "$run/schemathesis.log"
    echo "OpenAPI check failed (schemathesis exit $status); stack logs in $run"
    exit 1
fi
tail -n 12 "$run/schemathesis.log"
echo "OpenAPI check passed: the document matches the running stack"
