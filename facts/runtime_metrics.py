"""Prometheus series each model server really exports: name, type, labels, scrape port and path.

ONE table per runtime (plus the two non-runtime exporters the delivery objects read: Flagger's own
controller metrics and kube-state-metrics). Every PromQL query the delivery builders generate may name
only series and labels listed here; tests parse each query and check it against these tables.

Sources (as recorded in ../shared/design/facts-delivery.md, sections 2 and 3):
  [MLSERVER]  SeldonIO/MLServer@a325e52 mlserver/handlers/dataplane.py l.42-56 (model_infer_* with labels
              model, version), mlserver/settings.py (metrics_port 8082, /metrics), rest/app.py l.220-230 and
              starlette_exporter v0.23.0 middleware.py (rest_server_* names and labels).
  [TRITON]    triton-inference-server/server@e1db8a6 docs/user_guide/metrics.md; triton-inference-server/core
              src/metric_model_reporter.cc (labels model, version, gpu_uuid; counters exported without _total;
              summaries only with --metrics-config summary_latencies=true). Port 8002, /metrics.
  [VLLM]      vllm 0.33.0 wheel vllm/v1/metrics/loggers.py (labels model_name, engine), vllm/v1/engine/__init__.py
              (finished_reason), prometheus-fastapi-instrumentator 8.1.0 metrics.py (http_* names, labels,
              status grouped as 2xx/4xx/5xx). /metrics on the API port 8000.
  [SCRAPE]    facts-delivery.md section 2 "Conventions": a prometheus-operator PodMonitor adds the target labels
              `namespace` and `pod` (and `container`, `endpoint`, `job`, `instance`) to every scraped series;
              facts/scrapes.py says which exporter labels arrive as exported_* instead.
  [FLAGGER]   fluxcd/flagger docs/gitbook/usage/monitoring.md "Metrics": flagger_canary_status{name,namespace}
              (0 running, 1 successful, 2 failed), flagger_canary_weight{workload,namespace}.
  [FLAGGER-REC] fluxcd/flagger v1.44.0 pkg/metrics/recorder.go (Subsystem "flagger", controller.go
              NewRecorder(controllerAgentName)): flagger_canary_successes_total and
              flagger_canary_failures_total counters {name, namespace, deployment_strategy, analysis_status};
              pkg/controller/scheduler.go increments them when a rollout succeeds or fails (name = targetRef).
  [KSM]       kubernetes/kube-state-metrics docs/metrics/workload/deployment-metrics.md:
              kube_deployment_status_replicas_available / _unavailable / kube_deployment_spec_replicas
              {namespace, deployment}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from facts import scrapes

SeriesType = Literal["counter", "gauge", "histogram", "summary"]


@dataclass(frozen=True)
class Metric:
    name: str  # as scraped; a histogram's series are name_bucket/_sum/_count, a summary's name/_sum/_count
    type: SeriesType
    labels: tuple[str, ...]

    def series_names(self) -> tuple[str, ...]:
        if self.type == "histogram":
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        if self.type == "summary":
            return (self.name, f"{self.name}_sum", f"{self.name}_count")
        return (self.name,)

    def label_names(self) -> tuple[str, ...]:
        extra = {"histogram": ("le",), "summary": ("quantile",)}.get(self.type, ())
        return self.labels + extra


@dataclass(frozen=True)
class MetricsTable:
    """What one exporter serves, where, and which of its series the delivery objects rely on."""

    exporter: str
    port: int | None  # the container port scraped; None for exporters the add-ons scrape themselves
    path: str
    metrics: tuple[Metric, ...]
    source: str
    # How Prometheus scrapes it (facts/scrapes.py): which of its labels arrive renamed to exported_*.
    scrape: scrapes.Scrape = scrapes.MODEL_POD_MONITOR

    def metric(self, name: str) -> Metric:
        for metric in self.metrics:
            if name in (metric.name, *metric.series_names()):
                return metric
        raise KeyError(f"{self.exporter} exports no series {name!r} ({self.source})")

    def allows(self, series: str, labels: set[str]) -> bool:
        """Whether `series` arrives in Prometheus with every label in `labels`: the exporter's own labels as
        the scrape names them (exported_* where honorLabels is off and a target label has the same name),
        plus the scrape's target labels."""
        try:
            metric = self.metric(series)
        except KeyError:
            return False
        return labels <= self.scrape.labels(metric.label_names())


_MODEL_VERSION = ("model", "version")
_REST = ("method", "path", "status_code", "app_name")

MLSERVER = MetricsTable(
    exporter="mlserver",
    port=8082,
    path="/metrics",
    source="[MLSERVER] MLServer@a325e52 dataplane.py, settings.py, starlette_exporter 0.23.0",
    metrics=(
        Metric("model_infer_request_success_total", "counter", _MODEL_VERSION),
        Metric("model_infer_request_failure_total", "counter", _MODEL_VERSION),
        # A Python Summary: only _count and _sum, no quantile series [MLSERVER].
        Metric("model_infer_request_duration", "summary", _MODEL_VERSION),
        # p99 comes from the REST middleware's histogram; `path` is the route template [MLSERVER].
        Metric("rest_server_request_duration_seconds", "histogram", _REST),
        Metric("rest_server_requests_total", "counter", _REST),
        Metric("rest_server_requests_in_progress", "gauge", ("method", "app_name")),
    ),
)

