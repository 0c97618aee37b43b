"""Which model-quality series a model really gets, and which quality checks its canary may run.

No model server knows confidence, drift or accuracy by itself. On this platform:
- mlserver (this repository's runtime, serving_runtime/): confidence for models with probabilities,
  the prediction distribution, input samples; drift from the quality monitor when samples are taken
  and accuracy when a labels source is configured.
- triton and vllm: none. Their metrics have no per-prediction outputs, and they log no inputs for a
  monitor to compare (README, "Model quality signals", says what would be needed).
A canary that queries a series nobody exports finds no data and fails every analysis, so the canary,
alerts, dashboards and the quality monitor read `ServingPlan.quality_series`, which plan/serving.py
decides here, once per model.
"""

from __future__ import annotations

from catalogue.monitoring import QUALITY_CHECKS, QualityCheck
from catalogue.schema import ModelSpec
from core.problems import Problem
from facts.quality_metrics import ACCURACY, DRIFT_SCORE, FEATURE_DRIFT, PREDICTION_CONFIDENCE, Series
from facts.runtimes import runtime_for
from plan.serving_plan import ServingPlan

# Frameworks whose MLflow flavour exposes the underlying estimator, so the runtime can call
# predict_proba (sklearn classifiers, XGBoost's sklearn API); a generic pyfunc has no probabilities.
PROBABILITY_FRAMEWORKS = frozenset({"sklearn", "xgboost"})

# The series each canary check reads.
CHECK_SERIES: dict[QualityCheck, Series] = {
    "confidence": PREDICTION_CONFIDENCE,
    "drift": DRIFT_SCORE,
    "accuracy": ACCURACY,
}


def quality_signals(model: ModelSpec) -> frozenset[Series]:
    """The quality series Prometheus will have for this model (labels model and version).

    Confidence also needs a classifier at run time: a regressor logged as sklearn exports no
    confidence, and its entry should list canaryChecks without it."""
    series = set(runtime_for(model.serving.runtime).quality_series)
    monitoring = model.monitoring
    if model.serving.framework not in PROBABILITY_FRAMEWORKS:
        series.discard(PREDICTION_CONFIDENCE)
    if not monitoring.enabled or monitoring.sample_rate == 0:
        series -= {FEATURE_DRIFT, DRIFT_SCORE, ACCURACY}
    if monitoring.labels_source is None:
        series.discard(ACCURACY)
    return frozenset(series)


def canary_quality_checks(plan: ServingPlan) -> tuple[QualityCheck, ...]:
    """The quality checks this model's canary analysis runs, in a stable order."""
    available = plan.quality_series
    chosen = plan.model.monitoring.canary_checks
    if chosen is None:
        return tuple(check for check in QUALITY_CHECKS if CHECK_SERIES[check] in available)
    return tuple(check for check in QUALITY_CHECKS if check in chosen)


def quality_check_problems(model: ModelSpec, available: frozenset[Series], source: str) -> list[Problem]:
    """Checks an entry lists that its runtime or configuration cannot feed (`available`: its
    quality_signals, as its plan carries them): one problem each."""
    problems = []
    for check in model.monitoring.canary_checks or ():
        if CHECK_SERIES[check] not in available:
            problems.append(
                Problem(
                    source,
                    "monitoring.canaryChecks",
                    f"{check} has no data for this model: {_why_missing(model, check)}",
                    f"remove {check} from monitoring.canaryChecks",
                )
            )
    return problems


def _why_missing(model: ModelSpec, check: QualityCheck) -> str:
    runtime = model.serving.runtime
    if not runtime_for(runtime).quality_series:
        return f"runtime {runtime} exports no model-quality series"
    if check == "confidence":
        return f"{model.serving.framework} models expose no class probabilities to the runtime"
    if check == "accuracy":
        return "no monitoring.labelsSource gives ground-truth labels"
    return "the monitor gets no samples (monitoring.enabled false or sampleRate 0)"
