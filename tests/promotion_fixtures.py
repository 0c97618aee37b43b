"""What the promote and rollback tests share: the model, the Canary program/stack.py exports for it, a
copy of the project, the fake CLI's drivers and how to read the registry's alias, lock and audit tags."""

from __future__ import annotations

import shutil
from pathlib import Path

import ops.cli.ci as ci
from ops.automation.driver import Driver
from ops.automation.run_options import RunOptions
from ops.promotion.canary_health import CanaryHealth
from ops.promotion.lock import LOCK_SUFFIX
from ops.promotion.promote import PromoteRequest
from ops.resource_types import DYNAMIC_TYPE
from registry.client import MlflowRegistryClient, ModelNotFound, tags_of
from tests.fake_pulumi import FakePulumiCommand, Scenario, summary

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODEL = "churn-prediction"
# What program/stack.py exports for the model's Canary (tests/test_promotion_canary.py checks it against a real run).
CANARY = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "Canary",
    "namespace": f"ml-{MODEL}",
    "name": MODEL,
    "primaryDeployment": f"{MODEL}-primary",
}
BETTER = {"metrics": {"accuracy": 0.95, "f1_weighted": 0.95}}  # beats make_model's default 0.9 (tests/mlflow_server.py)
PROMOTE = PromoteRequest(MODEL, "staging", "prod")


def live(version: str, phase: str = "Succeeded"):
    """The source cluster's answer, standing in for it (tests/test_promotion_canary.py reads a fake API server)."""
    return lambda ref: CanaryHealth(phase, version)


def copy_project(tmp_path: Path, monkeypatch, mlflow_server) -> Path:
    """The stack files and catalogue in a temporary project, the registry the real MLflow test server
    (each test module's `project` fixture)."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    monkeypatch.setenv("GITHUB_ACTOR", "oncall-bot")
    root = tmp_path / "project"
    root.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(PROJECT_DIR / name, root / name)
    shutil.copytree(PROJECT_DIR / "models", root / "models")
    return root


def use_registered_model(project: Path, name: str) -> None:
    path = project / "models" / f"{MODEL}.yaml"
    path.write_text(path.read_text().replace(f"registeredModel: {MODEL}", f"registeredModel: {name}"))


def drivers(project: Path, scenario: Scenario):
    command = FakePulumiCommand(scenario)
    return command, lambda stack: Driver(
        RunOptions(stack, project), command, write=lambda _: None, sleep=lambda _: None
    )


def ops_run(command: FakePulumiCommand, stack: str) -> list[str]:
    return [c[0] for c in command.calls if c[0] in ("preview", "up") and c[c.index("--stack") + 1] == stack]


def tag_sets(command: FakePulumiCommand) -> list[list[str]]:
    return [c for c in command.calls if c[:3] == ["stack", "tag", "set"]]


def rolled_back_scenario(model) -> Scenario:
    v1, v2 = model.versions
    deployment = {
        "resources": [{"type": DYNAMIC_TYPE, "outputs": {"model": MODEL, "version": v2, "previous_version": v1}}]
    }
    return Scenario(
        stack_outputs={"staging": {"models": {MODEL: {"version": v2, "canary": CANARY}}}},
        deployment=deployment,
        events={"up": [summary({"update": 2})]},
    )


def cli(scenario: Scenario, monkeypatch) -> FakePulumiCommand:
    command = FakePulumiCommand(scenario)
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, write=lambda _: None))
    return command


def alias_at(client: MlflowRegistryClient, name: str, alias: str = "champion") -> str:
    return str(client.get_version_by_alias(name, alias)["version"])


def lock_of(client: MlflowRegistryClient, name: str) -> dict | None:
    try:
        return tags_of(client.get_registered_model(name + LOCK_SUFFIX))
    except ModelNotFound:
        return None


def audit_tags(client: MlflowRegistryClient, name: str, version: str) -> dict[str, str]:
    tags = tags_of(client.get_version(name, version))
    return {k: v for k, v in tags.items() if k.startswith(("promoted.", "rolledback."))}


def serving(version: str, also: dict | None = None) -> dict:
    return {"staging": {"models": {MODEL: {"version": version, "canary": CANARY}}}, **(also or {})}
