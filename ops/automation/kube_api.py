"""A read-only Kubernetes API client from a kubeconfig: just enough to list custom resources, bounded in time.

What a kubeconfig context may say, and what is done with it: `server`; the CA as
`certificate-authority-data` or `certificate-authority`; credentials as `token`, `tokenFile`,
client certificate and key (data or files: kind clusters), or an `exec` plugin (GKE's
gke-gcloud-auth-plugin) run once with a timeout, its ExecCredential's `status.token` used. TLS is
always verified: `insecure-skip-tls-verify` is refused. Every request shares one deadline
(registry/transport.py: connecting, headers and body), so a silent API server cannot hang a drift check.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from registry.transport import BrokenAnswer, DeadlineExceeded, fetch

EXEC_TIMEOUT_SECONDS = 30
CONNECT_TIMEOUT, READ_TIMEOUT, DEADLINE_SECONDS = 5.0, 10.0, 20.0


class KubeError(Exception):
    """The cluster could not be asked or did not answer; the message names the server and the fix."""


@dataclass
class KubeApi:
    server: str
    session: requests.Session
    headers: dict[str, str]
    deadline_seconds: float = DEADLINE_SECONDS

    def get(self, path: str) -> dict[str, Any] | None:
        """The JSON object at `path`; None when the API server answers 404 (no such object or kind)."""
        url = self.server.rstrip("/") + path
        try:
            answer = fetch(
                self.session,
                "GET",
                url,
                params=None,
                json_body=None,
                headers={"Accept": "application/json", **self.headers},
                timeouts=(CONNECT_TIMEOUT, READ_TIMEOUT),
                until=time.monotonic() + self.deadline_seconds,
            )
        except DeadlineExceeded:
            raise KubeError(f"GET {url}: no complete answer within {self.deadline_seconds:.0f}s") from None
        except (requests.RequestException, BrokenAnswer) as exc:
            raise KubeError(f"GET {url}: {type(exc).__name__}: {exc}".split("\n")[0][:300]) from None
        if answer.status == 404:
            return None
        if answer.status in (401, 403):
            raise KubeError(
                f"GET {url}: {answer.status}: the credentials may not read it "
                "(fix: grant them get/list on applications.argoproj.io, e.g. roles/container.viewer on GKE)"
            )
        try:
            body = json.loads(answer.body)
        except ValueError:
            body = None
        if answer.status != 200 or not isinstance(body, dict):
            text = answer.body[:120].decode("utf-8", "replace")
            raise KubeError(f"GET {url}: answered {answer.status} {text!r}, not a Kubernetes object")
        return body


def _context(config: dict, name: str | None, source: str) -> tuple[dict, dict]:
    wanted = name or config.get("current-context")
    contexts = {c.get("name"): c.get("context") or {} for c in config.get("contexts") or []}
    if wanted not in contexts:
        raise KubeError(f"{source}: no context {wanted!r} (it has: {', '.join(map(str, contexts)) or 'none'})")
    context = contexts[wanted]
    clusters = {c.get("name"): c.get("cluster") or {} for c in config.get("clusters") or []}
    users = {u.get("name"): u.get("user") or {} for u in config.get("users") or []}
    if context.get("cluster") not in clusters:
        raise KubeError(f"{source}: context {wanted!r} names cluster {context.get('cluster')!r}, which is not defined")
    return clusters[context["cluster"]], users.get(context.get("user"), {})


def _file_of(data: str | None, path: str | None, scratch: Path, name: str) -> str | None:
    if data:
        target = scratch / name
        target.write_bytes(base64.b64decode(data))
        return str(target)
    return path


def _exec_token(spec: dict, source: str) -> str:
    command = [spec.get("command", ""), *(spec.get("args") or [])]
    env = {**os.environ, **{e["name"]: e["value"] for e in spec.get("env") or []}}
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=EXEC_TIMEOUT_SECONDS, env=env)
    except FileNotFoundError:
        raise KubeError(
            f"{source}: the credential plugin {command[0]!r} is not installed (fix: {spec.get('installHint') or 'install it'})"
        ) from None
    except subprocess.TimeoutExpired:
        raise KubeError(
            f"{source}: the credential plugin {command[0]!r} gave no token in {EXEC_TIMEOUT_SECONDS}s"
        ) from None
    try:
        token = json.loads(result.stdout)["status"]["token"]
    except (ValueError, KeyError, TypeError):
        last = (result.stderr.strip().splitlines() or ["no ExecCredential on stdout"])[-1]
        raise KubeError(f"{source}: the credential plugin {command[0]!r} failed: {last}") from None
    return str(token)


def from_kubeconfig(path: Path, context: str | None = None) -> KubeApi:
    source = str(path)
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise KubeError(f"{source}: cannot read the kubeconfig ({type(exc).__name__})") from None
    cluster, user = _context(config, context, source)
    if cluster.get("insecure-skip-tls-verify"):
        raise KubeError(f"{source}: insecure-skip-tls-verify is refused (fix: give the cluster's CA)")
    scratch = Path(tempfile.mkdtemp(prefix="mlops-kube-"))  # the CA and client key, for requests' paths
    atexit.register(shutil.rmtree, scratch, True)
    session = requests.Session()
    ca = _file_of(cluster.get("certificate-authority-data"), cluster.get("certificate-authority"), scratch, "ca.crt")
    session.verify = ca or True
    cert = _file_of(user.get("client-certificate-data"), user.get("client-certificate"), scratch, "client.crt")
    key = _file_of(user.get("client-key-data"), user.get("client-key"), scratch, "client.key")
    if cert and key:
        session.cert = (cert, key)
    headers = {}
    token = user.get("token")
    if not token and user.get("tokenFile"):
        token = Path(user["tokenFile"]).read_text(encoding="utf-8").strip()
    if not token and user.get("exec"):
        token = _exec_token(user["exec"], source)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    server = cluster.get("server") or ""
    if not server:
        raise KubeError(f"{source}: the cluster has no server address")
    return KubeApi(server, session, headers)
