"""Post or update ONE pull-request comment, found again by a hidden marker in its body.

GitHub REST: list a PR's comments with `GET /repos/{owner}/{repo}/issues/{number}/comments` (paged,
100 per page), edit with `PATCH /repos/{owner}/{repo}/issues/comments/{id}`, create with
`POST /repos/{owner}/{repo}/issues/{number}/comments`. The token comes from the environment (the
workflow's GITHUB_TOKEN with `pull-requests: write`); it is sent as a header and never printed.
Every call is bounded and its failures explained by ops/github/api.py; the body is fitted to GitHub's
limit by ops/github/truncate.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ops.github.api import DEFAULT_API, GitHubApi, GitHubError
from ops.github.truncate import fit_comment

PER_PAGE = 100
MAX_PAGES = 30  # 3,000 comments: beyond that a PR has bigger problems than a duplicate report

__all__ = ["DEFAULT_API", "PER_PAGE", "CommentResult", "GitHubComments", "GitHubError", "full_report_url"]


@dataclass(frozen=True)
class CommentResult:
    action: str  # "created" | "updated"
    comment_id: int
    url: str
    truncated: bool = False


def full_report_url(env: Mapping[str, str] = os.environ) -> str:
    """Where the whole report is when a comment must be cut: the workflow run (its page lists the report
    artifacts), "" outside Actions."""
    server, repository, run = (env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repository}/actions/runs/{run}" if server and repository and run else ""


class GitHubComments:
    def __init__(self, repository: str, token: str, api_url: str = DEFAULT_API, timeout: float = 20.0, **api):
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise GitHubError(
                f"repository {repository!r} must be owner/name (fix: pass --repo or set GITHUB_REPOSITORY)"
            )
        if not token:
            raise GitHubError("no GitHub token (fix: set GITHUB_TOKEN; the workflow needs pull-requests: write)")
        self.repository = repository
        self.api = GitHubApi(api_url, token, timeout, **api)

    @property
    def api_url(self) -> str:
        return self.api.api_url

    def __repr__(self) -> str:  # never shows the token
        return f"GitHubComments({self.repository!r}, api_url={self.api.api_url!r})"

    @classmethod
    def from_env(cls, repository: str | None = None, env: Mapping[str, str] = os.environ, **api) -> GitHubComments:
        return cls(
            repository or env.get("GITHUB_REPOSITORY", ""),
            env.get("GITHUB_TOKEN", ""),
            env.get("GITHUB_API_URL", DEFAULT_API),
            **api,
        )

    def find(self, number: int, marker: str) -> dict | None:
        """The first comment on the PR whose body contains `marker`, or None."""
        path = f"/repos/{self.repository}/issues/{number}/comments"
        for page in range(1, MAX_PAGES + 1):
            comments = self.api.call("GET", path, params={"per_page": PER_PAGE, "page": page})
            if not isinstance(comments, list):
                raise GitHubError(f"GET {self.api.api_url}{path}: the answer is not a list of comments")
            for comment in comments:
                if isinstance(comment, dict) and marker in (comment.get("body") or ""):
                    return comment
            if len(comments) < PER_PAGE:
                return None
        return None

    def upsert(self, number: int, body: str, marker: str, full_report: str = "") -> CommentResult:
        """Updates the comment carrying `marker`, or creates it: never a second one. A body longer than
        GitHub accepts is cut with a pointer to `full_report`."""
        if marker not in body:
            body = f"{marker}\n{body}"
        fitted = fit_comment(body, full_report)
        existing = self.find(number, marker)
        if existing is not None:
            answer = self.api.call(
                "PATCH", f"/repos/{self.repository}/issues/comments/{existing['id']}", json={"body": fitted}
            )
            action = "updated"
        else:
            answer = self.api.call("POST", f"/repos/{self.repository}/issues/{number}/comments", json={"body": fitted})
            action = "created"
        if not isinstance(answer, dict) or "id" not in answer:
            raise GitHubError(f"the {action} comment's answer has no id (GitHub answered {str(answer)[:80]!r})")
        return CommentResult(action, int(answer["id"]), str(answer.get("html_url", "")), fitted != body)
