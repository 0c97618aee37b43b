"""The preview a pull request waits for (issue 19 item 4), against the SDK floor, from one run.

    .venv/bin/python -m benchmarks.bench_preview [--models 100] [--stacks dev] [--write docs/benchmarks.md]

A generated catalogue of N models (benchmarks/scale_catalogue.py), committed to a git repository, is the
base branch; the pull request is a clone of it in which one `models/<name>.yaml` changed (its replica
bounds), committed. Per stack, each step is its own `python -m ops` process against a registry snapshot
(no MLflow, no Pulumi backend, no network), two paths in the same run:

- before: the fork job's steps until the scoped preview: `ops cost` of the base and of the head, `ops render`
  of the base, `ops preview-offline --base-plan --cost` of the head, `ops pr-comment --print`;
- now (.github/workflows/preview.yml): `ops preview-offline --base-tree` (both branches in one process, only
  the models the change touched: ops/offline/scoped_preview.py), `ops pr-comment --print`.

The run stops if the two paths report other changes (every create, update, replace and delete, with its
properties). Wall seconds (interpreter start to exit) and CPU seconds (user + system of the child,
getrusage) per step. Beside them, the SDK floor (benchmarks/scale_floors.py `sdk`): the bare Pulumi SDK
registering the very resources the head's whole render registered, under echo mocks, in its own process;
"whole render CPU s" is the base's `ops render` process and "whole render / SDK CPU" divides it by the
floor (imports included in both).
Prints a table and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_scale import machine  # noqa: E402
from benchmarks.scale_catalogue import generate_project, model_names  # noqa: E402

BEGIN = "<!-- PREVIEW RESULTS BEGIN (benchmarks/bench_preview.py writes this block) -->"
END = "<!-- PREVIEW RESULTS END -->"
TARGETS = "Targets (issue 19 item 4): the PR path under 15 s per stack on 2 cores; the 100-model render under 20 s. Before: the fork job's steps until the scoped preview (ops cost of base and head, ops render of the base, preview-offline --base-plan, pr-comment); now: preview-offline --base-tree, pr-comment. The run stops if the two report other changes."


def _timed(cmd: list[str], stdout=subprocess.DEVNULL) -> tuple[float, float]:
    """(wall s, CPU s) of one child process; raises with its stderr if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, stdout=stdout, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited with {done.returncode}: {done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _change_one_model(project: Path, name: str) -> None:
    """The pull request: one model file changed (its maximum replicas, in every environment that sets them)."""
    path = project / "models" / f"{name}.yaml"
    text, count = re.subn(
        r"maxReplicas: (\d+)", lambda m: f"maxReplicas: {int(m.group(1)) + 1}", path.read_text(encoding="utf-8")
    )
    if not count:
        raise RuntimeError(f"{path}: no maxReplicas to change")
    path.write_text(text, encoding="utf-8")


def _dump_child(project: Path, stack: str, snapshot: Path, dump: Path) -> None:
    """In its own process: the head's render with the snapshot, its resources written for the SDK floor."""
    from benchmarks.scale_render import _figures
    from ops.offline.render import render
    from ops.offline.snapshot import snapshot_resolver
    from ops.offline.wire_values import mask, unwrap

    with tempfile.TemporaryDirectory() as out:
        result = render(project, stack, Path(out) / stack, resolve_dynamic=snapshot_resolver(snapshot))
        _figures(result, stack, 0.0, 0.0, dump, mask, unwrap)


def _git(tree: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost"}
    env |= {"GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost"}
    subprocess.run(["git", "-C", str(tree), *args], check=True, capture_output=True, env=env)


def _checkouts(work: Path, names: list[str]) -> tuple[Path, Path]:
    """The base branch (a generated catalogue, committed) and the pull request's checkout of it, in which
    one model file changed, committed: what the workflow's `actions/checkout` and `git worktree add` give."""
    base, head = work / "base", work / "head"
    generate_project(base, names)
    _git(base, "init", "-q")
    _git(base, "add", "-A")
    _git(base, "commit", "-qm", "base")
    subprocess.run(["git", "clone", "-q", str(base), str(head)], check=True)
    _change_one_model(head, names[len(names) // 2])
    _git(head, "commit", "-qam", "one model changed")
    return base, head


def _changed_rows(report: Path) -> list[tuple]:
    changes = json.loads(report.read_text(encoding="utf-8"))["log"]["changes"]
    return sorted((c["op"], c["urn"], tuple(c.get("diffs") or ())) for c in changes if c["op"] != "same")


def measure(models: int, stack: str, work: Path) -> dict:
    names = model_names(models)
    base, head = _checkouts(work, names)
    snapshot = work / f"snapshot-{stack}.json"
    snapshot.write_text(
        json.dumps({"stack": stack, "models": {n: {"version": "2"} for n in names}}) + "\n", encoding="utf-8"
    )
    ops = [sys.executable, "-m", "ops"]
    snap = ["--stack", stack, "--registry-snapshot", str(snapshot)]
    row: dict = {"models": models, "stack": stack}
    # Before: the fork job's steps until this change (both cost runs, the base render, the head's preview).
    base_cost, head_cost = work / "base-cost.json", work / "cost.json"
    whole_report, whole_out = work / f"whole-report-{stack}.json", work / f"whole-head-{stack}"
    row["whole"] = [
        _timed([*ops, "cost", "--stack", stack, "--out", str(base_cost), "--project", str(base)]),
        _timed(
            [*ops, "cost", "--stack", stack, "--previous", str(base_cost), "--out", str(head_cost)]
            + ["--project", str(head)]
        ),
        _timed([*ops, "render", *snap, "--out", str(work / "whole-base"), "--project", str(base)]),
        _timed(
            [
                *ops,
                "preview-offline",
                *snap,
                "--base-plan",
                str(work / "whole-base" / "plan.json"),
                "--cost",
                str(head_cost),
            ]
            + ["--out", str(whole_out), "--report-json", str(whole_report), "--project", str(head)]
        ),
    ]
    # Now: the one preview step against the base's checkout, then the comment.
    report = work / f"report-{stack}.json"
    row["scoped"] = _timed(
        [*ops, "preview-offline", *snap, "--base-tree", str(base), "--out", str(work / f"head-{stack}")]
        + ["--report-json", str(report), "--project", str(head)]
    )
    comment = work / f"comment-{stack}.md"
    with comment.open("w", encoding="utf-8") as sink:
        row["pr_comment"] = _timed([*ops, "pr-comment", str(report), "--print"], stdout=sink)
    with (work / f"whole-comment-{stack}.md").open("w", encoding="utf-8") as sink:
        row["whole"].append(_timed([*ops, "pr-comment", str(whole_report), "--print"], stdout=sink))
    if _changed_rows(report) != _changed_rows(whole_report):
        raise RuntimeError(f"{stack}: the scoped preview reports other changes than the whole renders")
    data = json.loads(report.read_text(encoding="utf-8"))
    row["changed"] = len(_changed_rows(report))
    scoped_plan = json.loads((work / f"head-{stack}" / "plan.json").read_text(encoding="utf-8"))
    row["scoped_resources"], row["scoped_models"] = len(scoped_plan["resources"]), len(scoped_plan.get("scope", names))
    row["resources"] = len(json.loads((whole_out / "plan.json").read_text(encoding="utf-8"))["resources"])
    row["cost_agrees"] = data.get("cost") == json.loads(whole_report.read_text(encoding="utf-8")).get("cost")
    dump = work / f"dump-{stack}"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_preview", "--dump-child", str(head), stack, str(snapshot), str(dump)],
        cwd=REPO,
        check=True,
    )
    floor_json = work / f"floor-{stack}.json"
    row["sdk_floor"] = _timed([sys.executable, "-m", "benchmarks.scale_floors", "sdk", str(dump), str(floor_json)])
    return row


def table(rows: list[dict]) -> str:
    head = (
        "| models | stack | changed rows | resources rendered, head: scoped / whole | before: PR path wall s "
        "| before: PR path CPU s | whole render CPU s | preview-offline --base-tree wall s | CPU s "
        "| pr-comment wall s | CPU s | now: PR path wall s | now: PR path CPU s | now / before CPU "
        "| SDK floor CPU s (whole head) | whole render / SDK CPU | cost line agrees |"
    )
    lines = [head, "|" + "---|" * 17]
    for r in rows:
        (sw, sc), (cw, cc), (_, fc) = r["scoped"], r["pr_comment"], r["sdk_floor"]
        whole_wall, whole_cpu = sum(w for w, _ in r["whole"]), sum(c for _, c in r["whole"])
        render_cpu = r["whole"][2][1]  # `ops render` of the base: the whole 100-model render
        lines.append(
            f"| {r['models']} | {r['stack']} | {r['changed']} | {r['scoped_resources']} / {r['resources']} "
            f"({r['scoped_models']} models) | {whole_wall:.1f} | {whole_cpu:.1f} | {render_cpu:.1f} | {sw:.1f} | {sc:.1f} "
            f"| {cw:.1f} | {cc:.1f} | {sw + cw:.1f} | {sc + cc:.1f} | {(sc + cc) / whole_cpu:.2f} | {fc:.1f} "
            f"| {render_cpu / fc:.2f} | {'yes' if r['cost_agrees'] else 'NO'} |"
        )
    return "\n".join(lines)


def _write_markdown(path: Path, report: str) -> None:
    """Replaces the block between this benchmark's markers (appended at the end the first time)."""
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text:
        text = f"{text.rstrip()}\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{report}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--stacks", default="dev", help="comma-separated")
    parser.add_argument("--write", type=Path, help="markdown file whose preview RESULTS block is replaced")
    parser.add_argument(
        "--dump-child", nargs=4, metavar=("PROJECT", "STACK", "SNAPSHOT", "DUMP"), help=argparse.SUPPRESS
    )
    ns = parser.parse_args(argv)
    if ns.dump_child:
        project, stack, snapshot, dump = ns.dump_child
        _dump_child(Path(project), stack, Path(snapshot), Path(dump))
        return []
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as tmp:
        for stack in ns.stacks.split(","):
            rows.append(measure(ns.models, stack, Path(tmp) / stack))
            print(table(rows[-1:]), flush=True)
    load_after = os.getloadavg()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = "\n".join(
        [
            f"{when} on {machine()}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after",
            "",
            table(rows),
            "",
            TARGETS,
        ]
    )
    print(report)
    if ns.write:
        _write_markdown(ns.write, report)
    return rows


if __name__ == "__main__":
    main()
