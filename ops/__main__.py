"""`python -m ops <command>`: the operator's command line."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from settings.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _render(args: argparse.Namespace) -> int:
    from ops.render import render, summary

    result = render(PROJECT_DIR, args.stack, Path(args.out) if args.out else None)
    print(summary(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render_cmd = commands.add_parser("render", help="evaluate a stack offline and write its manifests and plan.json")
    render_cmd.add_argument("--stack", required=True, help="stack name: a Pulumi.<stack>.yaml in the project")
    render_cmd.add_argument("--out", help="output directory (default: rendered/<stack>/)")
    render_cmd.set_defaults(run=_render)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as exc:
        print(f"error: {len(exc.problems)} problem(s); nothing was written:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
