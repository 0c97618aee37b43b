"""A small client for the MLflow 2.0 REST API: only what the ModelVersion provider needs.

Why not `mlflow.MlflowClient`: the provider host imports this module for every dynamic resource, and
mlflow costs seconds to import and pulls in its own retry policy (up to minutes of backoff). Here every
call has a connect+read timeout, at most `retries` retries with exponential backoff on 5xx and connection
errors, and no retry on 4xx (a 4xx is an answer: retrying cannot change it).

The client is a per-process object: it is never pickled (the dynamic provider builds one per call), it
keeps one `requests.Session` per thread (sessions are not thread-safe; `resolve_many` shares a client
across threads) and it counts every HTTP attempt so benchmarks measure requests instead of guessing.
The token goes only into the `Authorization` header, never into a message, log line or repr.
"""

from __future__ import annotations

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
from registry.answers import (
    BROWSER_FIX,
    RawAnswer,
    decode,
    error_payload,
    expect,
    metrics_of,
    snippet,
    tags_of,
    version_list,
    version_object,
)
from registry.errors import (
    AliasNotFound,
    ModelNotFound,
    RegistryError,
    RegistryUnavailable,
    UnexpectedAnswer,
    VersionNotFound,
)
from registry.transport import BrokenAnswer, CountingAdapter, DeadlineExceeded, fetch

# Callers import the errors and answer helpers from here, the registry's one entry point.
__all__ = [
    "AliasNotFound",
    "MlflowRegistryClient",
    "ModelNotFound",
    "RegistryError",
    "RegistryUnavailable",
    "UnexpectedAnswer",
    "VersionNotFound",
    "metrics_of",
    "tags_of",
    "tracking_uri_problem",
]

API = "/api/2.0/mlflow"
DEFAULT_CONNECT_TIMEOUT = 3.05  # seconds; slightly above a TCP retransmission window, as requests advises
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_RETRIES = 2  # retries after the first attempt
DEFAULT_BACKOFF = 0.25  # seconds before the first retry, doubled each time
MAX_REDIRECTS = 5  # MLflow never redirects its API; a proxy's login flow or a loop does
CHECK_URI_FIX = "check that the MLflow server is up and reachable from here, and the tracking URI (stack config mlops-platform:mlflowTrackingUri or env MLFLOW_TRACKING_URI)"

log = logging.getLogger(__name__)


def default_deadline(read_timeout: float, retries: int) -> float:
    """The total time one request (every retry included) or one resolution may take, unless configured."""
    return read_timeout * (retries + 1)


