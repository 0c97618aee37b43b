"""`python -m ops approve --model M --stack S`: open a waiting canary's approval gate, then close it.

Stacks with `canary.approval` give each Canary a confirm-promotion webhook on Flagger's load tester
(`/gate/check`), which answers 403 until the gate of `<name>.<namespace>` is opened. This command:

1. reads the Canary the stack's `models` output names (ops/promotion/canary_health.py) from the
   cluster, and from its own spec the confirm-promotion URL: so it opens exactly the gate Flagger asks;
2. refuses when there is nothing to approve (no gate on the Canary, or no rollout in progress: opening
   the gate then would let the NEXT version through unapproved);
3. POSTs `{"name", "namespace"}` to the load tester's `/gate/open` through the API server's Service
   proxy (fluxcd/flagger v1.44.0 pkg/loadtester/server.go: 202 Accepted);
4. waits, bounded by `--wait`, until Flagger promotes (phase Promoting, Finalising or Succeeded) or
   fails, polling the Canary;
5. always closes the gate again (`/gate/close`), so the next version waits for its own approval.

The load tester keeps gates in memory: a restart closes every gate (a waiting canary then waits again).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ops.automation.exit_codes import ExitCode
from ops.kube_api import KubeClient, KubeError
from ops.promotion.context import PromotionRefused

APPROVABLE = ("Progressing", "WaitingPromotion")
PROMOTED = ("Promoting", "Finalising", "Succeeded")
GATE_CHECK = "/gate/check"


@dataclass(frozen=True)
class Gate:
    namespace: str  # the load tester's Service
    service: str
    port: str


@dataclass(frozen=True)
class Approval:
    code: ExitCode
    messages: list[str]


def approval_gate(canary: dict[str, Any], where: str) -> Gate:
    """The load tester behind the Canary's confirm-promotion webhook (an in-cluster URL)."""
    hooks = ((canary.get("spec") or {}).get("analysis") or {}).get("webhooks") or []
    urls = [str(h.get("url", "")) for h in hooks if h.get("type") == "confirm-promotion"]
    gated = [u for u in urls if urlsplit(u).path.rstrip("/") == GATE_CHECK]
    if not gated:
        raise PromotionRefused(f"{where} has no approval gate (this stack promotes without approval)")
    url = urlsplit(gated[0])
    parts = (url.hostname or "").split(".")
    if len(parts) < 2:
        raise PromotionRefused(f"{where}: its gate URL {gated[0]} names no in-cluster Service <name>.<namespace>")
    return Gate(namespace=parts[1], service=parts[0], port=str(url.port or (443 if url.scheme == "https" else 80)))


def _phase(client: KubeClient, path: str) -> str:
    return str((client.get_json(path).get("status") or {}).get("phase") or "")


def _gate(client: KubeClient, gate: Gate, action: str, ref: dict[str, Any]) -> None:
    body = {"name": ref["name"], "namespace": ref["namespace"]}
    response = client.service_proxy(gate.namespace, gate.service, gate.port, f"/gate/{action}", body)
    if response.status not in (200, 202):
        raise KubeError(
            f"the load tester {gate.namespace}/{gate.service} answered HTTP {response.status} to /gate/{action} "
            "(fix: the caller needs RBAC create on services/proxy in that namespace)"
        )


def approve(
    client: KubeClient,
    ref: dict[str, Any],
    wait_seconds: float,
    poll_seconds: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Approval:
    path = f"/apis/{ref['apiVersion']}/namespaces/{ref['namespace']}/canaries/{ref['name']}"
    where = f"Canary {ref['namespace']}/{ref['name']}"
    canary = client.get_json(path)
    gate = approval_gate(canary, where)
    phase = str((canary.get("status") or {}).get("phase") or "")
    if phase not in APPROVABLE:
        raise PromotionRefused(
            f"{where} is {phase or 'without a status'!r}: no rollout waits for approval (opening the gate now would "
            "let the next version through unapproved)"
        )
    messages = [f"{where} is {phase}: opening its gate on {gate.namespace}/{gate.service}"]
    deadline = clock() + wait_seconds
    _gate(client, gate, "open", ref)
    try:
        while True:
            phase = _phase(client, path)
            if phase in PROMOTED:
                messages.append(f"{where} approved: {phase}")
                return Approval(ExitCode.OK, messages)
            if phase == "Failed":
                messages.append(f"{where} failed its analysis and was rolled back; nothing was promoted")
                return Approval(ExitCode.FAILED, messages)
            if clock() >= deadline:
                messages.append(
                    f"{where} was not promoted within {wait_seconds:.0f}s (still {phase or 'without a status'}); "
                    "re-run approve when it waits again"
                )
                return Approval(ExitCode.FAILED, messages)
            sleep(min(poll_seconds, max(0.0, deadline - clock())))
    finally:
        try:
            _gate(client, gate, "close", ref)
            messages.append("gate closed again: the next version waits for its own approval")
        except KubeError as exc:
            messages.append(
                f"WARNING: the gate could NOT be closed ({exc}); close it before the next rollout: POST "
                f'{{"name": "{ref["name"]}", "namespace": "{ref["namespace"]}"}} to /gate/close'
            )
