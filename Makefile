# keyuan: two commands for a fresh machine — `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST := $(BIN)/pytest

.PHONY: run test install lint unit integration e2e fuzz browser chromium axe bench demo clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "keyuan needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: set up, initialise the embedded SQLite store under ./var, serve on 127.0.0.1:8000
## in demo mode (a sample office, a DEMONSTRATION impact assessment, a DEMO banner).
## `make run HOST=0.0.0.0 PORT=8443`: on the office network, over HTTPS; the office CA and this
## machine's certificate are made first when missing (`keyuan tls init --if-missing`), and plain
## HTTP on 8000 redirects. Only command-line HOST/PORT count (a shell's own $HOST does not).
ifneq ($(origin HOST),command line)
HOST :=
endif
ifneq ($(origin PORT),command line)
PORT :=
endif
IS_LOOPBACK := import ipaddress, sys; h = sys.argv[1].strip("[]"); \
  sys.exit(0 if h == "localhost" or ipaddress.ip_address(h).is_loopback else 1)
run: install
	@if [ -n "$(HOST)" ] && ! $(BIN)/python -c '$(IS_LOOPBACK)' "$(HOST)" 2>/dev/null; then \
	  $(BIN)/keyuan tls init --if-missing; fi
	$(BIN)/keyuan serve --demo $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

## make test: set up and run every tier (lint, unit, integration incl. slow, e2e, fuzz, browser)
test: install lint unit integration e2e fuzz browser

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache  # layers, areas, no cycles: [tool.importlinter] in pyproject

# pytest exits 5 when a tier collects no test; say so instead of failing opaquely.
define run_tier
	@$(PYTEST) $(1); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "tier '$(1)': no tests collected"; exit 0; fi; exit $$rc
endef

# The slower tiers run in TEST_WORKERS pytest-xdist worker processes (each its own stores,
# ports and data dirs): many of their tests wait on subprocesses, sockets and the database.
# `make integration TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 2
XDIST = $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS))

unit: install
	$(call run_tier,tests/unit)

integration: install
	$(call run_tier,tests/integration $(XDIST))

e2e: install
	$(call run_tier,tests/e2e $(XDIST))

# schemathesis against a live app's OpenAPI schema on SQLite and PostgreSQL (one xdist worker
# each): an admin, a distributor and an anonymous pass, 0 server errors over >= 10,000 generated
# requests; the summary prints each store's count and the total (KEYUAN_FUZZ_EXAMPLES per
# operation and mode for the admin, default 55; KEYUAN_FUZZ_ROLE_EXAMPLES for the others).
fuzz: install
	$(call run_tier,tests/fuzz -rP $(XDIST))

# Browser tests drive Debian's chromium (Playwright's own browsers are never downloaded), with a
# CJK font so zh-CN screenshots are legible. Installed here when missing; without root or apt
# the tests skip with the reason (under CI they fail instead).
BROWSER_DEBS := chromium fonts-wqy-zenhei
chromium:
	@{ test -x /usr/bin/chromium && test -d /usr/share/fonts/truetype/wqy; } || \
	  { apt-get install -y -q $(BROWSER_DEBS) >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(BROWSER_DEBS) >/dev/null 2>&1; }; } || \
	  echo "warning: could not install $(BROWSER_DEBS) (needs root and Debian apt); browser tests will skip"

# The accessibility check (tests/browser/test_accessibility.py) injects axe-core into every page:
# from npm, the exact version pinned in tests/browser/axe/package-lock.json, installed there by
# `npm ci` when missing. Without node and npm those tests skip with the reason (under CI they
# fail instead).
AXE_DIR := tests/browser/axe
axe:
	@test -f $(AXE_DIR)/node_modules/axe-core/axe.min.js || \
	  { command -v npm >/dev/null && (cd $(AXE_DIR) && npm ci --no-audit --no-fund); } || \
	  echo "warning: could not install axe-core (needs node and npm); accessibility tests will skip"

browser: install chromium axe
	$(call run_tier,tests/browser)

bench: install
	$(BIN)/keyuan bench engine

demo: install
	$(BIN)/keyuan demo

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(AXE_DIR)/node_modules
