"""How Flagger 1.44 runs an analysis and which strategies each of its routers supports.

One table of facts the delivery plan, the Canary builders and the analysis simulator rely on, each
with its source in fluxcd/flagger at tag v1.44.0 (commit 15bd6ad555e6c935da55f0ab95977be74c149bd6).
Paths are in that tree; [GKE] facts are from ../shared/design/facts-delivery.md section 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FLAGGER_SOURCE = "fluxcd/flagger@v1.44.0 (15bd6ad5)"

Strategy = Literal["canary", "blueGreen", "abTest", "mirror"]
STRATEGIES: tuple[Strategy, ...] = ("canary", "blueGreen", "abTest", "mirror")


@dataclass(frozen=True)
class Fact:
    claim: str
    source: str


# The scheduler: what one analysis tick does (pkg/controller/scheduler.go, scheduler_metrics.go, job.go).
MIN_INTERVAL_SECONDS = 10  # GetAnalysisInterval clamps anything shorter to 10s
SCHEDULER: tuple[Fact, ...] = (
    Fact(
        "one tick per analysis.interval; the job runs advanceCanary once at creation, then on a time.Ticker",
        "pkg/controller/job.go Start; pkg/apis/flagger/v1beta1/canary.go GetAnalysisInterval (min 10s)",
    ),
    Fact(
        "failedChecks only ever grows during a rollout (+1 per failed tick, reset only on a new revision): "
        "`threshold` counts failed ticks in total, not in a row",
        "pkg/controller/scheduler.go advanceCanary l.455/462 (SetStatusFailedChecks +1), l.340-346 (reset)",
    ),
    Fact(
        "the threshold is checked before the tick's analysis: the tick after the threshold-th failure rolls back",
        "pkg/controller/scheduler.go advanceCanary l.429-441 then runAnalysis l.459",
    ),
    Fact(
        "a tick's checks run in spec order and stop at the first failing one (one failed check per tick); "
        "rollout webhooks run first",
        "pkg/controller/scheduler.go runAnalysis; scheduler_metrics.go runMetricChecks",
    ),
    Fact(
        "an empty result or NaN is 'no values found': a failed check, never a pass",
        "pkg/metrics/providers/prometheus.go RunQuery (value == nil || IsNaN -> ErrNoValuesFound)",
    ),
    Fact(
        "the first tick of a rollout runs pre-rollout webhooks instead of the analysis, then sets the first weight",
        "pkg/controller/scheduler.go advanceCanary l.447-466",
    ),
    Fact(
        "stepWeights with a repeated weight stall: at weight w nextStepWeight finds the first index holding w and "
        "returns stepWeights[i+1] - w = 0, so the canary never advances nor promotes",
        "pkg/controller/scheduler.go nextStepWeight l.58-90 and advanceCanary l.493 (`nextStepWeight > 0`)",
    ),
    Fact(
        "promotion: at the last weight a passing tick runs confirm-promotion webhooks, copies the spec to the "
        "primary (Promoting); the next tick routes 100% to the primary (Finalising); the next scales the canary down",
        "pkg/controller/scheduler.go runCanary l.611-636, runPromotionTrafficShift l.508-531, advanceCanary l.384-427",
    ),
    Fact(
        "blue/green: `iterations` passing ticks on the canary (no user traffic unless mirrored), confirm-promotion, "
        "then one SetRoutes(0, 100), then promotion; A/B: SetRoutes(0, 100) for the matched segment for "
        "`iterations` ticks, confirm-promotion, promotion",
        "pkg/controller/scheduler.go runBlueGreen l.682-750, runAB l.639-680; canary.go DeploymentStrategy",
    ),
    Fact(
        "rollback routes 100% to the primary and scales the canary to zero at once",
        "pkg/controller/scheduler.go rollback l.948-1002",
    ),
    Fact(
        "a metric's own `interval` is the query window ({{ interval }}), default 1m; it is not the tick",
        "pkg/controller/scheduler_metrics.go toMetricModel; canary.go GetMetricInterval",
    ),
    Fact(
        "the load tester runs a `cmd` task in the background and skips a call whose task is already running",
        "pkg/loadtester/runner.go runAll (runningTasks keyed by task hash)",
    ),
)

# The gatewayapi router (pkg/router/gateway_api.go) and the kubernetes provider (NopRouter).
GATEWAY_ROUTER: tuple[Fact, ...] = (
    Fact(
        "GetRoutes fails while the HTTPRoute's Accepted condition is not True or its observedGeneration lags: "
        "that tick does nothing (no analysis, no failed check) until the Gateway has applied the route",
        "pkg/router/gateway_api.go GetRoutes l.271-287 (since 1.42, fluxcd/flagger#1791)",
    ),
    Fact(
        "analysis.match headers map to Exact or RegularExpression header matches, queryParams likewise; "
        "prefix/suffix header matches are an error (the route is never reconciled)",
        "pkg/router/gateway_api.go mapRouteMatches l.624-690",
    ),
    Fact(
        "the RequestMirror filter is only written when iterations > 0 (blue/green): a canary-strategy mirror step "
        "is written without it, so Flagger re-enters the first step on every tick",
        "pkg/router/gateway_api.go SetRoutes l.383-398; scheduler.go runCanary l.577-590",
    ),
    Fact(
        "sessionAffinity with match: the sticky rule takes the match and a PathPrefix / rule keeps canary weight "
        "100, so every user reaches the canary; session affinity is for weighted canaries only",
        "pkg/router/gateway_api.go SetRoutes l.409-433, getSessionAffinityRouteRules l.462-560",
    ),
    Fact(
        "kubernetes provider: no router, so match is dropped with a warning and a canary without iterations is "
        "forced to 10 blue/green iterations",
        "pkg/controller/scheduler.go advanceCanary l.469-480",
    ),
    Fact(
        "deployment strategies per provider: canary on Gateway API; A/B on Gateway API; blue/green on Kubernetes "
        "CNI and Gateway API; blue/green mirroring on Istio and Gateway API",
        "docs/gitbook/usage/deployment-strategies.md l.1-14",
    ),
    Fact(
        "[GKE] the managed Gateway takes a minute or two to report an HTTPRoute change applied",
        "facts-delivery.md section 3, constraint 2 (kubernetes-sigs/external-dns#5486)",
    ),
    Fact(
        "[GKE] header matching, traffic splitting and mirroring are supported by the managed GatewayClasses; "
        "RegularExpression header matches (what cookie matching needs) map to a URL-map regexMatch, which Compute "
        "Engine documents for INTERNAL_SELF_MANAGED load balancers only",
        "facts-delivery.md section 3 (GKE traffic-splitting doc); Compute API HttpHeaderMatch.regexMatch",
    ),
)

# What each strategy needs from the traffic layer, and which Flagger provider of this platform gives it.
TrafficLayer = Literal["gatewayapi", "kubernetes"]


@dataclass(frozen=True)
class StrategySupport:
    needs: str  # what the traffic layer must do (the feature table in docs/delivery.md)
    layers: tuple[TrafficLayer, ...]  # this platform's layers that support it
    elsewhere: str  # Flagger providers outside this platform that would


SUPPORT: dict[Strategy, StrategySupport] = {
    "canary": StrategySupport(
        "weighted routing between two Services",
        ("gatewayapi",),
        "Istio, Linkerd, NGINX, Contour, Gloo, Traefik, Kuma, APISIX",
    ),
    "blueGreen": StrategySupport(
        "none during the analysis; one switch of all traffic (a Service selector is enough)",
        ("gatewayapi", "kubernetes"),
        "every provider",
    ),
    "abTest": StrategySupport(
        "routing by request header (Exact match)", ("gatewayapi",), "Istio, App Mesh, NGINX, Contour, Gloo"
    ),
    "mirror": StrategySupport("a RequestMirror filter (shadow copies, responses dropped)", ("gatewayapi",), "Istio"),
}


def layer_of(flagger_provider: str) -> TrafficLayer:
    return "gatewayapi" if flagger_provider.startswith("gatewayapi") else "kubernetes"
