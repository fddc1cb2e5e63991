# Shared by the Python-driven suites (Tests/OpenAPI, Tests/Browser); source it, don't run it.
#   test_venv                      creates/updates .build/test-venv from Tests/Support/requirements.txt
#   start_stack BIN_DIR [VAR=value ...]
#                                  starts payments-stack (nginx, workers, sandbox) on free loopback
#                                  ports; sets STACK_PID, BASE_URL, SANDBOX_URL, STACK_RUN
#   stop_stack                     stops it by its pid (the stack stops every process it started)
#   free_port VAR                  sets VAR to a free loopback port, never one this shell was given before
support_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$support_dir/../.." && pwd)
TEST_VENV="$repo_root/.build/test-venv"

# Prefer a current python3 on PATH (CPython before 3.11.5 has `ast` bugs hypothesis trips over),
# else Debian's.
TEST_PYTHON=/usr/bin/python3
if command -v python3 >/dev/null && python3 -c 'import sys, venv; sys.exit(sys.version_info < (3, 11, 5))' 2>/dev/null; then
    TEST_PYTHON=$(command -v python3)
fi

test_venv() {
    local stamp="$TEST_VENV/.requirements"
    if [ -x "$TEST_VENV/bin/python" ] && cmp -s "$support_dir/requirements.txt" "$stamp"; then return; fi
    echo "Creating $TEST_VENV from Tests/Support/requirements.txt (PyPI)"
    "$TEST_PYTHON" -m venv "$TEST_VENV"
    "$TEST_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$support_dir/requirements.txt"
    cp "$support_dir/requirements.txt" "$stamp"
}

# Sets the variable named $1 to a loopback port nothing listens on right now (bound to port 0,
# then released), and never one this shell was given before: the kernel may hand a just-released
# port out again, and a stack whose service and sandbox got the same port never starts (seen in
# CI with the Swift harness, which does the same since).
ports_given=()
free_port() {
    # Not named like any caller's variable: printf -v below assigns the caller's.
    local __free_port_found
    __free_port_found=$("$TEST_PYTHON" -c '
import socket, sys
for _ in range(100):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    if str(port) not in sys.argv[1:]:
        print(port); break
else:
    sys.exit("no free loopback port")' "${ports_given[@]}")
    ports_given+=("$__free_port_found")
    printf -v "$1" '%s' "$__free_port_found"
}

start_stack() {
    local bin=$1; shift
    local port sandbox_port
    free_port port
    free_port sandbox_port
    STACK_RUN=$(mktemp -d /tmp/payments-suite-XXXXXX)
    chmod 755 "$STACK_RUN"  # nginx workers run unprivileged and must reach the sockets
    BASE_URL="http://127.0.0.1:$port"
    SANDBOX_URL="http://127.0.0.1:$sandbox_port"
    env PORT="$port" SANDBOX_PORT="$sandbox_port" RUN_DIR="$STACK_RUN" BIN_DIR="$bin" PUBLIC_HOST=127.0.0.1 \
        DINTERO_TIMEOUT_SECONDS=2 "$@" "$bin/payments-stack" > "$STACK_RUN/stack.log" 2>&1 &
    STACK_PID=$!
    for _ in $(seq 1 150); do
        if curl -fsS "$BASE_URL/orders/openapi.json" -o /dev/null 2>/dev/null; then return 0; fi
        if ! kill -0 "$STACK_PID" 2>/dev/null; then echo "the stack did not start:"; cat "$STACK_RUN/stack.log"; return 1; fi
        sleep 0.2
    done
    echo "the stack did not answer in 30 s; logs in $STACK_RUN"
    return 1
}

stop_stack() {
    [ -n "${STACK_PID:-}" ] || return 0
    kill -INT "$STACK_PID" 2>/dev/null || true
    wait "$STACK_PID" 2>/dev/null || true
    STACK_PID=
}
