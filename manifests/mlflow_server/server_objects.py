"""Every Kubernetes object of the stack's own tracking server, in apply order, each with its role (the
resource's name suffix). Secret values arrive as Outputs and stay Outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from manifests.mlflow_server import deployment, network, objects, postgres, route
from plan.mlflow_server import MlflowServerPlan


@dataclass(frozen=True)
class ServerInputs:
    """What the objects need from outside: secrets (Outputs), and on GKE the cloud resources' names."""

    database_password: Any
    admin_password: Any = None  # auth only
    flask_secret_key: Any = None  # auth only
    auth_config_ini: Any = None  # auth only: basic_auth.ini, which holds the database URI with its password
    service_account_annotations: dict[str, Any] | None = None  # GKE: Workload Identity
    bucket: Any = ""  # GKE
    connection_name: Any = ""  # GKE: <project>:<region>:<instance>


def server_manifests(plan: MlflowServerPlan, inputs: ServerInputs) -> list[tuple[str, dict[str, Any]]]:
    items: list[tuple[str, dict[str, Any]]] = [
        ("namespace", objects.namespace_manifest(plan)),
        ("service-account", objects.service_account_manifest(plan, inputs.service_account_annotations)),
        ("database-secret", objects.database_secret_manifest(plan, inputs.database_password)),
    ]
    if plan.auth:
        items.append(
            (
                "auth-secret",
                objects.auth_secret_manifest(
                    plan, inputs.admin_password, inputs.flask_secret_key, inputs.auth_config_ini
                ),
            )
        )
    if plan.store == "in-cluster":
        items += [
            ("postgres", postgres.statefulset_manifest(plan, objects.DATABASE_SECRET)),
            ("postgres-service", postgres.service_manifest(plan)),
            ("artifacts", objects.artifacts_claim_manifest(plan, deployment.ARTIFACTS_CLAIM)),
        ]
    items += [
        ("deployment", deployment.deployment_manifest(plan, inputs.bucket, inputs.connection_name)),
        ("service", objects.service_manifest(plan)),
        ("pdb", objects.pdb_manifest(plan)),
    ]
    if plan.route is not None:
        items += [
            ("route", route.route_manifest(plan, plan.route)),
            ("health-check", route.health_check_manifest(plan)),
        ]
    items += [(policy["metadata"]["name"], policy) for policy in network.network_policy_manifests(plan)]
    return items
