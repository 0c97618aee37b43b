"""The Automation API driver against a fake Pulumi CLI (tests/fake_pulumi.py) that speaks the real
event format: preview's summaries and model version changes, and what every command shares (plugins,
policy, errors, locks, the CLI's version and event file, inline mode). up and refresh are in
test_ops_driver_up_and_refresh.py, a CLI or backend not set up in test_ops_driver_environment.py."""

from __future__ import annotations

from semver import VersionInfo

from ops.automation.cli_setup import MIN_CLI_VERSION, required_plugins
from ops.automation.exit_codes import ExitCode
from ops.report.model_versions import model_version_changes
from tests.driver_fixtures import driver, operations
from tests.fake_pulumi import Scenario, policy_event, summary, urn
from tests.report_scenarios import churn_v6_to_v7, deployment_update, prod_preview_events


def test_preview_collects_counts_model_versions_and_prints_a_line_per_event():
    d, command, lines = driver(Scenario(events={"preview": prod_preview_events()}))
    outcome = d.preview()
    assert outcome.code == ExitCode.OK
    assert outcome.log.counts() == {"same": 40, "update": 3, "replace": 1}
    rows = {r.model: r for r in model_version_changes(outcome.log.changes)}
    assert rows["churn-prediction"].version_text() == "v6 → v7"
    assert rows["churn-prediction"].verdict == "passed"
    assert [m.describe() for m in rows["churn-prediction"].metrics][0] == "accuracy 0.91 → 0.93 (+0.02)"
    assert rows["fraud-detection"].verdict == "bypassed (pinned)"
    assert any("replace" in line and "prod-gpu-l4" in line for line in lines)
    assert not any("ml-churn-prediction" in line for line in lines)  # unchanged resources stay quiet
    preview = next(c for c in command.calls if c[0] == "preview")
    assert preview[preview.index("--stack") + 1] == "prod"


def test_required_plugins_are_installed_once_at_the_pinned_sdk_versions():
    scenario = Scenario(events={"preview": [summary({"same": 1})]})
    d, command, _ = driver(scenario)
    d.preview()
    installs = [c[:5] for c in command.calls if c[:2] == ["plugin", "install"]]
    assert installs == [["plugin", "install", "resource", name, f"v{v}"] for name, v in required_plugins().items()]
    d2, command2, _ = driver(scenario)  # the plugins are now listed: nothing to install
    d2.preview()
    assert not [c for c in command2.calls if c[:2] == ["plugin", "install"]]


def test_policy_pack_directory_is_passed_to_the_cli(tmp_path):
    pack = tmp_path / "policy"
    pack.mkdir()
    d, command, _ = driver(Scenario(events={"preview": [summary({})]}), policy_packs=(pack,))
    d.preview()
    preview = next(c for c in command.calls if c[0] == "preview")
    assert preview[preview.index("--policy-pack") + 1] == str(pack)


def test_mandatory_policy_violation_is_its_own_exit_code_with_the_policy_named():
    violation = policy_event(
        "mlops-guardrails",
        "gpu-pool-needs-taint",
        "mandatory",
        "GPU pool l4 has no nvidia.com/gpu taint",
        urn("prod", "gcp:container/nodePool:NodePool", "prod-gpu-l4"),
    )
    scenario = Scenario(events={"preview": [violation]}, fail={"preview": "error: preview failed"})
    outcome = driver(scenario)[0].preview()
    assert outcome.code == ExitCode.POLICY
    assert (
        "mlops-guardrails/gpu-pool-needs-taint (mandatory): GPU pool l4 has no nvidia.com/gpu taint"
        in outcome.messages[1]
    )
    assert outcome.log.violations[0].urn.endswith("prod-gpu-l4")


def test_advisory_violation_is_reported_but_does_not_fail():
    scenario = Scenario(events={"preview": [policy_event("p", "cost", "advisory", "over budget"), summary({})]})
    outcome = driver(scenario)[0].preview()
    assert outcome.code == ExitCode.OK
    assert outcome.log.violations[0].enforcement == "advisory"


def test_program_error_fails_with_the_engine_diagnostic_not_a_traceback():
    message = "churn-prediction (prod): gates refused candidate v8; champion v7: accuracy 0.89 < 0.93"
    scenario = Scenario(fail={"preview": message})  # the fake CLI sends it as an error diagnostic, then fails
    outcome = driver(scenario)[0].preview()
    assert outcome.code == ExitCode.FAILED
    assert outcome.messages == ["error: preview failed:", message]


def test_concurrent_update_answers_at_once_without_wait():
    d, _, _ = driver(Scenario(locked_times=1))
    outcome = d.preview()
    assert outcome.code == ExitCode.CONCURRENT
    assert "another update of stack 'prod' is in progress" in outcome.messages[0]
    assert "--wait" in outcome.messages[0]


def test_concurrent_update_is_waited_for_when_asked():
    d, command, lines = driver(Scenario(locked_times=2, events={"preview": [summary({"same": 2})]}), wait_seconds=600)
    outcome = d.preview()
    assert outcome.code == ExitCode.OK
    assert outcome.log.counts() == {"same": 2}
    assert operations(command) == ["preview", "preview", "preview"]
    assert sum("locked by another update" in line for line in lines) == 2


def test_a_cli_older_than_the_minimum_is_refused_before_anything_runs():
    old = str(VersionInfo(MIN_CLI_VERSION.major, MIN_CLI_VERSION.minor - 1, 0))
    d, command, _ = driver(Scenario(version=old))
    outcome = d.preview()
    assert outcome.code == ExitCode.ENVIRONMENT
    assert f"older than the minimum {MIN_CLI_VERSION}" in outcome.messages[0]
    assert command.calls == []


def test_unknown_stack_is_bad_input_with_the_fix():
    outcome = driver(Scenario(stacks=("dev",)), stack="prod")[0].preview()
    assert outcome.code == ExitCode.BAD_INPUT
    assert "pulumi stack init prod" in outcome.messages[0]


def test_file_event_log_of_older_clis_is_read_too():
    d, _, _ = driver(
        Scenario(version="3.200.0", events={"preview": [churn_v6_to_v7(), deployment_update(), summary({"update": 2})]})
    )
    outcome = d.preview()
    assert outcome.code == ExitCode.OK
    assert [c.name for c in outcome.log.changed()] == ["churn-prediction-version", "churn-prediction-server"]


def test_inline_mode_runs_the_program_in_process_through_the_sdk_language_server():
    d, command, _ = driver(Scenario(events={"preview": [summary({"same": 1})]}), stack="dev", inline=True)
    assert d.preview().code == ExitCode.OK
    preview = next(c for c in command.calls if c[0] == "preview")
    assert preview[preview.index("--exec-kind") + 1] == "auto.inline"
    assert any(a.startswith("--client=127.0.0.1:") for a in preview)  # where the CLI would call program.main
