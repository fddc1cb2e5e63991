#!/usr/bin/env bash
# The shopper-page tests in a real browser: Debian's headless Chromium driven by Playwright
# (PyPI) against the real stack on loopback, plus a stand-in shop on another loopback origin.
# Screenshots of failing tests go to <run dir>/screenshots. Every process started here is
# stopped by its pid.
#   usage: Tests/Browser/run.sh BIN_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../Support/stack.sh"
bin=${1:?usage: run.sh BIN_DIR}
[ -x /usr/bin/chromium ] || { echo "Debian's chromium is required (make deps installs it)"; exit 1; }

test_venv
key="browser-$(date +%s)"
free_port shop_port
shop="http://127.0.0.1:$shop_port"
trap stop_stack EXIT
start_stack "$bin" PAYMENTS_API_KEY="$key" SHOP_URL="$shop/home" MERCHANT_NAME="Test Shop"

status=0
SERVICE_URL="$BASE_URL" SANDBOX_URL="$SANDBOX_URL" API_KEY="$key" SHOP_URL="$shop" SCREENSHOT_DIR="$STACK_RUN/screenshots" \
    timeout 300 "$TEST_VENV/bin/python" -m pytest "$here" -q -p no:cacheprovider || status=$?
if [ "$status" -ne 0 ]; then
    echo "Browser tests failed; screenshots in $STACK_RUN/screenshots, stack logs in $STACK_RUN"
    exit 1
fi
