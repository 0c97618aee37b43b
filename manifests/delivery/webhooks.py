"""The Canary's webhooks, all served by Flagger's load tester.

- pre-rollout: one load test through the traffic layer (the model's hostname, with the Host header the
  HTTPRoute expects, on the scheme and port of the Gateway's listener) before any traffic moves: a
  broken route or request stops the rollout at 0%.
- rollout: load on the canary Service at every tick, so the canary pods always have data; a query that
  returns nothing fails the check (facts-delivery.md section 3).
- confirm-promotion: the load tester's gate, closed until someone opens it (approval environments).
- rollback: the load tester's rollback gate, so an operator can abort a rollout by hand.
"""

from __future__ import annotations

import json
import shlex

from plan.delivery import DeliveryPlan


def _load_request(plan: DeliveryPlan) -> tuple[str, str] | None:
    """(path, JSON body) of one valid inference request, or None when the catalogue gives none."""
    delivery = plan.serving.model.delivery
    if delivery.load_test is not None:
        return delivery.load_test.path, delivery.load_test.body
    if plan.serving.runtime.generative:
        body = {"model": plan.name, "prompt": "Say hello.", "max_tokens": 8}
        return "/v1/completions", json.dumps(body, separators=(",", ":"))
    return None


def _hey(url: str, body: str, duration: str, host: str | None, rate: int) -> str:
    # The load tester runs `cmd` through a shell: every argument is quoted.
    parts = ["hey", "-z", duration, "-q", str(rate), "-c", "2", "-m", "POST", "-T", "application/json"]
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
    tick = f"{max(60, plan.policy.interval_seconds)}s"
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
        hooks.append(
            {
                "name": "load-canary",
                "type": "rollout",
                "url": f"{base}/",
                # Returns at once: the load tester runs the command in the background for one tick.
                "timeout": "15s",
                "metadata": {"type": "cmd", "cmd": _hey(canary_url, body, tick, None, 5)},
            }
        )
    if plan.policy.approval:
        hooks.append({"name": "approval-gate", "type": "confirm-promotion", "url": f"{base}/gate/check"})
    hooks.append({"name": "manual-rollback", "type": "rollback", "url": f"{base}/rollback/check"})
    return hooks
