"""What the Pulumi CLI's own error text means when the cause is this machine's setup, not the program:
recognised by the CLI's messages (quoted from the CLI), answered with the exit code and the fix."""

from __future__ import annotations

from ops.automation.exit_codes import ExitCode

LOGIN_FIX = (
    "fix: log in to the stack's state backend: set PULUMI_ACCESS_TOKEN for Pulumi Cloud, or PULUMI_BACKEND_URL "
    "(e.g. gs://BUCKET) for a self-managed backend, or run `pulumi login` once on this machine"
)
# (text the CLI prints, what it means, the fix)
KNOWN = (
    ("PULUMI_ACCESS_TOKEN must be set for login", "the Pulumi CLI is not logged in to a backend", LOGIN_FIX),
    ("problem logging in", "the Pulumi CLI could not log in to its backend", LOGIN_FIX),
    (
        "passphrase must be set with PULUMI_CONFIG_PASSPHRASE",
        "the stack's secrets need a passphrase and none is set",
        "fix: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) in the job's environment",
    ),
)


def setup_problem(cli_text: str) -> tuple[ExitCode, str] | None:
    """(exit code, message) when the CLI's output says the machine is not set up, else None."""
    for needle, meaning, fix in KNOWN:
        for line in cli_text.splitlines():
            if needle in line:
                said = line.strip().removeprefix("stderr:").removeprefix("stdout:").strip()  # CommandError's layout
                return ExitCode.ENVIRONMENT, f"{meaning}: the CLI said {said!r} ({fix})"
    return None


def last_line(exc: Exception) -> str:
    """The CLI's last non-empty line of output: what it says went wrong."""
    text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else text
