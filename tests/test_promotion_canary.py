"""Promote's canary check runs on what a real program run exports.

The `models` output of the staging stack comes from running the whole program under the offline
engine (the session's `stack_runs`), not from a hand-written dict. Before, that output carried no
canary key, so promote's check skipped itself and any version was promoted. The Canary's live status
is read by the real client (ops/kube_api.py) from a fake Kubernetes API server on 127.0.0.1.
"""

from __future__ import annotations

import pytest

import ops.cli.ci as ci
from ops.__main__ import main
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.kube_api import client_from_kubeconfig
from ops.promotion.canary_health import check_canary, read_canary
from ops.promotion.context import PromotionRefused
from tests.fake_kube_api import FakeKubeApi, canary_object, deployment_object
from tests.fake_pulumi import FakePulumiCommand, Scenario

MODEL = "churn-prediction"


@pytest.fixture
def staging_models(stack_runs) -> dict:
    return stack_runs["staging"].outputs["models"]


def _api(entry: dict, phase: str, primary_version: str) -> FakeKubeApi:
    ref = entry["canary"]
    return FakeKubeApi(
        objects={
            f"/apis/flagger.app/v1beta1/namespaces/{ref['namespace']}/canaries/{ref['name']}": canary_object(phase),
            f"/apis/apps/v1/namespaces/{ref['namespace']}/deployments/{ref['primaryDeployment']}": deployment_object(
                primary_version
            ),
        }
    )


def _reader(api: FakeKubeApi, tmp_path):
    def read(ref):
        client = client_from_kubeconfig(str(api.kubeconfig(tmp_path)))
        try:
            return read_canary(client, ref)
        finally:
            client.close()

    return read


def test_every_model_in_the_output_names_its_canary(stack_runs):
    for stack, run in stack_runs.items():
        for model, entry in run.outputs["models"].items():
            assert entry["canary"] == {
                "apiVersion": "flagger.app/v1beta1",
                "kind": "Canary",
                "namespace": entry["namespace"],
                "name": model,
                "primaryDeployment": f"{model}-primary",
            }, (stack, model)


def test_a_succeeded_canary_serving_the_version_passes(staging_models, tmp_path):
    entry = staging_models[MODEL]
    with _api(entry, "Succeeded", str(entry["version"])) as api:
        checked = check_canary(entry, MODEL, "staging", _reader(api, tmp_path))
    assert checked == f"Canary ml-{MODEL}/{MODEL} in 'staging': Succeeded, primary serves v{entry['version']}"
    assert all(auth == "Bearer test-token" for *_, auth in api.requests)


@pytest.mark.parametrize(
    ("phase", "primary", "refusal"),
    [
        ("Failed", None, "is 'Failed'; promote only a version whose canary succeeded"),
        ("WaitingPromotion", None, "is 'WaitingPromotion'"),
        ("Succeeded", "0", "its primary serves v0, not v"),
    ],
)
def test_an_unfinished_or_failed_rollout_is_refused(staging_models, tmp_path, phase, primary, refusal):
    entry = staging_models[MODEL]
    with _api(entry, phase, primary or str(entry["version"])) as api, pytest.raises(PromotionRefused, match=refusal):
        check_canary(entry, MODEL, "staging", _reader(api, tmp_path))


def test_an_output_without_a_canary_is_refused_not_skipped(staging_models):
    entry = {k: v for k, v in staging_models[MODEL].items() if k != "canary"}
    with pytest.raises(PromotionRefused, match="names no canary"):
        check_canary(entry, MODEL, "staging", lambda ref: pytest.fail("read without a canary"))


def test_the_cli_refuses_a_failed_canary_before_changing_anything(staging_models, tmp_path, monkeypatch, capsys):
    """`python -m ops promote` with the real stack output and the fake cluster: exit 4, no up on prod."""
    command = FakePulumiCommand(Scenario(stack_outputs={"staging": {"models": staging_models}}))
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, sleep=lambda _: None))
    entry = staging_models[MODEL]
    with _api(entry, "Failed", str(entry["version"])) as api:
        code = main(
            [
                "promote",
                "--model",
                MODEL,
                "--from",
                "staging",
                "--to",
                "prod",
                "--kubeconfig",
                str(api.kubeconfig(tmp_path)),
            ]
        )
    assert code == ExitCode.REFUSED
    assert "is 'Failed'; promote only a version whose canary succeeded" in capsys.readouterr().err
    assert not [c for c in command.calls if c[0] in ("preview", "up")]


def test_an_unreachable_cluster_is_a_refusal_with_the_fix(staging_models, tmp_path):
    entry = staging_models[MODEL]
    with FakeKubeApi() as api:
        kubeconfig = api.kubeconfig(tmp_path)
    # the server is stopped: nothing listens on its port any more
    with pytest.raises(PromotionRefused, match="did not answer.*authorized networks"):
        check_canary(entry, MODEL, "staging", _reader_for(kubeconfig))


def _reader_for(kubeconfig):
    def read(ref):
        return read_canary(client_from_kubeconfig(str(kubeconfig)), ref)

    return read
