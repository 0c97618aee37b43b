# The README's commands. Each target installs what it needs into .venv first (pinned requirements).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: install lint demo render test schema bench bench-resolution clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

demo: install          ## local MLflow + seeded models + offline render of the dev stack + verdicts
	$(PY) -m ops demo --stack $(STACK)

render: install        ## offline render of STACK against the configured registry
	$(PY) -m ops render --stack $(STACK)

lint: install          ## layering (import-linter), lint and format (ruff)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint             ## lint, then the whole test suite (starts a real MLflow server on 127.0.0.1)
	$(PY) -m pytest -q -p no:cacheprovider

schema: install        ## regenerate models/schema.json from catalogue/schema.py
	$(PY) -m catalogue.export_schema

bench: install         ## scale benchmark (10/100/500 models, local + dev): one table, written to docs/benchmarks.md
	$(PY) -m benchmarks.bench_scale --write docs/benchmarks.md

bench-resolution: install  ## registry requests and time of resolving N models, sequential vs concurrent
	$(PY) benchmarks/bench_model_resolution.py

clean:
	rm -rf rendered .demo
