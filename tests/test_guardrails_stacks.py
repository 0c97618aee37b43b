"""The guardrails over every stack in the repository (whole program runs against the test registry),
and the render gate as a user meets it: a violating catalogue entry stops `python -m ops render`."""

from __future__ import annotations

import re
import shutil
from types import SimpleNamespace

import pytest
import yaml

from facts.gpu_machine_types import gpus_per_node
from facts.gpus import accelerator
from guardrails.evaluate import GuardReport
from guardrails.rule_set import RULES
from guardrails.subject import Subject
from ops.__main__ import main as ops_main
from ops.guard import guard_run
from policy.adapter import stack_reports
from tests.cel_admission import failed_messages, matches
from tests.conftest import PROJECT_DIR, STACKS
from tests.test_cli import copy_project

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CANARY = "kubernetes:flagger.app/v1beta1:Canary"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_passes_its_mandatory_guardrails(stack_runs, stack):
    report = guard_run(stack_runs[stack])
    assert report.mandatory == [], "\n".join(str(v) for v in report.mandatory)
    # Labels come from each stack's guardrails settings: no stack has a GCP resource without them.
    assert not [v for v in report.violations if v.rule in ("gcp-cost-labels", "gpu-budget")]


@pytest.mark.parametrize("stack", STACKS)
def test_gpu_ceiling_is_the_stack_files_pools_at_max_nodes(stack_runs, stack):
    stack_file = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    pools = stack_file["config"].get("mlops-platform:gpuNodePools", [])
    expected = sum(
        p["autoscaling"]["totalMaxNodeCount"]
        * gpus_per_node(p["accelerator"]["type"], p["machineType"], p["accelerator"].get("count", 1))
        for p in pools
    )
    run = stack_runs[stack]
    # Plus each GPU Canary's own pods: its target Deployment's GPUs x its autoscaler's maxReplicas.
    deployments = {
        (r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r for r in run.by_type(DEPLOYMENT)
    }
    for canary in run.by_type(CANARY):
        namespace, target = canary.inputs["metadata"]["namespace"], canary.inputs["spec"]["targetRef"]["name"]
        pod = deployments[(namespace, target)].inputs["spec"]["template"]["spec"]
        gpus = sum(int(c["resources"]["limits"].get("nvidia.com/gpu", 0)) for c in pod["containers"])
        scalers = [
            s.inputs["spec"]
            for s in run.by_type(SCALED_OBJECT)
            if s.inputs["metadata"]["namespace"] == namespace and s.inputs["spec"]["scaleTargetRef"]["name"] == target
        ]
        expected += gpus * (scalers[0]["maxReplicaCount"] if scalers and gpus else 0)
    report = guard_run(run)
    assert report.ceiling.total_gpus == expected
    if expected:
        assert report.ceiling.monthly_usd is not None and report.ceiling.monthly_usd > 0
        assert report.budget is not None and expected <= report.budget


def ceiling_row(stack: str, report: GuardReport) -> str:
    """The stack's row of the GPU ceiling table in docs/guardrails.md, from what its render computes."""
    ceiling, budget = report.ceiling, "none" if report.budget is None else str(report.budget)
    if not ceiling.total_gpus:
        return f"| {stack} | 0 | {budget} | none |"
    # The pools in the stack file's order, then the canaries by name (registration order varies between runs).
    stack_file = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    order = [p["name"] for p in stack_file["config"].get("mlops-platform:gpuNodePools", [])]
    pools: list[tuple[int, str]] = []
    canaries: list[str] = []
    for line in ceiling.lines:
        facts = accelerator(line.accelerator)
        model = facts.model.removeprefix("NVIDIA ") if facts else line.accelerator
        per_unit = f"{line.gpus_per_unit} " if line.gpus_per_unit > 1 else ""
        spot = " spot" if line.spot else ""
        name = line.what.removeprefix("pool ")
        part = f"{name} {line.units} × {per_unit}{model}{spot}"
        if line.what.startswith("canary "):
            canaries.append(part)
        else:
            pools.append((order.index(name), part))
    parts = [part for _, part in sorted(pools)] + sorted(canaries)
    monthly = "unknown" if ceiling.monthly_usd is None else f"about ${ceiling.monthly_usd:,.0f}"
    return f"| {stack} | {ceiling.total_gpus} ({', '.join(parts)}) | {budget} | {monthly} |"


@pytest.mark.parametrize("stack", STACKS)
def test_the_guardrails_docs_ceiling_table_is_what_each_render_computes(stack_runs, stack):
    row = ceiling_row(stack, guard_run(stack_runs[stack]))
    doc = (PROJECT_DIR / "docs" / "guardrails.md").read_text(encoding="utf-8")
    assert row in doc.splitlines(), f"docs/guardrails.md is out of date; its {stack} row is:\n{row}"


@pytest.mark.parametrize("stack", STACKS)
def test_the_pack_reports_what_the_render_reports(stack_runs, stack):
    run = stack_runs[stack]
    resources = [
        SimpleNamespace(resource_type=s.type, props=s.plain, urn=s.urn, name=s.name)
        for s in (Subject(r.type, r.name, r.inputs, r.urn) for r in run.resources)
    ]
    report = guard_run(run)
    for rule in RULES:
        for level in ("mandatory", "advisory"):
            rendered = [v for v in report.violations if v.rule == rule.id and v.level == level]
            assert len(stack_reports(rule, level, resources)) == len(rendered), (rule.id, level)


@pytest.mark.parametrize("stack", STACKS)
def test_the_stacks_admission_policies_judge_its_workloads_like_the_render(stack_runs, stack):
    run = stack_runs[stack]
    objects = [Subject(r.type, r.name, r.inputs, r.urn) for r in run.resources]
    policies = [s.plain for s in objects if s.kind == "ValidatingAdmissionPolicy"]
    bindings = {s.plain["spec"]["policyName"]: s.plain for s in objects if s.kind == "ValidatingAdmissionPolicyBinding"}
    workloads = [s for s in objects if s.pod_spec is not None]
    assert policies and workloads and set(bindings) == {p["metadata"]["name"] for p in policies}
    report = guard_run(run)
    for policy in policies:
        rule_id = policy["metadata"]["name"].removeprefix("mlops-")
        for workload in (w for w in workloads if matches(policy, w.plain)):
            refused = bool(failed_messages(policy, workload.plain))
            flagged = any(v.rule == rule_id and v.resource == workload.label for v in report.violations)
            assert refused == flagged, (policy["metadata"]["name"], workload.label)
            if bindings[policy["metadata"]["name"]]["spec"]["validationActions"] == ["Deny"]:
                assert not refused, (policy["metadata"]["name"], workload.label)


def _project_with_plain_token(tmp_path, override: bool):
    project = copy_project(tmp_path)
    entry_path = project / "models" / "churn-prediction.yaml"
    entry = yaml.safe_load(entry_path.read_text())
    entry["env"]["DOWNSTREAM_API_TOKEN"] = "plain-text-credential-1234"
    entry_path.write_text(yaml.safe_dump(entry))
    if override:
        stack_path = project / "Pulumi.local.yaml"
        stack = yaml.safe_load(stack_path.read_text())
        stack["config"]["mlops-platform:guardrails"] = {
            "overrides": [
                {"rule": "secrets-as-secret-config", "level": "mandatory", "reason": "this test makes it block"}
            ]
        }
        stack_path.write_text(yaml.safe_dump(stack))
    return project


def test_render_with_a_violating_catalogue_entry_fails_with_the_rules_message(
    mlflow_server, seeded_demo, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    out = tmp_path / "out"
    project = _project_with_plain_token(tmp_path / "blocking", override=True)
    code = ops_main(["render", "--stack", "local", "--project", str(project), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "mandatory guardrail violation(s); nothing was written" in err
    assert "[mandatory] secrets-as-secret-config: Deployment ml-churn-prediction/churn-prediction" in err
    assert "DOWNSTREAM_API_TOKEN as a plain environment value" in err and "secretKeyRef" in err
    assert not out.exists() and not [p for p in out.parent.iterdir() if p.name.startswith(".out-")]

    # The same entry on the same stack without the override: advisory, reported, rendered.
    project = _project_with_plain_token(tmp_path / "advisory", override=False)
    code = ops_main(["render", "--stack", "local", "--project", str(project), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and out.is_dir()
    # Other advisories may be reported beside it (churn-prediction's local batch job is off spot: a kind
    # cluster has no spot nodes); none is mandatory.
    assert "[advisory] secrets-as-secret-config" in printed
    assert re.search(r"guardrails: 0 mandatory, [1-9]\d* advisory", printed), printed[-2000:]
    shutil.rmtree(out)


@pytest.mark.parametrize("stack", STACKS)
def test_the_previews_pool_ceiling_from_settings_matches_the_renders(stack_runs, stack, tmp_path):
    from guardrails.cost import pools_ceiling
    from tests.test_stack_settings import read

    config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    settings = read(tmp_path, stack, config).stack
    rendered = guard_run(stack_runs[stack]).ceiling
    assert sorted(pools_ceiling(settings).lines, key=str) == sorted(
        (line for line in rendered.lines if line.what.startswith("pool ")), key=str
    )
