"""The CI subcommands of `python -m ops`: preview, up, refresh, snapshot, preview-offline, pr-comment, cost,
image-targets. `register(commands)` adds them to the main parser; each returns an ExitCode. `driver_factory`
and `run_options` are how every command module gets its Driver (tests replace the factory here)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import DriverError, Outcome, RunOptions
from ops.report.stack_report import CostChange, StackReport, load_costs

if TYPE_CHECKING:
    from ops.offline.render import RenderResult

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Tests replace this to drive the real code against a fake CLI.
driver_factory: Callable[[RunOptions], Driver] = Driver


def run_options(args: argparse.Namespace, stack: str | None = None) -> RunOptions:
    packs = tuple(Path(p) for p in args.policy_pack) if getattr(args, "policy_pack", None) else None
    return RunOptions(
        stack=stack or args.stack,
        project_dir=Path(args.project),
        policy_packs=packs,
        refresh=getattr(args, "refresh", False),
        wait_seconds=float(getattr(args, "wait", 0) or 0),
        allow_replace=tuple(getattr(args, "allow_replace", None) or ()),
        inline=getattr(args, "inline", False),
        kubeconfig=Path(args.kubeconfig) if getattr(args, "kubeconfig", None) else None,
        kube_context=getattr(args, "kube_context", None),
        skip_argocd=getattr(args, "skip_argocd", False),
    )


def _finish(
    args: argparse.Namespace,
    outcome: Outcome,
    source: str,
    notes: list[str] | None = None,
    cost: CostChange | None = None,
) -> int:
    """Prints the outcome and writes the report; `cost` is the cost line when no --cost file gives one."""
    from ops.report.markdown import counts_text

    print(f"{args.stack}: {counts_text(outcome.log.counts())} ({source}, exit {int(outcome.code)})")
    for message in outcome.messages:
        print(message, file=sys.stderr if outcome.code else sys.stdout)
    if getattr(args, "report_json", None):
        costs = load_costs(Path(args.cost)) if getattr(args, "cost", None) else {}
        report = StackReport(
            args.stack,
            source,
            int(outcome.code),
            outcome.log,
            outcome.messages,
            notes or [],
            costs.get(args.stack, cost),
        )
        report.save(Path(args.report_json))
    return int(outcome.code)


def _preview(args: argparse.Namespace) -> int:
    return _finish(args, driver_factory(run_options(args)).preview(), "pulumi preview")


def _up(args: argparse.Namespace) -> int:
    return _finish(args, driver_factory(run_options(args)).up(), "pulumi up")


def _refresh(args: argparse.Namespace) -> int:
    outcome = driver_factory(run_options(args)).refresh(expect_no_changes=args.expect_no_changes)
    from ops.report.drift import drift_notes

    notes = drift_notes(outcome.log) + outcome.notes
    for note in notes:
        print(note)
    return _finish(args, outcome, "pulumi refresh --preview-only", notes)


def _snapshot(args: argparse.Namespace) -> int:
    from ops.offline.snapshot import snapshot_from_outputs

    try:
        snapshot = snapshot_from_outputs(args.stack, driver_factory(run_options(args)).outputs())
    except DriverError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(exc.code)
    Path(args.out).write_text(json.dumps(snapshot.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(snapshot.models)} model version(s) of stack {args.stack} to {args.out}")
    return 0


def _preview_offline(args: argparse.Namespace) -> int:
    from ops.offline.plan_diff import load_plan, offline_changes
    from ops.offline.render import render
    from ops.offline.snapshot import SnapshotResolver, load_snapshot

    if args.base_tree:
        return _preview_against_tree(args)
    resolver = SnapshotResolver(load_snapshot(Path(args.registry_snapshot)))
    result = render(Path(args.project), args.stack, Path(args.out) if args.out else None, resolve_dynamic=resolver)
    base = load_plan(Path(args.base_plan)) if args.base_plan else None
    log = offline_changes(result.run, resolver.snapshot, base)
    notes = resolver.notes()
    if base is None:
        notes.append("No base render was given: every resource counts as a create.")
    return _finish(args, Outcome(ExitCode.OK, log), _offline_source(args), notes)


def _preview_against_tree(args: argparse.Namespace) -> int:
    from ops.offline.plan_diff import offline_changes
    from ops.offline.scoped_preview import preview_against_tree
    from ops.offline.snapshot import load_snapshot

    snapshot = load_snapshot(Path(args.registry_snapshot))
    out = Path(args.out) if args.out else None
    preview = preview_against_tree(Path(args.project), Path(args.base_tree), args.stack, snapshot, out)
    log = offline_changes(preview.head.run, snapshot, preview.base_plan)
    cost = _cost_line(preview.head, preview.base_plan)
    return _finish(args, Outcome(ExitCode.OK, log), _offline_source(args), preview.notes, cost)


def _offline_source(args: argparse.Namespace) -> str:
    return f"offline render against registry snapshot {args.registry_snapshot} (no Pulumi state, no registry)"


def _cost_line(head: RenderResult, base_plan: dict | None) -> CostChange | None:
    """The report's cost line from the renders themselves (a --cost file, when given, wins in _finish): the
    head's guardrail report and the ceiling the base's plan.json recorded."""
    from ops.offline.render import cost_ceiling

    ceiling = head.guard.monthly_usd if head.guard is not None else None
    return CostChange(round(ceiling, 2), cost_ceiling(base_plan)) if ceiling is not None else None


def _pr_comment(args: argparse.Namespace) -> int:
    from ops.github.comments import GitHubComments, GitHubError, full_report_url
    from ops.report.markdown import MARKER, render_comment

    reports = [StackReport.load(Path(p)) for p in args.reports]
    body = render_comment(reports, title=args.title)
    if args.print or not args.pr:
        print(body)
        return 0
    full_report = args.full_report_url or full_report_url()
    try:
        result = GitHubComments.from_env(args.repo).upsert(int(args.pr), body, MARKER, full_report)
    except GitHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(ExitCode.FAILED)
    print(f"{result.action} comment {result.comment_id} {result.url}")
    if result.truncated:
        print(f"the report ({len(body):,} characters) was cut to fit GitHub's limit; whole: {full_report or 'the log'}")
    return 0


def _cost(args: argparse.Namespace) -> int:
    from ops.report.cost import cost_change, monthly_ceiling, write_costs

    ceiling = monthly_ceiling(Path(args.project), args.stack)
    if ceiling is None:
        print(
            f"{args.stack}: a GPU of this stack has no list price in facts/gpu_prices.py: no cost figure",
            file=sys.stderr,
        )
        return int(ExitCode.FAILED)
    change = cost_change(args.stack, ceiling, Path(args.previous) if args.previous else None)
    write_costs(Path(args.out), args.stack, change)
    print(f"{args.stack}: GPU cost ceiling {change.describe()}")
    return 0


def _image_targets(args: argparse.Namespace) -> int:
    from ops.offline.image_targets import github_matrix, image_targets

    print(github_matrix(image_targets(Path(args.project), args.commit)))
    return 0


def common_arguments(cmd: argparse.ArgumentParser, stack: bool = True) -> None:
    if stack:
        cmd.add_argument("--stack", required=True, help="stack name")
    cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    cmd.add_argument("--wait", type=float, default=0, help="seconds to wait for a concurrent update (default: 0)")
    cmd.add_argument("--policy-pack", action="append", help="policy pack directory (default: policy/ if present)")
    cmd.add_argument("--inline", action="store_true", help="run program.main in-process instead of __main__.py")


def _reporting(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--report-json", help="write this stack's report (input of pr-comment)")
    cmd.add_argument("--cost", help='JSON {"<stack>": {"ceiling": N, "previous": N}} written by `ops cost`')


def register(commands) -> None:
    for name, run, text in (
        ("preview", _preview, "preview a stack with the Pulumi CLI (Automation API)"),
        ("up", _up, "deploy a stack; in prod refuses to delete/replace GPU pools or the cluster"),
    ):
        cmd = commands.add_parser(name, help=text)
        common_arguments(cmd)
        _reporting(cmd)
        cmd.add_argument("--refresh", action="store_true", help="refresh the state first")
        if name == "up":
            cmd.add_argument("--allow-replace", action="append", help="protected resource (name or URN) allowed to go")
        cmd.set_defaults(run=run)
    cmd = commands.add_parser("refresh", help="drift check: a preview-only refresh")
    common_arguments(cmd)
    _reporting(cmd)
    cmd.add_argument("--expect-no-changes", action="store_true", help="exit 3 when anything drifted")
    cmd.add_argument("--kubeconfig", help="cluster access to read Argo CD's sync status (default: $KUBECONFIG)")
    cmd.add_argument("--kube-context", help="kubeconfig context (default: its current-context)")
    cmd.add_argument("--skip-argocd", action="store_true", help="do not read Argo CD's Applications (reported)")
    cmd.set_defaults(run=_refresh)
    cmd = commands.add_parser("snapshot", help="write a stack's deployed model versions (for fork previews)")
    common_arguments(cmd)
    cmd.add_argument("--out", required=True, help="snapshot file to write")
    cmd.set_defaults(run=_snapshot)
    cmd = commands.add_parser("preview-offline", help="the PR report from the offline render and a registry snapshot")
    cmd.add_argument("--stack", required=True)
    cmd.add_argument(
        "--registry-snapshot", required=True, help="snapshot file (ops snapshot, or a stack's models output)"
    )
    base = cmd.add_mutually_exclusive_group()
    base.add_argument("--base-plan", help="plan.json of the base branch's render, to diff against")
    base.add_argument(
        "--base-tree",
        help="the base branch's checkout: both rendered here, only the models the change touched when the code "
        "and stack files are the same (the report's cost line too, unless --cost gives one)",
    )
    cmd.add_argument("--out", help="render output directory (default: rendered/<stack>/)")
    cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    _reporting(cmd)
    cmd.set_defaults(run=_preview_offline)
    cmd = commands.add_parser("pr-comment", help="post or update the one pull-request comment from stack reports")
    cmd.add_argument("reports", nargs="+", help="stack report JSON files (--report-json)")
    cmd.add_argument("--pr", type=int, help="pull request number (default: print only)")
    cmd.add_argument("--repo", help="owner/name (default: $GITHUB_REPOSITORY)")
    cmd.add_argument("--title", default="Pulumi preview")
    cmd.add_argument("--print", action="store_true", help="print the markdown instead of posting it")
    cmd.add_argument(
        "--full-report-url", help="where the whole report is, named when a comment is cut (default: this workflow run)"
    )
    cmd.set_defaults(run=_pr_comment)
    cmd = commands.add_parser("cost", help="a stack's monthly GPU cost ceiling, offline (input of --cost)")
    cmd.add_argument("--stack", required=True)
    cmd.add_argument("--out", required=True, help="cost file to write")
    cmd.add_argument("--previous", help="the base branch's cost file: its figure becomes `previous`")
    cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    cmd.set_defaults(run=_cost)
    cmd = commands.add_parser("image-targets", help="the images CI builds and the tags each stack pulls (JSON matrix)")
    cmd.add_argument("--commit", default="", help="also push this tag (the commit SHA)")
    cmd.add_argument("--project", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    cmd.set_defaults(run=_image_targets)
