# Two commands do everything on a fresh machine:
#   make run    install, migrate, load the demo municipality and serve on http://127.0.0.1:5000
#   make test   install (including Debian's Chromium for browser tests) and run the whole suite
# Set TEST_DATABASE_URL=postgresql://... to run the suite on PostgreSQL instead of SQLite.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test lint translations extract-messages chromium bench clean

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

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }; }

run: install
	SCREENING_CONFIG=development $(BIN)/flask --app screening db upgrade
	SCREENING_CONFIG=development $(BIN)/flask --app screening seed-demo
	SCREENING_CONFIG=development $(BIN)/flask --app screening run --host $(HOST) --port $(PORT)

test: install chromium
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
