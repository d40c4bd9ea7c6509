# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app dpa_manager
HOST ?= 127.0.0.1
PORT ?= 5000
# The development mail server's port, and the address links in e-mails and feed URLs point to: where `make run`
# serves (127.0.0.1 when it listens on every address). Set either in the environment to override.
MAIL_PORT ?= 8025
LINK_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
BASE_URL ?= http://$(LINK_HOST):$(PORT)
SERVE_PORT ?= 8000

.PHONY: run test test-ahead lint serve install db demo clean translations bench

# The virtualenv with the dev extra; rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,postgres]'
	touch $@

# The French and English message catalogues, compiled from the .po files kept in git.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard dpa_manager/translations/*/LC_MESSAGES/messages.po))
dpa_manager/translations/%/LC_MESSAGES/messages.mo: dpa_manager/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -i $< -o $@

# axe-core, which the browser tests load into every page they visit (package.json pins its version; npm comes
# with Node.js, which only the tests need).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

install: $(VENV)/.installed $(CATALOGUES)

# Gather the texts to translate into messages.pot and merge them into the catalogues.
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o dpa_manager/translations/messages.pot --no-location --sort-output .
	$(VENV)/bin/pybabel -q update -i dpa_manager/translations/messages.pot -d dpa_manager/translations --no-fuzzy-matching

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) dpa seed-demo

# The web app, a development mail server that keeps every message under instance/mail/,
# and the scheduler (sweep and outbox), stopped together with Ctrl-C.
run: demo
	@echo "E-mails: instance/mail/*.eml (development mail server on 127.0.0.1:$(MAIL_PORT)); links in them lead to $(BASE_URL)"
	@echo "In production, set MAIL_DEFAULT_SENDER to an address of your own domain (e.g. privacy@your-company.be)."
	@export BASE_URL='$(BASE_URL)' MAIL_PORT='$(MAIL_PORT)'; \
	$(FLASK) dpa dev-mail-server --port $(MAIL_PORT) & mail_pid=$$!; \
	$(FLASK) dpa scheduler --sweep-seconds 30 --mail-seconds 5 & scheduler_pid=$$!; \
	trap 'kill $$mail_pid $$scheduler_pid 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# ruff (lint and format) and mypy, with their settings in pyproject.toml; `make test` runs them first.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The whole suite on SQLite; with DPA_TEST_DATABASE_URL set (postgresql+psycopg://...) the suite
# runs again on that PostgreSQL database (the browser tests run once, in the SQLite pass).
test: lint $(AXE)
ifdef DPA_TEST_DATABASE_URL
	env -u DPA_TEST_DATABASE_URL $(PY) -m pytest -m "not postgres" $(PYTEST_ARGS)
	@echo "== the suite again, on PostgreSQL"
	$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)
else
	$(PY) -m pytest $(PYTEST_ARGS)
endif

# The SQLite pass again with the system clock moved years ahead by libfaketime (Debian's faketime), to a
# Belgian public holiday in summer time: no test may depend on the day it runs. DONT_FAKE_MONOTONIC keeps
# Python's threads from hanging; tests/faketime/sitecustomize.py keeps time.sleep working under it.
FAKE_DATE ?= 2031-07-21 09:30:00
test-ahead: install $(AXE)
	env -u DPA_TEST_DATABASE_URL PYTHONPATH=tests/faketime DONT_FAKE_MONOTONIC=1 \
	  faketime '$(FAKE_DATE)' $(PY) -m pytest -m "not postgres" $(PYTEST_ARGS)

# Production-style serving: gunicorn with WORKERS web workers, and the one scheduler process.
WORKERS ?= 4
serve: db
	@echo "Serving on http://$(HOST):$(SERVE_PORT) with $(WORKERS) workers (DPA_ENV=$${DPA_ENV:-production})"
	@DPA_ENV=$${DPA_ENV:-production} $(FLASK) dpa scheduler & scheduler_pid=$$!; \
	trap 'kill $$scheduler_pid 2>/dev/null' EXIT INT TERM; \
	DPA_ENV=$${DPA_ENV:-production} $(VENV)/bin/gunicorn -c python:dpa_manager.gunicorn_conf --workers $(WORKERS) --bind $(HOST):$(SERVE_PORT) \
	  --access-logfile - --error-logfile - "dpa_manager:create_app()"

clean:
	rm -rf $(VENV) .pytest_cache

# The benchmarks (README, "Performance"): prints a table and writes bench/results.json. They use a
# scratch SQLite file and, when it answers, a scratch database on the PostgreSQL server of BENCH_PG
# (dropped afterwards). SCALE=10 runs them on ten times the data.
BENCH_PG ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
SCALE ?= 1
bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py --scale $(SCALE) --postgres $(BENCH_PG)
