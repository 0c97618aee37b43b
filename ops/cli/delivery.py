"""The rollout subcommands of `python -m ops`: approve (a canary's approval gate), fallback on|off, and
gke-cluster (the stack's cluster, for a workflow's credentials step).
`register(commands)` adds them to the main parser; each returns an ExitCode."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ops.automation.exit_codes import ExitCode
from ops.cli import ci
from ops.cli.ci import PROJECT_DIR
from ops.cli.promotion import run_refusable


def _driver(args: argparse.Namespace):
    return ci.driver_factory(ci.run_options(args))  # tests replace the factory there


def _approve(args: argparse.Namespace) -> int:
    from ops.automation.run_options import DriverError
    from ops.kube_api import KubeError, client_from_kubeconfig
    from ops.promotion.approval import approve
    from ops.promotion.context import PromotionRefused, deployed

    try:
        entry = deployed(_driver(args).outputs(), args.model, args.stack)
        if not isinstance(entry.get("canary"), dict):
            raise PromotionRefused(f"the `models` output of {args.stack!r} names no canary for {args.model}")
        client = client_from_kubeconfig(args.kubeconfig, args.kube_context)
        try:
            result = approve(client, entry["canary"], args.timeout, args.poll)
        finally:
            client.close()
    except PromotionRefused as exc:
        print(f"refused: {exc}; nothing was changed", file=sys.stderr)
        return int(ExitCode.REFUSED)
    except (KubeError, DriverError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(getattr(exc, "code", ExitCode.FAILED))
    for message in result.messages:
        print(message, file=sys.stderr if result.code else sys.stdout)
    return int(result.code)


def _fallback(args: argparse.Namespace) -> int:
    from ops.promotion.fallback_switch import switch_fallback

    return run_refusable(
        lambda: switch_fallback(Path(args.project), args.stack, args.model, args.state == "on", _driver(args))
    )


def _gke_cluster(args: argparse.Namespace) -> int:
    """The stack's GKE cluster as GITHUB_OUTPUT lines, for the credentials step of a workflow."""
    from ops.offline.stack_settings import offline_stack_settings

    cluster = offline_stack_settings(Path(args.project), args.stack).cluster
    if cluster.mode == "kubeconfig":
        print(f"error: stack {args.stack!r} runs on a kubeconfig context, not a GKE cluster", file=sys.stderr)
        return int(ExitCode.BAD_INPUT)
    identity = cluster.gke_identity
    print(f"project={identity.project}\nlocation={identity.location}\nname={identity.name}")
    return 0


def register(commands) -> None:
    cmd = commands.add_parser("approve", help="open a waiting canary's approval gate, wait for promotion, close it")
    cmd.add_argument("model", help="the model whose canary waits for approval")
    cmd.add_argument("--stack", required=True, help="the stack it waits in (e.g. prod)")
    cmd.add_argument("--kubeconfig", help="kubeconfig of the stack's cluster (default: $KUBECONFIG, ~/.kube/config)")
    cmd.add_argument("--kube-context", help="the stack's cluster context (default: the current context)")
    cmd.add_argument("--timeout", type=float, default=900, help="seconds to wait for the promotion (default: 900)")
    cmd.add_argument("--poll", type=float, default=10, help="seconds between status reads (default: 10)")
    cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    cmd.add_argument("--wait", type=float, default=0, help=argparse.SUPPRESS)
    cmd.set_defaults(run=_approve)
    cmd = commands.add_parser("fallback", help="switch a model's traffic to its catalogue fallback, or back")
    cmd.add_argument("state", choices=["on", "off"])
    cmd.add_argument("model", help="the model whose traffic is switched")
    cmd.add_argument("--stack", required=True)
    cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    cmd.add_argument("--wait", type=float, default=0, help="seconds to wait for a concurrent update (default: 0)")
    cmd.add_argument("--policy-pack", action="append", help="policy pack directory (default: policy/ if present)")
    cmd.add_argument("--inline", action="store_true", help="run program.main in-process instead of __main__.py")
    cmd.set_defaults(run=_fallback)
    cmd = commands.add_parser("gke-cluster", help="print the stack's GKE cluster (project, location, name)")
    cmd.add_argument("--stack", required=True)
    cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    cmd.set_defaults(run=_gke_cluster)
