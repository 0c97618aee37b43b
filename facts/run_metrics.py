"""MLflow run metrics that are fractions in [0, 1], so a gate floor outside that range can never pass.

Source: scikit-learn's metric definitions (https://scikit-learn.org/stable/modules/model_evaluation.html):
accuracy, balanced accuracy, precision, recall, F-scores, Jaccard, ROC AUC and average precision all lie
in [0, 1]. Names follow scikit-learn's scorer names, with an optional averaging suffix as the demo and
the catalogue use them (f1_weighted, precision_macro, ...).
"""

from __future__ import annotations

FRACTION_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "jaccard",
    "roc_auc",
    "average_precision",
)


def is_fraction(metric: str) -> bool:
    return any(metric == name or metric.startswith(f"{name}_") for name in FRACTION_METRICS)
