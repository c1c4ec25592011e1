PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test compat browser clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: setup
	$(BIN)/oauthapps serve --demo

# Debian's chromium for the Playwright browser tests (Playwright's own browser downloads are not used).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

test: setup browser
	$(BIN)/pytest -q
	@$(MAKE) --no-print-directory compat

# The official @wix/sdk (pinned in compat/wix-sdk/package-lock.json) against a real server.
COMPAT := compat/wix-sdk

$(COMPAT)/node_modules/.package-lock.json: $(COMPAT)/package-lock.json $(COMPAT)/package.json
	cd $(COMPAT) && npm ci --no-audit --no-fund
	@touch $@

compat: setup $(COMPAT)/node_modules/.package-lock.json
	cd $(COMPAT) && OAUTHAPPS_BIN=$(abspath $(BIN))/oauthapps node --import ./redirect-fetch.mjs --test tests/*.test.mjs

clean:
	rm -rf $(VENV) .oauthapps .pytest_cache
