"""PromQL for each runtime: request rate, success rate, latency quantiles, queue depth.

Every series and label named here is in facts/runtime_metrics.py for that runtime (a test parses each
query with a real PromQL parser and checks it). Where a runtime lacks a signal the class says what it
uses instead:
- MLServer: success/failure counters exist; its own duration metric is a Summary without quantiles,
  so latency quantiles come from the REST middleware's histogram on the infer route.
- Triton: counters exist but no latency histogram; quantiles come from the request *summary*, which
  manifests/containers.py enables (summary_latencies=true). Summary quantiles cannot be aggregated
  across pods, so the worst pod (max) is taken.
- vLLM: no failure counter that excludes client aborts; the success rate is from the HTTP
  middleware's 5xx share on the completion routes, latency from the engine's e2e histogram.
"""

from __future__ import annotations

from dataclasses import dataclass

from facts import runtime_metrics as F

# Flagger's own canary-pod pattern (pkg/metrics/observers/http.go): <target>-<rs>-<id>, which never
# matches <target>-primary-<rs>-<id> because PromQL regexes are anchored (facts-delivery.md section 2).
POD_SUFFIX = "-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"


@dataclass(frozen=True)
class Scope:
    """Which pods a query reads, as PromQL label matchers."""

    matchers: str

    @classmethod
    def flagger_canary(cls) -> Scope:
        """Inside a MetricTemplate: the canary pods of the Canary being analysed."""
        return cls(f'namespace="{{{{ namespace }}}}",pod=~"{{{{ target }}}}{POD_SUFFIX}"')

    @classmethod
    def flagger_primary(cls) -> Scope:
        """Inside a MetricTemplate: the primary pods of the Canary being analysed (A/B comparisons)."""
        return cls(f'namespace="{{{{ namespace }}}}",pod=~"{{{{ target }}}}-primary{POD_SUFFIX}"')

    @classmethod
    def canary(cls, namespace: str, name: str) -> Scope:
        return cls(f'namespace="{namespace}",pod=~"{name}{POD_SUFFIX}"')

    @classmethod
    def primary(cls, namespace: str, name: str) -> Scope:
        return cls(f'namespace="{namespace}",pod=~"{name}-primary{POD_SUFFIX}"')

    @classmethod
    def model(cls, namespace: str, name: str) -> Scope:
        """Primary and canary pods together (alerts, dashboards)."""
        return cls(f'namespace="{namespace}",pod=~"{name}(-primary)?{POD_SUFFIX}"')


class RuntimeQueries:
    """The signals of one runtime, for one model name."""

    table: F.MetricsTable

    def __init__(self, model: str):
        self.model = model

    def request_rate(self, scope: Scope, window: str) -> str:
        raise NotImplementedError

    def request_count(self, scope: Scope, window: str) -> str:
        """Requests the scoped pods served in `window`; 0 (never empty) when they served none."""
        raise NotImplementedError

    def success_rate_percent(self, scope: Scope, window: str) -> str:
        raise NotImplementedError

    def error_ratio(self, scope: Scope, window: str) -> str:
        raise NotImplementedError

    def latency_ms(self, quantile: float, scope: Scope, window: str) -> str:
        raise NotImplementedError

    def queue_depth(self, scope: Scope) -> str | None:
        """Requests waiting in the server's queue; None where the runtime has no queue gauge."""
        return None

    def extra_panels(self, scope: Scope) -> tuple[tuple[str, str], ...]:
        """(title, query) dashboard panels that matter for this runtime."""
        return ()


class CounterQueries(RuntimeQueries):
    """Runtimes with a success and a failure counter per model (MLServer, Triton): rates from the two."""

    SUCCESS: str
    FAILURE: str

    def _sel(self, scope: Scope) -> str:
        return f'{{{scope.matchers},model="{self.model}"}}'

    def _ok(self, scope: Scope, window: str) -> str:
        return f"sum(rate({self.SUCCESS}{self._sel(scope)}[{window}]))"

    def _failed(self, scope: Scope, window: str) -> str:
        # A labelled counter has no series until its first failure: `or vector(0)` keeps the sum defined.
        return f"(sum(rate({self.FAILURE}{self._sel(scope)}[{window}])) or vector(0))"

    def request_rate(self, scope: Scope, window: str) -> str:
        return f"({self._ok(scope, window)} + {self._failed(scope, window)})"

    def request_count(self, scope: Scope, window: str) -> str:
        ok = f"(sum(increase({self.SUCCESS}{self._sel(scope)}[{window}])) or vector(0))"
        failed = f"(sum(increase({self.FAILURE}{self._sel(scope)}[{window}])) or vector(0))"
        return f"({ok} + {failed})"

    def success_rate_percent(self, scope: Scope, window: str) -> str:
        return f"100 * {self._ok(scope, window)} / {self.request_rate(scope, window)}"

    def error_ratio(self, scope: Scope, window: str) -> str:
        return f"{self._failed(scope, window)} / {self.request_rate(scope, window)}"


