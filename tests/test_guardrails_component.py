"""The program side of the guardrails: the Guardrails component (context as inputs, admission policies
as children on the cluster's provider) and the cost labels every GCP resource gets."""

from __future__ import annotations

import pytest

from components.guardrails.cost_labels import with_labels
from guardrails.rule import GUARDRAILS_TYPE, context_from_inputs
from ops.offline.engine import run_program
from ops.stack_config import load_stack_config
from tests.conftest import PROJECT_DIR, STACKS, registry_overrides
from tests.runs import cluster_provider

LABELS = {"team": "ml-platform", "cost-centre": "cc-1"}


def test_labels_are_merged_at_the_path_and_the_resources_own_win():
    props = {"name": "b", "labels": {"environment": "dev", "team": "own-team"}}
    assert with_labels(props, ("labels",), LABELS)["labels"] == {
        "team": "own-team",
        "cost-centre": "cc-1",
        "environment": "dev",
    }
    assert props["labels"] == {"environment": "dev", "team": "own-team"}  # not mutated
    pool = {"node_config": {"machine_type": "g2-standard-8"}}
    assert with_labels(pool, ("node_config", "resource_labels"), LABELS)["node_config"]["resource_labels"] == LABELS
    # Not a plain dict on the way (an Args object, an Output): left alone, and the rule reports it.
    assert with_labels({"node_config": object()}, ("node_config", "resource_labels"), LABELS) is None


@pytest.mark.parametrize("stack", STACKS)
def test_guardrails_component_carries_the_stack_context_and_owns_the_policies(stack_runs, stack):
    run = stack_runs[stack]
    (component,) = run.by_type(GUARDRAILS_TYPE)
    context = context_from_inputs(component.inputs)
    assert context.environment == run.outputs["environment"]
    policies = run.by_type("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")
    bindings = run.by_type("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")
    assert policies and len(bindings) == len(policies)
    provider = cluster_provider(run)
    by_name = {p.inputs["metadata"]["name"]: p for p in policies}
    for resource in policies + bindings:
        assert resource.parent == component.urn
        assert resource.options["provider"].startswith(provider.urn)
    for binding in bindings:
        assert by_name[binding.inputs["spec"]["policyName"]].urn in binding.options["dependencies"]


def test_a_cluster_older_than_1_30_gets_no_admission_policies(mlflow_server, seeded_demo):
    overrides = {**registry_overrides(mlflow_server.uri), "mlops-platform:kubernetesVersion": "1.29"}
    run = run_program(PROJECT_DIR, load_stack_config(PROJECT_DIR, "local", overrides=overrides))
    assert run.by_type(GUARDRAILS_TYPE)
    assert not [r for r in run.resources if "admissionregistration" in r.type]
