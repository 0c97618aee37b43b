"""One fully resolved plan per (model, environment): what every builder needs, decided once.

Builders read a `ServingPlan` and never resolve anything again: names, namespace, runtime, placement
and the catalogue entry are fixed here, by `plan.serving.serving_plans`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from catalogue.schema import ModelSpec
from core import labels as L
from facts.quality_metrics import Series
from facts.runtimes import RuntimePreset
from plan.registry_credentials import PodCredentials


@dataclass(frozen=True)
class Placement:
    """Where pods may run: filled for GPU models from the pool that matches them."""

    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict, ...] = ()
    extra_limits: dict[str, str] = field(default_factory=dict)  # e.g. {"nvidia.com/gpu": "1"}


@dataclass(frozen=True)
class Scaling:
    """Who owns the model's replica count, and within which bounds (the catalogue's for the environment).

    One decision for both autoscalers: a KEDA ScaledObject when the stack installs KEDA (it scales on
    demand and makes its own HPA, so a second one would fight it), else a CPU/memory HPA."""

    min_replicas: int
    max_replicas: int
    keda: bool = False


@dataclass(frozen=True)
class ServingPlan:
    """Everything the builders need about one model in one environment, already validated."""

    model: ModelSpec
    environment: str
    namespace: str
    runtime: RuntimePreset
    tracking_uri: str  # as seen from the pods
    kubernetes_minor: int
    monitoring_namespace: str
    traffic_namespaces: tuple[str, ...]
    traffic_source_cidrs: tuple[str, ...]
    scaling: Scaling
    # The model-quality series Prometheus will have for this model (plan/quality_signals.py decides):
    # the canary's checks, the alerts, the panels and the quality monitor read only these.
    quality_series: frozenset[Series]
    pod_security_level: str = "restricted"
    # What the pods that read the registry sign in with (plan/registry_credentials.py); None: nothing.
    registry_credentials: PodCredentials | None = None
    placement: Placement = field(default_factory=Placement)
    # Values are text, or Pulumi Outputs (a Workload Identity email) that the component fills in.
    service_account_annotations: Mapping[str, Any] = field(default_factory=dict)
    # FEAST_* for a model that reads the feature store (plan/feature_store.py feature_env), else empty.
    feature_env: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def labels(self) -> dict[str, str]:
        return L.model_labels(self.name, self.environment, self.model.team, self.model.labels)

    @property
    def selector(self) -> dict[str, str]:
        return L.selector_labels(self.name, self.environment)

    def metadata(self, name: str | None = None) -> dict:
        return {"name": name or self.name, "namespace": self.namespace, "labels": self.labels}
