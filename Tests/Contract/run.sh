#!/usr/bin/env bash
# The Dintero contract test: a stack on loopback whose sandbox records every exchange
# (SANDBOX_RECORD), driven through the service, then every recorded request and answer checked
# against Tests/Contract/dintero-contract.json. Every process started here is stopped by its pid.
#   usage: Tests/Contract/run.sh BIN_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../Support/stack.sh"
bin=${1:?usage: run.sh BIN_DIR}

test_venv
key="contract-$(date +%s)"
trap stop_stack EXIT
record=$(mktemp /tmp/payments-contract-XXXXXX.jsonl)
start_stack "$bin" PAYMENTS_API_KEY="$key" SANDBOX_RECORD="$record" SANDBOX_CALLBACK_DELAY_SECONDS=0
if SERVICE_URL="$BASE_URL" SANDBOX_URL="$SANDBOX_URL" API_KEY="$key" RECORD="$record" \
    timeout 300 "$TEST_VENV/bin/python" "$here/contract.py"; then
    echo "Dintero contract check passed"
    rm -f "$record"
else
    echo "Dintero contract check failed; the exchanges are in $record, stack logs in $STACK_RUN"
    exit 1
fi
