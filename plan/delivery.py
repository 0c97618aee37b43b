"""From settings, serving plans and the platform's add-ons to one DeliveryPlan per model.

The cross-file checks of delivery live here, reported together before anything is registered: a
fallback that names no served model or speaks another protocol, a switch without a fallback or
without a Gateway to switch on, a strategy the traffic layer cannot run (plan/delivery_strategy.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from core.problems import ProblemCollector
from facts.runtime_metrics import MetricsTable, metrics_for
from plan.delivery_strategy import RolloutStrategy, rollout_strategy
from plan.platform import PlatformRefs
from plan.serving_plan import ServingPlan
from settings.delivery import AlertChannel, CanaryPolicy
from settings.stack import StackSettings, config_key

# GKE takes a minute or more to apply an HTTPRoute change (facts-delivery.md section 3, constraint 2).
# Flagger waits for it before the next analysis (facts/flagger_analysis.py GATEWAY_ROUTE_UPDATE), so it
# bounds how fast weights move and adds to every rollback, but does not bound the tick.
GATEWAY_ROUTE_UPDATE_SECONDS = 60
# Prometheus scrapes model pods this often (the PodMonitor); a check's window spans three scrapes, so
# one missed scrape still leaves a rate, and a one-scrape spike fails at most two checks.
SCRAPE_SECONDS = 5
WINDOW_SCRAPES = 3
# Runtimes whose model name is in the URL path (V2 inference protocol), so the fallback route can
# rewrite /v2/models/<model>/ to /v2/models/<fallback>/. vLLM names the model in the request body.
PATH_ROUTED_RUNTIMES = ("mlserver", "triton")
# vLLM's default e2e latency buckets start at 0.3 s (facts-delivery.md section 2c): a quantile below the
# first bucket cannot be told apart from 0.3 s, so a tighter objective would never pass the analysis.
VLLM_FIRST_LATENCY_BUCKET_MS = 300


@dataclass(frozen=True)
class FallbackTarget:
    """The warm fallback model this model's traffic can be switched to."""

    model: str
    namespace: str
    service: str
    port: int


@dataclass(frozen=True)
class DeliveryPlan:
    serving: ServingPlan
    policy: CanaryPolicy
    platform: PlatformRefs
    strategy: RolloutStrategy = RolloutStrategy("canary", "canary")
    warnings: tuple[str, ...] = ()  # logged by the component (pulumi.log.warn), never fatal
    fallback: FallbackTarget | None = None
    fallback_active: bool = False  # the switch: route this model's traffic to `fallback`
    alerts: bool = False  # an alert webhook URL is configured (secret config)
    alert_channel: AlertChannel = "slack"
    gke: bool = False  # a GKE cluster: its Gateway needs a HealthCheckPolicy per backend Service

    @property
    def name(self) -> str:
        return self.serving.name

    @property
    def namespace(self) -> str:
        return self.serving.namespace

    @property
    def metrics(self) -> MetricsTable:
        return metrics_for(self.serving.runtime.name)

    @property
    def host(self) -> str | None:
        """The hostname the model's HTTPRoute serves (None without a Gateway, or without a suffix, which
        settings refuse on a Gateway stack: never `<model>.`, which the Gateway API rejects)."""
        gateway = self.platform.gateway
        return f"{self.name}.{gateway.hostname_suffix}" if gateway and gateway.hostname_suffix else None

    @property
    def window_seconds(self) -> int:
        return check_window_seconds(self.policy.interval_seconds)

    @property
    def weighted(self) -> bool:
        """Progressive traffic weights need a weighted router; the kubernetes provider is blue/green."""
        return self.platform.flagger_provider != "kubernetes" and self.platform.gateway is not None


def check_window_seconds(interval_seconds: int) -> int:
    """Each check's query window (the metric's `interval`): three scrapes, at least one tick."""
    return max(SCRAPE_SECONDS * WINDOW_SCRAPES, interval_seconds)


def loadtester_namespace(url: str) -> str | None:
    """The namespace in an in-cluster URL like http://flagger-loadtester.<namespace>/ (None if not one)."""
    host = urlparse(url).hostname or ""
    parts = host.split(".")
    return parts[1] if len(parts) >= 2 else None


