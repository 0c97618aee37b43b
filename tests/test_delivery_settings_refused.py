"""Bad `delivery` values through the whole program: one problem each, naming the stack file, the key and
the fix, and nothing registered. Wrong types, unknown keys, bounds, empty or unordered steps, an approval
gate that analysis-free promotion would skip, and values the Flagger CRDs reject."""

from __future__ import annotations

from tests.settings_refusals import refused_with

KEY = "Pulumi.dev.yaml: mlops-platform:delivery"


def test_wrong_types_are_all_reported_at_once():
    assert refused_with("dev", delivery={"canary": {"stepWeights": "1,5"}, "fallbackActive": "churn-prediction"}) == [
        f"{KEY}.canary.stepWeights: '1,5' is not a list (fix: write a list)",
        f"{KEY}.fallbackActive: 'churn-prediction' is not a list (fix: write a list)",
    ]
    assert refused_with("dev", delivery=[1]) == [f"{KEY}: [1] is not a mapping (fix: write a mapping)"]


def test_unknown_keys_get_a_did_you_mean():
    assert refused_with("dev", delivery={"canary": {"stepWeight": [1, 5]}, "fallbackActiv": []}) == [
        f"{KEY}.canary.stepWeight: unknown key (fix: did you mean 'stepWeights'? remove it or use one of: analysis, "
        "approval, checksPerStep, intervalSeconds, progressDeadlineSeconds, stepWeights, threshold)",
        f"{KEY}.fallbackActiv: unknown key (fix: did you mean 'fallbackActive'? remove it or use one of: "
        "alertChannel, canary, fallbackActive)",
    ]


def test_numbers_out_of_range():
    canary = {"intervalSeconds": 5, "threshold": 50, "progressDeadlineSeconds": 10**9}
    assert refused_with("dev", delivery={"canary": canary}) == [
        f"{KEY}.canary.intervalSeconds: 5 is out of range: it must be at least 10 (fix: write a value at least 10)",
        f"{KEY}.canary.threshold: 50 is out of range: it must be at most 20 (fix: write a value at most 20)",
        f"{KEY}.canary.progressDeadlineSeconds: 1000000000 is out of range: it must be at most 86400 (fix: write a "
        "value at most 86400)",
    ]


def test_steps_must_be_given_and_increasing():
    assert refused_with("dev", delivery={"canary": {"stepWeights": []}}) == [
        f"{KEY}.canary.stepWeights: is empty (fix: give it a value)"
    ]
    assert refused_with("dev", delivery={"canary": {"stepWeights": [25, 5, 100]}}) == [
        f"{KEY}.canary.stepWeights: [25, 5, 100] must be strictly increasing percentages between 1 and 99 (fix: "
        "e.g. [1, 5, 25]; promotion to 100% follows the last step (a repeated weight would stall Flagger))"
    ]


def test_an_approval_gate_that_promotion_without_analysis_would_skip():
    assert refused_with("dev", delivery={"canary": {"approval": True}}) == [
        f"{KEY}.canary.approval: approval is on but analysis is off in dev, and Flagger promotes without analysis "
        "before asking the approval gate, so no one would ever be asked (fix: set canary.analysis: true to keep the "
        "gate, or canary.approval: false)"
    ]
    # prod asks for approval by default: turning analysis off there is what silently drops the gate
    assert refused_with("prod", delivery={"canary": {"analysis": False}}) == [
        "Pulumi.prod.yaml: mlops-platform:delivery.canary.analysis: approval is on but analysis is off in prod, and "
        "Flagger promotes without analysis before asking the approval gate, so no one would ever be asked (fix: set "
        "canary.analysis: true to keep the gate, or canary.approval: false)"
    ]


def test_an_alert_channel_the_alert_provider_crd_does_not_know():
    assert refused_with("dev", delivery={"alertChannel": "email"}) == [
        f"{KEY}.alertChannel: 'email' is not allowed (fix: use one of 'slack', 'msteams', 'discord', 'rocket' or "
        "'gchat')"
    ]


def test_a_fallback_switch_for_a_model_the_stack_does_not_serve():
    assert refused_with("dev", delivery={"fallbackActive": ["churn-predicton"]}) == [
        f"{KEY}.fallbackActive: 'churn-predicton' is not served by this stack (fix: use one of: churn-prediction, "
        "churn-prediction-baseline, fraud-detection, image-classifier, support-assistant)"
    ]
