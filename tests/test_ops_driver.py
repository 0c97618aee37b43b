"""The Automation API driver against a fake Pulumi CLI (tests/fake_pulumi.py) that speaks the real
event format: summaries, model version changes, the prod guard, policy, errors, locks, drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from semver import VersionInfo

from ops.automation.cli_setup import MIN_CLI_VERSION, required_plugins
from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import RunOptions
from ops.report.drift import drift_notes
from ops.report.model_versions import model_version_changes
from tests.fake_pulumi import FakePulumiCommand, Scenario, policy_event, refresh_event, summary, urn
from tests.report_scenarios import DYNAMIC, churn_v6_to_v7, deployment_update, gpu_pool_replaced, prod_preview_events

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment"


def driver(scenario: Scenario, stack: str = "prod", **options) -> tuple[Driver, FakePulumiCommand, list[str]]:
    command = FakePulumiCommand(scenario)
    lines: list[str] = []
    return (
        Driver(RunOptions(stack, PROJECT_DIR, **options), command, write=lines.append, sleep=lambda s: None),
        command,
        lines,
    )


def operations(command: FakePulumiCommand) -> list[str]:
    return [c[0] for c in command.calls if c[0] in ("preview", "up", "refresh")]


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


def test_up_in_prod_refuses_a_gpu_pool_replacement_and_changes_nothing():
    d, command, _ = driver(Scenario(events={"preview": prod_preview_events(), "up": [summary({"update": 3})]}))
    outcome = d.up()
    assert outcome.code == ExitCode.REFUSED
    assert "GPU node pool prod-gpu-l4 would be replaced" in outcome.messages[0]
    assert "--allow-replace prod-gpu-l4" in outcome.messages[0]
    assert operations(command) == ["preview"]


def test_up_in_prod_proceeds_when_the_replacement_is_allowed_by_name():
    d, command, _ = driver(
        Scenario(events={"preview": prod_preview_events(), "up": [summary({"update": 3, "replace": 1})]}),
        allow_replace=("prod-gpu-l4",),
    )
    assert d.up().code == ExitCode.OK
    assert operations(command) == ["preview", "up"]


def test_up_outside_prod_does_not_preview_first():
    d, command, _ = driver(Scenario(events={"up": [gpu_pool_replaced("dev"), summary({"replace": 1})]}), stack="dev")
    assert d.up().code == ExitCode.OK
    assert operations(command) == ["up"]


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


@pytest.mark.parametrize("op", ["refresh", "update"])  # the step's op, or the result op the engine derives
def test_refresh_expect_no_changes_exits_3_and_names_the_moved_alias(op):
    before = {
        "model": "churn-prediction",
        "registered_model": "churn-prediction",
        "version": "7",
        "aliases": ["champion", "prod-live"],
    }
    after = {**before, "aliases": ["prod-live"]}
    events = [
        refresh_event(DYNAMIC, "churn-prediction-version", before, after, "prod", op),
        refresh_event("kubernetes:core/v1:ConfigMap", "dashboards", {"data": {"a": "1"}}, None, "prod"),
        refresh_event("kubernetes:core/v1:Namespace", "ml-churn", {"x": 1}, {"x": 1}, "prod"),
    ]
    d, command, _ = driver(Scenario(events={"refresh": events}))
    outcome = d.refresh(expect_no_changes=True)
    assert outcome.code == ExitCode.CHANGES
    assert drift_notes(outcome.log) == [
        "model churn-prediction: alias(es) champion moved away from deployed v7",
        "kubernetes:core/v1:ConfigMap dashboards: deleted outside Pulumi",
    ]
    refresh = next(c for c in command.calls if c[0] == "refresh")
    assert "--preview-only" in refresh  # drift is reported, never written into the state
    assert driver(Scenario(events={"refresh": events[2:]}))[0].refresh(expect_no_changes=True).code == ExitCode.OK


@pytest.mark.parametrize("op", ["delete", "replace"])
def test_cluster_deletion_or_replacement_is_refused_in_prod(op):
    from tests.fake_pulumi import pre_event

    event = pre_event(op, "gcp:container/cluster:Cluster", "mlops-prod", "prod", old=({"name": "mlops-prod"},))
    outcome = driver(Scenario(events={"preview": [event, summary({op: 1})]}))[0].up()
    assert outcome.code == ExitCode.REFUSED
    assert "GKE cluster mlops-prod would be" in outcome.messages[0]


def test_inline_mode_runs_the_program_in_process_through_the_sdk_language_server():
    d, command, _ = driver(Scenario(events={"preview": [summary({"same": 1})]}), stack="dev", inline=True)
    assert d.preview().code == ExitCode.OK
    preview = next(c for c in command.calls if c[0] == "preview")
    assert preview[preview.index("--exec-kind") + 1] == "auto.inline"
    assert any(a.startswith("--client=127.0.0.1:") for a in preview)  # where the CLI would call program.main


def test_outputs_events_of_an_up_are_not_drift():
    from tests.fake_pulumi import refresh_event

    moved = refresh_event(DEPLOYMENT_TYPE, "churn-prediction-server", {"v": "6"}, {"v": "7"}, "dev", "update")
    outcome = driver(Scenario(events={"up": [moved, summary({"update": 1})]}), stack="dev")[0].up()
    assert outcome.code == ExitCode.OK and outcome.log.drift == []


def test_a_backend_without_stack_tags_is_a_message_not_a_failure():
    class NoTags(FakePulumiCommand):
        def run(self, args, cwd, additional_env, on_output=None, on_error=None):
            if args[:3] == ["stack", "tag", "set"] or args[1:4] == ["stack", "tag", "set"]:
                return self._fail("error: stack tags are not supported by this backend")
            return super().run(args, cwd, additional_env, on_output, on_error)

    d = Driver(RunOptions("prod", PROJECT_DIR), NoTags(Scenario()), write=lambda _: None)
    refused = d.set_tag("mlops.promoted.churn-prediction", "v7")
    assert refused is not None and "not supported by this backend" in refused


# -- the CLI and its backend not set up, events the driver cannot read: one line, an exit code -------------


def test_a_missing_pulumi_cli_is_one_line_and_exit_7(monkeypatch, tmp_path, capsys):
    from ops.__main__ import main

    monkeypatch.setenv("PATH", str(tmp_path))  # the real PulumiCommand looks for `pulumi` there
    outcome = Driver(RunOptions("dev", PROJECT_DIR), write=lambda _: None).preview()
    assert outcome.code == ExitCode.ENVIRONMENT
    assert outcome.messages == [
        "error: the Pulumi CLI is not installed: no `pulumi` on PATH "
        "(fix: install it, e.g. curl -fsSL https://get.pulumi.com | sh, and put it on PATH)"
    ]
    assert main(["preview", "--stack", "dev"]) == ExitCode.ENVIRONMENT
    captured = capsys.readouterr()
    assert "no `pulumi` on PATH" in captured.err and "Traceback" not in captured.err + captured.out


def test_a_pulumi_cli_that_does_not_run_is_one_line_and_exit_7(monkeypatch, tmp_path):
    broken = tmp_path / "pulumi"
    broken.write_text("#!/bin/sh\necho 'segmentation fault' >&2\nexit 139\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    outcome = Driver(RunOptions("dev", PROJECT_DIR), write=lambda _: None).preview()
    assert outcome.code == ExitCode.ENVIRONMENT
    assert outcome.messages[0].startswith("error: the Pulumi CLI on PATH does not run (`pulumi version`:")
    assert outcome.messages[0].endswith("(fix: reinstall it)")


class NotLoggedIn(FakePulumiCommand):
    """Every command fails as the real CLI does in CI without a backend login."""

    def run(self, args, cwd, additional_env, on_output=None, on_error=None):
        self.calls.append(list(args))
        return self._fail("error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions")


def test_a_backend_that_is_not_logged_in_names_the_login_fix():
    d = Driver(RunOptions("dev", PROJECT_DIR), NotLoggedIn(Scenario()), write=lambda _: None)
    outcome = d.preview()
    assert outcome.code == ExitCode.ENVIRONMENT
    assert outcome.messages == [
        "error: the Pulumi CLI is not logged in to a backend: the CLI said "
        "'error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions' (fix: log in to "
        "the stack's state backend: set PULUMI_ACCESS_TOKEN for Pulumi Cloud, or PULUMI_BACKEND_URL (e.g. "
        "gs://BUCKET) for a self-managed backend, or run `pulumi login` once on this machine)"
    ]


def test_not_logged_in_is_one_line_from_promote_too(monkeypatch, capsys):
    import ops.cli.ci as ci
    from ops.__main__ import main

    command = NotLoggedIn(Scenario())
    monkeypatch.setattr(ci, "driver_factory", lambda options: Driver(options, command, write=lambda _: None))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # never reached: the CLI fails first
    code = main(["promote", "--model", "churn-prediction", "--from", "staging", "--to", "prod"])
    err = capsys.readouterr().err
    assert code == ExitCode.ENVIRONMENT
    assert err.count("\n") == 1 and "PULUMI_ACCESS_TOKEN" in err and "Traceback" not in err


@pytest.mark.parametrize("cli", ["3.272.0", "3.200.0"])  # gRPC event stream, and the event file of older CLIs
def test_an_engine_event_the_sdk_cannot_read_fails_closed_with_one_line(cli):
    from tests.fake_pulumi import pre_event

    unknown = pre_event("frobnicate", "gcp:container/nodePool:NodePool", "prod-gpu-l4", "prod")
    d, command, _ = driver(Scenario(version=cli, events={"preview": [unknown, summary({"same": 3})]}))
    outcome = d.up()  # prod: the guard's preview must see every step, or `up` must not run
    assert outcome.code == ExitCode.ENVIRONMENT
    (message,) = outcome.messages
    assert message.startswith("error: preview: the driver could not read the Pulumi CLI's engine events (")
    assert "'frobnicate' is not a valid OpType" in message
    assert "so it counts as failed (fix: use a Pulumi CLI that the pinned SDK pulumi==" in message
    assert operations(command) == ["preview"]
