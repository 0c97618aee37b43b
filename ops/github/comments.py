"""Post or update ONE pull-request comment, found again by a hidden marker in its body.

GitHub REST: list a PR's comments with `GET /repos/{owner}/{repo}/issues/{number}/comments` (paged,
100 per page), edit with `PATCH /repos/{owner}/{repo}/issues/comments/{id}`, create with
`POST /repos/{owner}/{repo}/issues/{number}/comments`. The token comes from the environment (the
workflow's GITHUB_TOKEN with `pull-requests: write`); it is sent as a header and never printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import requests

DEFAULT_API = "https://api.github.com"
PER_PAGE = 100
MAX_PAGES = 30  # 3,000 comments: beyond that a PR has bigger problems than a duplicate report


class GitHubError(Exception):
    pass


@dataclass(frozen=True)
class CommentResult:
    action: str  # "created" | "updated"
    comment_id: int
    url: str


class GitHubComments:
    def __init__(self, repository: str, token: str, api_url: str = DEFAULT_API, timeout: float = 20.0):
        if repository.count("/") != 1:
            raise GitHubError(f"repository {repository!r} must be owner/name")
        if not token:
            raise GitHubError("no GitHub token (fix: set GITHUB_TOKEN; the workflow needs pull-requests: write)")
        self.repository = repository
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._token = token

    def __repr__(self) -> str:  # never shows the token
        return f"GitHubComments({self.repository!r}, api_url={self.api_url!r})"

    @classmethod
    def from_env(cls, repository: str | None = None, env: Mapping[str, str] = os.environ) -> GitHubComments:
        return cls(
            repository or env.get("GITHUB_REPOSITORY", ""),
            env.get("GITHUB_TOKEN", ""),
            env.get("GITHUB_API_URL", DEFAULT_API),
        )

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        response = requests.request(method, self.api_url + path, headers=headers, timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            raise GitHubError(f"{method} {path}: HTTP {response.status_code}: {response.text[:300]}")
        return response

    def find(self, number: int, marker: str) -> dict | None:
        """The first comment on the PR whose body contains `marker`, or None."""
        for page in range(1, MAX_PAGES + 1):
            comments = self._request(
                "GET",
                f"/repos/{self.repository}/issues/{number}/comments",
                params={"per_page": PER_PAGE, "page": page},
            ).json()
            for comment in comments:
                if marker in (comment.get("body") or ""):
                    return comment
            if len(comments) < PER_PAGE:
                return None
        return None

    def upsert(self, number: int, body: str, marker: str) -> CommentResult:
        if marker not in body:
            body = f"{marker}\n{body}"
        existing = self.find(number, marker)
        if existing is not None:
            updated = self._request(
                "PATCH", f"/repos/{self.repository}/issues/comments/{existing['id']}", json={"body": body}
            ).json()
            return CommentResult("updated", int(updated["id"]), updated.get("html_url", ""))
        created = self._request(
            "POST", f"/repos/{self.repository}/issues/{number}/comments", json={"body": body}
        ).json()
        return CommentResult("created", int(created["id"]), created.get("html_url", ""))
