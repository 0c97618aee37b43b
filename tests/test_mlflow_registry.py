"""The REST client against the real MLflow server; the retry policy against a scripted HTTP peer.

MLflow cannot be made to answer 5xx or to hang on demand, so the transport rules (retry 5xx and
connection errors, never 4xx, bounded by timeouts, Bearer token) are checked against a tiny stdlib HTTP
server on 127.0.0.1 that answers what each test scripts. Everything else talks to the real server.
"""

import http.server
import json
import socket
import threading
import time

import pytest

from registry.client import (
    AliasNotFound,
    MlflowRegistryClient,
    ModelNotFound,
    RegistryError,
    RegistryUnavailable,
    VersionNotFound,
    metrics_of,
    tags_of,
)
from tests.mlflow_server import FULL_EVIDENCE

TOKEN = "tok-REGISTRY-7d1f0c"


class ScriptedPeer:
    """Answers each request with the next (status, body, delay) of its script; records the requests."""

    def __init__(self, script):
        self.script = list(script)
        self.seen = []
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                peer.seen.append((self.command, self.path, dict(self.headers), self.rfile.read(length)))
                status, body, delay = peer.script.pop(0) if len(peer.script) > 1 else peer.script[0]
                time.sleep(delay)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (read timeout test): nothing to answer to

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def peer():
    peers = []

    def start(*script):
        peers.append(ScriptedPeer(script))
        return peers[-1]

    yield start
    for p in peers:
        p.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the with-block ends: nothing listens there


# -- real server ----------------------------------------------------------------------------------------


def test_alias_lookup_returns_the_version_object_with_tags_and_aliases(registry_client, make_model):
    model = make_model([{"metrics": {"accuracy": 0.81}}, {"aliases": ["champion"]}])
    mv = registry_client.get_version_by_alias(model.name, "champion")
    assert mv["version"] == model.versions[1] and mv["status"] == "READY"
    assert mv["aliases"] == ["champion"]
    assert tags_of(mv) == FULL_EVIDENCE
    assert metrics_of(registry_client.get_run(registry_client.get_version(model.name, "1")["run_id"])) == {
        "accuracy": 0.81
    }


def test_missing_alias_is_translated_with_model_alias_registry_and_fix(registry_client, make_model, mlflow_server):
    model = make_model([{}])
    with pytest.raises(AliasNotFound) as err:
        registry_client.get_version_by_alias(model.name, "champion")
    text = str(err.value)
    assert err.value.status == 400 and err.value.code == "INVALID_PARAMETER_VALUE"
    assert f"registered model '{model.name}' has no alias 'champion'" in text
    assert mlflow_server.uri in text and "fix: set it" in text


def test_missing_model_and_missing_version_are_translated(registry_client, make_model):
    with pytest.raises(ModelNotFound, match="registered model 'no-such-model' does not exist.*fix: register it"):
        registry_client.get_version_by_alias("no-such-model", "champion")
    with pytest.raises(ModelNotFound):
        registry_client.get_registered_model("no-such-model")
    model = make_model([{}])
    with pytest.raises(VersionNotFound, match=f"'{model.name}' has no version 9"):
        registry_client.get_version(model.name, "9")


def test_search_pages_keep_the_same_order(registry_client, make_model):
    model = make_model([{} for _ in range(5)])
    before = registry_client.requests_by_endpoint["/model-versions/search"]
    versions = [mv["version"] for mv in registry_client.search_versions(model.name, page_size=2)]
    # Descending across three pages: a page fetched without the same order_by would break the sequence.
    assert versions == ["5", "4", "3", "2", "1"]
    assert registry_client.requests_by_endpoint["/model-versions/search"] - before == 3


def test_search_is_lazy_a_caller_that_stops_early_fetches_one_page(registry_client, make_model):
    model = make_model([{} for _ in range(3)])
    before = registry_client.request_count
    assert next(iter(registry_client.search_versions(model.name, page_size=1)))["version"] == "3"
    assert registry_client.request_count - before == 1


def test_aliases_and_tags_round_trip_and_deletes_are_idempotent(registry_client, make_model):
    model = make_model([{}, {}])
    registry_client.set_alias(model.name, "dev-live", "1")
    registry_client.set_version_tag(model.name, "1", "deployed.dev", "2026-01-01T00:00:00+00:00")
    mv = registry_client.get_version(model.name, "1")
    assert "dev-live" in mv["aliases"] and tags_of(mv)["deployed.dev"] == "2026-01-01T00:00:00+00:00"
    registry_client.set_alias(model.name, "dev-live", "2")  # moves it
    assert registry_client.get_version_by_alias(model.name, "dev-live")["version"] == "2"
    for _ in range(2):
        registry_client.delete_alias(model.name, "dev-live")
        registry_client.delete_version_tag(model.name, "1", "deployed.dev")
    with pytest.raises(AliasNotFound):
        registry_client.get_version_by_alias(model.name, "dev-live")
    assert "deployed.dev" not in tags_of(registry_client.get_version(model.name, "1"))
    registry_client.delete_version_tag(model.name, "42", "deployed.dev")  # version gone: nothing to remove
    with pytest.raises(RegistryError):
        registry_client.delete_version_tag(model.name, "42", "deployed.dev", missing_ok=False)


