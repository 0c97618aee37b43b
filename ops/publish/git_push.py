"""One commit on one branch of a remote, made from a fresh shallow checkout and pushed without force.

`commit_and_push(remote, branch, apply, message)` fetches the branch's head (or starts the branch when
it does not exist yet), lets `apply` change the checkout, commits only when something changed, and
pushes. When the push is rejected because the branch moved meanwhile (another stack's deploy, a merge),
it starts again from the new head and applies again: `apply` writes a desired state, never a diff, so
the retry cannot lose the other change. Every git call is bounded in time and never prompts.

Credentials: for an https remote, the token in GITOPS_PUSH_TOKEN (a GitHub App installation token minted
by the job for this one push) is handed to git through its environment (GIT_CONFIG_*), so it is never
on a command line, in a file, or in a remote URL that could be printed.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TOKEN_ENV = "GITOPS_PUSH_TOKEN"
GIT_TIMEOUT_SECONDS = 120
ATTEMPTS = 4
AUTHOR = ("mlops-platform deploy", "mlops-platform-deploy@users.noreply.github.com")


class PushError(Exception):
    """git failed in a way a re-run will not fix by itself; the message names the step and git's answer."""


class _Rejected(Exception):
    """The remote branch moved since the fetch."""


@dataclass(frozen=True)
class PushResult:
    changed: bool
    commit: str  # the branch head after the push ("" when the branch did not exist and nothing was written)
    attempts: int


def _environment(remote: str, environ: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if not k.startswith("GIT_CONFIG_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", LC_ALL="C")
    token = environ.get(TOKEN_ENV, "")
    if token and remote.startswith("https://"):
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="http.extraheader")
        env["GIT_CONFIG_VALUE_0"] = f"AUTHORIZATION: basic {basic}"
    return env


def _git(args: list[str], cwd: Path, env: dict[str, str], what: str, ok: tuple[int, ...] = (0,)):
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS
        )
    except FileNotFoundError:
        raise PushError("git is not installed (fix: install git on the runner)") from None
    except subprocess.TimeoutExpired:
        raise PushError(
            f"{what}: git did not finish within {GIT_TIMEOUT_SECONDS}s (is the remote reachable?)"
        ) from None
    if result.returncode not in ok:
        answer = (result.stderr or result.stdout).strip().splitlines()
        raise PushError(f"{what} failed: {answer[-1] if answer else f'exit {result.returncode}'}")
    return result


def _attempt(
    remote: str, branch: str, apply: Callable[[Path], None], message: str, env: dict[str, str], work: Path
) -> PushResult:
    _git(["init", "-q", "-b", "_publish", str(work)], work.parent, env, "git init")
    heads = _git(
        ["ls-remote", "--heads", remote, f"refs/heads/{branch}"], work, env, f"reading {branch} from the remote"
    )
    exists = bool(heads.stdout.strip())
    if exists:
        _git(["fetch", "-q", "--depth", "1", remote, f"refs/heads/{branch}"], work, env, f"fetching {branch}")
        _git(["checkout", "-q", "-B", branch, "FETCH_HEAD"], work, env, "checking out the branch")
    else:
        _git(["checkout", "-q", "--orphan", branch], work, env, "starting the branch")
    apply(work)
    _git(["add", "-A", "."], work, env, "staging the change")
    staged = _git(["diff", "--cached", "--quiet"], work, env, "comparing", ok=(0, 1))
    if staged.returncode == 0:
        head = _git(["rev-parse", "HEAD"], work, env, "reading the head", ok=(0, 128)).stdout.strip() if exists else ""
        return PushResult(False, head, 1)
    name, email = AUTHOR
    identity = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    _git([*identity, "commit", "-q", "-m", message], work, env, "committing")
    pushed = _git(["push", "--porcelain", remote, f"HEAD:refs/heads/{branch}"], work, env, "pushing", ok=(0, 1))
    if pushed.returncode != 0:
        text = pushed.stdout + pushed.stderr
        if "[rejected]" in text or "fetch first" in text or "non-fast-forward" in text or "stale info" in text:
            raise _Rejected()
        answer = text.strip().splitlines()
        raise PushError(f"pushing to {branch} failed: {answer[-1] if answer else 'no answer'}")
    return PushResult(True, _git(["rev-parse", "HEAD"], work, env, "reading the head").stdout.strip(), 1)


def commit_and_push(
    remote: str,
    branch: str,
    apply: Callable[[Path], None],
    message: str,
    environ: dict[str, str] | None = None,
    attempts: int = ATTEMPTS,
) -> PushResult:
    env = _environment(remote, dict(os.environ if environ is None else environ))
    for attempt in range(1, attempts + 1):
        parent = Path(tempfile.mkdtemp(prefix="mlops-publish-"))
        try:
            result = _attempt(remote, branch, apply, message, env, parent / "checkout")
            return PushResult(result.changed, result.commit, attempt)
        except _Rejected:
            continue
        finally:
            shutil.rmtree(parent, ignore_errors=True)
    raise PushError(f"{branch} moved during each of {attempts} attempts to push (fix: re-run the job)")
