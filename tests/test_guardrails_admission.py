"""Gate 3: the ValidatingAdmissionPolicies. Their CEL is evaluated for real (cel-python) against the
same objects as the Python rules, and every policy and binding is strictly valid Kubernetes."""

from __future__ import annotations

import pytest

from core.labels import MODEL
from guardrails.admission import ADMISSION_RULES, admission_policies, policy_name
from guardrails.rule import GuardContext
from tests.cel_admission import failed_messages, matches
from tests.guard_cases import ADMISSION_CASES
from tests.guard_objects import deployment, job
from tests.schemas import validate

ADMISSION_RULE_IDS = {entry.rule.id for entry in ADMISSION_RULES}


def policy_for(rule_id: str, context: GuardContext) -> dict | None:
    return next(
        (
            m
            for m in admission_policies(context)
            if m["kind"] == "ValidatingAdmissionPolicy" and m["metadata"]["name"] == policy_name_of(rule_id)
        ),
        None,
    )


def policy_name_of(rule_id: str) -> str:
    return next(policy_name(e.rule) for e in ADMISSION_RULES if e.rule.id == rule_id)


CEL_CASES = [c for c in ADMISSION_CASES if c.rule in ADMISSION_RULE_IDS]


def test_admission_covers_the_single_object_rules():
    assert {
        "gpu-limit-per-container",
        "gpu-scheduling",
        "image-tag",
        "image-digest",
        "container-resources",
        "container-security",
        "batch-on-spot",
    } == ADMISSION_RULE_IDS
    for rule_id in ADMISSION_RULE_IDS:
        names = [c.name for c in CEL_CASES if c.rule == rule_id]
        assert any(n.startswith("pass") for n in names) and any(n.startswith("missing") for n in names), rule_id


@pytest.mark.parametrize("case", CEL_CASES, ids=lambda c: c.id)
def test_cel_agrees_with_the_python_rule(case):
    (subject,) = case.subjects
    policy = policy_for(case.rule, GuardContext(case.environment))
    if policy is None:  # a production-only policy on another environment
        assert case.rule == "image-digest" and case.environment != "prod" and not case.violates
        return
    assert matches(policy, subject.plain)
    failed = failed_messages(policy, subject.plain)
    assert bool(failed) == case.violates, failed
    assert all("(fix: " in m for m in failed)


def pod(gpus: int) -> dict:
    spec = deployment(gpus=gpus)["spec"]["template"]["spec"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ml-m"}, "spec": spec}


def test_a_pod_is_judged_by_its_own_spec():
    policy = policy_for("gpu-limit-per-container", GuardContext("prod"))
    assert matches(policy, pod(3))
    assert failed_messages(policy, pod(3)) and not failed_messages(policy, pod(2))


def test_batch_policy_matches_jobs_only():
    policy = policy_for("batch-on-spot", GuardContext("prod"))
    assert matches(policy, job()) and matches(policy, job("CronJob")) and not matches(policy, deployment())


@pytest.mark.parametrize("environment", ["prod", "dev"])
@pytest.mark.parametrize("version", ["1.30", "1.33"])
def test_policies_and_bindings_are_strictly_valid_and_scoped_to_model_namespaces(environment, version):
    # A kind cluster (no spot nodes) outside prod: every rule advisory, batch-on-spot included.
    manifests = admission_policies(GuardContext(environment, spot_capacity=environment == "prod"))
    for manifest in manifests:
        validate(manifest, version)
    bindings = [m for m in manifests if m["kind"] == "ValidatingAdmissionPolicyBinding"]
    policies = {m["metadata"]["name"] for m in manifests if m["kind"] == "ValidatingAdmissionPolicy"}
    assert {b["spec"]["policyName"] for b in bindings} == policies
    for binding in bindings:
        assert binding["spec"]["matchResources"]["namespaceSelector"] == {
            "matchExpressions": [{"key": MODEL, "operator": "Exists"}]
        }
        expected = ["Deny"] if environment == "prod" else ["Warn", "Audit"]
        assert binding["spec"]["validationActions"] == expected
    assert ("mlops-image-digest" in policies) == (environment == "prod")


def test_batch_on_spot_denies_wherever_the_cluster_has_spot_nodes():
    def actions(context: GuardContext) -> list[str]:
        (binding,) = [m for m in admission_policies(context) if m["metadata"]["name"] == "mlops-batch-on-spot"][1:]
        return binding["spec"]["validationActions"]

    assert actions(GuardContext("dev")) == actions(GuardContext("staging")) == ["Deny"]  # GKE: the batch pool
    assert actions(GuardContext("local", spot_capacity=False)) == ["Warn", "Audit"]  # kind: no spot to ask for
    assert actions(GuardContext("prod", spot_capacity=False)) == ["Deny"]


def test_overrides_change_the_binding_or_drop_the_policy():
    manifests = admission_policies(
        GuardContext("dev", overrides={"image-tag": "mandatory", "container-resources": "disabled"})
    )
    actions = {
        m["metadata"]["name"]: m["spec"]["validationActions"] for m in manifests if m["kind"].endswith("Binding")
    }
    assert actions["mlops-image-tag"] == ["Deny"]
    assert "mlops-container-resources" not in actions
