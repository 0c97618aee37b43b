"""PromQL for the model-quality series of facts/quality_metrics.py (canary analysis, alerts, dashboards).

Two sources, selected differently:
- Confidence and the prediction counter come from our MLServer runtime's /metrics, scraped by the
  model's PodMonitor: the `pod` label tells canary pods from primary pods, like every runtime query.
- Drift and accuracy come from the quality monitor through the Pushgateway, scraped with honorLabels:
  they keep the pushed `job` (PUSH_JOB), `model` and `version`, but their `namespace` and `pod` are the
  Pushgateway's. So they are selected by job and model, never by the model's namespace or pods.
"""

from __future__ import annotations

from facts import quality_metrics as Q
from facts.quality_monitor_env import PUSH_JOB
from manifests.delivery.queries import Scope


def _runtime_selector(model: str, scope: Scope) -> str:
    return f'{{{scope.matchers},{Q.MODEL_LABEL}="{model}"}}'


def pushed_selector(model: str) -> str:
    """The monitor's series of one model, as the Pushgateway scrape labels them."""
    return f'{{job="{PUSH_JOB}",{Q.MODEL_LABEL}="{model}"}}'


def mean_confidence(model: str, scope: Scope, window: str) -> str:
    """Mean top-class probability of the predictions the scoped pods served in `window`.

    No predictions in the window gives 0/0 (NaN), which Flagger counts as a failed check: this fails
    closed, as the success-rate check does on no traffic. During analysis the load tester sends real
    predictions, so a healthy canary always has some."""
    selector = _runtime_selector(model, scope)
    name = Q.PREDICTION_CONFIDENCE.name
    return f"sum(rate({name}_sum{selector}[{window}])) / sum(rate({name}_count{selector}[{window}]))"


def canary_drift(model: str, canary: Scope) -> str:
    """Drift score of the version the canary pods serve, else the worst score of the model's versions.

    A MetricTemplate cannot know the canary's version, but the canary pods' own prediction counter
    carries it, so `and on(version)` keeps the drift of exactly that version. The monitor scores a
    version only after its next run with enough samples (monitoring.driftSchedule), so in the first
    analysis steps the canary's version has no score yet: the fallback then takes the highest score of
    the versions the monitor did score (the primary's: the same input stream, split at random). No
    score for any version (no monitor run yet) is no data, and the check fails closed."""
    drift = f"{Q.DRIFT_SCORE.name}{pushed_selector(model)}"
    canary_versions = f"group by ({Q.VERSION_LABEL}) ({Q.PREDICTIONS.name}{_runtime_selector(model, canary)})"
    return f"max({drift} and on({Q.VERSION_LABEL}) {canary_versions}) or max({drift})"


def drift_by_version(model: str) -> str:
    return f"max by ({Q.VERSION_LABEL}) ({Q.DRIFT_SCORE.name}{pushed_selector(model)})"


def accuracy(model: str) -> str:
    """Mean accuracy over the model's scored versions."""
    return f"avg({Q.ACCURACY.name}{pushed_selector(model)})"


def canary_accuracy(model: str, canary: Scope) -> str:
    """Accuracy of the canary's version, else the lowest of the scored versions (as canary_drift)."""
    score = f"{Q.ACCURACY.name}{pushed_selector(model)}"
    canary_versions = f"group by ({Q.VERSION_LABEL}) ({Q.PREDICTIONS.name}{_runtime_selector(model, canary)})"
    return f"min({score} and on({Q.VERSION_LABEL}) {canary_versions}) or min({score})"
