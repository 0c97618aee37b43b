"""The promotion subcommands of `python -m ops`: promote and rollback (ops/promotion/), and
`run_refusable`, how every command that can be refused (these two, fallback) reports its outcome.
`register(commands)` adds them to the main parser; each returns an ExitCode."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import DriverError, Outcome
from ops.cli import ci
from ops.cli.ci import common_arguments


def run_refusable(run: Callable[[], Outcome]) -> int:
    from pulumi.automation.errors import CommandError

    from ops.promotion.context import PromotionRefused
    from registry.client import RegistryError

    try:
        outcome = run()
    except PromotionRefused as exc:
        print(f"refused: {exc}; nothing was changed", file=sys.stderr)
        return int(ExitCode.REFUSED)
    except DriverError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(exc.code)
    except (RegistryError, CommandError) as exc:  # the registry or the CLI refused: say what it said
        print(f"error: {str(exc).strip()}", file=sys.stderr)
        return int(ExitCode.FAILED)
    for message in outcome.messages:
        print(message, file=sys.stderr if outcome.code else sys.stdout)
    return int(outcome.code)


def _promote(args: argparse.Namespace) -> int:
    from ops.kube_api import client_from_kubeconfig
    from ops.promotion.canary_health import read_canary
    from ops.promotion.promote import PromoteRequest, promote

    def canary_reader(ref):  # the source stack's cluster: its kubeconfig context
        client = client_from_kubeconfig(args.kubeconfig, args.kube_context)
        try:
            return read_canary(client, ref)
        finally:
            client.close()

    request = PromoteRequest(args.model, getattr(args, "from"), args.to)
    return run_refusable(
        lambda: promote(
            Path(args.project),
            request,
            lambda s: ci.driver_factory(ci.run_options(args, s)),
            canary_reader,
            recover_run=args.recover,
        )
    )


def _rollback(args: argparse.Namespace) -> int:
    from ops.promotion.rollback import RollbackRequest, rollback

    request = RollbackRequest(args.model, args.stack, args.reason or "", args.to_version)
    return run_refusable(
        lambda: rollback(
            Path(args.project), request, lambda s: ci.driver_factory(ci.run_options(args, s)), recover_run=args.recover
        )
    )


RECOVER_HELP = "complete or undo an earlier run of this model's promote/rollback that died half-way, then stop"


def register(commands) -> None:
    cmd = commands.add_parser("promote", help="promote a model's live version from one stack to another")
    common_arguments(cmd, stack=False)
    cmd.add_argument("--model", required=True)
    cmd.add_argument("--from", required=True, help="source stack (e.g. staging)")
    cmd.add_argument("--to", required=True, help="target stack (e.g. prod)")
    cmd.add_argument("--kubeconfig", help="kubeconfig of the source cluster (default: $KUBECONFIG, ~/.kube/config)")
    cmd.add_argument("--kube-context", help="the source cluster's context (default: the current context)")
    cmd.add_argument("--allow-replace", action="append", help=argparse.SUPPRESS)
    cmd.add_argument("--recover", action="store_true", help=RECOVER_HELP)
    cmd.set_defaults(run=_promote)
    cmd = commands.add_parser("rollback", help="pin a model to its previous version and deploy")
    common_arguments(cmd)
    cmd.add_argument("--model", required=True)
    cmd.add_argument("--reason", help="why (recorded in MLflow and stack tags)")
    cmd.add_argument("--to-version", help="the version to return to (default: the previously deployed one)")
    cmd.add_argument("--allow-replace", action="append", help=argparse.SUPPRESS)
    cmd.add_argument("--recover", action="store_true", help=RECOVER_HELP)
    cmd.set_defaults(run=_rollback)
