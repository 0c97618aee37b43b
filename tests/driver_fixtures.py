"""The Automation API driver on a fake Pulumi CLI (tests/fake_pulumi.py), and the operations it ran: what
the driver tests share."""

from __future__ import annotations

from pathlib import Path

from ops.automation.driver import Driver
from ops.automation.run_options import RunOptions
from tests.fake_pulumi import FakePulumiCommand, Scenario

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
