"""The Canary's webhooks, all served by Flagger's load tester.

- pre-rollout: one load test through the traffic layer (the model's hostname, with the Host header the
  HTTPRoute expects, on the scheme and port of the Gateway's listener) before any traffic moves: a
  broken route or request stops the rollout at 0%.
- rollout: load on the canary Service at every tick, so the canary pods always have data; a query that
  returns nothing fails the check (facts-delivery.md section 3). The same load also starts as a
  pre-rollout hook: the first analysis tick calls the rollout hook just before its checks, so without it
  that tick's window would be empty and cost a failed check on every rollout (Flagger never resets them).
  Both calls carry the same command, and the load tester skips a command that is already running.
- confirm-promotion: the load tester's gate, closed until someone opens it (approval environments).
- rollback: the load tester's rollback gate, so an operator can abort a rollout by hand.
"""

from __future__ import annotations

import json
import math
import shlex

from manifests.delivery.traffic_guard import min_requests
from plan.delivery import SCRAPE_SECONDS, DeliveryPlan


def _load_request(plan: DeliveryPlan) -> tuple[str, str] | None:
    """(path, JSON body) of one valid inference request, or None when the catalogue gives none."""
    delivery = plan.serving.model.delivery
    if delivery.load_test is not None:
        return delivery.load_test.path, delivery.load_test.body
    if plan.serving.runtime.generative:
        body = {"model": plan.name, "prompt": "Say hello.", "max_tokens": 8}
        return "/v1/completions", json.dumps(body, separators=(",", ":"))
    return None


# The canary's load: requests per second in total, whatever its latency. hey's workers each send one
# request at a time, so a slow candidate would get fewer requests and fail the traffic guard instead of
# its latency check: there are enough workers to keep the rate up to twice the latency objective.
CANARY_LOAD_RPS = 10
# One load for the whole rollout: Flagger calls no hook while it waits for a route update, and the load
# tester skips a call whose command still runs, so a load that ends during such a wait leaves the next
# check's window empty (a failed check that is never reset). 55 minutes stays under the load tester's
# 1 h exec timeout (cmd/loadtester -timeout); after a rollout it hits a Service without pods, cheaply.
LOAD_SECONDS = 3300


def load_rps(plan: DeliveryPlan) -> int:
    """At least CANARY_LOAD_RPS, and half again the traffic guard's minimum over the span a window's
    samples cover (the window less one scrape, before Prometheus extrapolates)."""
    covered = plan.window_seconds - SCRAPE_SECONDS
    return max(CANARY_LOAD_RPS, math.ceil(1.5 * min_requests(plan) / covered))


def load_workers(plan: DeliveryPlan) -> tuple[int, float]:
    """(workers, requests per second per worker) of the canary load."""
    rps = load_rps(plan)
    workers = max(2, math.ceil(rps * 2 * plan.serving.model.slo.latency_p99_ms / 1000))
    return workers, round(rps / workers, 3)


def _hey(url: str, body: str, duration: str, host: str | None, rate: float, workers: int = 2) -> str:
    # The load tester runs `cmd` through a shell: every argument is quoted.
    parts = ["hey", "-z", duration, "-q", f"{rate:g}", "-c", str(workers), "-m", "POST", "-T", "application/json"]
    if host:
        parts += ["-host", host]
    parts += ["-d", body, url]
    return " ".join(shlex.quote(p) for p in parts)


def _curl(url: str, body: str, host: str) -> str:
    """One request that must succeed (curl -f fails on any HTTP error)."""
    parts = ["curl", "-sSf", "--max-time", "10", "-X", "POST", "-H", "Content-Type: application/json"]
    parts += ["-H", f"Host: {host}", "-d", body, "-o", "/dev/null", url]
    return " ".join(shlex.quote(p) for p in parts)


def webhooks(plan: DeliveryPlan) -> list[dict]:
    base = plan.platform.loadtester_url.rstrip("/")
    if not base:
        return []
    hooks = []
    request = _load_request(plan)
    port = plan.serving.runtime.http_port
    tick = f"{LOAD_SECONDS}s"
    if request is not None:
        path, body = request
        if plan.host and plan.platform.gateway is not None:
            # The scheme and port of the listener the route attaches to: prod's Gateway listens on HTTPS 443 only.
            gateway_url = plan.platform.gateway.url(plan.host, path)
            # `bash` tasks block and fail on a non-zero exit: one request that must succeed, then 30s of load.
            command = f"{_curl(gateway_url, body, plan.host)} && {_hey(gateway_url, body, '30s', plan.host, 5)}"
            hooks.append(
                {
                    "name": "load-test-through-gateway",
                    "type": "pre-rollout",
                    "url": f"{base}/",
                    "timeout": "60s",
                    "metadata": {"type": "bash", "cmd": command},
                }
            )
        canary_url = f"http://{plan.name}-canary.{plan.namespace}:{port}{path}"
        workers, rate = load_workers(plan)
        load = {"type": "cmd", "cmd": _hey(canary_url, body, tick, None, rate, workers)}
        # Returns at once (the load tester runs it in the background): a timeout well under the 10 s tick,
        # as Flagger asks of rollout hooks (webhooks.md: their timeouts must sum below the interval).
        hooks.append(
            {"name": "warm-up-canary", "type": "pre-rollout", "url": f"{base}/", "timeout": "5s", "metadata": load}
        )
        hooks.append({"name": "load-canary", "type": "rollout", "url": f"{base}/", "timeout": "5s", "metadata": load})
    if plan.strategy.approval:
        hooks.append({"name": "approval-gate", "type": "confirm-promotion", "url": f"{base}/gate/check"})
    hooks.append({"name": "manual-rollback", "type": "rollback", "url": f"{base}/rollback/check"})
    return hooks
