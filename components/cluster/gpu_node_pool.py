"""One GPU node pool of a GKE cluster, built from its typed settings, plus the pure facts around it:
what the provider's inputs are, which setting changes replace the pool, and what pods can rely on
about its nodes.

A replaced pool is deleted and created again (its name is fixed, so the old one goes first): every
GPU of that pool is gone until the new nodes are up. So a replacement is never silent: when the last
deployed settings are passed in, the component warns on the preview, naming each change that causes
it; in production the pool is protected, and Pulumi refuses to replace a protected resource, so the
update stops until someone removes the protection on purpose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from facts.waits import Timeouts, gpu_node_pool_timeouts
from plan.gpu_placement import PoolFacts, Taint
from plan.pool_facts import pool_scheduling_facts, pool_taints
from settings.cluster import MAX_NODES
from settings.gpu_node_pools import GpuNodePoolSettings

_GKE_TAINT_EFFECT = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}
# Nodes reach Google APIs through the node service account's IAM roles, not through scopes.
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


@dataclass(frozen=True)
class ReplacingSetting:
    """A setting whose change makes the provider replace the node pool (ForceNew in the schema)."""

    path: tuple[str, ...]  # camelCase path in GpuNodePoolSettings
    provider_property: str


# hashicorp/terraform-provider-google google/services/container/node_config.go and
# resource_container_node_pool.go: guest_accelerator and everything under it, spot,
# reservation_affinity and queued_provisioning are ForceNew (#23248: the driver version too).
# machineType, disk size/type, labels, taints, node locations, autoscaling, management and upgrade
# settings are updated in place (GKE re-creates nodes by the upgrade strategy, the pool stays).
REPLACING_SETTINGS: tuple[ReplacingSetting, ...] = (
    ReplacingSetting(("name",), "name"),
    ReplacingSetting(("accelerator", "type"), "nodeConfig.guestAccelerators[0].type"),
    ReplacingSetting(("accelerator", "count"), "nodeConfig.guestAccelerators[0].count"),
    ReplacingSetting(
        ("accelerator", "driverVersion"), "nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion"
    ),
    ReplacingSetting(("accelerator", "sharing"), "nodeConfig.guestAccelerators[0].gpuSharingConfig"),
    ReplacingSetting(("accelerator", "migPartitionSize"), "nodeConfig.guestAccelerators[0].gpuPartitionSize"),
    ReplacingSetting(("spot",), "nodeConfig.spot"),
    ReplacingSetting(("reservationAffinity",), "nodeConfig.reservationAffinity"),
    ReplacingSetting(("queuedProvisioning",), "queuedProvisioning.enabled"),
)


def _value_at(settings: GpuNodePoolSettings, path: tuple[str, ...]) -> Any:
    value: Any = settings.model_dump(by_alias=True, mode="json")
    for key in path:
        value = value[key]
    return value


def _shown(value: Any) -> str:
    """A setting value as it reads in the stack's YAML."""
    return value if isinstance(value, str) else json.dumps(value)


def replacement_fields(old: GpuNodePoolSettings, new: GpuNodePoolSettings) -> list[str]:
    """The changed settings that replace the pool, e.g. ['accelerator.driverVersion: DEFAULT -> LATEST']."""
    changes = []
    for setting in REPLACING_SETTINGS:
        before, after = _value_at(old, setting.path), _value_at(new, setting.path)
        if before != after:
            changes.append(f"{'.'.join(setting.path)}: {_shown(before)} -> {_shown(after)}")
    return changes


def replacement_warning(old: GpuNodePoolSettings, new: GpuNodePoolSettings, production: bool) -> str | None:
    """The loud preview line for a pool that a settings change replaces, or None."""
    changes = replacement_fields(old, new)
    if not changes:
        return None
    outcome = (
        "it is protected in production, so the update will stop: remove the protection deliberately to go ahead"
        if production
        else "its GPUs are gone until the new nodes are ready"
    )
    return (
        f"GPU node pool '{new.name}' will be REPLACED (deleted, then created again) because "
        f"{'; '.join(changes)}; {outcome}"
    )


def hardened_node_config(
    machine_type: str,
    disk_size_gb: int,
    disk_type: str,
    service_account: pulumi.Input[str],
    labels: dict[str, str],
    taints: tuple[Taint, ...] = (),
) -> dict[str, Any]:
    """Node settings every pool of the platform shares: least-privilege service account, Workload
    Identity metadata server (pods never see the node's credentials), Shielded VM, COS (the only
    image the LATEST GPU driver installs on)."""
    return {
        "machine_type": machine_type,
        "image_type": "COS_CONTAINERD",
        "disk_size_gb": disk_size_gb,
        "disk_type": disk_type,
        "service_account": service_account,
        "oauth_scopes": [CLOUD_PLATFORM_SCOPE],
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
        "labels": labels,
        "taints": [{"key": t.key, "value": t.value, "effect": _GKE_TAINT_EFFECT[t.effect]} for t in taints],
    }


