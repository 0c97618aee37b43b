"""Bad `mlflowServer` values through the whole program: one problem each, naming the stack file, the key and
the fix, and nothing registered."""

from __future__ import annotations

from tests.settings_refusals import refused_with

KEY = "Pulumi.prod.yaml: mlops-platform:mlflowServer"


def test_wrong_types_and_unknown_keys_with_a_did_you_mean():
    assert refused_with("prod", mlflowServer={"enabled": "maybe", "replica": 2}) == [
        f"{KEY}.enabled: 'maybe' is not true or false (fix: write true or false)",
        f"{KEY}.replica: unknown key (fix: did you mean 'replicas'? remove it or use one of: artifactBucket, auth, "
        "bootstrap, database, enabled, local, namespace, replicas, resources, workers)",
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
    assert refused_with("prod", mlflowServer={"enabled": True, "namespace": "ml-registry"}) == [
        f"{KEY}.namespace: 'ml-registry' starts with the model namespace prefix 'ml-', so a model could one day be "
        "given the same namespace (fix: use a namespace outside the prefix, e.g. mlflow)"
    ]
