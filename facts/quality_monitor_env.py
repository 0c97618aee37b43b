"""The quality monitor's configuration: environment variables its CronJob sets (manifests/quality_monitor_job.py)
and quality_monitor/config.py reads. One definition, so the two cannot drift apart."""

from __future__ import annotations

MODEL = "MONITOR_MODEL"  # catalogue name: the `model` label of every series
REGISTERED_MODEL = "MONITOR_REGISTERED_MODEL"  # MLflow registered model whose versions' runs hold the reference
TRACKING_URI = "MLFLOW_TRACKING_URI"  # read by the MLflow client too
# The registry credentials come from the registry credentials Secret, under MLflow's own names
# (facts/mlflow_client_env.py; not imported: this file is copied into the monitor's image alone).
NAMESPACE = "MONITOR_NAMESPACE"  # where the model's pods run
POD_SELECTOR = "MONITOR_POD_SELECTOR"  # label selector of the model's pods, e.g. a=b,c=d
CONTAINER = "MONITOR_CONTAINER"  # the serving container whose log carries the samples
SAMPLES_FILE = "MONITOR_SAMPLES_FILE"  # instead of pod logs: a JSON-lines file (local runs and tests)
WINDOW_SECONDS = "MONITOR_WINDOW_SECONDS"  # how far back samples are read
MIN_SAMPLES = "MONITOR_MIN_SAMPLES"  # fewer samples of a version than this: no drift score for it
MAX_SAMPLES = "MONITOR_MAX_SAMPLES"  # rows kept per version; past it, a uniform sample of the window's rows
REFERENCE_ARTIFACT = "MONITOR_REFERENCE_ARTIFACT"  # path of the reference CSV in the version's run
LABELS_URI = "MONITOR_LABELS_URI"  # optional: JSON lines {"request_id", "row", "label"}
MIN_LABELLED = "MONITOR_MIN_LABELLED"  # fewer labelled samples of a version than this: no accuracy
PUSHGATEWAY_URL = "MONITOR_PUSHGATEWAY_URL"  # where results are pushed; empty: print them only

PUSH_JOB = "quality-monitor"  # the Pushgateway job; each model is its own group (grouping key `model`)
