"""Drift of recent inputs against the training reference, per feature and overall, with scipy.

Why scipy and not Evidently: Evidently's data-drift preset runs the same tests (two-sample
Kolmogorov-Smirnov for numeric columns, chi-square for categorical ones, on small samples) but brings
a large dependency tree (plotly, nltk, its own pinned pandas/numpy) into an image that needs none of
its reports. scipy's tests are the kept, reviewed implementations of exactly those statistics.

Scores (all in [0, 1]):
- a numeric feature's drift is the KS statistic: the largest gap between the reference's and the recent
  inputs' cumulative distributions;
- a categorical feature's drift is the total variation distance between the two category frequencies;
- a feature has drifted when its test rejects "same distribution" at ALPHA and its score is at least
  MIN_EFFECT (so a huge sample does not flag a shift too small to matter);
- the overall score is the share of features that drifted, Evidently's dataset-drift share. The
  catalogue's thresholds then read: canary analysis tolerates up to 30% drifted features, above half
  of them drifted (Evidently's own dataset-drift default) the model is rolled back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05
MIN_EFFECT = 0.1


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    score: float
    p_value: float
    drifted: bool


@dataclass(frozen=True)
class DriftResult:
    features: tuple[FeatureDrift, ...]
    samples: int

    @property
    def score(self) -> float:
        """Share of drifted features (0 when there are none)."""
        if not self.features:
            return 0.0
        return sum(f.drifted for f in self.features) / len(self.features)


def _numeric(values: list | np.ndarray) -> np.ndarray | None:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if np.isfinite(array).all() else None


def feature_drift(name: str, reference: list | np.ndarray, current: list | np.ndarray) -> FeatureDrift:
    ref, cur = _numeric(reference), _numeric(current)
    if ref is not None and cur is not None:
        result = stats.ks_2samp(ref, cur)
        score, p_value = float(result.statistic), float(result.pvalue)
    else:
        ref_counts, cur_counts = Counter(map(str, reference)), Counter(map(str, current))
        categories = sorted(set(ref_counts) | set(cur_counts))
        ref_freq = np.array([ref_counts[c] for c in categories], dtype=float) / len(reference)
        cur_freq = np.array([cur_counts[c] for c in categories], dtype=float) / len(current)
        score = float(0.5 * np.abs(ref_freq - cur_freq).sum())
        if len(categories) < 2:
            p_value = 1.0
        else:
            table = np.array([[ref_counts[c] for c in categories], [cur_counts[c] for c in categories]])
            p_value = float(stats.chi2_contingency(table).pvalue)
    return FeatureDrift(name, score, p_value, drifted=p_value < ALPHA and score >= MIN_EFFECT)


def dataset_drift(feature_names: list[str], reference_rows: list[list], current_rows: list[list]) -> DriftResult:
    """Drift of each column (matched by position) of `current_rows` against `reference_rows`."""
    width = len(feature_names)
    for rows, what in ((reference_rows, "reference"), (current_rows, "sample")):
        bad = next((row for row in rows if len(row) != width), None)
        if bad is not None:
            raise ValueError(f"a {what} row has {len(bad)} values, the reference has {width} features")
    columns = list(zip(*reference_rows, strict=True)), list(zip(*current_rows, strict=True))
    return DriftResult(
        tuple(
            feature_drift(name, list(ref), list(cur))
            for name, ref, cur in zip(feature_names, columns[0], columns[1], strict=True)
        ),
        samples=len(current_rows),
    )


def matrix_drift(feature_names: list[str], reference_rows: list[list], current: np.ndarray) -> DriftResult:
    """Drift of each column of the `current` matrix (rows x features, the monitor's streamed window)
    against `reference_rows`; the same statistics as `dataset_drift`, without a list per sample."""
    width = len(feature_names)
    if current.ndim != 2 or current.shape[1] != width:
        raise ValueError(f"the samples have {current.shape[-1]} values per row, the reference has {width} features")
    bad = next((row for row in reference_rows if len(row) != width), None)
    if bad is not None:
        raise ValueError(f"a reference row has {len(bad)} values, the reference has {width} features")
    reference = np.array(reference_rows, dtype=object)
    return DriftResult(
        tuple(
            feature_drift(name, _column(reference[:, i]), _column(current[:, i]))
            for i, name in enumerate(feature_names)
        ),
        samples=len(current),
    )


def _column(values: np.ndarray) -> np.ndarray | list:
    """A float column as it is; an object column as the list of its values (categorical or mixed)."""
    return values if values.dtype != object else values.tolist()
