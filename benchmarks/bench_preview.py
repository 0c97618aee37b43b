"""The preview a pull request waits for (issue 19 item 4), against the SDK floor, from one run.

    .venv/bin/python -m benchmarks.bench_preview [--models 100] [--stacks dev] [--write docs/benchmarks.md]

A generated catalogue of N models (benchmarks/scale_catalogue.py) is the base branch; the pull request
changes one `models/<name>.yaml` (its replica bounds). Per stack, each step is its own `python -m ops`
process, as the fork workflow runs them (.github/workflows/preview.yml), against a registry snapshot (no
MLflow, no Pulumi backend, no network):

1. `ops render` of the base branch (its plan.json is the base plan),
2. `ops preview-offline --base-plan ... --report-json ...` of the head,
3. `ops pr-comment --print` of that report (no GitHub call).

Wall seconds (interpreter start to exit) and CPU seconds (user + system of the child, getrusage) per step.
Beside them, in the same run, the SDK floor (benchmarks/scale_floors.py `sdk`): the bare Pulumi SDK
registering the very resources the head registered, under echo mocks, in its own process. "ours/SDK CPU"
divides the head's preview-offline process CPU by the floor process's CPU (imports included in both).
Prints a table and the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
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
TARGETS = "Targets (issue 19 item 4): the PR path under 15 s per stack on 2 cores; the 100-model render under 20 s."


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
    """The pull request: one model file changed (its maximum replicas)."""
    path = project / "models" / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("maxReplicas:"):
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = f"{indent}maxReplicas: {int(line.split(':', 1)[1]) + 1}"
            break
    else:
        raise RuntimeError(f"{path}: no maxReplicas to change")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _dump_child(project: Path, stack: str, snapshot: Path, dump: Path) -> None:
    """In its own process: the head's render with the snapshot, its resources written for the SDK floor."""
    from benchmarks.scale_render import _figures
    from ops.offline.render import render
    from ops.offline.snapshot import snapshot_resolver
    from ops.offline.wire_values import mask, unwrap

    with tempfile.TemporaryDirectory() as out:
        result = render(project, stack, Path(out) / stack, resolve_dynamic=snapshot_resolver(snapshot))
        _figures(result, stack, 0.0, 0.0, dump, mask, unwrap)


def measure(models: int, stack: str, work: Path) -> dict:
    names = model_names(models)
    base, head = work / "base", work / "head"
    generate_project(base, names)
    generate_project(head, names)
    _change_one_model(head, names[models // 2])
    snapshot = work / f"snapshot-{stack}.json"
    snapshot.write_text(
        json.dumps({"stack": stack, "models": {n: {"version": "2"} for n in names}}) + "\n", encoding="utf-8"
    )
    ops = [sys.executable, "-m", "ops"]
    base_out, head_out, report = work / f"base-{stack}", work / f"head-{stack}", work / f"report-{stack}.json"
    row: dict = {"models": models, "stack": stack}
    row["base_render"] = _timed(
        [*ops, "render", "--stack", stack, "--registry-snapshot", str(snapshot), "--out", str(base_out)]
        + ["--project", str(base)]
    )
    row["preview_offline"] = _timed(
        [*ops, "preview-offline", "--stack", stack, "--registry-snapshot", str(snapshot)]
        + ["--base-plan", str(base_out / "plan.json"), "--out", str(head_out), "--report-json", str(report)]
        + ["--project", str(head)]
    )
    comment = work / f"comment-{stack}.md"
    with comment.open("w", encoding="utf-8") as sink:
        row["pr_comment"] = _timed([*ops, "pr-comment", str(report), "--print"], stdout=sink)
    row["comment_bytes"] = comment.stat().st_size
    data = json.loads(report.read_text(encoding="utf-8"))
    changes = data["log"]["changes"]
    row["changed"] = sum(1 for c in changes if c["op"] not in ("same",))
    row["resources"] = len(changes)
    dump = work / f"dump-{stack}"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_preview", "--dump-child", str(head), stack, str(snapshot), str(dump)],
        cwd=REPO,
        check=True,
    )
    floor_json = work / f"floor-{stack}.json"
    row["sdk_floor"] = _timed([sys.executable, "-m", "benchmarks.scale_floors", "sdk", str(dump), str(floor_json)])
    row["sdk_floor_inner"] = json.loads(floor_json.read_text(encoding="utf-8"))
    return row


def table(rows: list[dict]) -> str:
    head = (
        "| models | stack | changed / resources | base render wall s | base render CPU s | preview-offline wall s "
        "| preview-offline CPU s | pr-comment wall s | pr-comment CPU s | PR path wall s | PR path CPU s "
        "| SDK floor wall s | SDK floor CPU s | ours/SDK CPU |"
    )
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        (bw, bc), (pw, pc), (cw, cc), (fw, fc) = r["base_render"], r["preview_offline"], r["pr_comment"], r["sdk_floor"]
        lines.append(
            f"| {r['models']} | {r['stack']} | {r['changed']} / {r['resources']} | {bw:.1f} | {bc:.1f} | {pw:.1f} "
            f"| {pc:.1f} | {cw:.1f} | {cc:.1f} | {bw + pw + cw:.1f} | {bc + pc + cc:.1f} | {fw:.1f} | {fc:.1f} "
            f"| {pc / fc:.2f} |"
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
