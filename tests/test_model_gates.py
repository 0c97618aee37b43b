"""The gates are pure: every rule is checked directly, with no registry."""

from registry.gates import (
    VersionFacts,
    champion_gate,
    evaluate,
    evidence_gate,
    min_metrics_gate,
    validate_gates,
)

EVIDENCE = [
    {"tag": "validation.data", "equals": "passed"},
    {"tag": "scan.max_cvss", "max": 7.0},
    {"tag": "compliance", "equals": "approved"},
]
GOOD_TAGS = {"validation.data": "passed", "scan.max_cvss": "4.2", "compliance": "approved"}
ALL_GATES = {
    "min_metrics": {"accuracy": 0.85},
    "champion": {"metrics": ["accuracy", "f1_weighted"], "margin": 0.01},
    "evidence": EVIDENCE,
}


def facts(version, accuracy=None, f1=None, tags=None):
    metrics = {k: v for k, v in (("accuracy", accuracy), ("f1_weighted", f1)) if v is not None}
    return VersionFacts(str(version), metrics, tags if tags is not None else dict(GOOD_TAGS))


def test_min_metrics_pass_at_the_floor_and_fail_below_it_naming_the_metric():
    assert min_metrics_gate(facts(2, accuracy=0.85), {"accuracy": 0.85}).passed
    verdict = min_metrics_gate(facts(2, accuracy=0.84), {"accuracy": 0.85})
    assert not verdict.passed
    assert "accuracy=0.8400 is below the minimum 0.85" in verdict.reasons[0]


def test_min_metrics_refuse_a_metric_that_was_never_logged():
    verdict = min_metrics_gate(facts(2, accuracy=0.9), {"roc_auc": 0.8})
    assert not verdict.passed and "no metric roc_auc" in verdict.reasons[0]


def test_champion_gate_passes_a_one_point_gain_despite_float_rounding():
    # 0.94 - 0.93 == 0.009999999999999898 in binary floating point: still one percentage point
    assert 0.94 - 0.93 < 0.01
    assert champion_gate(facts(7, 0.94, 0.5), facts(6, 0.93, 0.5)).passed
    assert champion_gate(facts(7, 0.87, 0.5), facts(6, 0.86, 0.5)).passed


def test_champion_gate_refuses_less_than_the_margin_and_names_both_versions_and_metrics():
    verdict = champion_gate(facts(7, 0.865, 0.80), facts(6, 0.86, 0.80))
    assert not verdict.passed
    text = verdict.reasons[0]
    assert "v7 (accuracy=0.8650, f1_weighted=0.8000)" in text and "v6 (accuracy=0.8600, f1_weighted=0.8000)" in text


def test_champion_gate_needs_a_win_on_any_one_metric_not_all():
    verdict = champion_gate(facts(7, accuracy=0.85, f1=0.83), facts(6, accuracy=0.86, f1=0.81))
    assert verdict.passed and "f1_weighted +0.0200" in verdict.reasons[0]


def test_champion_gate_uses_configured_metrics_and_margin():
    cand, champ = facts(7, accuracy=0.90, f1=0.90), facts(6, accuracy=0.88, f1=0.88)
    assert champion_gate(cand, champ, ["accuracy"], 0.02).passed
    assert not champion_gate(cand, champ, ["accuracy"], 0.05).passed


def test_champion_gate_passes_without_champion_and_when_candidate_is_champion():
    assert champion_gate(facts(1, 0.5), None).passed
    assert champion_gate(facts(3, 0.5), facts(3, 0.5)).passed


def test_champion_gate_refuses_when_no_metric_is_comparable():
    verdict = champion_gate(facts(7, accuracy=0.99), facts(6, f1=0.5))
    assert not verdict.passed and "no metric of accuracy, f1_weighted is logged on both" in verdict.reasons[0]


