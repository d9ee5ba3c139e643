# Quest Platform: `make run` serves the demo, `make test` runs the suite.
# Both create the virtual environment and install the pinned requirements first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
TRANSLATIONS := quest_platform/translations
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per CPU by default.
PYTEST_WORKERS ?= auto

.PHONY: run test lint format bench screenshots translations editor compile-translations install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

compile-translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS) -D "messages admin"

## run: install, migrate, seed the demo if the database is empty, and serve on HOST:PORT
run: install compile-translations
	$(BIN)/python manage.py db upgrade
	$(BIN)/python manage.py seed --demo --if-empty
	$(BIN)/python manage.py check
	@echo "Quest Platform: http://$(HOST):$(PORT)/  (demo sign-ins: instance/demo-logins.txt)"
	@# With Redis, a grader takes code from the queue beside the server (and stops with it).
	@if [ -n "$$REDIS_URL" ]; then $(BIN)/python manage.py grader & fi; \
	$(BIN)/python manage.py run --host $(HOST) --port $(PORT)

## test: the whole suite on SQLite, then on PostgreSQL and Redis when TEST_DATABASE_URL is set
test: install-dev compile-translations
	env -u TEST_DATABASE_URL -u TEST_REDIS_URL $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on $${TEST_DATABASE_URL%%@*}@… and $${TEST_REDIS_URL:-no Redis} (browser tests and pure functions ran above) =="; \
		$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not browser and not engine_independent" $(PYTEST_ARGS); \
	else \
		echo "PostgreSQL and Redis runs skipped: set TEST_DATABASE_URL and TEST_REDIS_URL to include them."; \
	fi

## lint: ruff check and format check, then mypy (its settings and strict modules: pyproject.toml)
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: platform pages and answers against a bare-Flask baseline (BENCH_ARGS: scenario, options; not part of the tests)
bench: install-dev compile-translations
	$(BIN)/python -m bench $(BENCH_ARGS)

## screenshots: the main screens of a throwaway demo, light and dark, desktop and phone, into docs/screenshots/ (Chromium at /usr/bin/chromium)
screenshots: install-dev compile-translations
	$(BIN)/python -m tools.screenshots

## translations: re-extract the strings and update the Spanish catalog
translations: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o $(TRANSLATIONS)/messages.pot quest_platform admin_views analytics
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

## editor: rebuild the code editor (CodeMirror, editor/) into quest_platform/static/vendor/codemirror/ with npm
editor:
	cd editor && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
