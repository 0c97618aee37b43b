"""Bad `mlflowServer` values through the whole program: one problem each, naming the stack file, the key and
the fix, and nothing registered."""

from __future__ import annotations

import pytest

from core.problems import ConfigError
from ops.offline.engine import run_program
from ops.offline.program_run import ProgramError
from tests.conftest import PROJECT_DIR, own_server_config
from tests.settings_refusals import refused_with

KEY = "Pulumi.prod.yaml: mlops-platform:mlflowServer"


def test_wrong_types_and_unknown_keys_with_a_did_you_mean():
    assert refused_with("prod", mlflowServer={"enabled": "maybe", "replica": 2}) == [
        f"{KEY}.enabled: 'maybe' is not true or false (fix: write true or false)",
        f"{KEY}.replica: unknown key (fix: did you mean 'replicas'? remove it or use one of: artifactBucket, auth, "
        "bootstrap, database, enabled, local, namespace, readerUsername, replicas, resources, workers)",
    ]
    assert refused_with("prod", mlflowServer=["enabled"]) == [
        f"{KEY}: ['enabled'] is not a mapping (fix: write a mapping)"
    ]


def test_an_open_registry_is_refused_in_prod():
    assert refused_with("prod", mlflowServer={"enabled": True, "auth": "none"}) == [
        f"{KEY}.auth: an open registry is not acceptable in prod: anyone who reaches it could move the alias a "
        "deployment follows (fix: use auth: basic)"
    ]


def test_cloud_sql_tiers_gcp_would_reject():
    assert refused_with("prod", mlflowServer={"database": {"tier": "db-custom-3-3840"}}) == [
        f"{KEY}.database.tier: 'db-custom-3-3840' has 3 vCPUs (fix: use 1 or an even number up to 96)"
    ]
    assert refused_with("prod", mlflowServer={"database": {"tier": "db-custom-2-1024"}}) == [
        f"{KEY}.database.tier: 'db-custom-2-1024' has 1024 MB for 2 vCPU(s) (fix: a multiple of 256 MB between 1844 "
        "and 13312, e.g. db-custom-2-7680)"
    ]
    assert refused_with("prod", mlflowServer={"database": {"tier": "n1-standard-2"}}) == [
        f"{KEY}.database.tier: 'n1-standard-2' is not a Cloud SQL tier (fix: db-f1-micro, db-g1-small or "
        "db-custom-<vCPUs>-<memory MB>, e.g. db-custom-1-3840)"
    ]


def test_bounds_and_names():
    assert refused_with(
        "prod",
        mlflowServer={"database": {"backupsRetained": 0, "diskSizeGb": 5, "backupStartTime": "25:00"}},
    ) == [
        f"{KEY}.database.diskSizeGb: 5 is out of range: it must be at least 10 (fix: write a value at least 10)",
        f"{KEY}.database.backupsRetained: 0 is out of range: it must be at least 1 (fix: write a value at least 1)",
        f"{KEY}.database.backupStartTime: '25:00' is not a time of day (fix: HH:MM in UTC, e.g. 03:00)",
    ]
    assert refused_with("prod", mlflowServer={"enabled": True, "namespace": "ml-registry"})[1:] == [
        f"{KEY}.namespace: 'ml-registry' starts with the model namespace prefix 'ml-', so a model could one day be "
        "given the same namespace (fix: use a namespace outside the prefix, e.g. mlflow)"
    ]


PASSWORD = "Pulumi.prod.yaml: mlops-platform:mlflowPassword"


def test_basic_auth_without_the_admins_password_is_refused_with_the_command_that_sets_it():
    """The program signs in as the server's admin, which the server creates with mlflowPassword on its first
    start: without it neither could sign in."""
    assert refused_with("prod", mlflowServer={"enabled": True}) == [
        f"{PASSWORD}: the stack's own server uses basic auth and the program signs in as its admin user "
        "(mlflowUsername), whose password is not set (fix: run `pulumi config set --secret mlflowPassword "
        "<at least 12 characters>`: the server creates its admin with it on its first start (docs/mlflow-server.md, "
        "Credentials))"
    ]


def test_a_password_in_plain_text_is_refused_and_never_used():
    problems = refused_with("prod", mlflowServer={"enabled": True}, mlflowPassword="plain-text-password-1")
    assert len(problems) == 1 and problems[0].startswith(f"{PASSWORD}: is stored in plain text"), problems


def test_a_password_mlflow_would_refuse_stops_the_run_before_anything_is_registered():
    """MLflow refuses a password under 12 characters, and a server given one as its admin's never starts."""
    with pytest.raises(ProgramError) as caught:
        run_program(PROJECT_DIR, own_server_config("prod", "http://127.0.0.1:9", password="short-pw"))
    assert isinstance(caught.value.cause, ConfigError) and caught.value.resources == []
    assert [str(p) for p in caught.value.cause.problems] == [
        f"{PASSWORD}: is shorter than 12 characters, MLflow's minimum for a basic-auth password (fix: run "
        "`pulumi config set --secret mlflowPassword <at least 12 characters>`)"
    ]


def test_a_reader_name_mlflow_could_not_hold_is_refused():
    assert refused_with("prod", mlflowServer={"auth": "basic", "readerUsername": "Model Reader"}) == [
        f"{KEY}.readerUsername: 'Model Reader' is not a user name (fix: 2-63 lowercase letters, digits, '.', '_', "
        "'-', e.g. model-reader)"
    ]
