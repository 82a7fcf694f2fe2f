# Communa — `make run` (dashboard with demo data on an embedded PostgreSQL) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install services browser lint translations-check messages clean

run: install
	$(BIN)/communa db upgrade
	$(BIN)/communa seed-demo
	@echo ""
	@echo "  Communa is starting on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@echo ""
	$(BIN)/communa run --host $(HOST) --port $(PORT)

test: install services browser
	$(BIN)/ruff check .
	$(BIN)/pytest -q $(PYTEST_ARGS)

install: $(STAMP) web/static/vendor/htmx.min.js translations/ru/LC_MESSAGES/messages.mo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

web/static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p web/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js web/static/vendor/htmx.min.js
	cp node_modules/chart.js/dist/chart.umd.min.js web/static/vendor/chart.umd.min.js
	cp node_modules/chartjs-chart-matrix/dist/chartjs-chart-matrix.min.js web/static/vendor/chartjs-chart-matrix.min.js

translations/ru/LC_MESSAGES/messages.mo: translations/ru/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d translations -f

# PostgreSQL and Redis: start them if installed but stopped (CI starts with whatever the machine has).
services:
	@if ! pg_isready -h 127.0.0.1 -p 5432 -q; then \
	  echo "starting PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; fi
	@if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then \
	  echo "starting Redis"; redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
	  for i in $$(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; fi

# Debian's Chromium for the browser tests (Playwright's own download cannot work here), and wrk, the load
# generator of bench/scoring.py (its smoke test runs in the suite).
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/wrk || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core wrk; }

lint:
	$(BIN)/ruff check .

# Re-extract messages after changing user-facing strings, then translate the new ones in the .po.
messages:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k AccountError -k TeamError -k OrgError -k CommunityError -k MergeError -k ApiKeyError -k FileError -k ItemError -k ScoringError -k Problem:2 -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -N

clean:
	rm -rf $(VENV) node_modules web/static/vendor instance test-artifacts
