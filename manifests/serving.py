"""Pure builders of a model's serving objects: Namespace, ServiceAccount, registry Secret, Deployment,
Service and PDB. Dicts in the API server's own shape (camelCase), so they are validated against the
Kubernetes OpenAPI schema as they are, and unit-tested directly.

Beside them: the NetworkPolicies (manifests/network_policies.py), the securityContexts
(manifests/security_context.py) and the model's autoscaler, HPA or ScaledObject, which ModelDelivery
registers (manifests/delivery/autoscaling.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import labels as L
from facts import mlflow_client_env as mlflow_env
from facts.runtimes import DOWNLOADER_IMAGE, MODEL_DIR, MODEL_MOUNT, Probe
from manifests.containers import server_container
from manifests.pod_security_namespace import pod_security_namespace
from manifests.registry_credentials import credentials_env, credentials_secret_manifest
from manifests.security_context import restricted_container_security, restricted_pod_security
from plan.registry_credentials import CREDENTIALS_SECRET
from plan.serving_plan import ServingPlan


def model_pods_selector(plan: ServingPlan) -> dict[str, str]:
    """Labels every pod of the model carries, Flagger's `-primary` pods included: Flagger rewrites the
    Deployment's selector label (app.kubernetes.io/name) to `<name>-primary` on primary pods and copies
    the others, so policies, budgets and scrapes select on these instead."""
    return {L.MODEL: plan.name, L.ENVIRONMENT: plan.environment}


def model_uri(registered_model: str, version: str) -> str:
    return f"models:/{registered_model}/{version}"


def namespace_manifest(plan: ServingPlan) -> dict:
    return pod_security_namespace(plan.namespace, plan.labels, plan.pod_security_level)


def service_account_manifest(plan: ServingPlan) -> dict:
    metadata = plan.metadata()
    if plan.service_account_annotations:
        metadata["annotations"] = dict(plan.service_account_annotations)
    # Model servers never call the Kubernetes API: no token mounted.
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata, "automountServiceAccountToken": False}


def registry_secret_manifest(plan: ServingPlan, values: Mapping[str, Any]) -> dict:
    """The Secret the model's download init container signs in to the registry with. `values`: one per
    key the plan's credentials name, text or secret Pulumi Outputs: builders never unwrap them."""
    return credentials_secret_manifest(plan.registry_credentials, plan.metadata(CREDENTIALS_SECRET), values)


def _http_probe(probe: Probe, port: str, model_name: str) -> dict:
    return {
        "httpGet": {"path": probe.path_for(model_name), "port": port},
        "periodSeconds": probe.period_seconds,
        "failureThreshold": probe.failure_threshold,
        "timeoutSeconds": probe.timeout_seconds,
    }