def test_evidence_rules_equals_max_min():
    rules = EVIDENCE + [{"tag": "tests.coverage", "min": 0.8}]
    assert evidence_gate(facts(2, tags={**GOOD_TAGS, "tests.coverage": "0.8"}), rules).passed
    verdict = evidence_gate(
        facts(
            2,
            tags={
                "validation.data": "failed",
                "scan.max_cvss": "9.8",
                "compliance": "approved",
                "tests.coverage": "0.5",
            },
        ),
        rules,
    )
    assert not verdict.passed
    assert len(verdict.reasons) == 3
    assert any("validation.data='failed'" in r for r in verdict.reasons)
    assert any("scan.max_cvss=9.8 exceeds the maximum 7.0" in r for r in verdict.reasons)
    assert any("tests.coverage=0.5 is below the minimum 0.8" in r for r in verdict.reasons)


def test_evidence_max_is_inclusive_like_the_cvss_policy():
    # The policy blocks CVSS > 7.0: exactly 7.0 passes.
    assert evidence_gate(facts(2, tags={"scan.max_cvss": "7.0"}), [{"tag": "scan.max_cvss", "max": 7.0}]).passed


def test_missing_or_non_numeric_evidence_refuses():
    verdict = evidence_gate(facts(2, tags={"scan.max_cvss": "n/a"}), EVIDENCE)
    assert not verdict.passed
    assert any("no tag compliance" in r for r in verdict.reasons)
    assert any("scan.max_cvss='n/a' is not a number" in r for r in verdict.reasons)


def test_evaluate_runs_every_configured_gate_and_verdict_carries_both_versions():
    verdict = evaluate(facts(7, 0.90, 0.90), facts(6, 0.88, 0.88), ALL_GATES)
    assert verdict.passed and not verdict.bypassed
    data = verdict.to_dict()
    assert [g["gate"] for g in data["gates"]] == ["min_metrics", "champion", "evidence"]
    assert data["candidate_version"] == "7" and data["champion_version"] == "6"
    assert data["candidate_metrics"] == {"accuracy": 0.90, "f1_weighted": 0.90}
    assert data["champion_metrics"] == {"accuracy": 0.88, "f1_weighted": 0.88}


def test_empty_gates_pass_everything():
    verdict = evaluate(facts(1), None, {})
    assert verdict.passed and verdict.gates == ()


def test_pin_bypasses_quality_gates_but_says_so():
    verdict = evaluate(facts(5, 0.70, 0.70), facts(6, 0.90, 0.90), ALL_GATES, pinned=True)
    assert verdict.passed and verdict.bypassed
    assert sum("bypassed by pin" in r for r in verdict.reasons) == 2


def test_pin_never_bypasses_evidence():
    verdict = evaluate(facts(5, 0.70, 0.70, tags={"validation.data": "passed"}), None, ALL_GATES, pinned=True)
    assert not verdict.passed
    assert [g.gate for g in verdict.gates if not g.passed] == ["evidence"]


def test_validate_gates_accepts_the_documented_shape_and_null_champion():
    assert validate_gates(ALL_GATES) == []
    assert validate_gates({"champion": None, "evidence": []}) == []
    assert validate_gates({}) == []


def test_validate_gates_reports_every_problem_with_a_fix():
    problems = validate_gates(
        {
            "minMetrics": {"accuracy": 0.8},
            "champion": {"margin": -1, "metric": "accuracy"},
            "evidence": [{"tag": "scan.max_cvss", "max": "high"}, {"tag": "x", "equals": 1, "max": 2}, {"equals": 1}],
        }
    )
    assert all(problem.fix for problem in problems)
    text = "\n".join(str(problem) for problem in problems)
    assert "gates.minMetrics: unknown gate (fix: use one of min_metrics, champion, evidence)" in text
    assert "gates.champion: unknown keys ['metric']" in text
    assert "margin: -1 is not a number >= 0" in text
    assert "gates.evidence[0] (scan.max_cvss): max is 'high', not a number" in text
    assert "gates.evidence[1] (x): needs exactly one of equals, max, min" in text
    assert "gates.evidence[2]: a rule needs a tag name" in text
    assert len(problems) == 6