class MlflowRegistryClient:
    def __init__(
        self,
        tracking_uri: str,
        token: str | None = None,
        *,
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
        self._token = token
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self.backoff = backoff
        # Total time of one call (every retry and backoff included) and of one resolution_deadline() block.
        self.deadline = deadline if deadline else default_deadline(read_timeout, retries)
        self._local = threading.local()
        self._lock = threading.Lock()
        self.requests_by_endpoint: Counter = Counter()

    def __repr__(self) -> str:  # never shows the token
        return f"MlflowRegistryClient({self.display_uri!r}, token={'set' if self._token else 'unset'})"

    def __reduce__(self):
        # The client holds a token and sessions: it must never reach a pickle (the provider's state).
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
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
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
                    "stack config mlops-platform:mlflowDeadlineSeconds",
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

    def _client_error(self, answer: RawAnswer, what: str, request: str) -> RegistryError:
        payload = error_payload(answer)
        code = payload.get("error_code", "")
        detail = payload.get("message", "")
        kwargs: dict[str, Any] = dict(registry=self.display_uri, code=code, status=answer.status, detail=detail)
        if answer.status in (401, 403):
            return RegistryError(
                f"{what}: access denied ({answer.status})",
                **kwargs,
                fix="set a valid token in secret stack config mlops-platform:mlflowToken or env MLFLOW_TRACKING_TOKEN",
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

    # -- registered models and aliases -----------------------------------------------------------

    def get_registered_model(self, name: str) -> dict:
        what, endpoint = f"registered model '{name}'", "/registered-models/get"
        try:
            model = self._get(endpoint, "registered_model", dict, what=what, params={"name": name})
        except RegistryError as err:
            raise self._model_missing(err, name) from None
        request = f"{what}: GET {API}{endpoint}"
        model["latest_versions"] = version_list(
            model.get("latest_versions", []), registry=self.display_uri, request=request
        )
        aliases = model.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, dict) and "alias" in a for a in aliases):
            expect({"aliases": None}, "aliases", list, registry=self.display_uri, request=request)
        return model

    def get_version_by_alias(self, name: str, alias: str) -> dict:
        what = f"registered model '{name}' alias '{alias}'"
        try:
            endpoint = "/registered-models/alias"
            mv = self._get(endpoint, "model_version", dict, what=what, params={"name": name, "alias": alias})
            return self._version(mv, what, endpoint)
        except RegistryError as err:
            # MLflow answers a missing alias with 400 INVALID_PARAMETER_VALUE, not 404.
            if err.code == "INVALID_PARAMETER_VALUE" and "alias" in err.detail.lower():
                raise AliasNotFound(
                    f"registered model '{name}' has no alias '{alias}'",
                    registry=self.display_uri,
                    code=err.code,
                    status=err.status,
                    fix=f"set it (MlflowClient().set_registered_model_alias('{name}', '{alias}', <version>)) "
                    "or select a version another way (pin {'version': N} or {'latest': True})",
                ) from None
            raise self._model_missing(err, name) from None

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._call(
            "POST",
            "/registered-models/alias",
            body={"name": name, "alias": alias, "version": str(version)},
            what=f"set alias '{alias}' of registered model '{name}' to version {version}",
        )

    def delete_alias(self, name: str, alias: str) -> None:
        # DELETE with a JSON body: MLflow ignores query parameters on this endpoint. Deleting a missing
        # alias answers 200, so this is idempotent.
        self._call(
            "DELETE",
            "/registered-models/alias",
            body={"name": name, "alias": alias},
            what=f"delete alias '{alias}' of registered model '{name}'",
        )

    # -- model versions ----------------------------------------------------------------------------

    def get_version(self, name: str, version: str) -> dict:
        what, endpoint = f"registered model '{name}' version {version}", "/model-versions/get"
        try:
            mv = self._get(endpoint, "model_version", dict, what=what, params={"name": name, "version": str(version)})
            return self._version(mv, what, endpoint)
        except RegistryError as err:
            raise self._version_missing(err, name, version) from None

    def search_versions(
        self, name: str, *, page_size: int = 100, order_by: tuple[str, ...] = ("version_number DESC",)
    ) -> Iterator[dict]:
        """Every version of one model, page by page, lazily: a caller that stops early saves pages.
        The same order_by goes with every page: page tokens are only valid for the ordering they came from."""
        quote = '"' if "'" in name else "'"
        params: dict[str, Any] = {
            "filter": f"name={quote}{name}{quote}",
            "max_results": page_size,
            "order_by": list(order_by),
        }
        while True:
            what = f"versions of registered model '{name}'"
            page = self._call("GET", "/model-versions/search", params=params, what=what)
            request = f"{what}: GET {API}/model-versions/search"
            yield from version_list(page.get("model_versions", []), registry=self.display_uri, request=request)
            token = page.get("next_page_token")
            if not token:
                return
            params = {**params, "page_token": token}

    def get_download_uri(self, name: str, version: str) -> str:
        what = f"download URI of registered model '{name}' version {version}"
        try:
            return self._get(
                "/model-versions/get-download-uri",
                "artifact_uri",
                str,
                what=what,
                params={"name": name, "version": str(version)},
            )
        except RegistryError as err:
            raise self._version_missing(err, name, version) from None

    def set_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        self._call(
            "POST",
            "/model-versions/set-tag",
            body={"name": name, "version": str(version), "key": key, "value": value},
            what=f"set tag '{key}' on registered model '{name}' version {version}",
        )

    def delete_version_tag(self, name: str, version: str, key: str, *, missing_ok: bool = True) -> None:
        """Deleting a missing tag answers 200; a missing version is tolerated when missing_ok (someone
        deleted the version: the tag went with it)."""
        try:
            self._call(
                "DELETE",
                "/model-versions/delete-tag",
                body={"name": name, "version": str(version), "key": key},
                what=f"delete tag '{key}' of registered model '{name}' version {version}",
            )
        except RegistryError as err:
            if not (missing_ok and err.code == "RESOURCE_DOES_NOT_EXIST"):
                raise

    # -- runs --------------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> dict:
        return self._get("/runs/get", "run", dict, what=f"run {run_id}", params={"run_id": run_id})

    # -- error translation -------------------------------------------------------------------------

    def _model_missing(self, err: RegistryError, name: str) -> RegistryError:
        if err.code == "RESOURCE_DOES_NOT_EXIST" and "registered model" in err.detail.lower():
            return ModelNotFound(
                f"registered model '{name}' does not exist",
                registry=self.display_uri,
                code=err.code,
                status=err.status,
                fix="register it first (mlflow.register_model / log_model(registered_model_name=...)) or fix "
                "registeredModel in the catalogue entry",
            )
        return err

    def _version_missing(self, err: RegistryError, name: str, version: str) -> RegistryError:
        if err.code != "RESOURCE_DOES_NOT_EXIST":
            return err
        if "model version" in err.detail.lower():
            # MLflow says "Model Version (name=x, version=1) not found" whether or not the model exists.
            return VersionNotFound(
                f"registered model '{name}' has no version {version}",
                registry=self.display_uri,
                code=err.code,
                status=err.status,
                fix="pin an existing version (see the model's page in MLflow) or use an alias",
            )
        return self._model_missing(err, name)
