"""Before any operation: the Pulumi CLI (present, runs, new enough), the stack selected in a LocalWorkspace
on the repository (the CLI runs `__main__.py`) or with `program.main` inline, and the provider plugins the
program's SDKs were generated for installed. Every failure is a DriverError that says what to fix."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from importlib.metadata import version as installed_version

from pulumi import automation as auto
from pulumi.automation.errors import CommandError, InvalidVersionError, StackNotFoundError
from semver import VersionInfo

from core.config_keys import PROJECT
from ops.automation.cli_errors import last_line, setup_problem
from ops.automation.exit_codes import ExitCode
from ops.automation.run_options import DriverError, RunOptions

# 3.181 is the first CLI that runs inline programs for refresh and destroy (`--client`), which the SDK
# itself enforces for those operations; older CLIs would fail half-way through a rollback.
MIN_CLI_VERSION = VersionInfo(3, 181, 0)
# The provider plugins the program's SDKs were generated for: the pinned packages' own versions.
PLUGIN_PACKAGES = {"kubernetes": "pulumi-kubernetes", "gcp": "pulumi-gcp"}


def required_plugins() -> dict[str, str]:
    return {name: installed_version(package) for name, package in PLUGIN_PACKAGES.items()}


def checked_command(command: auto.PulumiCommand | None) -> auto.PulumiCommand:
    """`command`, or the CLI on PATH, once its version is known to be at least MIN_CLI_VERSION."""
    if command is None:
        try:
            command = auto.PulumiCommand(version=MIN_CLI_VERSION)
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
            raise DriverError(ExitCode.ENVIRONMENT, f"{exc} (fix: install Pulumi CLI >= {MIN_CLI_VERSION})") from None
    found = command.version
    if found is None or found.compare(MIN_CLI_VERSION) < 0:
        raise DriverError(
            ExitCode.ENVIRONMENT,
            f"Pulumi CLI {found or 'of unknown version'} is older than the minimum {MIN_CLI_VERSION} "
            f"(fix: upgrade the CLI)",
        )
    return command


def select_stack(options: RunOptions, command: auto.PulumiCommand, write: Callable[[str], object]) -> auto.Stack:
    """The stack of `options`, its plugins installed (`write` hears of each install)."""
    opts = auto.LocalWorkspaceOptions(work_dir=str(options.project_dir), pulumi_command=command)
    try:
        if options.inline:
            import program

            project_dir = options.project_dir

            def inline_program() -> None:
                program.main(project_dir)

            stack = auto.select_stack(options.stack, project_name=PROJECT, program=inline_program, opts=opts)
        else:
            stack = auto.select_stack(options.stack, work_dir=str(options.project_dir), opts=opts)
    except StackNotFoundError:
        raise DriverError(
            ExitCode.BAD_INPUT,
            f"stack {options.stack!r} does not exist in the logged-in backend "
            f"(fix: `pulumi stack init {options.stack}`, or log in to the right backend)",
        ) from None
    except CommandError as exc:
        problem = setup_problem(str(exc))
        if problem is None:
            raise DriverError(ExitCode.FAILED, f"could not select stack {options.stack!r}: {last_line(exc)}") from None
        raise DriverError(*problem) from None
    install_plugins(stack.workspace, write)
    return stack


def install_plugins(workspace: auto.Workspace, write: Callable[[str], object]) -> None:
    have = {(p.name, str(p.version)) for p in workspace.list_plugins() if p.kind == "resource"}
    for name, wanted in required_plugins().items():
        if (name, wanted) in have:
            continue
        write(f"installing plugin {name} v{wanted}")
        try:
            workspace.install_plugin(name, f"v{wanted}")
        except CommandError as exc:
            raise DriverError(
                ExitCode.ENVIRONMENT, f"could not install plugin {name} v{wanted}: {last_line(exc)}"
            ) from None
