"""`python -m ops <command>`: the operator's command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.problems import ConfigError
from ops.cli.ci import register as register_ci_commands
from ops.cli.delivery import register as register_delivery_commands
from ops.cli.promotion import register as register_promotion_commands
from ops.cli.publish import register as register_publish_commands
from ops.metrics.command import register as register_metrics_command
from ops.offline.dynamic_runner import DynamicProviderError
from ops.offline.guardrail_gate import GuardrailViolations
from ops.offline.program_run import ProgramError
from registry.client import RegistryError

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _render(args: argparse.Namespace) -> int:
    from ops.offline.render import render, summary
    from ops.offline.snapshot import snapshot_resolver
    from ops.progress import Progress

    resolver = snapshot_resolver(args.registry_snapshot)
    out = Path(args.out) if args.out else None
    result = render(Path(args.project), args.stack, out, resolve_dynamic=resolver, progress=Progress.detect())
    print(summary(result))
    for note in resolver.notes() if resolver else []:
        print(note)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from ops.demo.run import run_demo
    from ops.progress import Progress

    return run_demo(Path(args.project), args.stack, Path(args.out) if args.out else None, Progress.detect())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render_cmd = commands.add_parser("render", help="evaluate a stack offline and write its manifests and plan.json")
    render_cmd.add_argument("--stack", required=True, help="stack name: a Pulumi.<stack>.yaml in the project")
    render_cmd.add_argument("--out", help="output directory (default: rendered/<stack>/)")
    render_cmd.add_argument("--registry-snapshot", help="resolve model versions from this snapshot, not the registry")
    render_cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    render_cmd.set_defaults(run=_render)
    demo_cmd = commands.add_parser(
        "demo", help="seed a local MLflow registry, render a stack against it, show the verdicts"
    )
    demo_cmd.add_argument("--stack", default="dev", help="stack to render (default: dev)")
    demo_cmd.add_argument("--out", help="output directory (default: rendered/<stack>/)")
    demo_cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    demo_cmd.set_defaults(run=_demo)
    register_ci_commands(commands)
    register_promotion_commands(commands)
    register_delivery_commands(commands)
    register_publish_commands(commands)
    register_metrics_command(commands, PROJECT_DIR)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ConfigError, ProgramError) as exc:
        report(exc.cause if isinstance(exc, ProgramError) else exc)
        return 2
    except GuardrailViolations as exc:
        print(
            f"error: {len(exc.report.mandatory)} mandatory guardrail violation(s); nothing was written:",
            file=sys.stderr,
        )
        for line in exc.report.summary():
            print(f"  {line}", file=sys.stderr)
        return 2


def report(error: BaseException) -> None:
    """One line per problem, no traceback: these are the user's inputs or the registry's answers."""
    if isinstance(error, ConfigError):
        print(f"error: {len(error.problems)} problem(s); nothing was written:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
    elif isinstance(error, (DynamicProviderError, RegistryError)):  # check failures; registry errors in create
        print(f"error: nothing was written: {error}", file=sys.stderr)
    else:
        raise error


if __name__ == "__main__":
    sys.exit(main())
