"""A registry that does not answer like MLflow: one clear error naming the registry (credentials
stripped), the request, the first bytes of what came back and the fix; never a traceback, never a hang."""

from __future__ import annotations

import json
import re
import time

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from registry.client import MlflowRegistryClient, RegistryError, RegistryUnavailable, UnexpectedAnswer
from registry.connection import connection_settings
from registry.connection_keys import CONFIG_DEADLINE, CONFIG_READ_TIMEOUT, CONFIG_RETRIES, CONFIG_URI
from registry.provider import ModelVersionProvider
from registry.version_args import ModelVersionArgs
from tests.fake_registry import answer, elapsed, fake_registry, redirect_to_itself, trickle

LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Sign in - Corp SSO</title></head><body>" + b"x" * 5000 + b"</body>"


def client(uri: str, **kwargs) -> MlflowRegistryClient:
    return MlflowRegistryClient(
        uri, read_timeout=kwargs.pop("read_timeout", 2), retries=kwargs.pop("retries", 0), **kwargs
    )


def test_a_login_page_answering_200_is_named_with_its_first_bytes():
    with fake_registry(answer(200, LOGIN_PAGE, "text/html")) as (uri, _), pytest.raises(UnexpectedAnswer) as raised:
        client(uri).get_version_by_alias("churn", "champion")
    text = str(raised.value)
    assert f"MLflow registry {uri}" in text
    assert "GET /api/2.0/mlflow/registered-models/alias?name=churn&alias=champion" in text
    assert "an HTML page, not MLflow JSON" in text and "Sign in - Corp SSO" in text
    assert "x" * 200 not in text  # the first bytes, not the whole page
    assert raised.value.fix.startswith("point mlflowTrackingUri")


def test_truncated_json_is_reported_not_parsed():
    body = json.dumps({"model_version": {"version": "3", "status": "READY"}}).encode()[:25]
    with (
        fake_registry(answer(200, body)) as (uri, _),
        pytest.raises(UnexpectedAnswer, match="not \\(complete\\) JSON") as raised,
    ):
        client(uri).get_version("churn", "3")
    assert repr(body.decode()[:10])[1:-1] in str(raised.value)


def test_an_answer_that_breaks_off_mid_body_is_retried_then_reported():
    with (
        fake_registry(answer(200, b'{"model_version": {', length=500)) as (uri, paths),
        pytest.raises(RegistryUnavailable, match="broke off after 19 bytes") as raised,
    ):
        client(uri, retries=1, backoff=0.01).get_version("churn", "3")
    assert len(paths) == 2 and "after 2 attempt(s)" in str(raised.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model_version": "3"}, "without a valid 'model_version' (dict)"),
        ({"something": "else"}, "without a valid 'model_version' (dict)"),
        ({"model_version": {"status": "READY"}}, "a model version without a version number"),
        ({"model_version": {"version": "3", "tags": {"a": "b"}}}, "tags or aliases are not lists"),
        (["not", "an", "object"], "JSON that is not an object"),
    ],
)
def test_json_of_the_wrong_shape_is_one_clear_error(body, message):
    with (
        fake_registry(answer(200, json.dumps(body).encode())) as (uri, _),
        pytest.raises(UnexpectedAnswer, match=re.escape(message)) as raised,
    ):
        client(uri).get_version("churn", "3")
    assert "registered model 'churn' version 3: GET /api/2.0/mlflow/model-versions/get" in str(raised.value)


def test_search_pages_and_registered_models_are_checked_too():
    page = {"model_versions": [{"version": "2"}, "garbage"]}
    with (
        fake_registry(answer(200, json.dumps(page).encode())) as (uri, _),
        pytest.raises(UnexpectedAnswer, match="model version that is not an object"),
    ):
        list(client(uri).search_versions("churn"))
    model = {"registered_model": {"name": "churn", "latest_versions": {"oops": 1}}}
    with (
        fake_registry(answer(200, json.dumps(model).encode())) as (uri, _),
        pytest.raises(UnexpectedAnswer, match="list of model versions that is not a list"),
    ):
        client(uri).get_registered_model("churn")


