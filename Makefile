# Two commands do everything on a fresh machine:
#   make run    install, migrate, load the demo municipality and serve on http://127.0.0.1:5000,
#               with one task-queue consumer beside the web server (one Ctrl-C stops both)
#   make test   install (including Debian's Chromium for browser tests), lint, run the whole suite
# Set TEST_DATABASE_URL=postgresql://... to run the suite on PostgreSQL instead of SQLite.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test test-js lint translations extract-messages test-deps bench bench-classifier bench-reports bench-offline bench-sync-limits bench-pages bench-load clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate setup.cfg pyproject.toml
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations

# Compiled catalogues (.mo) are build output, made here from the .po files in git.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d screening/translations

# Refresh the English catalogue after changing user-facing strings (Danish is the source).
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o screening/translations/messages.pot .
	$(BIN)/pybabel update -i screening/translations/messages.pot -d screening/translations

# Debian packages the tests drive: chromium (browser tests), pdftoppm (PDF pages to PNG),
# node (the offline app's JavaScript unit tests) and java (the W3C HTML checker, vnu.jar).
test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing"; \
	  $(SUDO) apt-get install -y -q $$missing >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $$missing; }; \
	fi

run: install
	SCREENING_CONFIG=development $(BIN)/flask --app screening db upgrade
	SCREENING_CONFIG=development $(BIN)/flask --app screening seed-demo
	SCREENING_CONFIG=development $(BIN)/python -m screening.devrun --host $(HOST) --port $(PORT)

test: install lint test-deps test-js
	$(BIN)/python -m pytest

# Unit tests of the offline app's pure JavaScript modules, with Node's own test runner.
test-js: test-deps
	node --test tests/js/

# Static checks, run first by `make test`: style and bugs (ruff), types (mypy; strict for
# the rules: classifier, services, policy) and the import rules (lint-imports; the
# contracts are in pyproject.toml).
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Benchmarks (figures recorded in docs/PERFORMANCE.md).
bench: bench-classifier bench-reports bench-offline

bench-classifier: install
	$(BIN)/python -m benchmarks.classifier_bench

bench-reports: install
	@dpkg -s libpango-1.0-0 >/dev/null 2>&1 || $(SUDO) apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.reports_bench

# Coordinator and leader pages at municipal scale: DATABASE_URL=sqlite:////tmp/kommune.db
# or postgresql://... (the municipality is generated once, then reused).
bench-pages: install
	$(BIN)/python -m benchmarks.pages_bench $(if $(DATABASE_URL),--database-url $(DATABASE_URL))

# The pages under load on PostgreSQL (issue 17): gunicorn with gunicorn.conf.py, wrk at 20
# and 100 connections beside a minimal Flask app, then worker start-up and memory. The
# databases loadbench_demo and loadbench_large are made once, then reused; ARGS=--quick
# for a run of about two minutes (see `python -m benchmarks.load_bench --help`).
bench-load: install
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get install -y -q wrk >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q wrk; }; }
	$(BIN)/python -m benchmarks.load_bench $(ARGS)

bench-offline: install test-deps
	$(BIN)/python -m benchmarks.offline_bench

bench-sync-limits: install
	$(BIN)/python -m benchmarks.sync_limits_bench --runs 15

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