def test_download_uri_is_a_storage_location_not_the_mlflow3_models_uri(registry_client, make_model):
    model = make_model([{}])
    mv = registry_client.get_version(model.name, "1")
    assert mv["source"].startswith("models:/m-")  # MLflow 3: not a path
    uri = registry_client.get_download_uri(model.name, "1")
    assert not uri.startswith("models:/") and uri.endswith("/artifacts")


# -- transport rules (scripted peer) -----------------------------------------------------------------

OK = (200, {"run": {"info": {}, "data": {"metrics": [{"key": "accuracy", "value": 0.9}]}}}, 0)


def test_5xx_is_retried_with_backoff_then_succeeds(peer):
    server = peer((503, {}, 0), (502, {}, 0), OK)
    client = MlflowRegistryClient(server.uri, backoff=0.05)
    start = time.monotonic()
    assert metrics_of(client.get_run("r1")) == {"accuracy": 0.9}
    assert client.request_count == 3 and len(server.seen) == 3
    assert time.monotonic() - start >= 0.05 + 0.10  # exponential: 0.05 then 0.10


def test_4xx_is_never_retried(peer):
    server = peer((404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run 'r1' not found"}, 0))
    client = MlflowRegistryClient(server.uri, backoff=0.05)
    with pytest.raises(RegistryError, match="Run 'r1' not found") as err:
        client.get_run("r1")
    assert not isinstance(err.value, RegistryUnavailable)
    assert client.request_count == 1 and len(server.seen) == 1


def test_persistent_5xx_gives_up_after_the_configured_retries(peer):
    server = peer((500, {}, 0))
    client = MlflowRegistryClient(server.uri, retries=3, backoff=0.01)
    with pytest.raises(RegistryUnavailable, match="HTTP 500 .* after 4 attempt"):
        client.get_run("r1")
    assert len(server.seen) == 4


def test_a_hanging_server_is_cut_by_the_read_timeout(peer):
    server = peer((200, {}, 3.0))
    client = MlflowRegistryClient(server.uri, connect_timeout=0.5, read_timeout=0.3, retries=1, backoff=0.05)
    start = time.monotonic()
    with pytest.raises(RegistryUnavailable, match="no (complete )?answer within"):
        client.get_run("r1")
    elapsed = time.monotonic() - start
    assert elapsed < client.timeout_budget + 0.5, (elapsed, client.timeout_budget)


def test_registry_down_fails_fast_with_a_clear_error():
    client = MlflowRegistryClient(
        f"http://127.0.0.1:{closed_port()}", TOKEN, connect_timeout=1, read_timeout=1, retries=2, backoff=0.05
    )
    start = time.monotonic()
    with pytest.raises(RegistryUnavailable) as err:
        client.get_version_by_alias("churn-prediction", "champion")
    assert time.monotonic() - start < client.timeout_budget + 0.5
    text = str(err.value)
    assert "cannot connect" in text and "registered model 'churn-prediction' alias 'champion'" in text
    assert client.uri in text and "mlflowTrackingUri" in text and TOKEN not in text
    assert client.request_count == 3


def test_token_goes_only_in_the_bearer_header(peer):
    server = peer((403, {"error_code": "PERMISSION_DENIED", "message": "no"}, 0))
    client = MlflowRegistryClient(server.uri, TOKEN)
    with pytest.raises(RegistryError) as err:
        client.get_version("m", "1")
    method, path, headers, _ = server.seen[0]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in path and TOKEN not in str(err.value) and TOKEN not in repr(client)
    assert "mlflowToken" in str(err.value)


def test_delete_alias_sends_a_json_body(peer):
    server = peer((200, {}, 0))
    MlflowRegistryClient(server.uri).delete_alias("m", "dev-live")
    method, path, headers, body = server.seen[0]
    assert method == "DELETE" and json.loads(body) == {"name": "m", "alias": "dev-live"}


def test_the_client_refuses_to_be_pickled():
    import pickle

    with pytest.raises(TypeError, match="must not be pickled"):
        pickle.dumps(MlflowRegistryClient("http://127.0.0.1:1", TOKEN))


def test_a_non_http_tracking_uri_is_a_clear_error():
    with pytest.raises(RegistryError, match="is not an http\\(s\\) URL.*mlflowTrackingUri"):
        MlflowRegistryClient("databricks")
