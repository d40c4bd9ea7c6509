# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app dpa_manager
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install db demo clean

# The virtualenv with the dev extra; rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,postgres]'
	touch $@

install: $(VENV)/.installed

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) dpa seed-demo

# The web app, a development mail server that keeps every message under instance/mail/,
# and the scheduler (sweep and outbox), stopped together with Ctrl-C.
run: demo
	@echo "E-mails: instance/mail/*.eml (development mail server on 127.0.0.1:8025)"
	@$(FLASK) dpa dev-mail-server & mail_pid=$$!; \
	$(FLASK) dpa scheduler --sweep-seconds 30 --mail-seconds 5 & scheduler_pid=$$!; \
	trap 'kill $$mail_pid $$scheduler_pid 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