def _downloader(plan: ServingPlan, version: str) -> dict:
    env: list[dict[str, Any]] = [
        {"name": mlflow_env.TRACKING_URI, "value": plan.tracking_uri},
        {"name": "HOME", "value": "/tmp"},  # the MLflow client writes caches under $HOME
        *credentials_env(plan.registry_credentials),
    ]
    return {
        "name": "model-download",
        "image": DOWNLOADER_IMAGE,
        "command": [
            "mlflow",
            "artifacts",
            "download",
            "--artifact-uri",
            model_uri(plan.model.registered_model, version),
            "--dst-path",
            MODEL_DIR,
        ],
        "env": env,
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "securityContext": restricted_container_security(plan.runtime.run_as_user),
        "volumeMounts": [
            {"name": "model-store", "mountPath": MODEL_MOUNT},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def _server(plan: ServingPlan, version: str) -> dict:
    runtime = plan.runtime
    container = server_container(runtime, plan.model, version)
    env = [{"name": k, "value": v} for k, v in {**plan.model.env, **dict(plan.feature_env), **container.env}.items()]
    ports = [{"name": "http", "containerPort": runtime.http_port, "protocol": "TCP"}]
    if runtime.grpc_port:
        ports.append({"name": "grpc", "containerPort": runtime.grpc_port, "protocol": "TCP"})
    if runtime.metrics_port_name != "http":  # a server with metrics on its serving port (vLLM) has no second one
        ports.append({"name": runtime.metrics_port_name, "containerPort": runtime.metrics_port, "protocol": "TCP"})
    resources = plan.model.resources
    mounts = [
        {"name": "model-store", "mountPath": MODEL_MOUNT, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    if plan.model.serving.effective_shared_memory:
        mounts.append({"name": "dshm", "mountPath": "/dev/shm"})
    spec = {
        "name": "server",
        "image": runtime.image,
        "command": list(container.command),
        "env": env,
        "ports": ports,
        "resources": {
            "requests": {"cpu": str(resources.requests.cpu), "memory": str(resources.requests.memory)},
            "limits": {
                "cpu": str(resources.limits.cpu),
                "memory": str(resources.limits.memory),
                **plan.placement.extra_limits,
            },
        },
        "startupProbe": _http_probe(runtime.startup, "http", plan.name),
        "readinessProbe": _http_probe(runtime.readiness, "http", plan.name),
        "livenessProbe": _http_probe(runtime.liveness, "http", plan.name),
        "securityContext": restricted_container_security(runtime.run_as_user),
        "volumeMounts": mounts,
    }
    if container.args:
        spec["args"] = list(container.args)
    return spec


def deployment_manifest(plan: ServingPlan, version: str) -> dict:
    pod_labels = L.versioned_labels(plan.labels, version)
    volumes = [
        {"name": "model-store", "emptyDir": {"sizeLimit": str(plan.model.serving.model_storage)}},
        {"name": "tmp", "emptyDir": {"sizeLimit": plan.runtime.scratch_storage}},
    ]
    shared_memory = plan.model.serving.effective_shared_memory
    if shared_memory:
        # Memory-backed: /dev/shm must be RAM; the catalogue keeps it below the memory limit it counts against.
        volumes.append({"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": shared_memory}})
    pod_spec = {
        "serviceAccountName": plan.name,
        "automountServiceAccountToken": False,
        "securityContext": restricted_pod_security(plan.runtime.run_as_user, owns_volumes=True),
        "initContainers": [_downloader(plan, version)],
        "containers": [_server(plan, version)],
        "volumes": volumes,
        "terminationGracePeriodSeconds": 30,
        # Spread replicas so one zone or node going away never takes the whole model down.
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": model_pods_selector(plan)},
            }
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
        ],
    }
    if plan.placement.node_selector:
        pod_spec["nodeSelector"] = dict(plan.placement.node_selector)
    if plan.placement.tolerations:
        pod_spec["tolerations"] = [dict(t) for t in plan.placement.tolerations]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        # No spec.replicas: the autoscaler owns the replica count (and Flagger later scales this target).
        "metadata": {**plan.metadata(), "labels": pod_labels},
        "spec": {
            "selector": {"matchLabels": plan.selector},
            "revisionHistoryLimit": 5,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    "annotations": {"mlops.platform/model-uri": model_uri(plan.model.registered_model, version)},
                },
                "spec": pod_spec,
            },
        },
    }


def service_manifest(plan: ServingPlan) -> dict:
    runtime = plan.runtime
    ports = [{"name": "http", "port": runtime.http_port, "targetPort": "http", "protocol": "TCP"}]
    if runtime.grpc_port:
        ports.append(
            {"name": "grpc", "port": runtime.grpc_port, "targetPort": "grpc", "protocol": "TCP", "appProtocol": "grpc"}
        )
    if runtime.metrics_port_name != "http":
        ports.append(
            {
                "name": runtime.metrics_port_name,
                "port": runtime.metrics_port,
                "targetPort": runtime.metrics_port_name,
                "protocol": "TCP",
            }
        )
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": plan.metadata(),
        "spec": {"type": "ClusterIP", "selector": plan.selector, "ports": ports},
    }


def pdb_manifest(plan: ServingPlan) -> dict:
    # maxUnavailable (not minAvailable) so a one-replica dev model never blocks a node drain.
    spec = {"maxUnavailable": 1, "selector": {"matchLabels": model_pods_selector(plan)}}
    if plan.kubernetes_minor >= 27:
        # Evicting pods that are not ready anyway costs nothing and unblocks drains (GA in 1.31).
        spec["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": plan.metadata(), "spec": spec}


def model_download_container(plan: ServingPlan, version: str) -> dict:
    """The init container that downloads `version` into the model-store volume: the Deployment's own,
    reused by every other workload that loads the served model (batch jobs)."""
    return _downloader(plan, version)
