"""`python -m ops preview|up|refresh --stack S`: the real Pulumi CLI driven through the Automation API.

One `Driver` per stack. It selects the stack in a LocalWorkspace on the repository (the CLI runs
`__main__.py`), or runs `program.main` inline; checks the CLI version and installs the provider plugins
the program was written against (ops/automation/cli_setup.py); applies the policy pack; prints one line per resource event; and turns
every outcome into one of `ExitCode`'s meanings. A stack locked by another update is answered clearly,
or waited for when `wait_seconds` allows. In prod, `up` previews first and refuses destructive changes
to protected infrastructure (ops/automation/protected_resources.py) unless they were allowed by name.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation.errors import CommandError, ConcurrentUpdateError

from core.config_keys import config_key
from ops.automation import unreadable
from ops.automation.argocd_drift import AppStatus, NoClusterAccess, argo_cd_drift
from ops.automation.changes import ChangeLog
from ops.automation.cli_errors import last_line, setup_problem
from ops.automation.cli_setup import checked_command, select_stack
from ops.automation.exit_codes import ExitCode
from ops.automation.progress import printer
from ops.automation.protected_resources import refusals
from ops.automation.run_options import DriverError, Outcome, RunOptions
from ops.kube_api import KubeError
from ops.progress import Progress
from ops.stack_config import load_stack_config


def is_production(options: RunOptions) -> bool:
    config = load_stack_config(options.project_dir, options.stack)
    return config.values.get(config_key("environment")) == "prod"


class Driver:
    def __init__(
        self,
        options: RunOptions,
        command: auto.PulumiCommand | None = None,
        write: Callable[[str], object] = print,
        sleep: Callable[[float], None] = time.sleep,
        progress: Progress | None = None,  # default: a live line on a terminal when printing (ops/progress.py)
    ):
        self.options = options
        self._progress = progress if progress is not None else (Progress.detect() if write is print else None)
        self._command = command
        self._write = write
        self._sleep = sleep
        self._stack: auto.Stack | None = None

    # -- setup -----------------------------------------------------------------------------------------

    def command(self) -> auto.PulumiCommand:
        self._command = checked_command(self._command)
        return self._command

    def stack(self) -> auto.Stack:
        if self._stack is None:
            self._stack = select_stack(self.options, self.command(), self._write)
        return self._stack

    # -- operations ------------------------------------------------------------------------------------

    def preview(self) -> Outcome:
        log = ChangeLog()
        return self._attempt("preview", log, lambda: self._preview(log))

    def _preview(self, log: ChangeLog) -> Outcome:
        unreadable.read_all(
            "preview",
            lambda: self.stack().preview(
                on_event=self._events(log),
                policy_packs=self.options.packs() or None,
                refresh=self.options.refresh or None,
                message=self.options.message,
                color="never",
            ),
        )
        return Outcome(ExitCode.OK, log)

    def up(self) -> Outcome:
        if is_production(self.options):
            checked = self.preview()
            if checked.code != ExitCode.OK:
                return checked
            refused = refusals(checked.log.changes, self.options.allow_replace)
            if refused:
                lines = [f"refused: {r}" for r in refused]
                return Outcome(ExitCode.REFUSED, checked.log, [*lines, "nothing was changed"])
        log = ChangeLog()
        return self._attempt("up", log, lambda: self._up(log))

    def _up(self, log: ChangeLog) -> Outcome:
        result = unreadable.read_all(
            "up",
            lambda: self.stack().up(
                on_event=self._events(log),
                policy_packs=self.options.packs() or None,
                refresh=self.options.refresh or None,
                message=self.options.message,
                color="never",
            ),
        )
        return Outcome(ExitCode.OK, log, outputs={k: v.value for k, v in result.outputs.items()})

    def refresh(self, expect_no_changes: bool = False) -> Outcome:
        """A preview-only refresh: reports drift without writing it into the state."""
        log = ChangeLog(refresh=True)

        def run() -> Outcome:
            unreadable.read_all(
                "refresh", lambda: self.stack().preview_refresh(on_event=self._events(log), color="never")
            )
            argo, argo_notes = self._argo_cd_drift()
            drifted = bool(log.drift) or bool(argo)
            code = ExitCode.CHANGES if expect_no_changes and drifted else ExitCode.OK
            messages = [f"drift: {len(log.drift)} resource(s)" if log.drift else "no drift in Pulumi's resources"]
            messages += argo_notes[-1:]
            return Outcome(code, log, messages, notes=[s.note() for s in argo] + argo_notes[:-1])

        return self._attempt("refresh", log, run)

    def _argo_cd_drift(self) -> tuple[list[AppStatus], list[str]]:
        """Pulumi's refresh cannot see objects that exist only as files for Argo CD: ask Argo CD."""
        deployment = dict(self.stack().export_stack().deployment or {})
        kubeconfig = self.options.kubeconfig or _env_kubeconfig()
        try:
            return argo_cd_drift(deployment, kubeconfig, self.options.kube_context, self.options.skip_argocd)
        except NoClusterAccess as exc:
            raise DriverError(ExitCode.BAD_INPUT, str(exc)) from None
        except KubeError as exc:
            raise DriverError(ExitCode.FAILED, f"reading Argo CD's sync status: {exc}") from None

    def outputs(self) -> dict[str, Any]:
        return {k: v.value for k, v in self.stack().outputs().items()}

    def set_tag(self, key: str, value: str) -> str | None:
        """Sets a stack tag; returns why not when the backend refuses (self-managed backends may not
        support tags), so an audit step never turns a finished deployment into a failure."""
        try:
            self.stack().set_tag(key, value)
        except CommandError as exc:
            return f"stack tag {key} not set: {last_line(exc)} (the MLflow tags hold the audit trail)"
        return None

    # -- errors ----------------------------------------------------------------------------------------

    def _events(self, log: ChangeLog) -> Callable[[auto.EngineEvent], None]:
        show = printer(self._write, self._progress)

        def on_event(event: auto.EngineEvent) -> None:
            log(event)
            show(event)

        return on_event

    def _attempt(self, what: str, log: ChangeLog, run: Callable[[], Outcome]) -> Outcome:
        """Runs one operation; maps every failure to an exit code and a message that says what to do."""
        deadline = time.monotonic() + self.options.wait_seconds
        delay = 5.0
        while True:
            try:
                return run()
            except DriverError as exc:
                return Outcome(exc.code, log, [f"error: {exc}"])
            except unreadable.UnreadableEvents as exc:
                return Outcome(ExitCode.ENVIRONMENT, log, [f"error: {exc}"])
            except ConcurrentUpdateError:
                if time.monotonic() + delay > deadline:
                    waited = f" after waiting {self.options.wait_seconds:.0f}s" if self.options.wait_seconds else ""
                    return Outcome(
                        ExitCode.CONCURRENT,
                        log,
                        [
                            f"error: another update of stack {self.options.stack!r} is in progress{waited}; "
                            "nothing was changed (fix: re-run later, or with --wait SECONDS; "
                            "if no update is really running, `pulumi cancel` releases the lock)"
                        ],
                    )
                self._write(f"stack {self.options.stack!r} is locked by another update; waiting {delay:.0f}s")
                self._sleep(delay)
                delay = min(delay * 2, 60.0)
                log.reset()  # the retry starts a fresh event stream
            except CommandError as exc:
                blocking = [v for v in log.violations if v.blocking]
                if blocking:
                    lines = [f"policy {v.pack}/{v.policy} ({v.enforcement}): {v.message.strip()}" for v in blocking]
                    return Outcome(ExitCode.POLICY, log, [f"error: {what} blocked by policy:", *lines])
                problem = setup_problem(str(exc))
                if problem is not None:
                    return Outcome(problem[0], log, [f"error: {problem[1]}"])
                details = log.errors or [last_line(exc)]
                return Outcome(ExitCode.FAILED, log, [f"error: {what} failed:", *details])


def _env_kubeconfig() -> Path | None:
    first = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(first) if first else None
