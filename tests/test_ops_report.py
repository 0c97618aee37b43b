"""The pull-request comment, golden-tested: regenerate with UPDATE_GOLDEN=1 after an intended change."""

from __future__ import annotations

import os
from pathlib import Path

from pulumi.automation import EngineEvent

from ops.automation.changes import ChangeLog
from ops.automation.exit_codes import ExitCode
from ops.report.markdown import MARKER, render_comment
from ops.report.stack_report import CostChange, StackReport
from tests.fake_pulumi import policy_event, pre_event, summary, urn
from tests.report_scenarios import prod_preview_events

GOLDEN = Path(__file__).parent / "golden_report" / "preview.md"  # tests/golden/ holds only stack renders


def log_of(events: list[dict]) -> ChangeLog:
    log = ChangeLog()
    for event in events:
        log(EngineEvent.from_json(event))
    return log


def reports() -> list[StackReport]:
    prod_events = [
        *prod_preview_events(),
        policy_event(
            "mlops-guardrails",
            "prod-needs-on-demand",
            "advisory",
            "pool l4 | spot capacity in prod",
            urn("prod", "gcp:container/nodePool:NodePool", "prod-gpu-l4"),
        ),
    ]
    prod = StackReport("prod", "pulumi preview", int(ExitCode.OK), log_of(prod_events), cost=CostChange(5120.0, 4380.5))
    dev_events = [
        pre_event(
            "create",
            "kubernetes:core/v1:Service",
            "image-classifier-svc",
            "dev",
            new={
                "kind": "Service",
                "token": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"},
            },
        ),
        summary({"create": 1, "same": 12}),
    ]
    dev = StackReport(
        "dev",
        "offline render against registry snapshot snap.json",
        0,
        log_of(dev_events),
        notes=["`churn-prediction`: v6 (from the snapshot, not re-resolved)"],
    )
    return [prod, dev]


def test_report_matches_the_golden_file():
    body = render_comment(reports())
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(body, encoding="utf-8")
    assert body == GOLDEN.read_text(encoding="utf-8")


def test_report_content_a_reviewer_needs():
    body = render_comment(reports())
    assert body.startswith(MARKER)
    assert body.index("### `dev`") < body.index("### `prod`")  # stacks in a stable order
    assert "1 to update" not in body and "3 to update, 1 to replace, 40 unchanged" in body
    assert "| `churn-prediction` | v6 → v7 | accuracy 0.91 → 0.93 (+0.02)" in body
    assert "[!CAUTION]" in body and "GPU node pool `prod-gpu-l4` will be replaced" in body
    assert "pool l4 \\| spot capacity in prod" in body  # pipes in messages cannot break the table
    assert "USD 5,120.00/month (was 4,380.50, +739.50)" in body
    assert "<details><summary>Full diff (4 change(s))</summary>" in body
    assert "hunter2" not in body and "[secret]" in body


def test_report_is_bounded_and_keeps_every_summary():
    big = [
        pre_event(
            "update",
            "kubernetes:core/v1:ConfigMap",
            f"cm-{i}",
            "prod",
            old=({"data": "x" * 150},),
            new={"data": "y" * 150},
            diffs=["data"],
        )
        for i in range(2000)
    ]
    stacks = [
        StackReport(s, "pulumi preview", 0, log_of([*big, summary({"update": 2000})]))
        for s in ("dev", "staging", "prod")
    ]
    body = render_comment(stacks, max_chars=20_000)
    assert len(body) <= 20_000
    assert all(f"### `{s}`" in body for s in ("dev", "staging", "prod"))
    assert body.count("more line(s) cut to fit the comment") == 3


def test_stack_report_round_trips_through_json(tmp_path):
    original = reports()[0]
    original.save(tmp_path / "prod.json")
    loaded = StackReport.load(tmp_path / "prod.json")
    assert render_comment([loaded]) == render_comment([original])
