"""The stack's own server with MLflow's basic-auth app, for real: PostgreSQL and `mlflow server --app-name
basic-auth` on 127.0.0.1, configured as the Deployment configures it (tests/test_mlflow_server_postgres.py).

The program signs in as the admin (mlflowUsername / mlflowPassword) and resolves through our provider; the
model pods' reader is created, re-passworded and deleted by our RegistryUser provider; the reader may read
a version but not move an alias; a user the stack did not create is never adopted; users survive a restart.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from facts.mlflow_client_env import TRACKING_PASSWORD, TRACKING_USERNAME
from ops.demo.trained_models import log_and_register
from registry.client import MlflowRegistryClient, RegistryError
from registry.connection_keys import CONFIG_PASSWORD, CONFIG_USERNAME
from registry.user_provider import RegistryUserProvider
from registry.users import UserExists, user_exists
from tests.mlflow_server import FULL_EVIDENCE
from tests.provider_harness import checked, configured, failure, news
from tests.test_mlflow_server_postgres import ADMIN, Postgres, Tracking, _postgres_and_mlflow

ADMIN_PASSWORD = "adm-AUTH-TEST-3f9c27d1"  # what `pulumi config set --secret mlflowPassword` holds
READER = "model-reader"
MODEL = "churn-auth"


@pytest.fixture
def auth_mlflow(tmp_path) -> Iterator[tuple[Postgres, Tracking]]:
    with _postgres_and_mlflow(tmp_path, admin_password=ADMIN_PASSWORD) as servers:
        yield servers


def as_user(username: str, password: str) -> dict[str, str]:
    """The provider's stack config for a basic-auth user (the token configured() always sets is ignored)."""
    return {CONFIG_USERNAME: username, CONFIG_PASSWORD: password}


def user_provider(uri: str, username: str = ADMIN, password: str = ADMIN_PASSWORD) -> RegistryUserProvider:
    from pulumi.dynamic import Config, ConfigureRequest

    from registry.connection_keys import CONFIG_URI

    provider = RegistryUserProvider()
    provider.configure(ConfigureRequest(Config({CONFIG_URI: uri, **as_user(username, password)}, "mlops-platform")))
    return provider


def test_the_admin_resolves_and_the_reader_reads_but_cannot_move_an_alias(
    auth_mlflow, trained_estimator, no_mlflow_env, monkeypatch
):
    postgres, tracking = auth_mlflow
    estimator, _example = trained_estimator

    # Nobody signed in: the registry refuses, and the error says which settings to set.
    field, reason = failure(configured(tracking.uri), news(MODEL))
    assert "access denied (401)" in reason and "mlflowUsername" in reason and "mlflowPassword" in reason, reason

    # The program's user (the server's admin, created at its first start from MLFLOW_AUTH_ADMIN_PASSWORD).
    monkeypatch.setenv(TRACKING_USERNAME, ADMIN)
    monkeypatch.setenv(TRACKING_PASSWORD, ADMIN_PASSWORD)
    version = log_and_register(
        tracking.uri, MODEL, estimator, {"accuracy": 0.91, "f1_weighted": 0.9}, tags=FULL_EVIDENCE
    )
    monkeypatch.delenv(TRACKING_USERNAME)
    monkeypatch.delenv(TRACKING_PASSWORD)
    admin = MlflowRegistryClient(tracking.uri, username=ADMIN, password=ADMIN_PASSWORD, read_timeout=30)
    try:
        admin.set_alias(MODEL, "champion", version)
    finally:
        admin.close()
    resolved = checked(configured(tracking.uri, **as_user(ADMIN, ADMIN_PASSWORD)), news(MODEL))
    assert resolved["version"] == version

    # The reader, as the stack creates it.
    users = user_provider(tracking.uri)
    reader_password = "rdr-GENERATED-9a81c3e5f2"
    created = users.create({"username": READER, "password": reader_password})
    assert created.id == READER and created.outs == {"username": READER, "password": reader_password}
    assert users.read(READER, created.outs).id == READER

    as_reader = checked(configured(tracking.uri, **as_user(READER, reader_password)), news(MODEL, record=False))
    assert as_reader["version"] == version
    reader = MlflowRegistryClient(tracking.uri, username=READER, password=reader_password, read_timeout=30)
    try:
        with pytest.raises(RegistryError) as denied:
            reader.set_alias(MODEL, "champion", "1")
        assert denied.value.status == 403, denied.value
    finally:
        reader.close()


def test_the_reader_is_created_once_repassworded_survives_a_restart_and_is_deleted(auth_mlflow, no_mlflow_env):
    postgres, tracking = auth_mlflow
    users = user_provider(tracking.uri)
    first, second = "rdr-FIRST-0b7e44c9a1", "rdr-SECOND-5d2f18e7b3"
    created = users.create({"username": READER, "password": first})

    # Never adopted: a user of that name that this resource did not create stops the create, untouched.
    with pytest.raises(UserExists) as exists:
        users.create({"username": READER, "password": "rdr-OTHER-77aa11bb22"})
    assert "readerUsername" in str(exists.value)
    _signs_in(tracking.uri, READER, first)
    # The same create again (a retried POST whose first answer was lost): the user signs in with the password
    # just sent, so it is this create's own, and it succeeds without touching it.
    users.create({"username": READER, "password": first})
    _signs_in(tracking.uri, READER, first)

    # A new generated password is an update: the old one stops working, the new one works.
    diff = users.diff(READER, created.outs, {"username": READER, "password": second})
    assert diff.changes and not diff.replaces
    users.update(READER, created.outs, {"username": READER, "password": second})
    _refused(tracking.uri, READER, first)
    _signs_in(tracking.uri, READER, second)

    # Users live in the registry's database: a restart of both servers keeps them.
    tracking.stop()
    postgres.stop()
    postgres.start()
    tracking.start()
    _signs_in(tracking.uri, READER, second)

    # Only the admin manages users: the reader cannot delete itself or make others.
    with pytest.raises(RegistryError) as forbidden:
        user_provider(tracking.uri, READER, second).create({"username": "intruder", "password": "x" * 16})
    assert forbidden.value.status == 403

    users.delete(READER, {"username": READER, "password": second})
    admin = MlflowRegistryClient(tracking.uri, username=ADMIN, password=ADMIN_PASSWORD, read_timeout=30)
    try:
        assert not user_exists(admin, READER)
    finally:
        admin.close()
    assert users.read(READER, {"username": READER, "password": second}).id == ""  # gone: refresh drops it
    users.delete(READER, {"username": READER, "password": second})  # deleting what is gone is done


def test_check_refuses_what_mlflow_would_refuse_before_any_call():
    result = RegistryUserProvider().check({}, {"username": "Model Reader", "password": "short"})
    assert sorted(f.property for f in result.failures) == ["password", "username"]


def _client(uri: str, username: str, password: str) -> MlflowRegistryClient:
    return MlflowRegistryClient(uri, username=username, password=password, read_timeout=30, retries=0)


def _signs_in(uri: str, username: str, password: str) -> None:
    client = _client(uri, username, password)
    try:
        list(client.search_versions(MODEL))  # any read: a missing model is an empty answer, not a refusal
    finally:
        client.close()


def _refused(uri: str, username: str, password: str) -> None:
    client = _client(uri, username, password)
    try:
        with pytest.raises(RegistryError) as refused:
            list(client.search_versions(MODEL))
        assert refused.value.status == 401
    finally:
        client.close()
