"""`python -m ops publish --stack S` and `python -m ops commit-pins --stack S --branch main`.

publish: after `up`, `promote` or `rollback` of a gitops stack, the complete manifest tree from the
stack's state (ops/publish/manifest_tree.py) is committed to the branch its Applications pull, in the
repository they pull from. Nothing changed: no commit. A direct-mode stack has nothing to publish.

commit-pins: the stack file's `modelPins` as `ops promote`/`ops rollback` left it on the runner, applied
to the branch's current stack file and committed, so the next deploy serves the same versions.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import DriverError, RunOptions
from ops.cli import ci
from ops.cli.ci import PROJECT_DIR
from ops.promotion.pins_file import read_pins, stack_file, write_pins
from ops.publish.git_push import PushError, commit_and_push
from ops.publish.manifest_tree import TreeError, apply_tree, tree_from_state


def delivery_mode(project: Path, stack: str) -> str:
    """The stack's delivery mode from its stack file alone (no CLI, no state): `gitops` or `direct`."""
    import json

    from core.config_keys import config_key
    from ops.stack_config import load_stack_config
    from settings.gitops import GitopsSettings

    values = load_stack_config(project, stack).values
    raw = values.get(config_key("gitops"), "")
    gitops = GitopsSettings.model_validate(json.loads(raw) if raw.strip() else {})
    return gitops.delivery_mode(values.get(config_key("environment"), stack))  # type: ignore[arg-type]


def _publish(args: argparse.Namespace) -> int:
    if args.print_mode:  # for a workflow's `if:`: mint a push token only where there is something to push
        print(f"mode={delivery_mode(Path(args.project), args.stack)}")
        return 0
    try:
        stack = ci.driver_factory(RunOptions(args.stack, Path(args.project))).stack()
        tree = tree_from_state(dict(stack.export_stack().deployment or {}))
    except DriverError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(exc.code)
    except TreeError as exc:
        print(f"error: stack {args.stack}: {exc}; nothing was published", file=sys.stderr)
        return int(ExitCode.FAILED)
    if tree.target is None:
        print(f"stack {args.stack} applies its models directly (no model Application): nothing to publish")
        return 0
    target = tree.target
    remote = args.remote or target.repo_url
    message = f"deploy {args.stack}: {len(tree.files)} manifests of {', '.join(tree.models())}"
    if args.source_commit:
        message += f"\n\nFrom {args.source_commit}."
    try:
        result = commit_and_push(remote, target.branch, lambda work: apply_tree(work, tree, args.stack), message)
    except (PushError, TreeError) as exc:
        print(f"error: stack {args.stack}: {exc}", file=sys.stderr)
        return int(ExitCode.FAILED)
    where = f"{target.repo_url} {target.branch}:{target.root}/"
    if result.changed:
        print(f"published {len(tree.files)} manifests to {where} as {result.commit[:12]}")
    else:
        print(f"{where} already holds these {len(tree.files)} manifests: nothing to commit")
    return 0


def _origin(project: Path) -> str:
    result = subprocess.run(
        ["git", "remote", "get-url", "origin"], cwd=project, capture_output=True, text=True, timeout=30
    )
    return result.stdout.strip()


def _commit_pins(args: argparse.Namespace) -> int:
    """Only the named model's pin is carried over: pins of other models on the branch stay as they are."""
    project = Path(args.project)
    wanted = read_pins(project, args.stack).get(args.model)

    def apply(work: Path) -> None:
        pins = {m: v for m, v in read_pins(work, args.stack).items() if m != args.model}
        write_pins(work, args.stack, {**pins, **({args.model: wanted} if wanted else {})})

    remote = args.remote or _origin(project)
    if not remote:
        print("error: no --remote and no `origin` remote in the checkout (fix: pass --remote URL)", file=sys.stderr)
        return int(ExitCode.BAD_INPUT)
    name = stack_file(project, args.stack).name
    shown = f"{args.model}={wanted}" if wanted else f"{args.model} unpinned"
    message = f"{name}: modelPins {shown}\n\n{args.message}".rstrip() + "\n"
    try:
        result = commit_and_push(remote, args.branch, apply, message)
    except PushError as exc:
        print(f"error: the pins ({shown}) were not committed: {exc}", file=sys.stderr)
        return int(ExitCode.FAILED)
    if result.changed:
        print(f"committed {name} modelPins ({shown}) to {args.branch} as {result.commit[:12]}")
    else:
        print(f"{args.branch} already has {name} with {shown}: nothing to commit")
    return 0


def register(commands) -> None:
    cmd = commands.add_parser("publish", help="commit a gitops stack's complete manifest tree to its deploy branch")
    cmd.add_argument("--stack", required=True)
    cmd.add_argument("--remote", help="push here instead of the Applications' repoURL (a mirror, tests)")
    cmd.add_argument("--source-commit", help="the commit of this repository the state was deployed from")
    cmd.add_argument("--print-mode", action="store_true", help="only print mode=gitops|direct (stack file)")
    cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    cmd.set_defaults(run=_publish)
    cmd = commands.add_parser("commit-pins", help="commit the stack file's modelPins (after promote or rollback)")
    cmd.add_argument("--stack", required=True)
    cmd.add_argument("--model", required=True, help="the model promote or rollback moved")
    cmd.add_argument("--branch", required=True, help="the branch deploys run from (e.g. main)")
    cmd.add_argument("--remote", help="default: the checkout's origin")
    cmd.add_argument("--message", default="", help="the commit message's body (who, why)")
    cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    cmd.set_defaults(run=_commit_pins)
