# Communa — `make run` (dashboard with demo data on an embedded PostgreSQL), `make test` (the whole suite) and
# `make build` (this checkout ready to run the Procfile).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make build`: the venv the Procfile's commands run from (put its bin/ on PATH). Runtime dependencies only.
BUILD_VENV ?= .venv
BUILD_STAMP := $(BUILD_VENV)/.built
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in mails (password reset, invitation, sign-up) start from it: `make run`'s own address unless told.
PUBLIC_URL ?= http://$(HOST):$(PORT)
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export PYTHONDONTWRITEBYTECODE := 1

# What the app serves besides the Python code, built by one set of rules for `install` and `build`:
# the compiled catalogues and the JavaScript vendored from npm (package-lock.json pins the versions).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
VENDOR := web/static/vendor
VENDOR_SOURCES := node_modules/htmx.org/dist/htmx.min.js node_modules/chart.js/dist/chart.umd.min.js \
                  node_modules/chartjs-chart-matrix/dist/chartjs-chart-matrix.min.js \
                  node_modules/cytoscape/dist/cytoscape.min.js \
                  node_modules/@zxing/browser/umd/zxing-browser.min.js
VENDORED := $(addprefix $(VENDOR)/,$(notdir $(VENDOR_SOURCES)))
ASSETS := $(CATALOGUES) $(VENDORED)
# The Python that compiles the catalogues (Babel is a runtime dependency): the dev venv's unless told.
PY ?= $(BIN)/python

.PHONY: run test install build assets services browser lint translations-check messages clean

run: install
	$(BIN)/communa db upgrade
	$(BIN)/communa seed-demo
	@echo ""
	@echo "  Communa is starting on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@echo ""
	PUBLIC_URL=$(PUBLIC_URL) $(BIN)/communa run --host $(HOST) --port $(PORT)

test: install services browser
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/pytest -q $(PYTEST_ARGS)

install: $(STAMP)
	@$(MAKE) --no-print-directory assets PY=$(BIN)/python

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The checkout is what runs. The venv gets the runtime dependencies (pyproject.toml pins them) and an
# editable install of web/, tenants/ and workers/ (the `communa` command): the code imported is this
# checkout's, so tenants.core.config.ROOT, where templates/, translations/, migrations/ and web/static/ are read
# from, is this directory. Build where the processes run; the last step checks it from outside.
build: $(BUILD_STAMP)
	@$(MAKE) --no-print-directory assets PY=$(BUILD_VENV)/bin/python
	cd / && $(abspath $(BUILD_VENV))/bin/python -I -c 'import sys; from tenants.core.config import ROOT; \
	  sys.exit(None if str(ROOT) == "$(CURDIR)" else f"build: the code runs from {ROOT}, not $(CURDIR)")'
	@echo "built: run the Procfile here with PATH=$(abspath $(BUILD_VENV))/bin:\$$PATH"

$(BUILD_STAMP): pyproject.toml
	test -x $(BUILD_VENV)/bin/python || $(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/pip install -q -e .
	touch $(BUILD_STAMP)

assets: $(ASSETS)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

$(VENDORED): node_modules/.package-lock.json | $(VENDOR)
	cp $(filter %/$(notdir $@),$(VENDOR_SOURCES)) $@

$(VENDOR):
	mkdir -p $@

%.mo: %.po
	$(PY) -m babel.messages.frontend compile -f -i $< -o $@

# PostgreSQL and Redis: start them if installed but stopped (CI starts with whatever the machine has).
services:
	@if ! pg_isready -h 127.0.0.1 -p 5432 -q; then \
	  echo "starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; fi
	@if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then \
	  echo "starting Redis"; redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
	  for i in $$(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; fi

# Debian's Chromium for the browser tests (Playwright's own download cannot work here), wrk, the load
# generator of bench/scoring.py (its smoke test runs in the suite), Pango for WeasyPrint (report PDFs) and
# poppler's pdftotext (the tests read the PDFs' text).
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/wrk -a -x /usr/bin/pdftotext || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core wrk libpango-1.0-0 libpangoft2-1.0-0 poppler-utils; }

lint:
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo

# Re-extract messages after changing user-facing strings, then translate the new ones in the .po.
messages:
	$(BIN)/pybabel extract -F babel.cfg -w 120 -k _l -k AccountError -k TeamError -k OrgError -k CommunityError -k MergeError -k ApiKeyError -k FileError -k ItemError -k ScoringError -k LeaderError -k EventError:2 -k lazy_pgettext:1c,2 -k Problem:2 -k N_ -k DigestError -k GoalError -k ReportError -k BrandError -o translations/messages.pot .
	$(BIN)/pybabel update -w 120 -i translations/messages.pot -d translations -N

clean:
	rm -rf $(VENV) $(BUILD_VENV) node_modules $(VENDOR) $(CATALOGUES) instance test-artifacts
