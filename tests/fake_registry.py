"""A registry that misbehaves on purpose: a stdlib HTTP server on 127.0.0.1 whose every answer is what
the test scripts (a login page, truncated JSON, a redirect loop, a trickle). Stopped by the test."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Behaviour = Callable[[http.server.BaseHTTPRequestHandler, threading.Event], None]


def answer(status: int, body: bytes, content_type: str = "application/json", length: int | None = None) -> Behaviour:
    def behave(handler: http.server.BaseHTTPRequestHandler, _stop: threading.Event) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body) if length is None else length))
        handler.end_headers()
        handler.wfile.write(body)
        if length is not None and length > len(body):
            handler.close_connection = True  # the answer breaks off: fewer bytes than announced, then EOF

    return behave


def redirect_to_itself(handler: http.server.BaseHTTPRequestHandler, _stop: threading.Event) -> None:
    handler.send_response(302)
    handler.send_header("Location", handler.path)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def trickle(every: float, headers_too: bool = False) -> Behaviour:
    """One byte every `every` seconds, forever (until the test stops the server or the client leaves)."""

    def behave(handler: http.server.BaseHTTPRequestHandler, stop: threading.Event) -> None:
        if headers_too:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            handler.wfile.flush()
            while not stop.wait(every):
                handler.wfile.write(b"X")
                handler.wfile.flush()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"{")
        handler.wfile.flush()
        while not stop.wait(every):
            handler.wfile.write(b" ")
            handler.wfile.flush()

    return behave


@contextmanager
def fake_registry(behaviour: Behaviour) -> Iterator[tuple[str, list[str]]]:
    """(base URI, paths requested) of a server answering every request with `behaviour`."""
    stop = threading.Event()
    paths: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_one(self) -> None:
            paths.append(self.path)
            try:
                behaviour(self, stop)
            except OSError:
                pass  # the client gave up: nothing to answer to

        do_GET = do_POST = do_DELETE = handle_one

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", paths
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def elapsed(start: float) -> float:
    return time.monotonic() - start
