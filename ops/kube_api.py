"""The one Kubernetes API client of the operator commands: promote's canary check, approve, refresh's
Argo CD drift. Small, bounded in time, and every failure is one KubeError whose message says what to fix
(no traceback for a missing file, an unreachable API server or a 403).

It reads a kubeconfig as kubectl does (the given path, else the first file of $KUBECONFIG, else
~/.kube/config; the given context, else current-context): `server`; the CA as
`certificate-authority-data` or `certificate-authority`; credentials as `token`, `tokenFile`, a client
certificate and key (data or files: kind clusters), or an `exec` plugin such as gke-gcloud-auth-plugin (run
once with a deadline, its ExecCredential's `status.token` used). TLS is always verified:
`insecure-skip-tls-verify` is refused. Every request shares one deadline (registry/transport.py:
connecting, headers and body), so a silent API server cannot hang a drift check or an approval.

The load tester is reached through the API server's Service proxy
(`/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/<path>`), so no port-forward and no in-cluster
shell are needed; the caller needs RBAC `create` on `services/proxy` in the load tester's namespace.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from registry.answers import RawAnswer
from registry.transport import BrokenAnswer, DeadlineExceeded, fetch

CONNECT_TIMEOUT, READ_TIMEOUT, DEADLINE_SECONDS = 5.0, 10.0, 20.0
EXEC_PLUGIN_TIMEOUT = 30.0


class KubeError(Exception):
    """The cluster could not be asked, refused or did not answer; the message names the cause and the fix."""


@dataclass
class KubeClient:
    server: str
    context: str = ""
    session: requests.Session = field(default_factory=requests.Session)
    headers: dict[str, str] = field(default_factory=dict)
    deadline_seconds: float = DEADLINE_SECONDS
    scratch: Path | None = None  # the CA and client key written out for requests; removed by close()

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> RawAnswer:
        """The complete answer, whatever its status; KubeError when none came within the deadline."""
        url = self.server.rstrip("/") + path
        try:
            return fetch(
                self.session,
                method,
                url,
                params=None,
                json_body=body,
                headers={"Accept": "application/json", **self.headers},
                timeouts=(CONNECT_TIMEOUT, READ_TIMEOUT),
                until=time.monotonic() + self.deadline_seconds,
            )
        except DeadlineExceeded:
            raise KubeError(f"{method} {url}: no complete answer within {self.deadline_seconds:.0f}s") from None
        except (requests.RequestException, BrokenAnswer) as exc:
            raise KubeError(
                f"{method} {url}: the API server of context {self.context!r} did not answer: {type(exc).__name__} "
                "(fix: check the cluster's authorized networks and that the kubeconfig points at the right cluster)"
            ) from None

    def get(self, path: str) -> dict[str, Any] | None:
        """The JSON object at `path`; None when the API server answers 404 (no such object or kind)."""
        answer = self.request("GET", path)
        if answer.status == 404:
            return None
        if answer.status in (401, 403):
            raise KubeError(
                f"GET {path}: the API server refused the credentials of context {self.context!r} "
                f"(HTTP {answer.status}) (fix: refresh them, e.g. gcloud container clusters get-credentials, and "
                "grant the role the command needs, e.g. roles/container.viewer on GKE to read)"
            )
        try:
            body = json.loads(answer.body)
        except ValueError:
            body = None
        if answer.status != 200 or not isinstance(body, dict):
            text = answer.body[:200].decode("utf-8", "replace").strip()
            raise KubeError(f"GET {path}: answered HTTP {answer.status} {text!r}, not a Kubernetes object")
        return body

    def get_json(self, path: str) -> dict[str, Any]:
        """The JSON object at `path`, which must exist."""
        found = self.get(path)
        if found is None:
            raise KubeError(f"{path}: not found in context {self.context!r}")
        return found

    def service_proxy(self, namespace: str, service: str, port: str, path: str, body: dict[str, Any]) -> RawAnswer:
        """POST `body` to `path` of a Service, through the API server's proxy."""
        return self.request("POST", f"/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy{path}", body)

    def close(self) -> None:
        self.session.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


