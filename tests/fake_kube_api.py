"""A fake Kubernetes API server on 127.0.0.1 for the operator commands' client (ops/kube_api.py).

It answers GETs from a dict of path -> JSON object, and POSTs to Service-proxy paths with a handler
(the load tester's gate API: /gate/open, /gate/close, /gate/check). Every request is recorded with
its Authorization header. Used as a context manager, it always stops its server thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

TOKEN = "test-token"


@dataclass
class FakeKubeApi:
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    on_post: Callable[[str, dict[str, Any]], int] = lambda path, body: 202
    requests: list[tuple[str, str, Any, str]] = field(default_factory=list)  # method, path, body, auth
    url: str = ""

    def __enter__(self) -> FakeKubeApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _auth_ok(self) -> bool:
                auth = self.headers.get("Authorization", "")
                if auth != f"Bearer {TOKEN}":
                    self.send_response(401)
                    self.end_headers()
                    return False
                return True

            def do_GET(self):
                api.requests.append(("GET", self.path, None, self.headers.get("Authorization", "")))
                if not self._auth_ok():
                    return
                found = api.objects.get(self.path)
                self.send_response(200 if found is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(found or {"kind": "Status", "code": 404}).encode())

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                api.requests.append(("POST", self.path, body, self.headers.get("Authorization", "")))
                if not self._auth_ok():
                    return
                self.send_response(api.on_post(self.path, body))
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def kubeconfig(self, directory: Path, context: str = "gke_acme-ml-staging") -> Path:
        path = directory / "kubeconfig"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": context,
            "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
            "clusters": [{"name": "c", "cluster": {"server": self.url}}],
            "users": [{"name": "u", "user": {"token": TOKEN}}],
        }
        path.write_text(yaml.safe_dump(config))
        return path

    def posts(self) -> list[tuple[str, Any]]:
        return [(path, body) for method, path, body, _ in self.requests if method == "POST"]


def canary_object(phase: str) -> dict[str, Any]:
    return {"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "status": {"phase": phase}}


def deployment_object(version: str) -> dict[str, Any]:
    labels = {"mlops.platform/model-version": version}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"metadata": {"labels": labels}}}}