def delivery_plans(
    settings: StackSettings,
    servings: dict[str, ServingPlan],
    platform: PlatformRefs,
    alerts: bool = False,
) -> dict[str, DeliveryPlan]:
    """Every model's delivery plan, or one ConfigError listing every delivery problem."""
    problems = ProblemCollector()
    stack_file = f"Pulumi.{settings.stack}.yaml"
    policy = settings.delivery.policy(settings.environment)
    window = SCRAPE_SECONDS * WINDOW_SCRAPES
    spike_ticks = -(-check_window_seconds(policy.interval_seconds) // policy.interval_seconds)
    if policy.analysis and spike_ticks > policy.threshold - 1:
        longer = (
            f"set intervalSeconds to at least {-(-window // (policy.threshold - 1))}, or "
            if policy.threshold > 1
            else ""
        )
        problems.add(
            stack_file,
            config_key("delivery") + ".canary.threshold",
            f"one {SCRAPE_SECONDS}s spike stays in the {window}s check window for {spike_ticks} tick(s) of "
            f"{policy.interval_seconds}s, so it alone would reach {policy.threshold} failed check(s) and roll back",
            f"{longer}raise delivery.canary.threshold to {spike_ticks + 1}",
        )
    if servings and not settings.addons.flagger.enabled:
        # components/delivery/model_delivery.py gives every model a Canary, whose CRD the Flagger chart
        # installs, and the model's Service is the one Flagger generates from it (flagger_owns_service).
        problems.add(
            stack_file,
            config_key("addons") + ".flagger.enabled",
            f"every served model ({', '.join(sorted(servings))}) is rolled out by a Flagger Canary, which also "
            "creates its Service; with Flagger off the Canaries have no CRD and the models no Service",
            "keep addons.flagger.enabled: true on a stack that serves models",
        )
    loadtester = loadtester_namespace(platform.loadtester_url)
    if loadtester and loadtester not in settings.traffic_namespaces:
        problems.add(
            stack_file,
            config_key("trafficNamespaces"),
            f"the canary load tester runs in namespace {loadtester!r}, which the model NetworkPolicies do not admit",
            f"add {loadtester} to trafficNamespaces",
        )
    for name in settings.delivery.fallback_active:
        if name not in servings:
            problems.add(
                stack_file,
                config_key("delivery") + ".fallbackActive",
                f"{name!r} is not served by this stack",
                f"use one of: {', '.join(sorted(servings)) or 'none'}",
            )
        elif servings[name].model.delivery.fallback is None:
            problems.add(
                stack_file,
                config_key("delivery") + ".fallbackActive",
                f"model {name!r} names no fallback",
                f"set delivery.fallback in {settings.models_dir}/{name}.yaml, or remove {name} here",
            )
        elif platform.gateway is None:
            problems.add(
                stack_file,
                config_key("delivery") + ".fallbackActive",
                "this stack has no Gateway, and the switch is a route on it",
                "remove the entry; without a Gateway, pin the version instead (environments.<env>.version)",
            )

    plans = {}
    for name, serving in servings.items():
        if serving.runtime.name == "vllm" and serving.model.slo.latency_p99_ms < VLLM_FIRST_LATENCY_BUCKET_MS:
            problems.add(
                f"{settings.models_dir}/{name}.yaml",
                "slo.latencyP99Ms",
                f"{serving.model.slo.latency_p99_ms} ms is below vLLM's first latency bucket "
                f"({VLLM_FIRST_LATENCY_BUCKET_MS} ms), so the canary analysis could never pass",
                f"set it to at least {VLLM_FIRST_LATENCY_BUCKET_MS}",
            )
        fallback = None
        wanted = serving.model.delivery.fallback
        if wanted is not None:
            source, key = f"{settings.models_dir}/{name}.yaml", "delivery.fallback"
            target = servings.get(wanted)
            if wanted == name:
                problems.add(source, key, "a model cannot be its own fallback", "name another catalogue model")
            elif target is None:
                problems.add(
                    source,
                    key,
                    f"{wanted!r} is not served by stack {settings.stack!r}, so it is not warm",
                    f"add environments.{settings.environment} to {settings.models_dir}/{wanted}.yaml, or remove delivery.fallback",
                )
            elif serving.runtime.name not in PATH_ROUTED_RUNTIMES or target.runtime.name != serving.runtime.name:
                problems.add(
                    source,
                    key,
                    f"{wanted!r} runs on {target.runtime.name} and {name!r} on {serving.runtime.name}; the switch "
                    f"rewrites the V2 path /v2/models/<name>/, so both must use the same runtime among "
                    f"{', '.join(PATH_ROUTED_RUNTIMES)}",
                    "name a fallback served by the same V2 runtime, or remove delivery.fallback",
                )
            else:
                fallback = FallbackTarget(wanted, target.namespace, target.name, target.runtime.http_port)
        gke = settings.cluster.mode == "gke"
        strategy, warnings = rollout_strategy(serving, policy, platform, gke, problems, settings.models_dir, stack_file)
        plans[name] = DeliveryPlan(
            serving=serving,
            policy=policy,
            platform=platform,
            strategy=strategy,
            warnings=warnings,
            fallback=fallback,
            fallback_active=name in settings.delivery.fallback_active and fallback is not None,
            alerts=alerts,
            alert_channel=settings.delivery.alert_channel,
            gke=gke,
        )
    problems.raise_if_any()
    return plans
