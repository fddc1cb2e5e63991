#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster (Tests/Support/postgres.sh) on a free
# loopback port: TEST_POSTGRES_URL and TEST_POSTGRES_DIR are exported to it, and the cluster is
# stopped by its pid and removed when the command ends, whatever its outcome.
#   with-postgres.sh COMMAND [ARG ...]
set -euo pipefail
support_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$(mktemp -d /tmp/payments-pg-XXXXXX)
chmod 755 "$dir"
cleanup() { bash "$support_dir/postgres.sh" stop "$dir" || true; cp "$dir/server.log" /tmp/last-test-postgres.log 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
# shellcheck source=stack.sh
source "$support_dir/stack.sh"  # free_port
free_port port
TEST_POSTGRES_URL=$(bash "$support_dir/postgres.sh" start "$dir" "$port")
export TEST_POSTGRES_URL TEST_POSTGRES_DIR="$dir"
echo "PostgreSQL test cluster on 127.0.0.1:$port ($dir)"
set +e
"$@"
status=$?
exit $status
