"""The transport half of the MLflow client: sessions, timeouts, retries, deadlines and request counts.

Every call has a connect+read timeout, at most `retries` retries with exponential backoff on 5xx and
connection errors, no retry on 4xx (a 4xx is an answer: retrying cannot change it), and one total
deadline (registry/transport.py) however slowly the server answers. The session object is a per-process
object: it is never pickled (the dynamic provider builds one per call), it keeps one `requests.Session`
per thread (sessions are not thread-safe; `resolve_many` shares a client across threads) and it counts
every HTTP attempt so benchmarks measure requests instead of guessing. The credentials (basic, for MLflow's
basic-auth app, when a username and a password are set; else the bearer token, as MLflow's own client
chooses) go only into the `Authorization` header, never into a message, log line or repr.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import requests

from core.uris import strip_credentials, tracking_uri_problem
from facts import mlflow_client_env as env
from registry.answers import BROWSER_FIX, RawAnswer, decode, error_payload, expect, snippet, version_object
from registry.connection_keys import CONFIG_DEADLINE, CONFIG_PASSWORD, CONFIG_TOKEN, CONFIG_URI, CONFIG_USERNAME
from registry.errors import RegistryError, RegistryUnavailable, UnexpectedAnswer
from registry.transport import BrokenAnswer, CountingAdapter, DeadlineExceeded, fetch

API = "/api/2.0/mlflow"
DEFAULT_CONNECT_TIMEOUT = 3.05  # seconds; slightly above a TCP retransmission window, as requests advises
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_RETRIES = 2  # retries after the first attempt
DEFAULT_BACKOFF = 0.25  # seconds before the first retry, doubled each time
MAX_REDIRECTS = 5  # MLflow never redirects its API; a proxy's login flow or a loop does
CHECK_URI_FIX = f"check that the MLflow server is up and reachable from here, and the tracking URI (stack config {CONFIG_URI} or env MLFLOW_TRACKING_URI)"

ACCESS_FIX = {
    "none": f"the server wants credentials: set a user in stack config {CONFIG_USERNAME} and its password in "
    f"secret stack config {CONFIG_PASSWORD} (or env {env.TRACKING_USERNAME} / {env.TRACKING_PASSWORD}), or a token in "
    f"secret stack config {CONFIG_TOKEN} (or env {env.TRACKING_TOKEN})",
    "basic": f"check the user ({CONFIG_USERNAME} or env {env.TRACKING_USERNAME}) and its password ({CONFIG_PASSWORD} "
    f"or env {env.TRACKING_PASSWORD}), and that the user may do this (MLflow's basic-auth permissions)",
    "token": f"set a valid token in secret stack config {CONFIG_TOKEN} or env {env.TRACKING_TOKEN}; a server running "
    f"MLflow's basic-auth app wants a user instead: {CONFIG_USERNAME} and secret {CONFIG_PASSWORD} (or env "
    f"{env.TRACKING_USERNAME} / {env.TRACKING_PASSWORD})",
}

log = logging.getLogger(__name__)


def _authorization(token: str | None, username: str | None, password: str | None) -> tuple[str, str]:
    """(kind, the Authorization header's value): basic credentials when both are set, else the bearer token
    (mlflow/utils/rest_utils.py makes the same choice), else nothing."""
    if username and password:
        return "basic", "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return ("token", f"Bearer {token}") if token else ("none", "")


def default_deadline(read_timeout: float, retries: int) -> float:
    """The total time one request (every retry included) or one resolution may take, unless configured."""
    return read_timeout * (retries + 1)


class RegistrySession:
    def __init__(
        self,
        tracking_uri: str,
        token: str | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        deadline: float | None = None,
    ):
        problem = tracking_uri_problem(tracking_uri or "")
        if problem:
            raise RegistryError(problem[0], registry=strip_credentials(tracking_uri or "") or "<unset>", fix=problem[1])
        self.uri = tracking_uri.rstrip("/")
        self._auth_kind, self._authorization = _authorization(token, username, password)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self.backoff = backoff
        # Total time of one call (every retry and backoff included) and of one resolution_deadline() block.
        self.deadline = deadline if deadline else default_deadline(read_timeout, retries)
        self._local = threading.local()
        self._lock = threading.Lock()
        self.requests_by_endpoint: Counter = Counter()

    def __repr__(self) -> str:  # never shows a credential
        return f"MlflowRegistryClient({self.display_uri!r}, auth={self._auth_kind})"

    def __reduce__(self):
        # The client holds credentials and sessions: it must never reach a pickle (the provider's state).
        raise TypeError("MlflowRegistryClient must not be pickled; build one per call from the provider config")

    @property
    def display_uri(self) -> str:
        """The URI for messages: without any user:password@ part."""
        return strip_credentials(self.uri)

    @property
    def request_count(self) -> int:
        with self._lock:
            return sum(self.requests_by_endpoint.values())

    @property
    def timeout_budget(self) -> float:
        """The longest any single call can take: every attempt timing out plus every backoff."""
        attempts = self.retries + 1
        backoffs = sum(self.backoff * 2**i for i in range(self.retries))
        return attempts * (self.connect_timeout + self.read_timeout) + backoffs

    @contextmanager
    def resolution_deadline(self) -> Iterator[None]:
        """Every call inside shares one deadline (self.deadline from entering the outermost block)."""
        outer = getattr(self._local, "until", None)
        self._local.until = outer if outer is not None else time.monotonic() + self.deadline
        try:
            yield
        finally:
            self._local.until = outer

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.max_redirects = MAX_REDIRECTS
            adapter = CountingAdapter(self.requests_by_endpoint, self._lock, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    # -- transport ---------------------------------------------------------------------------------

    def _call(
        self, method: str, endpoint: str, *, what: str, params: dict | None = None, body: dict | None = None
    ) -> dict:
        """One REST call with bounded retries within the deadline. `what` names the object for messages."""
        url = f"{self.uri}{API}{endpoint}"
        request = f"{what}: {method} {API}{endpoint}" + (f"?{urlencode(params, doseq=True)}" if params else "")
        headers = {"Authorization": self._authorization} if self._authorization else {}
        resolution_until = getattr(self._local, "until", None)
        until = min(time.monotonic() + self.deadline, resolution_until or float("inf"))
        attempt = 0
        while True:
            problem = ""
            try:
                answer = fetch(
                    self._session(),
                    method,
                    url,
                    params=params,
                    json_body=body,
                    headers=headers,
                    timeouts=(self.connect_timeout, self.read_timeout),
                    until=until,
                )
            except DeadlineExceeded:
                self._local.session = None  # an abandoned worker may still hold it
                raise RegistryUnavailable(
                    f"{request}: no complete answer within the {self.deadline:g}s deadline "
                    f"(after {attempt + 1} attempt(s))",
                    registry=self.display_uri,
                    fix="a server or proxy that answers this slowly is broken; if the server is only slow, raise "
                    f"stack config {CONFIG_DEADLINE}",
                ) from None
            except requests.TooManyRedirects:
                raise UnexpectedAnswer(
                    f"{request}: more than {MAX_REDIRECTS} redirects (a redirect loop or a login redirect)",
                    registry=self.display_uri,
                    fix=BROWSER_FIX,
                ) from None
            except requests.Timeout:
                problem = f"no answer within {self.connect_timeout}s connect / {self.read_timeout}s read timeout"
            except (requests.ConnectionError, BrokenAnswer) as exc:
                problem = str(exc) if isinstance(exc, BrokenAnswer) else f"cannot connect ({type(exc).__name__})"
            except requests.RequestException as exc:  # invalid URL, bad headers: the request itself is wrong
                raise RegistryError(
                    f"{request}: {type(exc).__name__}", registry=self.display_uri, fix=CHECK_URI_FIX
                ) from None
            else:
                if answer.status < 300:
                    return decode(answer, registry=self.display_uri, request=request)
                if answer.status < 500:
                    raise self._client_error(answer, what, request)
                problem = f"HTTP {answer.status} (a server error)"
            delay = self.backoff * 2**attempt
            if attempt >= self.retries or time.monotonic() + delay >= until:
                raise RegistryUnavailable(
                    f"{request}: {problem} after {attempt + 1} attempt(s)",
                    registry=self.display_uri,
                    fix=CHECK_URI_FIX,
                )
            log.debug("MLflow %s %s failed (%s); retry %d in %.2fs", method, endpoint, problem, attempt + 1, delay)
            time.sleep(delay)
            attempt += 1

    def request(
        self, method: str, endpoint: str, *, what: str, params: dict | None = None, body: dict | None = None
    ) -> dict:
        """One call to an endpoint under /api/2.0/mlflow, with this session's credentials, retries and deadline:
        for endpoint groups kept in their own module (registry/users.py)."""
        return self._call(method, endpoint, what=what, params=params, body=body)

    def _client_error(self, answer: RawAnswer, what: str, request: str) -> RegistryError:
        payload = error_payload(answer)
        code = payload.get("error_code", "")
        detail = payload.get("message", "")
        kwargs: dict[str, Any] = dict(registry=self.display_uri, code=code, status=answer.status, detail=detail)
        if answer.status in (401, 403):
            return RegistryError(
                f"{what}: access denied ({answer.status})",
                **kwargs,
                fix=ACCESS_FIX[self._auth_kind],
            )
        if not payload:  # not MLflow's error JSON: a proxy, a wrong path, a redirect without a target
            return UnexpectedAnswer(
                f"{request} answered HTTP {answer.status} without MLflow's error JSON; it begins "
                f"{snippet(answer.body)}",
                **kwargs,
                fix=BROWSER_FIX,
            )
        return RegistryError(f"{what}: {code or answer.status}: {detail}", **kwargs)

    def _get(self, endpoint: str, key: str, kind: type, *, what: str, params: dict) -> Any:
        """A GET whose answer must carry `key` of type `kind`."""
        payload = self._call("GET", endpoint, what=what, params=params)
        return expect(payload, key, kind, registry=self.display_uri, request=f"{what}: GET {API}{endpoint}")

    def _version(self, value: Any, what: str, endpoint: str) -> dict:
        return version_object(value, registry=self.display_uri, request=f"{what}: GET {API}{endpoint}")
