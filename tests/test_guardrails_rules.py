"""Gate-independent behaviour of the guardrails: every rule's passing, failing and missing-property case
(tests/guard_cases.py), levels per environment and overrides, the GPU ceiling and its price."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.problems import ConfigError
from facts.gpu_prices import HOURS_PER_MONTH, gpu_price
from guardrails.cost import gpu_ceiling
from guardrails.evaluate import check_all
from guardrails.rule import GuardContext, context_from_inputs, context_from_subjects, context_inputs
from guardrails.rule_set import RULE_IDS, RULES, rule
from guardrails.rules_secrets import scan
from guardrails.subject import Subject
from tests.guard_cases import CASES
from tests.guard_objects import POOL, Case, canary, deployment, gcp, hpa, k8s, node_pool, registry_secret


def violations_of(case: Case, **context):
    ctx = GuardContext(case.environment, gpu_budget=case.gpu_budget, **context)
    return [v for v in check_all(case.subjects, ctx).violations if v.rule == case.rule]


def test_every_rule_has_a_passing_a_failing_and_a_missing_property_case():
    for rule_id in RULE_IDS:
        names = [c.name for c in CASES if c.rule == rule_id]
        assert any(n.startswith("pass") for n in names), rule_id
        assert any(n.startswith("fail") for n in names) or any(
            c.violates for c in CASES if c.rule == rule_id and c.name.startswith("missing")
        ), rule_id
        assert any(n.startswith("missing") for n in names), rule_id


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule_case(case):
    found = violations_of(case)
    assert bool(found) == case.violates, [str(v) for v in found]
    for violation in found:
        assert violation.message and violation.fix and violation.resource


@pytest.mark.parametrize("case", [c for c in CASES if c.violates and c.environment == "prod"], ids=lambda c: c.id)
def test_mandatory_in_prod_advisory_elsewhere_unless_overridden(case):
    assert {v.level for v in violations_of(case)} == {"mandatory"}
    if case.rule not in ("image-digest", "prod-serving-on-demand", "prod-model-canary"):  # prod-only rules
        elsewhere = Case(case.rule, case.name, case.subjects, True, environment="dev", gpu_budget=case.gpu_budget)
        # batch-on-spot is mandatory wherever the cluster has spot nodes, advisory on one without (kind) only.
        spot_rule = case.rule == "batch-on-spot"
        assert {v.level for v in violations_of(elsewhere)} == {"mandatory" if spot_rule else "advisory"}
        if spot_rule:
            for kind in (elsewhere, replace(elsewhere, environment="local")):
                assert {v.level for v in violations_of(kind, spot_capacity=False)} == {"advisory"}
            assert {v.level for v in violations_of(case, spot_capacity=False)} == {"mandatory"}  # prod stays strict
        else:
            assert {v.level for v in violations_of(elsewhere, overrides={case.rule: "mandatory"})} == {"mandatory"}
    assert violations_of(case, overrides={case.rule: "disabled"}) == []
    assert {v.level for v in violations_of(case, overrides={case.rule: "advisory"})} == {"advisory"}


def test_rule_ids_are_unique_and_described():
    assert len(RULE_IDS) == len(RULES) == 14
    assert all(r.description.endswith(".") for r in RULES)
    with pytest.raises(KeyError, match="no guardrail rule"):
        rule("no-such-rule")


def test_context_round_trips_through_the_component_inputs_and_defaults_to_production():
    context = GuardContext("dev", gpu_budget=6, overrides={"image-tag": "mandatory"})
    assert context_from_inputs(context_inputs(context)) == context
    kind = GuardContext("local", spot_capacity=False)
    assert context_from_inputs(context_inputs(kind)) == kind
    # A context without the key (a stack deployed before it existed) is judged as having spot nodes.
    assert context_from_inputs({"environment": "dev"}).spot_capacity
    # Numbers come back from the wire as floats.
    assert context_from_inputs({"environment": "dev", "gpuBudget": 6.0}).gpu_budget == 6
    # A stack without the guardrails component is judged as production, the strictest.
    assert context_from_subjects([k8s(deployment())]).production


def test_guardrails_settings_and_an_unknown_override_name_file_field_and_fix(tmp_path):
    from guardrails.context import guard_context
    from settings.stack import PROJECT
    from tests.test_stack_settings import LOCAL, problems, read

    key = f"{PROJECT}:guardrails"
    for sub in ("good", "bad", "short"):
        (tmp_path / sub).mkdir()
    good = {
        "gpuBudget": 2,
        "labels": {"team": "ml", "costCentre": "cc-1"},
        "overrides": [{"rule": "image-tag", "level": "mandatory", "reason": "local images must be tagged too"}],
    }
    settings = read(tmp_path / "good", "local", LOCAL | {key: good}).stack
    context = guard_context(settings)
    # a kubeconfig cluster: no spot nodes (batch-on-spot stays advisory there)
    assert context == GuardContext("local", gpu_budget=2, overrides={"image-tag": "mandatory"}, spot_capacity=False)
    assert settings.guardrails.labels.as_gcp_labels() == {"team": "ml", "cost-centre": "cc-1"}

    bad = {"overrides": [{"rule": "image-tags", "level": "advisory", "reason": "a typo in the rule id"}]}
    with pytest.raises(ConfigError) as caught:
        guard_context(read(tmp_path / "bad", "local", LOCAL | {key: bad}).stack)
    (problem,) = caught.value.problems
    assert problem.source == "Pulumi.local.yaml" and problem.field == f"{key}.overrides[0].rule"
    assert "'image-tags' is not a guardrail rule" in problem.message and "image-tag" in problem.fix

    assert any(
        "guardrails.overrides[0].reason" in p
        for p in problems(
            tmp_path / "short",
            "local",
            LOCAL | {key: {"overrides": [{"rule": "image-tag", "level": "advisory", "reason": "no"}]}},
        )
    )


def test_secret_values_are_never_scanned_but_plain_ones_are():
    wrapped = k8s(
        registry_secret(
            {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "ghp_" + "a" * 36}
        )
    )
    assert scan(wrapped) == []
    plain = Subject("kubernetes:core/v1:ConfigMap", "cm", {"kind": "ConfigMap", "data": {"key": "ghp_" + "a" * 36}})
    (finding,) = scan(plain)
    assert "data.key" in finding.message and "GitHub token" in finding.message
    # The policy pack sees every value revealed: a Secret's own values are where secrets belong.
    assert scan(k8s(registry_secret("tok-1")), secretness_known=False) == []


def test_engine_internals_are_not_scanned():
    blob = Subject("pulumi-python:dynamic:Resource", "v", {"__provider": "sk-" + "b" * 40, "model": "m"})
    assert scan(blob) == []


def test_gpu_ceiling_counts_pools_at_max_nodes_and_canary_pods_with_list_prices():
    ceiling = gpu_ceiling(
        [
            gcp(POOL, node_pool(max_nodes=3)),
            gcp(POOL, node_pool(spot=True, max_nodes=2, machine="g2-standard-24")),
            k8s(deployment(gpus=1)),
            k8s(hpa()),
            k8s(canary()),
        ]
    )
    assert [line.gpus for line in ceiling.lines] == [3, 4, 3]
    assert ceiling.total_gpus == 10
    price = gpu_price("nvidia-l4", "us-central1")
    assert price is not None and price.on_demand is not None and price.spot is not None
    expected = (3 * price.on_demand + 4 * price.spot + 3 * price.on_demand) * HOURS_PER_MONTH
    assert ceiling.monthly_usd == pytest.approx(expected)
    text = "\n".join(ceiling.summary(12))
    assert "GPU ceiling: 10 GPUs of a budget of 12" in text and "canary ml-m/m: 3 pods x 1 nvidia-l4" in text


def test_unknown_price_is_reported_as_unknown_not_guessed():
    pool = node_pool()
    pool["location"] = "asia-south2-a"  # no row for this region
    ceiling = gpu_ceiling([gcp(POOL, pool)])
    assert ceiling.total_gpus == 3 and ceiling.monthly_usd is None
    assert "price unknown" in "\n".join(ceiling.summary(None))


def test_the_spot_batch_pool_adds_no_gpus_and_is_priced_beside_the_ceiling():
    from facts.cpu_machines import SPOT_PRICES
    from tests.guard_objects import batch_pool

    gpu_only = gpu_ceiling([gcp(POOL, node_pool(max_nodes=3))])
    with_batch = gpu_ceiling([gcp(POOL, node_pool(max_nodes=3)), gcp(POOL, batch_pool())])
    assert with_batch.total_gpus == gpu_only.total_gpus == 3 and with_batch.monthly_usd == gpu_only.monthly_usd
    assert with_batch.lines == gpu_only.lines
    (line,) = with_batch.cpu_pools
    e2 = SPOT_PRICES["e2"]
    assert line.monthly_usd == pytest.approx(3 * (4 * e2.vcpu + 16 * e2.memory_gib) * HOURS_PER_MONTH)
    assert (
        f"  pool batch-spot: 3 nodes x e2-standard-4 (spot, no GPUs: not in the GPU ceiling), at most ${line.monthly_usd:,.0f}/month"
        in (with_batch.summary(8))[-1]
    )
    unknown = batch_pool()
    unknown["nodeConfig"]["machineType"] = "n2-standard-4"  # no N2 spot price recorded: unknown, not guessed
    assert gpu_ceiling([gcp(POOL, unknown)]).cpu_pools[0].monthly_usd is None
