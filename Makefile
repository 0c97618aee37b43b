# The README's commands. Each target installs what it needs into .venv first (pinned requirements).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
POLICY_VENV ?= .venv-policy
# MLServer pins its own dependencies (fastapi<0.116, python<3.13): the serving runtime gets its own venv.
SERVING_VENV ?= .venv-serving
# Feast pins its own tree (pandas<3, dask, fastapi/gunicorn): the feature store's real tests get their own venv.
FEAST_VENV ?= .venv-feast
STACK ?= dev

.PHONY: install serving-venv feast-venv lint demo render test test-fast test-policy golden schema vendor bench bench-preview bench-resolution bench-canary bench-serving bench-monitor clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

# The policy pack's own environment: pulumi-policy pins protobuf 5, the program's has protobuf 6.
$(POLICY_VENV)/.installed: policy/requirements.txt
	$(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt pytest==9.2.0
	touch $@

$(SERVING_VENV)/.installed: serving_runtime/requirements.txt
	$(PYTHON) -m venv $(SERVING_VENV)
	$(SERVING_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r serving_runtime/requirements.txt
	touch $@

serving-venv: $(SERVING_VENV)/.installed  ## the serving image's environment, for the real-MLServer tests

$(FEAST_VENV)/.installed: feature_store/requirements.txt
	$(PYTHON) -m venv $(FEAST_VENV)
	$(FEAST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r feature_store/requirements.txt
	touch $@

feast-venv: $(FEAST_VENV)/.installed  ## the Feast SDK and server, for the real feature store test (tests/test_feature_store_real.py)

demo: install          ## local MLflow + seeded models + offline render of the dev stack + verdicts
	$(PY) -m ops demo --stack $(STACK)

render: install        ## offline render of STACK against the configured registry
	$(PY) -m ops render --stack $(STACK)

lint: install          ## layering (import-linter), lint and format (ruff), types (mypy)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint test-policy serving-venv feast-venv ## lint, the policy pack's tests, then the whole suite (starts real MLflow, MLServer, Redis and Feast servers on 127.0.0.1)
	$(PY) -m pytest -q -p no:cacheprovider

test-policy: $(POLICY_VENV)/.installed  ## the CrossGuard pack with the real pulumi-policy classes, in .venv-policy
	$(POLICY_VENV)/bin/python -m pytest -q -p no:cacheprovider policy/tests

test-fast: install     ## the unit tier only: no MLflow server, no whole-program runs (seconds, not minutes)
	$(PY) -m pytest -q -p no:cacheprovider -m unit

golden: install        ## rewrite tests/golden/<stack>/ from a fresh render of every stack (review the diff)
	GOLDEN_UPDATE=1 $(PY) -m pytest -q -p no:cacheprovider tests/test_golden.py

schema: install        ## regenerate models/schema.json from catalogue/schema.py
	$(PY) -m catalogue.export_schema

# tests/data/ (CRD JSON schemas, chart default values, their licences) from the pinned upstream commits in
# tests/data/sources.json. Nothing is downloaded: pass a local clone of each upstream to regenerate, e.g.
#   make vendor FLAGGER_SRC=~/src/flagger KEDA_CHARTS_SRC=~/src/keda-charts
# Without any *_SRC it only checks that every vendored file is the bytes sources.json records.
VENDOR_SOURCES := crds-catalog=$(CRDS_CATALOG_SRC) flagger=$(FLAGGER_SRC) keda-charts=$(KEDA_CHARTS_SRC) \
	argo-helm=$(ARGO_HELM_SRC) prometheus-charts=$(PROMETHEUS_CHARTS_SRC)
vendor: install        ## regenerate tests/data/ from local clones of the pinned upstreams (FLAGGER_SRC=... etc.)
	$(PY) -m tools.vendor_test_data $(foreach s,$(VENDOR_SOURCES),$(if $(word 2,$(subst =, ,$(s))),--source $(s)))

bench: install bench-preview bench-canary bench-serving bench-monitor  ## every benchmark, each printing its table into docs/benchmarks.md; then the scale one (10/100/500 models, local + dev)
	$(PY) -m benchmarks.bench_scale --write docs/benchmarks.md

bench-preview: install  ## the fork PR path of a 100-model catalogue, before (whole renders, cost runs) and now (the scoped preview), vs the SDK floor
	$(PY) -m benchmarks.bench_preview --models 100 --stacks local,dev --write docs/benchmarks.md

bench-serving: install serving-venv  ## our serving runtime vs stock mlserver-mlflow under wrk at 1/8/32 clients, and a flood (needs `apt-get install -y wrk`)
	$(PY) -m benchmarks.bench_serving --write docs/benchmarks.md

bench-monitor: install  ## one quality-monitor run at 10k/100k/1M samples x 20 features, against the previous implementation
	$(PY) -m benchmarks.bench_monitor --write docs/benchmarks.md

bench-resolution: install  ## registry requests and time of resolving N models, sequential vs concurrent
	$(PY) benchmarks/bench_model_resolution.py

bench-canary: install  ## the Flagger analysis simulator per stack and strategy, written to docs/benchmarks.md
	$(PY) -m benchmarks.bench_canary_analysis --write docs/benchmarks.md

clean:
	rm -rf rendered .demo
