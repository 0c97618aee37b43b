"""One HTTP attempt with a deadline on the whole of it: connecting, the headers and the body.

requests' timeouts bound each socket operation, not the answer: a server (or proxy) that trickles a
byte every few seconds never trips a read timeout and would hang a preview forever. Here the attempt
runs in a daemon worker thread the caller waits on until the deadline, and the worker reads the body
with `read1` (whatever has arrived), checking the deadline between reads, so a trickled body also
stops the worker at the deadline. A server that trickles its *headers* leaves the abandoned worker
blocked until that server gives up; the caller has long moved on (and drops that worker's session).
"""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from registry.answers import RawAnswer

MAX_ANSWER_BYTES = 32 * 1024 * 1024  # far above any MLflow answer the client asks for (pages of 100)
READ_CHUNK = 64 * 1024


class DeadlineExceeded(Exception):
    """The attempt had no complete answer by its deadline."""


class BrokenAnswer(Exception):
    """The answer broke off or was too large; the text says which."""


def fetch(
    session: requests.Session,
    method: str,
    url: str,
    *,
    params: dict | None,
    json_body: dict | None,
    headers: dict[str, str],
    timeouts: tuple[float, float],
    until: float,
) -> RawAnswer:
    """The complete answer of one attempt, by time.monotonic() `until`; raises DeadlineExceeded,
    BrokenAnswer or a requests exception (timeouts, connection errors, too many redirects)."""
    # The request itself, so the worker's attempt takes only what bounds it (timeouts, deadline).
    send = functools.partial(session.request, method, url, params=params, json=json_body, headers=headers)
    box: dict[str, Any] = {}
    done = threading.Event()
    abandoned = threading.Event()

    def work() -> None:
        try:
            box["answer"] = _attempt(send, timeouts, until, abandoned)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="mlflow-request", daemon=True).start()
    if not done.wait(max(0.0, until - time.monotonic())):
        abandoned.set()
        raise DeadlineExceeded
    if "error" in box:
        raise box["error"]
    return box["answer"]


def _attempt(
    send: Callable[..., requests.Response], timeouts: tuple[float, float], until: float, abandoned: threading.Event
) -> RawAnswer:
    remaining = max(0.01, until - time.monotonic())
    connect, read = (min(t, remaining) for t in timeouts)
    # When the deadline is nearer than a timeout, that socket timeout *is* the deadline: say so, rather than
    # race the caller's wait with a "timed out" that hides which bound was hit.
    connect_is_deadline, read_is_deadline = remaining < timeouts[0], remaining < timeouts[1]
    try:
        resp = send(timeout=(connect, read), stream=True)
    except requests.ConnectTimeout:
        if connect_is_deadline:
            raise DeadlineExceeded from None
        raise
    except requests.ReadTimeout:
        if read_is_deadline:
            raise DeadlineExceeded from None
        raise
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if abandoned.is_set() or time.monotonic() > until:
                raise DeadlineExceeded
            chunk = resp.raw.read1(READ_CHUNK, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise BrokenAnswer(f"the answer is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB")
            chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError:
        resp.close()
        raise (DeadlineExceeded if read_is_deadline else requests.Timeout) from None
    except urllib3.exceptions.HTTPError as exc:  # IncompleteRead, connection reset, bad encoding
        resp.close()
        raise BrokenAnswer(f"the answer broke off after {size} bytes ({type(exc).__name__})") from None
    except BaseException:
        resp.close()
        raise
    resp.raw.release_conn()  # complete: the connection goes back to the pool for the next call
    return RawAnswer(resp.status_code, resp.headers.get("Content-Type", ""), b"".join(chunks))


class CountingAdapter(HTTPAdapter):
    """Counts every attempt that leaves the process, per endpoint (retries included)."""

    def __init__(self, counter: Counter, lock: threading.Lock, **kwargs: Any):
        super().__init__(**kwargs)
        self._counter = counter
        self._lock = lock

    def send(self, request, *args, **kwargs):
        endpoint = request.path_url.split("?", 1)[0].removeprefix("/api/2.0/mlflow")
        with self._lock:
            self._counter[endpoint] += 1
        return super().send(request, *args, **kwargs)
