# The README's commands. Each target installs what it needs into .venv first (pinned requirements).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: install lint demo render test test-fast golden schema bench clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

demo: install          ## local MLflow + seeded models + offline render of the dev stack + verdicts
	$(PY) -m ops demo --stack $(STACK)

render: install        ## offline render of STACK against the configured registry
	$(PY) -m ops render --stack $(STACK)

lint: install          ## layering (import-linter), lint and format (ruff), types (mypy)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint             ## lint, then the whole test suite (starts a real MLflow server on 127.0.0.1)
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: install     ## the unit tier only: no MLflow server, no whole-program runs (seconds, not minutes)
	$(PY) -m pytest -q -p no:cacheprovider -m unit

golden: install        ## rewrite tests/golden/<stack>/ from a fresh render of every stack (review the diff)
	GOLDEN_UPDATE=1 $(PY) -m pytest -q -p no:cacheprovider tests/test_golden.py

schema: install        ## regenerate models/schema.json from catalogue/schema.py
	$(PY) -m catalogue.export_schema

bench: install         ## benchmarks: print figures, assert nothing
	$(PY) benchmarks/bench_model_resolution.py

clean:
	rm -rf rendered .demo
