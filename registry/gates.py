"""Quality and evidence gates over model versions: pure functions, no I/O.

Three gates, as the validation policy asks:
- minimum metrics: every configured metric of the candidate's run is at least its floor;
- champion vs challenger: the candidate beats the champion by at least `margin` (absolute, so 0.01 is one
  percentage point) on ANY of the configured metrics;
- required evidence: model-version tags written by the pipeline (data validation, image scan, compliance).
  A missing tag refuses: absence of evidence is not evidence.

A pin (`{"version": N}`) is how an operator forces a rollback, so it bypasses the quality gates; it never
bypasses evidence (a version without a passed scan must not reach a cluster, rollback or not).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.problems import Finding

DEFAULT_CHAMPION_METRICS = ("accuracy", "f1_weighted")
DEFAULT_MARGIN = 0.01
_EPSILON = 1e-9  # 0.87 - 0.86 is 0.00999999... in floating point; a 1-point gain must pass
GATE_KEYS = ("min_metrics", "champion", "evidence")
_RULE_OPS = ("equals", "max", "min")


@dataclass(frozen=True)
class VersionFacts:
    """What the gates look at for one model version."""

    version: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)

    def describe(self, names: tuple[str, ...] | list[str] | None = None) -> str:
        keys = list(names) if names else sorted(self.metrics)
        shown = ", ".join(f"{k}={self.metrics[k]:.4f}" if k in self.metrics else f"{k}=missing" for k in keys)
        return f"v{self.version} ({shown})" if shown else f"v{self.version} (no metrics)"


@dataclass(frozen=True)
class GateVerdict:
    gate: str  # one of GATE_KEYS
    passed: bool
    reasons: tuple[str, ...] = ()
    bypassed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "passed": self.passed, "bypassed": self.bypassed, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Verdict:
    """All gates for one candidate. Carries both versions and their metrics so any message can name them."""

    candidate: VersionFacts
    champion: VersionFacts | None
    gates: tuple[GateVerdict, ...]

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    @property
    def bypassed(self) -> bool:
        return any(g.bypassed for g in self.gates)

    @property
    def reasons(self) -> list[str]:
        return [r for g in self.gates for r in g.reasons]

    def to_dict(self) -> dict[str, Any]:
        """The `gate` output of a ModelVersion: plain JSON-able values (Pulumi state holds it)."""
        return {
            "passed": self.passed,
            "bypassed": self.bypassed,
            "reasons": self.reasons,
            "candidate_version": self.candidate.version,
            "candidate_metrics": dict(self.candidate.metrics),
            "champion_version": self.champion.version if self.champion else "",
            "champion_metrics": dict(self.champion.metrics) if self.champion else {},
            "gates": [g.to_dict() for g in self.gates],
        }


def validate_gates(gates: Any) -> list[Finding]:
    """Problems with a gates config, each with its fix; [] when valid. Used before any registry call."""
    if gates is None:
        return []
    if not isinstance(gates, Mapping):
        return [Finding(f"gates must be a mapping, got {type(gates).__name__}", "use {} for no gates")]
    problems: list[Finding] = []
    for key in gates:
        if key not in GATE_KEYS:
            problems.append(Finding(f"gates.{key}: unknown gate", f"use one of {', '.join(GATE_KEYS)}"))
    mins = gates.get("min_metrics") or {}
    if not isinstance(mins, Mapping):
        problems.append(
            Finding("gates.min_metrics is not a mapping", "map each metric name to a floor, e.g. {accuracy: 0.85}")
        )
    else:
        for name, floor in mins.items():
            if not _is_number(floor):
                problems.append(Finding(f"gates.min_metrics.{name}: {floor!r} is not a number", "write e.g. 0.85"))
    champ = gates.get("champion")
    if champ is not None:
        if not isinstance(champ, Mapping):
            problems.append(
                Finding(
                    "gates.champion is not a mapping",
                    "write {metrics: [...], margin: 0.01}, or null for no champion gate",
                )
            )
        else:
            extra = set(champ) - {"metrics", "margin"}
            if extra:
                problems.append(Finding(f"gates.champion: unknown keys {sorted(extra)}", "use metrics, margin"))
            metrics = champ.get("metrics", list(DEFAULT_CHAMPION_METRICS))
            if not (isinstance(metrics, (list, tuple)) and metrics and all(isinstance(m, str) for m in metrics)):
                problems.append(
                    Finding(
                        "gates.champion.metrics is not a non-empty list of metric names",
                        "list the metrics, e.g. [accuracy]",
                    )
                )
            margin = champ.get("margin", DEFAULT_MARGIN)
            if not _is_number(margin) or margin < 0:
                problems.append(
                    Finding(f"gates.champion.margin: {margin!r} is not a number >= 0", "write e.g. 0.01 (1 point)")
                )
    rules = gates.get("evidence") or []
    if not isinstance(rules, (list, tuple)):
        problems.append(
            Finding("gates.evidence is not a list of rules", "write rules like {tag: scan.max_cvss, max: 7.0}")
        )
        rules = []
    for i, rule in enumerate(rules):
        where = f"gates.evidence[{i}]"
        if not isinstance(rule, Mapping) or not isinstance(rule.get("tag"), str) or not rule.get("tag"):
            problems.append(Finding(f"{where}: a rule needs a tag name", "{tag: compliance, equals: approved}"))
            continue
        ops = [op for op in _RULE_OPS if op in rule]
        extra = set(rule) - {"tag", *_RULE_OPS}
        if len(ops) != 1 or extra:
            problems.append(
                Finding(
                    f"{where} ({rule['tag']}): needs exactly one of equals, max, min and nothing else",
                    "keep one of them",
                )
            )
        elif ops[0] in ("max", "min") and not _is_number(rule[ops[0]]):
            problems.append(
                Finding(
                    f"{where} ({rule['tag']}): {ops[0]} is {rule[ops[0]]!r}, not a number", "write a number, e.g. 7.0"
                )
            )
    return problems


def min_metrics_gate(candidate: VersionFacts, floors: Mapping[str, float]) -> GateVerdict:
    reasons = []
    for name, floor in sorted(floors.items()):
        value = candidate.metrics.get(name)
        if value is None:
            reasons.append(f"v{candidate.version} has no metric {name} (needs >= {floor})")
        elif value < floor - _EPSILON:
            reasons.append(f"v{candidate.version} {name}={value:.4f} is below the minimum {floor}")
    return GateVerdict("min_metrics", not reasons, tuple(reasons))


def champion_gate(
    candidate: VersionFacts,
    champion: VersionFacts | None,
    metrics: tuple[str, ...] | list[str] = DEFAULT_CHAMPION_METRICS,
    margin: float = DEFAULT_MARGIN,
) -> GateVerdict:
    """Passes when there is no champion, when the candidate IS the champion, or when it beats it by
    `margin` on at least one metric both versions have."""
    if champion is None:
        return GateVerdict("champion", True, ("no champion to beat",))
    if candidate.version == champion.version:
        return GateVerdict("champion", True, (f"v{candidate.version} is the champion",))
    names = tuple(metrics)
    comparable = [m for m in names if m in candidate.metrics and m in champion.metrics]
    wins = [m for m in comparable if candidate.metrics[m] - champion.metrics[m] >= margin - _EPSILON]
    if wins:
        gains = ", ".join(f"{m} +{candidate.metrics[m] - champion.metrics[m]:.4f}" for m in wins)
        return GateVerdict(
            "champion",
            True,
            (f"challenger {candidate.describe(names)} beats champion {champion.describe(names)} ({gains})",),
        )
    why = (
        f"no metric of {', '.join(names)} is logged on both versions"
        if not comparable
        else f"does not beat it by {margin} on any of {', '.join(names)}"
    )
    return GateVerdict(
        "champion", False, (f"challenger {candidate.describe(names)} vs champion {champion.describe(names)}: {why}",)
    )


def evidence_gate(candidate: VersionFacts, rules: list[Mapping[str, Any]]) -> GateVerdict:
    reasons = []
    for rule in rules:
        tag = rule["tag"]
        value = candidate.tags.get(tag)
        if value is None:
            reasons.append(f"v{candidate.version} has no tag {tag} (evidence required)")
            continue
        if "equals" in rule:
            if str(value) != str(rule["equals"]):
                reasons.append(f"v{candidate.version} tag {tag}={value!r}, required {rule['equals']!r}")
            continue
        number = _to_float(value)
        if number is None:
            reasons.append(f"v{candidate.version} tag {tag}={value!r} is not a number")
        elif "max" in rule and number > float(rule["max"]) + _EPSILON:
            reasons.append(f"v{candidate.version} tag {tag}={number} exceeds the maximum {rule['max']}")
        elif "min" in rule and number < float(rule["min"]) - _EPSILON:
            reasons.append(f"v{candidate.version} tag {tag}={number} is below the minimum {rule['min']}")
    return GateVerdict("evidence", not reasons, tuple(reasons))


def evaluate(
    candidate: VersionFacts,
    champion: VersionFacts | None,
    gates: Mapping[str, Any] | None,
    *,
    pinned: bool = False,
) -> Verdict:
    """Every configured gate, in order. Gates not configured are not listed."""
    gates = gates or {}
    results: list[GateVerdict] = []
    if gates.get("min_metrics"):
        if pinned:
            results.append(GateVerdict("min_metrics", True, (f"bypassed by pin to v{candidate.version}",), True))
        else:
            results.append(min_metrics_gate(candidate, gates["min_metrics"]))
    if gates.get("champion") is not None:
        if pinned:
            results.append(GateVerdict("champion", True, (f"bypassed by pin to v{candidate.version}",), True))
        else:
            champ = gates["champion"]
            results.append(
                champion_gate(
                    candidate,
                    champion,
                    tuple(champ.get("metrics", DEFAULT_CHAMPION_METRICS)),
                    float(champ.get("margin", DEFAULT_MARGIN)),
                )
            )
    if gates.get("evidence"):
        results.append(evidence_gate(candidate, list(gates["evidence"])))
    return Verdict(candidate, champion, tuple(results))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _to_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
