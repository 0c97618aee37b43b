"""A small, bounded Kubernetes API client for the operator commands (promote's canary check, approve).

It reads a kubeconfig as kubectl does (`--kubeconfig`, else the first file of $KUBECONFIG, else
~/.kube/config; `--context`, else current-context) and authenticates with what the user entry holds:
a bearer token (`token`, `tokenFile`), a client certificate, or an exec credential plugin such as
`gke-gcloud-auth-plugin` (run with a deadline, its ExecCredential's `status.token` used). Every request
has a connect and a read timeout, and every failure is one KubeError whose message says what to fix:
no traceback for a missing file, an unreachable API server or a 403.

The load tester is reached through the API server's Service proxy
(`/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/<path>`), so no port-forward and no in-cluster
shell are needed; the caller needs RBAC `create` on `services/proxy` in the load tester's namespace.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
EXEC_PLUGIN_TIMEOUT = 30.0


class KubeError(Exception):
    """The cluster could not be asked or refused; the message names the cause and the fix."""


@dataclass
class KubeClient:
    server: str
    headers: dict[str, str] = field(default_factory=dict)
    verify: bool | str = True
    cert: tuple[str, str] | None = None
    context: str = ""
    _files: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, body: Any = None) -> requests.Response:
        url = self.server.rstrip("/") + path
        try:
            return requests.request(
                method,
                url,
                json=body,
                headers=self.headers,
                verify=self.verify,
                cert=self.cert,
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise KubeError(
                f"the API server of context {self.context!r} ({self.server}) did not answer: {type(exc).__name__} "
                "(fix: check the cluster's authorized networks and that the kubeconfig points at the right cluster)"
            ) from None

    def get_json(self, path: str) -> dict[str, Any]:
        response = self.request("GET", path)
        if response.status_code == 404:
            raise KubeError(f"{path}: not found in context {self.context!r}")
        _raise_for(response, path, self.context)
        try:
            return dict(response.json())
        except (ValueError, TypeError):
            raise KubeError(f"{path}: the API server answered with something that is not a JSON object") from None

    def service_proxy(self, namespace: str, service: str, port: str, path: str, body: Any) -> requests.Response:
        """POST `body` to `path` of a Service, through the API server's proxy."""
        return self.request("POST", f"/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy{path}", body)

    def close(self) -> None:
        for name in self._files:
            Path(name).unlink(missing_ok=True)
        self._files.clear()


def _raise_for(response: requests.Response, what: str, context: str) -> None:
    if response.status_code in (401, 403):
        raise KubeError(
            f"{what}: the API server refused the credentials of context {context!r} (HTTP {response.status_code}) "
            "(fix: refresh them, e.g. gcloud container clusters get-credentials, and check the RBAC role)"
        )
    if response.status_code >= 400:
        raise KubeError(f"{what}: HTTP {response.status_code} from the API server: {response.text[:200].strip()}")


def _kubeconfig_path(explicit: str | None, environ: dict[str, str]) -> Path:
    if explicit:
        return Path(explicit)
    listed = [p for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return Path(listed[0]) if listed else Path(environ.get("HOME", "~")).expanduser() / ".kube" / "config"


def _named(entries: Any, name: str, kind: str, path: Path) -> dict[str, Any]:
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return dict(entry.get(kind) or {})
    raise KubeError(f"{path}: no {kind} named {name!r} (fix: kubectl config get-contexts lists the valid ones)")


def _written(client: KubeClient, data: str, suffix: str) -> str:
    handle, name = tempfile.mkstemp(suffix=suffix)  # 0600: a key or CA never lands in a readable file
    with os.fdopen(handle, "wb") as out:
        out.write(base64.b64decode(data))
    client._files.append(name)
    return name


def _exec_token(spec: dict[str, Any], environ: dict[str, str]) -> str:
    command = [str(spec.get("command", "")), *[str(a) for a in spec.get("args") or []]]
    env = {**environ, **{str(e["name"]): str(e["value"]) for e in spec.get("env") or [] if "name" in e}}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=EXEC_PLUGIN_TIMEOUT)
    except FileNotFoundError:
        raise KubeError(
            f"the kubeconfig's credential plugin {command[0]!r} is not installed (fix: install it, e.g. "
            "gke-gcloud-auth-plugin, or use a kubeconfig with a token)"
        ) from None
    except subprocess.TimeoutExpired:
        raise KubeError(f"the credential plugin {command[0]!r} did not answer in {EXEC_PLUGIN_TIMEOUT:.0f}s") from None
    if done.returncode != 0:
        raise KubeError(f"the credential plugin {command[0]!r} failed: {done.stderr.strip()[:300]}")
    try:
        return str(json.loads(done.stdout)["status"]["token"])
    except (ValueError, KeyError, TypeError):
        raise KubeError(f"the credential plugin {command[0]!r} printed no ExecCredential with a token") from None


def client_from_kubeconfig(
    kubeconfig: str | None = None, context: str | None = None, environ: dict[str, str] | None = None
) -> KubeClient:
    environ = dict(os.environ if environ is None else environ)
    path = _kubeconfig_path(kubeconfig, environ)
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError:
        raise KubeError(
            f"no kubeconfig at {path} (fix: gcloud container clusters get-credentials <cluster>, or pass --kubeconfig)"
        ) from None
    except yaml.YAMLError:
        raise KubeError(f"{path} is not YAML") from None
    if not isinstance(config, dict):
        raise KubeError(f"{path} is not a kubeconfig")
    name = context or str(config.get("current-context") or "")
    if not name:
        raise KubeError(f"{path} has no current-context (fix: pass --kube-context)")
    ctx = _named(config.get("contexts"), name, "context", path)
    cluster = _named(config.get("clusters"), str(ctx.get("cluster", "")), "cluster", path)
    user = _named(config.get("users"), str(ctx.get("user", "")), "user", path) if ctx.get("user") else {}
    if not str(cluster.get("server", "")).startswith(("https://", "http://")):
        raise KubeError(f"{path}: cluster of context {name!r} has no server URL")
    client = KubeClient(server=str(cluster["server"]), context=name)
    if cluster.get("insecure-skip-tls-verify"):
        client.verify = False
    elif cluster.get("certificate-authority-data"):
        client.verify = _written(client, str(cluster["certificate-authority-data"]), ".crt")
    elif cluster.get("certificate-authority"):
        client.verify = str(cluster["certificate-authority"])
    token = user.get("token")
    if not token and user.get("tokenFile"):
        token = Path(str(user["tokenFile"])).read_text(encoding="utf-8").strip()
    if not token and user.get("exec"):
        token = _exec_token(dict(user["exec"]), environ)
    if token:
        client.headers["Authorization"] = f"Bearer {token}"
    elif user.get("client-certificate-data") and user.get("client-key-data"):
        client.cert = (
            _written(client, str(user["client-certificate-data"]), ".crt"),
            _written(client, str(user["client-key-data"]), ".key"),
        )
    elif user.get("auth-provider"):
        raise KubeError(
            f"{path}: context {name!r} uses a legacy auth-provider (fix: use gke-gcloud-auth-plugin, "
            "the exec plugin GKE documents)"
        )
    return client
