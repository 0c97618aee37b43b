"""One GitHub REST call, bounded: retries for 5xx, lost connections and rate limits, and one clear error
for everything else.

Rate limits (docs.github.com, "Rate limits for the REST API"): a primary limit answers 403 or 429 with
`x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds); a secondary limit answers 403 or 429
with `retry-after` (seconds), and without either header GitHub says to wait at least a minute. We wait
what GitHub asks when it fits in the call's budget (`max_wait`, every wait of the call together) and
otherwise stop at once with the time it resets, so a CI job never sleeps for an hour nor hammers the API.
The token is a header and never appears in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

DEFAULT_API = "https://api.github.com"
MAX_ATTEMPTS = 4
BACKOFF = 1.0  # seconds before the first retry of a 5xx or a lost connection, doubled each time
MAX_WAIT = 60.0  # seconds one call may spend waiting, rate limits and backoffs together
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: "wait for at least one minute" when it names no time


class GitHubError(Exception):
    """What went wrong, where, and the fix: the one line `pr-comment` prints."""


@dataclass
class GitHubApi:
    api_url: str = DEFAULT_API
    token: str = field(default="", repr=False)
    timeout: float = 20.0
    max_wait: float = MAX_WAIT
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def __post_init__(self) -> None:
        self.api_url = self.api_url.rstrip("/")

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON answer of one call, after at most MAX_ATTEMPTS attempts and max_wait seconds of
        waiting. Raises GitHubError naming the request and the fix."""
        where = f"{method} {self.api_url}{path}"
        waited = 0.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = requests.request(
                    method, self.api_url + path, headers=self._headers(), timeout=self.timeout, **kwargs
                )
            except requests.RequestException as exc:
                problem, wait = f"no answer ({type(exc).__name__})", BACKOFF * 2 ** (attempt - 1)
            else:
                limited = self._rate_limit_wait(response)
                if limited is not None:
                    problem, wait = f"rate limited (HTTP {response.status_code})", limited
                    if waited + wait > self.max_wait:
                        raise GitHubError(
                            f"{where}: GitHub's rate limit asks to wait {wait:.0f}s (until "
                            f"{self._at(wait)}), more than the {self.max_wait:.0f}s this command waits "
                            "(fix: re-run the job after that time; a job posting many comments should share one)"
                        )
                elif response.status_code >= 500:
                    problem, wait = f"HTTP {response.status_code} (a GitHub server error)", BACKOFF * 2 ** (attempt - 1)
                elif response.status_code >= 400:
                    raise GitHubError(f"{where}: {self._refusal(response)}")
                else:
                    return self._json(response, where)
            if attempt == MAX_ATTEMPTS or waited + wait > self.max_wait:
                raise GitHubError(
                    f"{where}: {problem} after {attempt} attempt(s) and {waited:.0f}s of waiting "
                    "(fix: GitHub may be degraded, see https://www.githubstatus.com; re-run the job)"
                )
            self.sleep(wait)
            waited += wait
        raise AssertionError("unreachable")

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        """Seconds GitHub asks to wait, or None when the answer is not a rate limit."""
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.strip().isdigit():
            return float(retry_after)
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = response.headers.get("X-RateLimit-Reset", "")
            if reset.strip().isdigit():
                return max(0.0, float(reset) - self.clock()) + 1.0
            return SECONDARY_LIMIT_WAIT
        if response.status_code == 429 or "secondary rate limit" in response.text.lower():
            return SECONDARY_LIMIT_WAIT
        return None

    def _at(self, wait: float) -> str:
        return datetime.fromtimestamp(self.clock() + wait, UTC).strftime("%H:%M:%S UTC")

    @staticmethod
    def _refusal(response: requests.Response) -> str:
        status = response.status_code
        said = _message(response)
        if status == 401:
            return (
                f"HTTP 401 {said}: GitHub refused the token "
                "(fix: set GITHUB_TOKEN to a valid token; in a workflow, `GITHUB_TOKEN: ${{ github.token }}`)"
            )
        if status == 403:
            return (
                f"HTTP 403 {said}: the token may not do this "
                "(fix: give the job `permissions: pull-requests: write`; a pull request from a fork gets a "
                "read-only token, so post from a workflow_run job as preview-comment.yml does)"
            )
        if status == 404:
            return (
                f"HTTP 404 {said}: no such repository or pull request, or the token cannot see it "
                "(fix: check --repo owner/name and --pr N)"
            )
        if status == 422:
            return f"HTTP 422 {said}: GitHub refused the request's content (fix: see its message)"
        return f"HTTP {status} {said}"

    @staticmethod
    def _json(response: requests.Response, where: str) -> Any:
        try:
            return response.json()
        except ValueError:
            begins = " ".join(response.text[:80].split()) or "(empty)"
            raise GitHubError(
                f"{where}: HTTP {response.status_code} but the answer is not JSON (it begins {begins!r}) "
                "(fix: check GITHUB_API_URL; GitHub Enterprise Server's API is https://HOST/api/v3)"
            ) from None


def _message(response: requests.Response) -> str:
    """GitHub's own `message`, quoted, or a snippet of a non-JSON body."""
    try:
        payload = response.json()
    except ValueError:
        return repr(" ".join(response.text[:80].split()) or "(empty)")
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return repr(payload["message"])
    return ""