TRITON = MetricsTable(
    exporter="triton",
    port=8002,
    path="/metrics",
    source="[TRITON] triton server@e1db8a6 docs/user_guide/metrics.md; core metric_model_reporter.cc",
    metrics=(
        # prometheus-cpp: counters have no _total suffix [TRITON].
        Metric("nv_inference_request_success", "counter", (*_MODEL_VERSION, "gpu_uuid")),
        Metric("nv_inference_request_failure", "counter", (*_MODEL_VERSION, "gpu_uuid", "reason")),
        Metric("nv_inference_count", "counter", (*_MODEL_VERSION, "gpu_uuid")),
        Metric("nv_inference_request_duration_us", "counter", (*_MODEL_VERSION, "gpu_uuid")),
        Metric("nv_inference_queue_duration_us", "counter", (*_MODEL_VERSION, "gpu_uuid")),
        Metric("nv_inference_pending_request_count", "gauge", (*_MODEL_VERSION, "gpu_uuid")),
        # Only with --metrics-config summary_latencies=true, which manifests/containers.py sets [TRITON].
        Metric("nv_inference_request_summary_us", "summary", (*_MODEL_VERSION, "gpu_uuid")),
        Metric("nv_gpu_utilization", "gauge", ("gpu_uuid",)),
        Metric("nv_gpu_memory_used_bytes", "gauge", ("gpu_uuid",)),
        Metric("nv_gpu_memory_total_bytes", "gauge", ("gpu_uuid",)),
    ),
)

_VLLM_ENGINE = ("model_name", "engine")
VLLM = MetricsTable(
    exporter="vllm",
    port=8000,
    path="/metrics",
    source="[VLLM] vllm 0.33.0 v1/metrics/loggers.py; prometheus-fastapi-instrumentator 8.1.0",
    metrics=(
        # status is grouped 2xx/4xx/5xx; handler is the route path, e.g. /v1/completions [VLLM].
        Metric("http_requests_total", "counter", ("method", "status", "handler")),
        # Buckets 0.1, 0.5, 1, +Inf and no status label: too coarse for a p99, not used for analysis.
        Metric("http_request_duration_seconds", "histogram", ("method", "handler")),
        Metric("vllm:e2e_request_latency_seconds", "histogram", _VLLM_ENGINE),
        Metric("vllm:time_to_first_token_seconds", "histogram", _VLLM_ENGINE),
        Metric("vllm:request_success_total", "counter", (*_VLLM_ENGINE, "finished_reason")),
        Metric("vllm:num_requests_running", "gauge", _VLLM_ENGINE),
        Metric("vllm:num_requests_waiting", "gauge", _VLLM_ENGINE),
        Metric("vllm:kv_cache_usage_perc", "gauge", _VLLM_ENGINE),
        Metric("vllm:prompt_tokens_total", "counter", _VLLM_ENGINE),
        Metric("vllm:generation_tokens_total", "counter", _VLLM_ENGINE),
    ),
)

RUNTIME_METRICS: dict[str, MetricsTable] = {table.exporter: table for table in (MLSERVER, TRITON, VLLM)}

_FLAGGER_OUTCOME = ("name", "namespace", "deployment_strategy", "analysis_status")
FLAGGER = MetricsTable(
    exporter="flagger",
    port=None,
    path="/metrics",
    source="[FLAGGER] fluxcd/flagger docs/gitbook/usage/monitoring.md; [FLAGGER-REC] v1.44.0 pkg/metrics/recorder.go",
    # Its own `namespace` (the canary's) collides with the target label: it arrives as exported_namespace.
    scrape=scrapes.FLAGGER_POD_MONITOR,
    metrics=(
        Metric("flagger_canary_status", "gauge", ("name", "namespace")),
        Metric("flagger_canary_weight", "gauge", ("workload", "namespace")),
        # Rollout outcomes [FLAGGER-REC]: what the delivery metrics count as succeeded or failed canaries.
        Metric("flagger_canary_successes_total", "counter", _FLAGGER_OUTCOME),
        Metric("flagger_canary_failures_total", "counter", _FLAGGER_OUTCOME),
    ),
)

KUBE_STATE_METRICS = MetricsTable(
    exporter="kube-state-metrics",
    port=None,
    path="/metrics",
    source="[KSM] kube-state-metrics docs/metrics/workload/deployment-metrics.md",
    scrape=scrapes.KUBE_STATE_METRICS_SERVICE_MONITOR,
    metrics=(
        Metric("kube_deployment_spec_replicas", "gauge", ("namespace", "deployment")),
        Metric("kube_deployment_status_replicas_available", "gauge", ("namespace", "deployment")),
        Metric("kube_deployment_status_replicas_unavailable", "gauge", ("namespace", "deployment")),
    ),
)

# Flagger's status gauge value for a failed canary [FLAGGER].
CANARY_FAILED = 2


def metrics_for(runtime: str) -> MetricsTable:
    try:
        return RUNTIME_METRICS[runtime]
    except KeyError:
        raise KeyError(f"no metrics table for runtime {runtime!r}; known: {', '.join(RUNTIME_METRICS)}") from None
