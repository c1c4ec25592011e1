PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COMPAT := compat/wix-sdk

.PHONY: setup run test unit check compat browser clean e2e-deps console-screenshots

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

run: setup
	$(BIN)/oauthapps serve --demo

# Debian's chromium for the Playwright browser tests (Playwright's own browser downloads are not used).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

# Lint, format and a strict type check; `make test` runs it first, so CI does too.
LINTED := src tests bench examples
check: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

# The pinned @wix/sdk (compat/wix-sdk/node_modules) is also used by the browser tests (bundled with esbuild).
test: setup browser e2e-deps $(COMPAT)/node_modules/.package-lock.json
	@$(MAKE) --no-print-directory check
	$(BIN)/pytest -q
	@$(MAKE) --no-print-directory compat

# The unit tests alone (tests/unit): seconds, with no database server, browser or Node.
unit: setup
	$(BIN)/pytest -q tests/unit

# axe-core (pinned in tests/e2e/axe/package-lock.json), injected into each page by the console's browser test.
AXE := tests/e2e/axe

$(AXE)/node_modules/.package-lock.json: $(AXE)/package-lock.json $(AXE)/package.json
	cd $(AXE) && npm ci --no-audit --no-fund
	@touch $@

e2e-deps: $(AXE)/node_modules/.package-lock.json

# Screenshots of the console's main pages into docs/console/ (shown in the README).
console-screenshots: setup browser e2e-deps
	OAUTHAPPS_CONSOLE_SCREENSHOTS=docs/console $(BIN)/pytest -q -p no:cacheprovider tests/e2e/test_console_e2e.py -k sqlite

# The official @wix/sdk (pinned in compat/wix-sdk/package-lock.json) against a real server.
$(COMPAT)/node_modules/.package-lock.json: $(COMPAT)/package-lock.json $(COMPAT)/package.json
	cd $(COMPAT) && npm ci --no-audit --no-fund
	@touch $@

compat: setup $(COMPAT)/node_modules/.package-lock.json
	cd $(COMPAT) && for db in sqlite postgresql; do \
	  echo "@wix/sdk compatibility on $$db"; \
	  COMPAT_DATABASE=$$db OAUTHAPPS_BIN=$(abspath $(BIN))/oauthapps node --import ./redirect-fetch.mjs --test tests/*.test.mjs || exit 1; \
	done

clean:
	rm -rf $(VENV) .oauthapps .pytest_cache

# `make bench` (not part of `make test`): our server (SQLite and PostgreSQL) against panva's
# oidc-provider and an Authlib server, in one run; see docs/benchmarks.md. Quick run:
#   BENCH_SECONDS=3 BENCH_WARMUP=1 BENCH_QUERY_SIZES=1000,10000 make bench
.PHONY: bench bench-profile bench-cpu bench-metrics bench-tools soak bench-console
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_PEER := bench/peers/oidc-provider

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[bench]'
	@touch $@

$(BENCH_PEER)/node_modules/.package-lock.json: $(BENCH_PEER)/package-lock.json $(BENCH_PEER)/package.json
	cd $(BENCH_PEER) && npm ci --no-audit --no-fund
	@touch $@

bench-tools:
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

bench: setup $(BENCH_STAMP) $(BENCH_PEER)/node_modules/.package-lock.json bench-tools
	$(BIN)/python bench/run.py

# Where one worker's time goes (py-spy goes into the venv for this only; it is no project dependency).
bench-profile: setup $(BENCH_STAMP) bench-tools
	@test -x $(BIN)/py-spy || $(BIN)/pip install --quiet py-spy
	$(BIN)/python bench/profile.py

# CPU µs per request of our ASGI app in-process (no sockets, no load generator): steady even when
# other work shares the machine. BENCH_INPROC_PROFILE=25 adds a cProfile top 25 per scenario.
bench-cpu: setup $(BENCH_STAMP)
	$(BIN)/python bench/inproc.py

# The Prometheus metrics' cost: CPU per request with them off and on (multi-process mode), per scenario.
bench-metrics: setup $(BENCH_STAMP)
	BENCH_INPROC_METRICS=compare $(BIN)/python bench/inproc.py

# 30 minutes of new visitors (~450 req/s, 2 workers, SQLite; SOAK_DB=postgresql for PostgreSQL):
# fails if a worker's resident memory ends more than 10 % above its value after the warm-up.
# Not part of `make test`. Shorter: SOAK_SECONDS=600 SOAK_WARMUP=120 make soak
soak: setup $(BENCH_STAMP) bench-tools
	$(BIN)/python bench/soak.py

# Server render time of each console page in a project of 10,000 OAuth apps and 100,000 members, on
# SQLite and PostgreSQL (median and p95; fails if a median passes 50 ms). Not part of `make test`.
#   BENCH_CONSOLE_RUNS=40 BENCH_DATABASES=sqlite,postgresql make bench-console
bench-console: setup
	$(BIN)/python bench/console_pages.py
