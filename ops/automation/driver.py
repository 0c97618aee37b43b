"""`python -m ops preview|up|refresh --stack S`: the real Pulumi CLI driven through the Automation API.

One `Driver` per stack. It selects the stack in a LocalWorkspace on the repository (the CLI runs
`__main__.py`), or runs `program.main` inline; checks the CLI version and installs the provider plugins
the program was written against; applies the policy pack; prints one line per resource event; and turns
every outcome into one of `ExitCode`'s meanings. A stack locked by another update is answered clearly,
or waited for when `wait_seconds` allows. In prod, `up` previews first and refuses destructive changes
to protected infrastructure (ops/automation/protected_resources.py) unless they were allowed by name.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation.errors import CommandError, ConcurrentUpdateError, InvalidVersionError, StackNotFoundError
from semver import VersionInfo

from core.config_keys import PROJECT, config_key
from ops.automation import unreadable
from ops.automation.argocd_drift import AppStatus, NoClusterAccess, argo_cd_drift
from ops.automation.changes import ChangeLog
from ops.automation.cli_errors import setup_problem
from ops.automation.exit_codes import ExitCode
from ops.automation.progress import printer
from ops.automation.protected_resources import refusals
from ops.kube_api import KubeError
from ops.progress import Progress
from ops.stack_config import load_stack_config

# 3.181 is the first CLI that runs inline programs for refresh and destroy (`--client`), which the SDK
# itself enforces for those operations; older CLIs would fail half-way through a rollback.
MIN_CLI_VERSION = VersionInfo(3, 181, 0)
# The provider plugins the program's SDKs were generated for: the pinned packages' own versions.
PLUGIN_PACKAGES = {"kubernetes": "pulumi-kubernetes", "gcp": "pulumi-gcp"}
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


def required_plugins() -> dict[str, str]:
    return {name: installed_version(package) for name, package in PLUGIN_PACKAGES.items()}


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
        if self._command is None:
            try:
                self._command = auto.PulumiCommand(version=MIN_CLI_VERSION)
            except FileNotFoundError:
                raise DriverError(
                    ExitCode.ENVIRONMENT,
                    "the Pulumi CLI is not installed: no `pulumi` on PATH "
                    "(fix: install it, e.g. curl -fsSL https://get.pulumi.com | sh, and put it on PATH)",
                ) from None
            except (OSError, subprocess.CalledProcessError) as exc:
                raise DriverError(
                    ExitCode.ENVIRONMENT,
                    f"the Pulumi CLI on PATH does not run (`pulumi version`: {exc}) (fix: reinstall it)",
                ) from None
            except InvalidVersionError as exc:
                raise DriverError(
                    ExitCode.ENVIRONMENT, f"{exc} (fix: install Pulumi CLI >= {MIN_CLI_VERSION})"
                ) from None
        found = self._command.version
        if found is None or found.compare(MIN_CLI_VERSION) < 0:
            raise DriverError(
                ExitCode.ENVIRONMENT,
                f"Pulumi CLI {found or 'of unknown version'} is older than the minimum {MIN_CLI_VERSION} "
                f"(fix: upgrade the CLI)",
            )
        return self._command

    def stack(self) -> auto.Stack:
        if self._stack is not None:
            return self._stack
        opts = auto.LocalWorkspaceOptions(work_dir=str(self.options.project_dir), pulumi_command=self.command())
        try:
            if self.options.inline:
                import program

                project_dir = self.options.project_dir

                def inline_program() -> None:
                    program.main(project_dir)

                stack = auto.select_stack(self.options.stack, project_name=PROJECT, program=inline_program, opts=opts)
            else:
                stack = auto.select_stack(self.options.stack, work_dir=str(self.options.project_dir), opts=opts)
        except StackNotFoundError:
            raise DriverError(
                ExitCode.BAD_INPUT,
                f"stack {self.options.stack!r} does not exist in the logged-in backend "
                f"(fix: `pulumi stack init {self.options.stack}`, or log in to the right backend)",
            ) from None
        except CommandError as exc:
            problem = setup_problem(str(exc))
            if problem is None:
                raise DriverError(
                    ExitCode.FAILED, f"could not select stack {self.options.stack!r}: {_last_line(exc)}"
                ) from None
            raise DriverError(*problem) from None
        self._install_plugins(stack.workspace)
        self._stack = stack
        return stack

    def _install_plugins(self, workspace: auto.Workspace) -> None:
        have = {(p.name, str(p.version)) for p in workspace.list_plugins() if p.kind == "resource"}
        for name, wanted in required_plugins().items():
            if (name, wanted) in have:
                continue
            self._write(f"installing plugin {name} v{wanted}")
            try:
                workspace.install_plugin(name, f"v{wanted}")
            except CommandError as exc:
                raise DriverError(
                    ExitCode.ENVIRONMENT, f"could not install plugin {name} v{wanted}: {_last_line(exc)}"
                ) from None

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
            return f"stack tag {key} not set: {_last_line(exc)} (the MLflow tags hold the audit trail)"
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
                details = log.errors or [_last_line(exc)]
                return Outcome(ExitCode.FAILED, log, [f"error: {what} failed:", *details])


def _env_kubeconfig() -> Path | None:
    first = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(first) if first else None


def _last_line(exc: CommandError) -> str:
    text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else text
