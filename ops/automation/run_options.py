"""What one Driver run is asked to do (RunOptions) and what it answers (Outcome, or DriverError before it
could start): the vocabulary shared by the driver, the CLI commands and promote/rollback."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.automation.changes import ChangeLog
from ops.automation.exit_codes import ExitCode

POLICY_DIR = "policy"


class DriverError(Exception):
    def __init__(self, code: ExitCode, message: str):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class RunOptions:
    stack: str
    project_dir: Path
    policy_packs: tuple[Path, ...] | None = None  # None: the project's policy/ directory when it exists
    refresh: bool = False
    wait_seconds: float = 0.0  # how long to wait for a concurrent update to finish; 0 answers at once
    allow_replace: tuple[str, ...] = ()  # protected resources (name or URN) allowed to be deleted/replaced
    inline: bool = False  # run program.main in this process instead of the CLI's `python __main__.py`
    message: str | None = None
    kubeconfig: Path | None = None  # refresh: where Argo CD's Applications are read (default: $KUBECONFIG)
    kube_context: str | None = None
    skip_argocd: bool = False  # refresh: do not read Argo CD's sync status (says so in the report)

    def packs(self) -> list[str]:
        if self.policy_packs is not None:
            return [str(p) for p in self.policy_packs]
        default = self.project_dir / POLICY_DIR
        return [str(default)] if (default / "PulumiPolicy.yaml").exists() else []


@dataclass
class Outcome:
    code: ExitCode
    log: ChangeLog
    messages: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # refresh: drift Pulumi's own diff cannot show (Argo CD)
