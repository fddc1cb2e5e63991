# Payments order service: nginx -> FastCGI (libfcgi) Swift workers -> SQLite, Dintero Checkout.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian packages: nginx and the C libraries (libfcgi, SQLite, libpq, jemalloc) the workers link; sqlite3
# and curl for inspection; python3 + python3-venv for the test virtualenv (schemathesis from
# PyPI, `make test` only); wrk, ab (apache2-utils), gcc (the C baseline) and php-fpm with its
# SQLite, curl and APCu modules (the PHP reference) and openssl (a throwaway TLS certificate)
# for `make bench`.
DEB_PACKAGES := nginx libfcgi-dev libsqlite3-dev libpq-dev libjemalloc-dev sqlite3 curl ca-certificates python3 python3-venv
# `make test` only: the browser the shopper-page tests drive, a font for its pages, nginx's stream
# module and openssl for the production config's tests (payments.stream, a throwaway certificate), and the
# PostgreSQL server for the throwaway cluster the suites also run against.
TEST_PACKAGES := chromium fonts-dejavu-core postgresql libnginx-mod-stream openssl
BENCH_PACKAGES := wrk apache2-utils gcc postgresql php-fpm php-sqlite3 php-curl php-apcu openssl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT ?= swift

.PHONY: help deps build release run reload backup test unit-test integration-test openapi-check browser-test contract-test bench clean

help:
	@echo "make run    build (release) and start nginx + workers (+ Dintero sandbox) on localhost:3000"
	@echo "make reload replace the workers of a running 'make run' without dropping a request"
	@echo "make backup online backup of the running SQLite database to RUN_DIR/backups (BACKUP_DIR)"
	@echo "make test   OpenAPI check, browser tests, unit and integration tests on loopback"
	@echo "make bench  throughput of the workers behind nginx, as a ratio of a C libfcgi responder"

define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_missing,$(DEB_PACKAGES))

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	BIN_DIR="$$($(SWIFT) build -c release --show-bin-path)" "$$($(SWIFT) build -c release --show-bin-path)/payments-stack"

unit-test: build
	$(call install_missing,postgresql)
	bash Tests/Support/with-postgres.sh $(SWIFT) test --skip IntegrationTests

integration-test: build
	$(call install_missing,postgresql)
	BIN_DIR="$$($(SWIFT) build --show-bin-path)" bash Tests/Support/with-postgres.sh bash -c \
	  '$(SWIFT) test --filter IntegrationTests && TEST_STORE=postgres $(SWIFT) test --skip-build --filter IntegrationTests'

# Reloads the workers of a running `make run` (SIGHUP): settings files re-read, the binary on
# disk picked up, no request dropped. Waits for the outcome in /status: a refused reload (a
# broken setting; the old workers keep serving) fails with its reason. In production:
# systemctl reload payments-worker, then /status or /readyz.
# An online backup of a running `make run`'s SQLite database (BACKUP_DIR, default RUN_DIR/backups).
backup: release
	@dir="$${BACKUP_DIR:-$${RUN_DIR:-run}/backups}"; mkdir -p "$$dir"; \
	ORDERS_DB="$${ORDERS_DB:-$${RUN_DIR:-run}/orders.sqlite}" "$$($(SWIFT) build -c release --show-bin-path)/payments-worker" \
		backup "$$dir/orders-$$(date -u +%Y%m%dT%H%M%SZ).sqlite"

reload:
	@pidfile="$${RUN_DIR:-run}/payments-stack.pid"; \
	test -f "$$pidfile" || { echo "make run is not running (no $$pidfile)"; exit 1; }; \
	since=$$(date +%s.%N); kill -HUP "$$(cat "$$pidfile")"; \
	python3 -c "$$WAIT_FOR_RELOAD" "http://127.0.0.1:$${PORT:-3000}/status" "$$since"

define WAIT_FOR_RELOAD
import json, sys, time, urllib.request
from datetime import datetime
url, since = sys.argv[1], float(sys.argv[2])
deadline = time.time() + 120
while time.time() < deadline:
    try:
        last = json.load(urllib.request.urlopen(url, timeout=2))["supervisor"]["last_reload"]
    except Exception:
        last = None
    if last and datetime.fromisoformat(last["at"].replace("Z", "+00:00")).timestamp() >= since - 0.01:
        if last["outcome"] == "reloaded":
            sys.exit(print("reloaded"))
        sys.exit("reload refused, the workers keep running: " + str(last["error"]))
    time.sleep(0.2)
sys.exit("no reload outcome in " + url + " after 120 s")
endef
export WAIT_FOR_RELOAD

# The OpenAPI document checked against a running stack (schemathesis, ~1 min), the shopper
# pages in headless Chromium (~15 s), then the unit suites, then the integration suites, which
# start their own stacks on free loopback ports with the debug binaries just built. The two
# are separate runs: Swift Testing runs suites in parallel, and each integration test starts a
# whole stack, which is enough load for two cores without the unit suites beside it.
# A throwaway PostgreSQL cluster (stopped by pid afterwards) serves both: the storage suites
# run once per store, and the integration suite runs again with TEST_STORE=postgres.
test: build
	$(call install_missing,$(TEST_PACKAGES))
	bash Tests/OpenAPI/check.sh "$$($(SWIFT) build --show-bin-path)"
	bash Tests/Browser/run.sh "$$($(SWIFT) build --show-bin-path)"
	bash Tests/Contract/run.sh "$$($(SWIFT) build --show-bin-path)"
	BIN_DIR="$$($(SWIFT) build --show-bin-path)" bash Tests/Support/with-postgres.sh bash -c \
	  '$(SWIFT) test --skip IntegrationTests && $(SWIFT) test --skip-build --filter IntegrationTests && \
	   TEST_STORE=postgres $(SWIFT) test --skip-build --filter IntegrationTests'

contract-test: build
	$(call install_missing,$(TEST_PACKAGES))
	bash Tests/Contract/run.sh "$$($(SWIFT) build --show-bin-path)"

browser-test: build
	$(call install_missing,$(TEST_PACKAGES))
	bash Tests/Browser/run.sh "$$($(SWIFT) build --show-bin-path)"

openapi-check: build
	bash Tests/OpenAPI/check.sh "$$($(SWIFT) build --show-bin-path)"

bench: release
	$(call install_missing,$(BENCH_PACKAGES))
	bash Tests/Benchmarks/bench.sh "$$($(SWIFT) build -c release --show-bin-path)"

clean:
	rm -rf .build run
