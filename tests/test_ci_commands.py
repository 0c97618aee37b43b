"""`python -m ops preview|up` and `pr-comment` end to end: the CLI wiring, report files and exit codes."""

from __future__ import annotations

import json

import ops.cli.ci as ci
from ops.__main__ import main
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.report.markdown import MARKER
from tests.fake_pulumi import FakePulumiCommand, Scenario, summary
from tests.report_scenarios import prod_preview_events


def use_fake_cli(monkeypatch, scenario: Scenario) -> FakePulumiCommand:
    command = FakePulumiCommand(scenario)
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, sleep=lambda _: None))
    return command


def test_preview_writes_a_stack_report_and_pr_comment_renders_it(monkeypatch, tmp_path, capsys):
    use_fake_cli(monkeypatch, Scenario(events={"preview": prod_preview_events()}))
    cost = tmp_path / "cost.json"
    cost.write_text(json.dumps({"prod": {"ceiling": 5120.0, "previous": 4380.5}}))
    report = tmp_path / "reports" / "prod.json"
    assert main(["preview", "--stack", "prod", "--report-json", str(report), "--cost", str(cost)]) == ExitCode.OK
    progress = capsys.readouterr().out
    assert "replace" in progress and "prod-gpu-l4" in progress  # one line per resource event
    assert "prod: 3 to update, 1 to replace, 40 unchanged (pulumi preview, exit 0)" in progress

    assert main(["pr-comment", str(report), "--print"]) == 0
    body = capsys.readouterr().out
    assert body.startswith(MARKER)
    assert "### `prod` ✅ 3 to update, 1 to replace, 40 unchanged" in body
    assert "USD 5,120.00/month (was 4,380.50, +739.50)" in body


def test_up_refusal_is_exit_4_with_the_reason_on_stderr(monkeypatch, capsys):
    command = use_fake_cli(monkeypatch, Scenario(events={"preview": prod_preview_events(), "up": [summary({})]}))
    assert main(["up", "--stack", "prod"]) == ExitCode.REFUSED
    err = capsys.readouterr().err
    assert "refused: GPU node pool prod-gpu-l4 would be replaced" in err
    assert "up" not in [c[0] for c in command.calls]


def test_concurrent_update_is_exit_5(monkeypatch, capsys):
    use_fake_cli(monkeypatch, Scenario(locked_times=5))
    assert main(["preview", "--stack", "dev"]) == ExitCode.CONCURRENT
    assert "another update of stack 'dev' is in progress" in capsys.readouterr().err
