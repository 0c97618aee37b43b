"""The fallback switch: an example model with a warm fallback, and `python -m ops fallback on|off MODEL`.

Before, no catalogue model declared a fallback, so no stack could render the switch and it was a hand
edit of `delivery.fallbackActive`. Now churn-prediction falls back to churn-prediction-baseline (served
warm beside it in every environment), and one command validates the switch as `pulumi up` would, writes
it into the stack config through the CLI (the fake one here) and runs `up`.
"""

from __future__ import annotations

import json

import pytest

import ops.cli.ci as ci
from ops.__main__ import main
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.offline.engine import run_program
from ops.offline.wire_values import unwrap
from ops.stack_config import load_stack_config
from tests.conftest import PROJECT_DIR, STACKS, registry_overrides
from tests.fake_pulumi import FakePulumiCommand, Scenario, summary

MODEL, FALLBACK = "churn-prediction", "churn-prediction-baseline"
DELIVERY = "mlops-platform:delivery"


def use_fake_cli(monkeypatch, stack: str) -> tuple[FakePulumiCommand, Scenario]:
    scenario = Scenario(events={"preview": [summary({"same": 3})], "up": [summary({"create": 2})]})
    text = load_stack_config(PROJECT_DIR, stack).values.get(DELIVERY)
    if text:  # the CLI starts from what the stack file holds
        scenario.config[stack] = {DELIVERY: text}
    command = FakePulumiCommand(scenario)
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, sleep=lambda _: None))
    return command, scenario


def _ran(command: FakePulumiCommand) -> list[str]:
    return [c[0] for c in command.calls if c[0] in ("preview", "up")]


def _objects(run, kind: str) -> list[dict]:
    return [unwrap(r.inputs) for r in run.kubernetes_objects() if r.inputs.get("kind") == kind]


@pytest.mark.parametrize("stack", STACKS)
def test_the_example_fallback_is_warm_wherever_its_model_is_served(stack_runs, stack):
    run = stack_runs[stack]
    served = run.outputs["models"]
    assert MODEL in served and FALLBACK in served
    # the switch is off by default: no route sends traffic to the fallback
    assert not [r for r in _objects(run, "HTTPRoute") if r["metadata"]["name"].endswith("-fallback")]


def test_fallback_on_writes_the_switch_and_deploys(monkeypatch, capsys):
    command, scenario = use_fake_cli(monkeypatch, "prod")
    assert main(["fallback", "on", MODEL, "--stack", "prod"]) == ExitCode.OK
    written = json.loads(scenario.config["prod"][DELIVERY])
    assert written["fallbackActive"] == [MODEL]
    assert ["config", "set", "--path", f"{DELIVERY}.fallbackActive[0]"] == [
        c for c in command.calls if c[:2] == ["config", "set"]
    ][0][:4]
    assert _ran(command) == ["preview", "up"]  # prod: the guard's preview, then up
    assert f"fallback on for {MODEL} in prod; switched now: {MODEL} -> {FALLBACK}" in capsys.readouterr().out


def test_fallback_off_removes_only_that_model(monkeypatch, capsys):
    command, scenario = use_fake_cli(monkeypatch, "staging")
    scenario.config["staging"] = {DELIVERY: json.dumps({"fallbackActive": [MODEL], "alertChannel": "msteams"})}
    monkeypatch.setattr(
        "ops.promotion.fallback_switch.current_delivery",
        lambda project, stack: json.loads(scenario.config[stack][DELIVERY]),
    )
    assert main(["fallback", "off", MODEL, "--stack", "staging"]) == ExitCode.OK
    assert json.loads(scenario.config["staging"][DELIVERY]) == {"alertChannel": "msteams"}
    assert _ran(command) == ["up"]
    assert "switched now: none" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["on", MODEL, "--stack", "local"], "this stack has no Gateway"),
        (["on", "fraud-detection", "--stack", "prod"], "model 'fraud-detection' names no fallback"),
        (["on", "no-such-model", "--stack", "prod"], "'no-such-model' is not served by this stack"),
    ],
)
def test_a_switch_up_would_refuse_changes_nothing(monkeypatch, capsys, args, expected):
    command, scenario = use_fake_cli(monkeypatch, args[-1])
    before = dict(scenario.config.get(args[-1], {}))
    assert main(["fallback", *args]) == 2
    err = capsys.readouterr().err
    assert expected in err and f"Pulumi.{args[-1]}.yaml: mlops-platform:delivery.fallbackActive" in err
    assert scenario.config.get(args[-1], {}) == before
    assert not [c for c in command.calls if c[0] in ("config", "preview", "up")]


def test_switching_off_what_is_off_is_refused(monkeypatch, capsys):
    command, _ = use_fake_cli(monkeypatch, "prod")
    assert main(["fallback", "off", MODEL, "--stack", "prod"]) == ExitCode.REFUSED
    assert "already off" in capsys.readouterr().err
    assert _ran(command) == []


def test_the_switched_config_renders_the_route_to_the_warm_fallback(mlflow_server, seeded_demo):
    """The config `fallback on` writes, rendered by the whole program: the switch route and its grant."""
    overrides = {**registry_overrides(mlflow_server.uri), DELIVERY: json.dumps({"fallbackActive": [MODEL]})}
    run = run_program(PROJECT_DIR, load_stack_config(PROJECT_DIR, "staging", overrides=overrides))
    (route,) = [r for r in _objects(run, "HTTPRoute") if r["metadata"]["name"] == f"{MODEL}-fallback"]
    (rule,) = route["spec"]["rules"]
    assert route["spec"]["hostnames"] == [f"{MODEL}.models.staging.ml.example.com"]
    assert rule["backendRefs"] == [{"name": FALLBACK, "namespace": f"ml-{FALLBACK}", "port": 8080}]
    rewrite = rule["filters"][0]["urlRewrite"]["path"]["replacePrefixMatch"]
    assert rewrite == f"/v2/models/{FALLBACK}"
    (grant,) = _objects(run, "ReferenceGrant")
    assert grant["metadata"]["namespace"] == f"ml-{FALLBACK}"
