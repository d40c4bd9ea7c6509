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

run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
