"""One model's rollout strategy on one stack: what the catalogue asks for, checked against the stack's
traffic layer and canary policy, decided down to the numbers the Canary carries.

Refused here, each with one problem naming the file, the key and the fix: a strategy the traffic layer
cannot run (facts/flagger_analysis.py SUPPORT says which layer would), a cookie segment on GKE's Gateway,
a blue/green analysis with no load test (the candidate gets no user traffic, so it could never pass),
traffic levels too close together for the environment's checks per level. Warned: a reinforcement-learning
agent rolled out to prod by anything but blueGreen (checkpoints must not mix).
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.strategy import SegmentMatch
from core.problems import ProblemCollector
from facts.flagger_analysis import SUPPORT, Strategy, layer_of
from plan.platform import PlatformRefs
from plan.serving_plan import ServingPlan
from settings.delivery import CanaryPolicy
from settings.stack import config_key


@dataclass(frozen=True)
class RolloutStrategy:
    requested: Strategy  # what the catalogue entry asks for in this environment
    kind: Strategy  # what the Canary runs: canary on a layer without weights runs as blueGreen
    traffic_steps: tuple[int, ...] = ()  # canary: stepWeights as Flagger gets them
    iterations: int = 0  # blueGreen, abTest, mirror: analysed ticks before promotion
    match: tuple[SegmentMatch, ...] = ()  # abTest: the segment
    approval: bool = False  # a person confirms before promotion (confirm-promotion gate)

    @property
    def person_acts(self) -> str:
        """Where a person must act (the strategy table in docs/delivery.md)."""
        return "approves promotion" if self.approval else "never"


def rollout_strategy(
    serving: ServingPlan,
    policy: CanaryPolicy,
    platform: PlatformRefs,
    gke: bool,
    problems: ProblemCollector,
    models_dir: str,
    stack_file: str,
) -> tuple[RolloutStrategy, tuple[str, ...]]:
    """The decided strategy and any warnings; problems go to `problems`."""
    model, environment = serving.model, serving.environment
    spec = model.delivery.strategy_for(environment)
    source, key = f"{models_dir}/{model.name}.yaml", f"delivery.strategy.{environment}"
    layer = layer_of(platform.flagger_provider) if platform.gateway is not None else "kubernetes"
    support = SUPPORT[spec.type]
    warnings: list[str] = []
    if model.delivery.model_kind == "reinforcementLearning" and environment == "prod" and spec.type != "blueGreen":
        warnings.append(
            f"{source}: {key}: {model.name} is a reinforcement-learning agent rolled out with {spec.type}: "
            "requests of one episode may reach two checkpoints; use type: blueGreen in prod"
        )
    if spec.type != "canary" and layer not in support.layers:
        problems.add(
            source,
            f"{key}.type",
            f"{spec.type} needs {support.needs}, which this stack's traffic layer ({platform.flagger_provider}, "
            f"no Gateway) does not do",
            f"run it on a stack with the Gateway (Flagger gatewayapi; elsewhere {support.elsewhere}), "
            "or use blueGreen here",
        )
    if gke and any(m.cookie for m in spec.match or ()):
        problems.add(
            source,
            f"{key}.match",
            "a cookie segment needs a RegularExpression header match, which GKE's Gateway does not document "
            "for its external load balancers (facts/flagger_analysis.py)",
            "match a request header instead (set by your edge), or use a layer with regex matches (Istio, NGINX, Contour)",
        )
    if spec.type == "blueGreen" and policy.analysis and not (_has_load_test(serving) and platform.loadtester_url):
        problems.add(
            source,
            f"{key}.type",
            "blueGreen analyses the candidate before any user reaches it, so only the load test gives it "
            "traffic, and this model (or stack) has none",
            "set delivery.loadTest (and install Flagger's load tester), or use canary",
        )
    if (
        spec.type in ("canary", "abTest")
        and policy.analysis
        and not (_has_load_test(serving) and platform.loadtester_url)
    ):
        warnings.append(
            f"{source}: delivery.loadTest: none, so the {environment} analysis of {model.name} relies on live "
            "traffic alone: the traffic guard needs its minimum in every check window at the first step (1% of "
            "traffic in prod), or the rollout fails on request-count and rolls back; add a load test"
        )
    kind: Strategy = spec.type
    if spec.type == "canary" and layer == "kubernetes":
        kind = "blueGreen"  # no weights without a router: Flagger runs blue/green iterations
    # blueGreen and mirror switch everyone at once: a person confirms. Without analysis Flagger promotes
    # at once and runs no gate (scheduler.go shouldSkipAnalysis).
    approval = policy.analysis and (policy.approval or spec.type in ("blueGreen", "mirror"))
    if kind == "canary":
        levels = spec.step_weights or policy.step_weights
        steps = policy.traffic_steps(levels)
        if list(steps) != sorted(set(steps)) or steps[-1] > 99:
            problems.add(
                source if spec.step_weights else stack_file,
                f"{key}.stepWeights" if spec.step_weights else config_key("delivery") + ".canary.stepWeights",
                f"levels {list(levels)} are too close to hold each for {policy.checks_per_step} checks "
                f"(+1% steps give {list(steps)})",
                f"space the levels at least {policy.checks_per_step} apart and below {100 - policy.checks_per_step + 1}, "
                "or lower delivery.canary.checksPerStep",
            )
        return RolloutStrategy(spec.type, kind, traffic_steps=steps, approval=approval), tuple(warnings)
    iterations = spec.analysed_iterations() or len(policy.traffic_steps())
    return (
        RolloutStrategy(spec.type, kind, iterations=iterations, match=spec.match or (), approval=approval),
        tuple(warnings),
    )


def _has_load_test(serving: ServingPlan) -> bool:
    return serving.model.delivery.load_test is not None or serving.runtime.generative
