"""A proxy on 127.0.0.1 in front of the real MLflow test server that breaks at a chosen request.

The fault sits at the transport boundary, where a real outage does: the client, the promotion code and
the server are all real. `break_at(method, endpoint, forward=True)` makes the first matching request
reach the server (its write happens) while its answer is lost, and every request after it fail with
HTTP 503, as a registry that falls over half-way does; `forward=False` breaks before the request
arrives. `heal()` brings the registry back.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class FaultProxy:
    def __init__(self, upstream: str):
        target = urlsplit(upstream)
        self.upstream = (target.hostname or "127.0.0.1", target.port or 80)
        self.rule: tuple[str, str, bool] | None = None
        self.broken = False
        self.seen: list[tuple[str, str, int]] = []  # (method, path, status answered)
        self.uri = ""

    def break_at(self, method: str, endpoint: str, *, forward: bool = True) -> None:
        self.rule, self.broken = (method, endpoint, forward), False

    def heal(self) -> None:
        self.rule, self.broken = None, False

    def _decide(self, method: str, path: str) -> tuple[bool, bool]:
        """(forward to the server, answer 503)."""
        if self.broken:
            return False, True
        if self.rule and method == self.rule[0] and urlsplit(path).path.endswith(self.rule[1]):
            self.broken = True
            return self.rule[2], True
        return True, False


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            with lock:
                forward, fail = proxy._decide(self.command, self.path)
            status, payload, content_type = 503, b'{"error_code": "TEMPORARILY_UNAVAILABLE"}', "application/json"
            if forward:
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization")}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                if not fail:
                    status, payload = answer.status, answer.read()
                    content_type = answer.getheader("Content-Type", "application/json")
                connection.close()
            proxy.seen.append((self.command, self.path, status))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    proxy.uri = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