def test_a_proxy_error_page_on_4xx_is_named_not_parsed():
    with (
        fake_registry(answer(404, b"<html>Not Found</html>", "text/html")) as (uri, _),
        pytest.raises(UnexpectedAnswer, match="HTTP 404 without MLflow's error JSON; it begins '<html>Not Found"),
    ):
        client(uri).get_run("abc")


def test_a_redirect_loop_stops_after_a_few_hops():
    with (
        fake_registry(redirect_to_itself) as (uri, paths),
        pytest.raises(UnexpectedAnswer, match="more than 5 redirects") as raised,
    ):
        client(uri).get_run("abc")
    assert len(paths) == 6 and "GET /api/2.0/mlflow/runs/get?run_id=abc" in str(raised.value)


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_a_trickling_server_fails_within_the_deadline(headers_too):
    # Each byte arrives well within the 1 s read timeout, so only the deadline can stop this.
    with fake_registry(trickle(every=0.1, headers_too=headers_too)) as (uri, _):
        start = time.monotonic()
        with pytest.raises(RegistryUnavailable, match="no complete answer within the 1.5s deadline") as raised:
            client(uri, read_timeout=1, retries=3, deadline=1.5).get_version("churn", "3")
        assert elapsed(start) < 3.0
    assert "mlflowDeadlineSeconds" in raised.value.fix


def test_one_deadline_covers_every_call_of_a_resolution():
    with fake_registry(trickle(every=0.1)) as (uri, _):
        registry = client(uri, read_timeout=1, deadline=1.0)
        start = time.monotonic()
        with registry.resolution_deadline():
            for _ in range(3):  # each call alone would get its own 1 s; together they share one
                with pytest.raises(RegistryUnavailable):
                    registry.get_version("churn", "3")
        assert elapsed(start) < 1.8


def test_the_default_deadline_is_timeout_times_attempts():
    assert client("http://127.0.0.1:9", read_timeout=4, retries=2).deadline == 12


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://mlflow.example.com/#/models", "has a query or '#' part"),
        ("https://mlflow.example.com/?token=s3cr3t", "has a query or '#' part"),
        ("https://alice:s3cr3t@mlflow.example.com", "carries credentials"),
        ("mlflow.example.com", "is not an http(s) URL"),
    ],
)
def test_unusable_tracking_uris_are_refused_before_any_request(uri, message):
    with pytest.raises(RegistryError, match=re.escape(message)) as raised:
        MlflowRegistryClient(uri)
    assert "s3cr3t" not in str(raised.value) and "alice" not in str(raised.value)


def test_the_deadline_comes_from_stack_config_and_defaults_to_timeout_times_attempts():
    configured = connection_settings({CONFIG_URI: "http://127.0.0.1:9", CONFIG_DEADLINE: "7"}, {})
    assert configured.client().deadline == 7
    derived = connection_settings({CONFIG_URI: "http://127.0.0.1:9", CONFIG_READ_TIMEOUT: "3", CONFIG_RETRIES: "1"}, {})
    assert derived.client().deadline == 6


def test_a_preview_against_a_trickling_registry_fails_its_check_within_the_deadline(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # the environment would override the config
    with fake_registry(trickle(every=0.1)) as (uri, _):
        provider = ModelVersionProvider()
        config = {CONFIG_URI: uri, CONFIG_READ_TIMEOUT: "1", CONFIG_RETRIES: "3", CONFIG_DEADLINE: "2"}
        provider.configure(ConfigureRequest(Config(config, "mlops-platform")))
        start = time.monotonic()
        result = provider.check({}, ModelVersionArgs("churn", "churn", "dev").to_inputs())
        assert elapsed(start) < 3.5
    (failure,) = result.failures
    assert failure.property == "selector" and "no complete answer within the 2s deadline" in failure.reason