def _kubeconfig_path(explicit: str | Path | None, environ: dict[str, str]) -> Path:
    if explicit:
        return Path(explicit)
    listed = [p for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return Path(listed[0]) if listed else Path(environ.get("HOME", "~")).expanduser() / ".kube" / "config"


def _named(entries: Any, name: str, kind: str, path: Path) -> dict[str, Any]:
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return dict(entry.get(kind) or {})
    raise KubeError(f"{path}: no {kind} named {name!r} (fix: kubectl config get-contexts lists the valid ones)")


def _file_of(data: str | None, path: str | None, client: KubeClient, name: str) -> str | None:
    if not data:
        return path
    if client.scratch is None:
        client.scratch = Path(tempfile.mkdtemp(prefix="mlops-kube-"))  # 0700: a key never lands readable
        atexit.register(shutil.rmtree, client.scratch, True)  # also when the caller never closes
    target = client.scratch / name
    target.write_bytes(base64.b64decode(data))
    return str(target)


def _exec_token(spec: dict[str, Any], environ: dict[str, str]) -> str:
    command = [str(spec.get("command", "")), *[str(a) for a in spec.get("args") or []]]
    env = {**environ, **{str(e["name"]): str(e["value"]) for e in spec.get("env") or [] if "name" in e}}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=EXEC_PLUGIN_TIMEOUT)
    except FileNotFoundError:
        raise KubeError(
            f"the kubeconfig's credential plugin {command[0]!r} is not installed (fix: "
            f"{spec.get('installHint') or 'install it, e.g. gke-gcloud-auth-plugin, or use a kubeconfig with a token'})"
        ) from None
    except subprocess.TimeoutExpired:
        raise KubeError(f"the credential plugin {command[0]!r} did not answer in {EXEC_PLUGIN_TIMEOUT:.0f}s") from None
    try:
        return str(json.loads(done.stdout)["status"]["token"])
    except (ValueError, KeyError, TypeError):
        last = (done.stderr.strip().splitlines() or ["no ExecCredential with a token on stdout"])[-1]
        raise KubeError(f"the credential plugin {command[0]!r} failed: {last[:300]}") from None


def _read_kubeconfig(path: Path) -> dict[str, Any]:
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
    return config


def client_from_kubeconfig(
    kubeconfig: str | Path | None = None, context: str | None = None, environ: dict[str, str] | None = None
) -> KubeClient:
    environ = dict(os.environ if environ is None else environ)
    path = _kubeconfig_path(kubeconfig, environ)
    config = _read_kubeconfig(path)
    name = context or str(config.get("current-context") or "")
    if not name:
        raise KubeError(f"{path} has no current-context (fix: pass --kube-context)")
    ctx = _named(config.get("contexts"), name, "context", path)
    cluster = _named(config.get("clusters"), str(ctx.get("cluster", "")), "cluster", path)
    user = _named(config.get("users"), str(ctx.get("user", "")), "user", path) if ctx.get("user") else {}
    if not str(cluster.get("server", "")).startswith(("https://", "http://")):
        raise KubeError(f"{path}: cluster of context {name!r} has no server URL")
    if cluster.get("insecure-skip-tls-verify"):
        raise KubeError(f"{path}: insecure-skip-tls-verify is refused (fix: give the cluster's CA)")
    if user.get("auth-provider"):
        raise KubeError(
            f"{path}: context {name!r} uses a legacy auth-provider (fix: use gke-gcloud-auth-plugin, "
            "the exec plugin GKE documents)"
        )
    client = KubeClient(server=str(cluster["server"]), context=name)
    ca = _file_of(cluster.get("certificate-authority-data"), cluster.get("certificate-authority"), client, "ca.crt")
    client.session.verify = ca or True
    cert = _file_of(user.get("client-certificate-data"), user.get("client-certificate"), client, "client.crt")
    key = _file_of(user.get("client-key-data"), user.get("client-key"), client, "client.key")
    token = user.get("token")
    if not token and user.get("tokenFile"):
        try:
            token = Path(str(user["tokenFile"])).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise KubeError(
                f"{path}: context {name!r} reads its token from {user['tokenFile']}: {exc.strerror}"
            ) from None
    if not token and user.get("exec"):
        token = _exec_token(dict(user["exec"]), environ)
    if token:
        client.headers["Authorization"] = f"Bearer {token}"
    if cert and key:
        client.session.cert = (cert, key)
    return client
