"""A small client for the MLflow 2.0 REST API: only what the ModelVersion provider needs.

Why not `mlflow.MlflowClient`: the provider host imports this module for every dynamic resource, and
mlflow costs seconds to import and pulls in its own retry policy (up to minutes of backoff). The
transport (timeouts, retries, the total deadline, request counts) is registry/session.py; every answer
is checked for the shape used here (registry/answers.py) before anything reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core.uris import tracking_uri_problem
from registry.answers import expect, metrics_of, tags_of, version_list
from registry.errors import (
    AliasNotFound,
    ModelNotFound,
    RegistryError,
    RegistryUnavailable,
    UnexpectedAnswer,
    VersionNotFound,
)
from registry.session import (
    API,
    DEFAULT_BACKOFF,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRIES,
    RegistrySession,
)

# Callers import the errors, defaults and answer helpers from here, the registry's one entry point.
__all__ = [
    "DEFAULT_BACKOFF",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_RETRIES",
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


class MlflowRegistryClient(RegistrySession):
    """The REST endpoints the provider uses, with MLflow's errors translated into what they mean."""

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

    def create_registered_model(self, name: str, tags: dict[str, str], description: str = "") -> None:
        """One request: the model and its tags are written together or not at all. An existing name is
        refused with RESOURCE_ALREADY_EXISTS by every store (the name is the key), which ops/promotion/lock.py
        uses as its compare-and-set."""
        self._call(
            "POST",
            "/registered-models/create",
            body={"name": name, "description": description, "tags": [{"key": k, "value": v} for k, v in tags.items()]},
            what=f"create registered model '{name}'",
        )

    def delete_registered_model(self, name: str, *, missing_ok: bool = True) -> None:
        try:
            self._call(
                "DELETE", "/registered-models/delete", body={"name": name}, what=f"delete registered model '{name}'"
            )
        except RegistryError as err:
            if not (missing_ok and err.code == "RESOURCE_DOES_NOT_EXIST"):
                raise

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
