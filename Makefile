# The README's commands. Each target installs what it needs into .venv first (pinned requirements).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# MLServer pins its own dependencies (fastapi<0.116, python<3.13): the serving runtime gets its own venv.
SERVING_VENV ?= .venv-serving
STACK ?= dev

.PHONY: install serving-venv lint demo render test schema bench clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

$(SERVING_VENV)/.installed: serving_runtime/requirements.txt
	$(PYTHON) -m venv $(SERVING_VENV)
	$(SERVING_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r serving_runtime/requirements.txt
	touch $@

serving-venv: $(SERVING_VENV)/.installed  ## the serving image's environment, for the real-MLServer tests

demo: install          ## local MLflow + seeded models + offline render of the dev stack + verdicts
	$(PY) -m ops demo --stack $(STACK)

render: install        ## offline render of STACK against the configured registry
	$(PY) -m ops render --stack $(STACK)

lint: install          ## layering (import-linter), lint and format (ruff)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint serving-venv ## lint, then the whole test suite (starts real MLflow and MLServer servers on 127.0.0.1)
	$(PY) -m pytest -q -p no:cacheprovider

schema: install        ## regenerate models/schema.json from catalogue/schema.py
	$(PY) -m catalogue.export_schema

bench: install         ## benchmarks: print figures, assert nothing
	$(PY) benchmarks/bench_model_resolution.py

clean:
	rm -rf rendered .demo
