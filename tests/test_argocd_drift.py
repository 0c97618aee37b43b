"""Drift of what only Argo CD can see: `ops refresh` reads the sync and health status of the stack's
Applications through the Kubernetes API. The API server is a fake on 127.0.0.1 that answers the real
paths and shapes (argoproj.io/v1alpha1 Application lists); the kubeconfig is a real file whose exec
credential plugin is a real process; the Pulumi CLI is tests/fake_pulumi.py."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

import ops.cli.ci as ci
from ops.__main__ import main
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.kube_api import KubeError, client_from_kubeconfig
from ops.resource_types import APPLICATION_TYPE
from plan.gitops import ModelApp
from tests.fake_pulumi import FakePulumiCommand, Scenario

MODELS = ("churn-prediction", "fraud-detection", "image-classifier", "support-assistant")
TOKEN = "exec-token-5d1f"


def state(models=MODELS) -> dict:
    """Applications as Pulumi applied them (the real builder's objects), in the exported state's shape."""
    from manifests.gitops.applications import model_application

    resources = []
    for model in models:
        app = ModelApp(model, "team", f"ml-{model}", f"deploy/manifests/prod/{model}", model)
        inputs = model_application(app, "https://github.com/acme/mlops-platform.git", "deploy/prod", "argocd")
        urn = f"urn:pulumi:prod::mlops-platform::{APPLICATION_TYPE}::prod-gitops-app-{model}"
        resources.append({"urn": urn, "type": APPLICATION_TYPE, "custom": True, "inputs": inputs})
    return {"resources": resources}


def application(name: str, sync: str, health: str, message: str = "") -> dict:
    status = {"sync": {"status": sync, "revision": "0123456789abcdef"}, "health": {"status": health}}
    if message:
        status["health"]["message"] = message
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": name}, "status": status}


class FakeKubeApi:
    """GET /apis/argoproj.io/v1alpha1/namespaces/<ns>/applications, with a bearer token required."""

    def __init__(self, items: list[dict], status: int = 200, silent: bool = False):
        self.items, self.status, self.silent, self.requests = items, status, silent, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("Authorization")))
                if outer.silent:
                    time.sleep(5)
                    return
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, {"kind": "Status", "code": 401})
                if self.path != "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications":
                    return self._send(404, {"kind": "Status", "code": 404})
                body = {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationList", "items": outer.items}
                self._send(outer.status, body if outer.status == 200 else {"kind": "Status", "code": outer.status})

            def _send(self, code: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def kube(request):
    servers = []

    def start(items, **kwargs) -> FakeKubeApi:
        servers.append(FakeKubeApi(items, **kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def kubeconfig(tmp_path: Path, server: str) -> Path:
    """A kubeconfig whose user gets its token from an exec plugin, as GKE's gke-gcloud-auth-plugin does."""
    plugin = tmp_path / "plugin.py"
    credential = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": TOKEN}}
    plugin.write_text(f"import json\nprint(json.dumps({credential!r}))\n")
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "prod",
        "clusters": [{"name": "gke", "cluster": {"server": server}}],
        "users": [
            {
                "name": "ci",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": sys.executable,
                        "args": [str(plugin)],
                    }
                },
            }
        ],
        "contexts": [{"name": "prod", "context": {"cluster": "gke", "user": "ci"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


def refresh(monkeypatch, capsys, deployment: dict, *extra: str) -> tuple[int, str]:
    command = FakePulumiCommand(Scenario(deployment=deployment))
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, write=lambda _: None))
    code = main(["refresh", "--stack", "prod", "--expect-no-changes", *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_out_of_sync_degraded_and_missing_applications_are_drift(kube, tmp_path, monkeypatch, capsys):
    server = kube(
        [
            application("churn-prediction", "Synced", "Healthy"),
            application("fraud-detection", "OutOfSync", "Healthy"),
            application(
                "image-classifier", "Synced", "Degraded", "Deployment image-classifier exceeded its progress deadline"
            ),
        ]
    )
    path = kubeconfig(tmp_path, server.url)

    code, out = refresh(monkeypatch, capsys, state(), "--kubeconfig", str(path))

    assert code == ExitCode.CHANGES, out
    assert "Argo CD Application argocd/fraud-detection: OutOfSync, health Healthy at 0123456789ab" in out
    assert (
        "argocd/image-classifier: Synced, health Degraded at 0123456789ab: Deployment image-classifier exceeded" in out
    )
    assert "argocd/support-assistant: missing from the cluster" in out
    assert "churn-prediction" not in out.replace("prod-gitops-app-churn-prediction", "")
    assert "Argo CD: 3 of 4 Application(s) drifted" in out
    assert server.requests == [("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications", f"Bearer {TOKEN}")]


def test_a_synced_healthy_stack_is_no_drift_and_a_rollout_under_way_is_only_reported(
    kube, tmp_path, monkeypatch, capsys
):
    items = [application(m, "Synced", "Healthy") for m in MODELS[:3]]
    items.append(application(MODELS[3], "Synced", "Progressing"))
    path = kubeconfig(tmp_path, kube(items).url)

    code, out = refresh(monkeypatch, capsys, state(), "--kubeconfig", str(path))

    assert code == ExitCode.OK, out
    assert "Argo CD: 0 of 4 Application(s) drifted" in out
    assert "argocd/support-assistant: Synced, health Progressing" in out


def test_without_cluster_access_the_refresh_says_what_it_cannot_judge_and_how_to_fix_it(monkeypatch, capsys):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    code, out = refresh(monkeypatch, capsys, state())
    assert code == ExitCode.BAD_INPUT
    assert "4 Argo CD Application(s)" in out and "--kubeconfig FILE or KUBECONFIG" in out

    code, out = refresh(monkeypatch, capsys, state(), "--skip-argocd")
    assert code == ExitCode.OK and "was not read (--skip-argocd)" in out


def test_an_unreachable_or_refusing_api_server_is_one_clear_error(kube, tmp_path, monkeypatch, capsys):
    closed = FakeKubeApi([])
    closed.close()  # nothing listens there any more
    code, out = refresh(monkeypatch, capsys, state(), "--kubeconfig", str(kubeconfig(tmp_path, closed.url)))
    assert code == ExitCode.FAILED
    assert f"reading Argo CD's sync status: GET {closed.url}/apis/argoproj.io" in out and "Traceback" not in out

    forbidden = kube([], status=403)
    code, out = refresh(monkeypatch, capsys, state(), "--kubeconfig", str(kubeconfig(tmp_path, forbidden.url)))
    assert code == ExitCode.FAILED and "roles/container.viewer" in out


def test_a_silent_api_server_is_given_up_on_at_the_deadline(kube, tmp_path):
    api = client_from_kubeconfig(kubeconfig(tmp_path, kube([], silent=True).url))
    api.deadline_seconds = 1.0
    started = time.monotonic()
    with pytest.raises(KubeError, match="no complete answer within 1s"):
        api.get("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications")
    assert time.monotonic() - started < 3


def test_a_kubeconfig_that_skips_tls_verification_is_refused(tmp_path):
    path = kubeconfig(tmp_path, "https://127.0.0.1:1")
    config = yaml.safe_load(path.read_text())
    config["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(KubeError, match="insecure-skip-tls-verify is refused"):
        client_from_kubeconfig(path)
