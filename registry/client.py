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
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

API = "/api/2.0/mlflow"
DEFAULT_CONNECT_TIMEOUT = 3.05  # seconds; slightly above a TCP retransmission window, as requests advises
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_RETRIES = 2  # retries after the first attempt
DEFAULT_BACKOFF = 0.25  # seconds before the first retry, doubled each time

log = logging.getLogger(__name__)


class RegistryError(Exception):
    """Something the registry said (or did not say). The message names the registry and the object."""

    def __init__(
        self, message: str, *, registry: str, fix: str = "", code: str = "", status: int | None = None, detail: str = ""
    ):
        self.message = message
        self.detail = detail  # the server's own message, for translating errors
        self.registry = registry
        self.fix = fix
        self.code = code  # MLflow error_code, e.g. RESOURCE_DOES_NOT_EXIST
        self.status = status  # HTTP status, None for connection errors
        text = f"MLflow registry {registry}: {message}"
        super().__init__(f"{text} (fix: {fix})" if fix else text)


class RegistryUnavailable(RegistryError):
    """Connection refused, timed out or 5xx after every retry."""


class ModelNotFound(RegistryError):
    pass


class AliasNotFound(RegistryError):
    pass


class VersionNotFound(RegistryError):
    pass


class _CountingAdapter(HTTPAdapter):
    """Counts every attempt that leaves the process, per endpoint (retries included)."""

    def __init__(self, counter: Counter, lock: threading.Lock, **kwargs: Any):
        super().__init__(**kwargs)
        self._counter = counter
        self._lock = lock

    def send(self, request, *args, **kwargs):  # type: ignore[override]
        endpoint = request.path_url.split("?", 1)[0].removeprefix(API)
        with self._lock:
            self._counter[endpoint] += 1
        return super().send(request, *args, **kwargs)


def tags_of(obj: dict) -> dict[str, str]:
    """MLflow sends tags as [{"key": k, "value": v}]; a dict is what every caller wants."""
    return {t["key"]: t.get("value", "") for t in obj.get("tags", [])}


def metrics_of(run: dict) -> dict[str, float]:
    """The latest value of each metric of a runs/get answer."""
    return {m["key"]: float(m["value"]) for m in run.get("data", {}).get("metrics", [])}


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
    ):
        if not tracking_uri or not tracking_uri.startswith(("http://", "https://")):
            raise RegistryError(
                f"tracking URI {tracking_uri!r} is not an http(s) URL",
                registry=tracking_uri or "<unset>",
                fix="set stack config mlops-platform:mlflowTrackingUri (or env MLFLOW_TRACKING_URI) "
                "to the server's URL, e.g. http://127.0.0.1:5000",
            )
        self.uri = tracking_uri.rstrip("/")
        self._token = token
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self.backoff = backoff
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
        parts = urlsplit(self.uri)
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))

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

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = _CountingAdapter(self.requests_by_endpoint, self._lock, max_retries=0)
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
        """One REST call with bounded retries. `what` names the object for error messages."""
        url = f"{self.uri}{API}{endpoint}"
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        attempt = 0
        while True:
            problem = ""
            try:
                resp = self._session().request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers=headers,
                    timeout=(self.connect_timeout, self.read_timeout),
                )
            except requests.Timeout:
                problem = f"no answer within {self.connect_timeout}s connect / {self.read_timeout}s read timeout"
            except requests.ConnectionError as exc:
                problem = f"cannot connect ({type(exc).__name__})"
            else:
                if resp.status_code < 400:
                    return resp.json() if resp.content else {}
                if resp.status_code < 500:
                    raise self._client_error(resp, what)
                problem = f"HTTP {resp.status_code} from {endpoint}"
            if attempt >= self.retries:
                raise RegistryUnavailable(
                    f"{what}: {problem} after {attempt + 1} attempt(s)",
                    registry=self.display_uri,
                    fix="check that the MLflow server is up and reachable from here, and the tracking URI "
                    "(stack config mlops-platform:mlflowTrackingUri or env MLFLOW_TRACKING_URI)",
                )
            delay = self.backoff * 2**attempt
            log.debug("MLflow %s %s failed (%s); retry %d in %.2fs", method, endpoint, problem, attempt + 1, delay)
            time.sleep(delay)
            attempt += 1

    def _client_error(self, resp: requests.Response, what: str) -> RegistryError:
        try:
            payload = resp.json()
        except ValueError:
            payload = {}
        code = payload.get("error_code", "")
        detail = payload.get("message", resp.text[:200])
        kwargs = dict(registry=self.display_uri, code=code, status=resp.status_code, detail=detail)
        if resp.status_code in (401, 403):
            return RegistryError(
                f"{what}: access denied ({resp.status_code})",
                **kwargs,
                fix="set a valid token in secret stack config mlops-platform:mlflowToken or env MLFLOW_TRACKING_TOKEN",
            )
        return RegistryError(f"{what}: {code or resp.status_code}: {detail}", **kwargs)

    # -- registered models and aliases -----------------------------------------------------------

    def get_registered_model(self, name: str) -> dict:
        try:
            return self._call(
                "GET", "/registered-models/get", params={"name": name}, what=f"registered model '{name}'"
            )["registered_model"]
        except RegistryError as err:
            raise self._model_missing(err, name) from None

    def get_version_by_alias(self, name: str, alias: str) -> dict:
        what = f"registered model '{name}' alias '{alias}'"
        try:
            return self._call("GET", "/registered-models/alias", params={"name": name, "alias": alias}, what=what)[
                "model_version"
            ]
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
        try:
            return self._call(
                "GET",
                "/model-versions/get",
                params={"name": name, "version": str(version)},
                what=f"registered model '{name}' version {version}",
            )["model_version"]
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
            page = self._call(
                "GET", "/model-versions/search", params=params, what=f"versions of registered model '{name}'"
            )
            yield from page.get("model_versions", [])
            token = page.get("next_page_token")
            if not token:
                return
            params = {**params, "page_token": token}

    def get_download_uri(self, name: str, version: str) -> str:
        try:
            return self._call(
                "GET",
                "/model-versions/get-download-uri",
                params={"name": name, "version": str(version)},
                what=f"download URI of registered model '{name}' version {version}",
            )["artifact_uri"]
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
        return self._call("GET", "/runs/get", params={"run_id": run_id}, what=f"run {run_id}")["run"]

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
