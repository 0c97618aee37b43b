"""The driver when the Pulumi CLI or its backend is not set up, or sends events the pinned SDK cannot read:
one line and an exit code, never a traceback (the fake CLI is tests/fake_pulumi.py)."""

from __future__ import annotations

import pytest

from ops.automation.driver import Driver
from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import RunOptions
from tests.driver_fixtures import PROJECT_DIR, driver, operations
from tests.fake_pulumi import FakePulumiCommand, Scenario, summary


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


def test_a_backend_without_stack_tags_is_a_message_not_a_failure():
    class NoTags(FakePulumiCommand):
        def run(self, args, cwd, additional_env, on_output=None, on_error=None):
            if args[:3] == ["stack", "tag", "set"] or args[1:4] == ["stack", "tag", "set"]:
                return self._fail("error: stack tags are not supported by this backend")
            return super().run(args, cwd, additional_env, on_output, on_error)

    d = Driver(RunOptions("prod", PROJECT_DIR), NoTags(Scenario()), write=lambda _: None)
    refused = d.set_tag("mlops.promoted.churn-prediction", "v7")
    assert refused is not None and "not supported by this backend" in refused


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
