"""Bad `guardrails` values through the whole program: one problem each, naming the stack file, the key and
the fix, and nothing registered. Wrong types, unknown keys and rule ids (did-you-mean), bounds, empty
labels, a GPU budget the pools alone exceed, two overrides of one rule, labels GCP would refuse."""

from __future__ import annotations

from tests.addon_settings import stack_settings
from tests.settings_refusals import refused_with

KEY = "Pulumi.dev.yaml: mlops-platform:guardrails"
PROD_LABELS = {"team": "ml-platform", "costCentre": "ml-serving-prod"}
REASON = "a reason of more than ten characters"


def test_wrong_types_are_all_reported_at_once():
    assert refused_with("dev", guardrails={"gpuBudget": "eight", "overrides": {"rule": "gpu-budget"}}) == [
        f"{KEY}.gpuBudget: 'eight' is not a whole number (fix: write a whole number)",
        f"{KEY}.overrides: {{'rule': 'gpu-budget'}} is not a list (fix: write a list)",
    ]


def test_unknown_keys_and_rule_ids_get_a_did_you_mean():
    assert refused_with("dev", guardrails={"gpuBudgets": 8, "overrides": [{"rule": "gpu-budget", "levle": "x"}]}) == [
        # nested keys: the fix is to add them, not to declare a default in Pulumi.yaml (that is for top-level keys)
        f"{KEY}.overrides[0].level: required key is missing (fix: add it)",
        f"{KEY}.overrides[0].reason: required key is missing (fix: add it)",
        f"{KEY}.overrides[0].levle: unknown key (fix: did you mean 'level'? remove it or use one of: level, reason, "
        "rule)",
        f"{KEY}.gpuBudgets: unknown key (fix: did you mean 'gpuBudget'? remove it or use one of: gpuBudget, labels, "
        "overrides)",
    ]
    (problem,) = refused_with(
        "dev", guardrails={"overrides": [{"rule": "gpu-budgt", "level": "advisory", "reason": REASON}]}
    )
    assert problem.startswith(
        f"{KEY}.overrides[0].rule: 'gpu-budgt' is not a guardrail rule (fix: did you mean 'gpu-budget'? use one of "
        "batch-on-spot, container-resources,"
    )


def test_numbers_out_of_range():
    assert refused_with("dev", guardrails={"gpuBudget": -1}) == [
        f"{KEY}.gpuBudget: -1 is out of range: it must be at least 0 (fix: write a value at least 0)"
    ]
    assert refused_with("dev", guardrails={"gpuBudget": 10**9}) == [
        f"{KEY}.gpuBudget: 1000000000 is out of range: it must be at most 240000 (fix: write a value at most 240000)"
    ]


def test_empty_and_invalid_gcp_labels():
    assert refused_with("dev", guardrails={"labels": {"team": "", "costCentre": "ML Serving"}}) == [
        f"{KEY}.labels.team: '' is not a GCP label value: 1 to 63 lowercase letters, digits, '_' or '-' (fix: write "
        "a GCP label value: 1 to 63 lowercase letters, digits, '_' or '-')",
        f"{KEY}.labels.costCentre: 'ML Serving' is not a GCP label value: 1 to 63 lowercase letters, digits, '_' or "
        "'-' (fix: write a GCP label value: 1 to 63 lowercase letters, digits, '_' or '-')",
    ]


def test_a_budget_the_pools_alone_exceed_is_refused_where_the_rule_is_mandatory():
    assert refused_with("prod", guardrails={"gpuBudget": 10, "labels": PROD_LABELS}) == [
        "Pulumi.prod.yaml: mlops-platform:guardrails.gpuBudget: a budget of 10 is below the 12 GPUs the node pools "
        "alone can run at their maximum (l4: 8; a100: 4), before any canary pod (fix: raise gpuBudget to at least 12 "
        "plus the canaries' GPU pods, or lower the pools' autoscaling.totalMaxNodeCount)"
    ]
    # an explicit advisory override makes it the render gate's warning, as for every advisory rule
    advisory = [{"rule": "gpu-budget", "level": "advisory", "reason": REASON}]
    accepted = stack_settings("prod", guardrails={"gpuBudget": 10, "labels": PROD_LABELS, "overrides": advisory})
    assert accepted.guardrails.gpu_budget == 10
    assert stack_settings("dev", guardrails={"gpuBudget": 1}).guardrails.gpu_budget == 1  # advisory outside prod


def test_one_override_per_rule():
    twice = [{"rule": "gpu-budget", "level": level, "reason": REASON} for level in ("advisory", "disabled")]
    assert refused_with("dev", guardrails={"overrides": twice}) == [
        f"{KEY}.overrides: gpu-budget is overridden more than once; only the last would count (fix: keep one per rule)"
    ]