class MlserverQueries(CounterQueries):
    table = F.MLSERVER
    # The REST middleware labels routes by template, so `{model_name}` is literal text [MLSERVER].
    INFER_ROUTE = "/v2/models/{model_name}/infer"

    SUCCESS = "model_infer_request_success_total"
    FAILURE = "model_infer_request_failure_total"

    def latency_ms(self, quantile: float, scope: Scope, window: str) -> str:
        bucket = f'rest_server_request_duration_seconds_bucket{{{scope.matchers},path="{self.INFER_ROUTE}"}}'
        return f"1000 * histogram_quantile({quantile}, sum by (le) (rate({bucket}[{window}])))"

    def extra_panels(self, scope: Scope) -> tuple[tuple[str, str], ...]:
        return (("Requests in progress", f"sum(rest_server_requests_in_progress{{{scope.matchers}}})"),)


class TritonQueries(CounterQueries):
    table = F.TRITON

    SUCCESS = "nv_inference_request_success"
    FAILURE = "nv_inference_request_failure"

    def latency_ms(self, quantile: float, scope: Scope, window: str) -> str:
        # Summary quantiles are per pod and already windowed by Triton: the slowest pod is the answer.
        sel = f'{{{scope.matchers},model="{self.model}",quantile="{quantile}"}}'
        return f"max(nv_inference_request_summary_us{sel}) / 1000"

    def queue_depth(self, scope: Scope) -> str:
        return f"sum(nv_inference_pending_request_count{self._sel(scope)})"

    def extra_panels(self, scope: Scope) -> tuple[tuple[str, str], ...]:
        return (
            ("Queue (pending requests)", self.queue_depth(scope)),
            ("GPU utilisation", f"avg by (pod) (nv_gpu_utilization{{{scope.matchers}}})"),
        )


class VllmQueries(RuntimeQueries):
    table = F.VLLM
    COMPLETION_HANDLERS = "/v1/(chat/)?completions"
    SERVER_ERRORS = '"5xx"'  # the instrumentator groups status codes [VLLM]

    def _http(self, scope: Scope, extra: str = "") -> str:
        return f'http_requests_total{{{scope.matchers},handler=~"{self.COMPLETION_HANDLERS}"{extra}}}'

    def _engine(self, scope: Scope) -> str:
        return f'{{{scope.matchers},model_name="{self.model}"}}'

    def request_rate(self, scope: Scope, window: str) -> str:
        return f"sum(rate({self._http(scope)}[{window}]))"

    def request_count(self, scope: Scope, window: str) -> str:
        return f"(sum(increase({self._http(scope)}[{window}])) or vector(0))"

    def success_rate_percent(self, scope: Scope, window: str) -> str:
        ok = f"sum(rate({self._http(scope, ',status!=' + self.SERVER_ERRORS)}[{window}]))"
        return f"100 * {ok} / {self.request_rate(scope, window)}"

    def error_ratio(self, scope: Scope, window: str) -> str:
        failed = f"sum(rate({self._http(scope, ',status=' + self.SERVER_ERRORS)}[{window}]))"
        return f"({failed} or vector(0)) / {self.request_rate(scope, window)}"

    def latency_ms(self, quantile: float, scope: Scope, window: str) -> str:
        bucket = f"vllm:e2e_request_latency_seconds_bucket{self._engine(scope)}"
        return f"1000 * histogram_quantile({quantile}, sum by (le) (rate({bucket}[{window}])))"

    def queue_depth(self, scope: Scope) -> str:
        return f"sum(vllm:num_requests_waiting{self._engine(scope)})"

    def extra_panels(self, scope: Scope) -> tuple[tuple[str, str], ...]:
        # vLLM exports no GPU utilisation: that comes from DCGM into GMP (facts-delivery.md section 5);
        # KV-cache usage is the GPU-memory pressure the engine itself reports.
        return (
            ("Tokens per second", f"sum(rate(vllm:generation_tokens_total{self._engine(scope)}[2m]))"),
            ("Prompt tokens per second", f"sum(rate(vllm:prompt_tokens_total{self._engine(scope)}[2m]))"),
            ("Queue (waiting requests)", self.queue_depth(scope)),
            ("Running requests", f"sum(vllm:num_requests_running{self._engine(scope)})"),
            ("KV cache usage", f"max(vllm:kv_cache_usage_perc{self._engine(scope)})"),
        )


_BY_RUNTIME: dict[str, type[RuntimeQueries]] = {
    "mlserver": MlserverQueries,
    "triton": TritonQueries,
    "vllm": VllmQueries,
}


def queries_for(runtime: str, model: str) -> RuntimeQueries:
    if runtime not in _BY_RUNTIME:
        raise ValueError(f"no queries for runtime {runtime!r}")
    return _BY_RUNTIME[runtime](model)