def guest_accelerator(pool: GpuNodePoolSettings) -> dict[str, Any]:
    acc = pool.accelerator
    spec: dict[str, Any] = {
        "type": acc.type,
        "count": acc.count,
        "gpu_driver_installation_config": {"gpu_driver_version": acc.driver_version},
    }
    if acc.sharing:
        spec["gpu_sharing_config"] = {
            "gpu_sharing_strategy": acc.sharing.strategy,
            "max_shared_clients_per_gpu": acc.sharing.max_shared_clients_per_gpu,
        }
    if acc.mig_partition_size:
        spec["gpu_partition_size"] = acc.mig_partition_size
    return spec


def node_pool_inputs(
    pool: GpuNodePoolSettings,
    cluster: pulumi.Input[str],
    location: pulumi.Input[str],
    project: str,
    service_account: pulumi.Input[str],
) -> dict[str, Any]:
    """Keyword arguments of gcp.container.NodePool for this pool. No initial node count: the pool
    starts empty and the autoscaler sizes it (a changed initial count would replace the pool)."""
    node_config = hardened_node_config(
        pool.machine_type, pool.disk_size_gb, pool.disk_type, service_account, dict(pool.labels), pool_taints(pool)
    )
    node_config["guest_accelerators"] = [guest_accelerator(pool)]
    node_config["spot"] = pool.spot
    if pool.reservation_affinity:
        affinity = pool.reservation_affinity
        node_config["reservation_affinity"] = {
            "consume_reservation_type": affinity.consume_reservation_type,
            **({"key": affinity.key, "values": list(affinity.values)} if affinity.key else {}),
        }
    upgrade = pool.upgrade_settings
    inputs: dict[str, Any] = {
        "name": pool.name,
        "cluster": cluster,
        "location": location,
        "project": project,
        "autoscaling": {
            "total_min_node_count": pool.autoscaling.total_min_node_count,
            "total_max_node_count": pool.autoscaling.total_max_node_count,
            "location_policy": pool.autoscaling.location_policy,
        },
        "management": {"auto_repair": pool.auto_repair, "auto_upgrade": pool.auto_upgrade},
        "upgrade_settings": (
            {"strategy": "SURGE", "max_surge": upgrade.max_surge, "max_unavailable": upgrade.max_unavailable}
            if upgrade.strategy == "SURGE"
            else {"strategy": "BLUE_GREEN"}
        ),
        "node_config": node_config,
    }
    if pool.node_locations:
        inputs["node_locations"] = list(pool.node_locations)
    if pool.queued_provisioning:
        inputs["queued_provisioning"] = {"enabled": True}
    return inputs


def node_pool_timeouts(pool: GpuNodePoolSettings) -> Timeouts:
    upgrade = pool.upgrade_settings
    # BLUE_GREEN brings up a whole second set of nodes at once: one round.
    surge = upgrade.max_surge + upgrade.max_unavailable if upgrade.strategy == "SURGE" else MAX_NODES
    scaling = pool.autoscaling
    return gpu_node_pool_timeouts(scaling.total_min_node_count, scaling.total_max_node_count, surge)


@dataclass(frozen=True)
class GpuNodePoolArgs:
    pool: GpuNodePoolSettings
    cluster: pulumi.Input[str]  # the cluster's name (or id)
    location: pulumi.Input[str]  # the cluster's location
    project: str
    node_service_account: pulumi.Input[str]  # email of the least-privilege node service account
    production: bool  # protect the pool: the engine then refuses to delete or replace it
    # The pool as last deployed (its `gpuNodePools` entry in the stack's outputs, camelCase), to warn
    # about replacements on the preview; None for a new pool or when unknown.
    previous: pulumi.Input[dict] | None = None


class GpuNodePool(pulumi.ComponentResource):
    node_pool: gcp.container.NodePool
    name: pulumi.Output[str]
    facts: PoolFacts

    def __init__(self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:infra:GpuNodePool", name, None, opts)
        if args.previous is not None:
            pulumi.Output.from_input(args.previous).apply(lambda old: self._warn_if_replaced(old, args))
        self.node_pool = gcp.container.NodePool(
            f"{name}-pool",
            **node_pool_inputs(args.pool, args.cluster, args.location, args.project, args.node_service_account),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.production,
                delete_before_replace=True,
                # Longer than the provider's 30 min where the pool's size says so (facts/waits.py).
                custom_timeouts=pulumi.CustomTimeouts(**node_pool_timeouts(args.pool).as_strings()),
            ),
        )
        self.name = self.node_pool.name
        self.facts = pool_scheduling_facts(args.pool)
        self.register_outputs({"name": self.name, "accelerator": args.pool.accelerator.type})

    def _warn_if_replaced(self, previous: dict | None, args: GpuNodePoolArgs) -> None:
        if not previous:
            return
        try:
            old = GpuNodePoolSettings.model_validate(previous)
        except ValueError:
            pulumi.log.warn(
                f"GPU node pool '{args.pool.name}': the last deployed settings no longer parse; "
                "cannot tell whether this update replaces the pool",
                resource=self,
            )
            return
        message = replacement_warning(old, args.pool, args.production)
        if message:
            pulumi.log.warn(message, resource=self)
