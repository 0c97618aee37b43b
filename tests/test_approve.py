"""`python -m ops approve MODEL --stack S`: opens the canary's approval gate, waits, closes it again.

The Canary served by the fake API server (127.0.0.1) is the one prod really renders (its
confirm-promotion webhook included), and the model's Canary reference is the prod stack's real
`models` output. The fake plays Flagger's load tester behind the API server's Service proxy: opening
the gate moves the canary to Promoting, as Flagger does on its next tick.
"""

from __future__ import annotations

import copy

import pytest

import ops.cli.ci as ci
from ops.__main__ import main
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.kube_api import client_from_kubeconfig
from ops.offline.wire_values import unwrap
from ops.promotion.approval import approve
from ops.promotion.context import PromotionRefused
from tests.fake_kube_api import FakeKubeApi
from tests.fake_pulumi import FakePulumiCommand, Scenario

MODEL = "churn-prediction"
PROXY = "/api/v1/namespaces/gateway/services/flagger-loadtester:80/proxy"


def _rendered_canary(run, model: str) -> dict:
    (canary,) = [
        unwrap(r.inputs)
        for r in run.kubernetes_objects()
        if r.inputs.get("kind") == "Canary" and r.inputs["metadata"]["name"] == model
    ]
    return canary


def _canary_path(ref: dict) -> str:
    return f"/apis/{ref['apiVersion']}/namespaces/{ref['namespace']}/canaries/{ref['name']}"


def _flagger(run, stack: str, phase: str, promotes: str | None = "Promoting") -> tuple[FakeKubeApi, dict]:
    ref = run.outputs["models"][MODEL]["canary"]
    canary = copy.deepcopy(_rendered_canary(run, MODEL))
    canary["status"] = {"phase": phase}
    api = FakeKubeApi(objects={_canary_path(ref): canary})

    def on_post(path: str, body: dict) -> int:
        if path == f"{PROXY}/gate/open" and promotes:
            canary["status"]["phase"] = promotes
        return 202

    api.on_post = on_post
    return api, ref


def test_approve_opens_the_gate_waits_for_promotion_and_closes_it(stack_runs, tmp_path, monkeypatch, capsys):
    run = stack_runs["prod"]
    command = FakePulumiCommand(Scenario(stack_outputs={"prod": run.outputs}))
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, sleep=lambda _: None))
    api, ref = _flagger(run, "prod", "WaitingPromotion")
    with api:
        code = main(["approve", MODEL, "--stack", "prod", "--kubeconfig", str(api.kubeconfig(tmp_path)), "--poll", "0"])
    assert code == ExitCode.OK, capsys.readouterr().err
    body = {"name": MODEL, "namespace": f"ml-{MODEL}"}
    assert api.posts() == [(f"{PROXY}/gate/open", body), (f"{PROXY}/gate/close", body)]
    out = capsys.readouterr().out
    assert "approved: Promoting" in out and "gate closed again" in out


def test_nothing_waiting_is_refused_without_touching_the_gate(stack_runs, tmp_path):
    api, ref = _flagger(stack_runs["prod"], "prod", "Succeeded")
    with api, pytest.raises(PromotionRefused, match="no rollout waits for approval"):
        approve(client_from_kubeconfig(str(api.kubeconfig(tmp_path))), ref, wait_seconds=5, poll_seconds=0)
    assert api.posts() == []


def test_a_stack_without_approval_has_no_gate_to_open(stack_runs, tmp_path):
    """staging and prod render the confirm-promotion gate; dev promotes without approval."""
    run = stack_runs["dev"]
    ref = run.outputs["models"][MODEL]["canary"]
    canary = {**_rendered_canary(run, MODEL), "status": {"phase": "Progressing"}}
    with (
        FakeKubeApi(objects={_canary_path(ref): canary}) as api,
        pytest.raises(PromotionRefused, match="no approval gate"),
    ):
        approve(client_from_kubeconfig(str(api.kubeconfig(tmp_path))), ref, wait_seconds=5, poll_seconds=0)
    assert api.posts() == []


def test_no_promotion_in_time_still_closes_the_gate(stack_runs, tmp_path):
    api, ref = _flagger(stack_runs["staging"], "staging", "WaitingPromotion", promotes=None)
    ticks = iter(range(100))
    with api:
        result = approve(
            client_from_kubeconfig(str(api.kubeconfig(tmp_path))),
            ref,
            wait_seconds=3,
            poll_seconds=1,
            clock=lambda: float(next(ticks)),
            sleep=lambda _: None,
        )
    assert result.code == ExitCode.FAILED
    assert "was not promoted within 3s (still WaitingPromotion)" in " ".join(result.messages)
    assert [path for path, _ in api.posts()] == [f"{PROXY}/gate/open", f"{PROXY}/gate/close"]


def test_a_failed_analysis_is_reported_and_the_gate_closed(stack_runs, tmp_path):
    api, ref = _flagger(stack_runs["prod"], "prod", "Progressing", promotes="Failed")
    with api:
        result = approve(client_from_kubeconfig(str(api.kubeconfig(tmp_path))), ref, wait_seconds=5, poll_seconds=0)
    assert result.code == ExitCode.FAILED and "rolled back" in " ".join(result.messages)
    assert api.posts()[-1][0] == f"{PROXY}/gate/close"


def test_refused_credentials_are_one_clear_error(stack_runs, tmp_path, capsys, monkeypatch):
    run = stack_runs["prod"]
    command = FakePulumiCommand(Scenario(stack_outputs={"prod": run.outputs}))
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, sleep=lambda _: None))
    api, _ = _flagger(run, "prod", "WaitingPromotion")
    with api:
        kubeconfig = api.kubeconfig(tmp_path)
        kubeconfig.write_text(kubeconfig.read_text().replace("test-token", "stale-token"))
        code = main(["approve", MODEL, "--stack", "prod", "--kubeconfig", str(kubeconfig)])
    assert code == ExitCode.FAILED
    err = capsys.readouterr().err
    assert "refused the credentials" in err and "Traceback" not in err
    assert api.posts() == []
