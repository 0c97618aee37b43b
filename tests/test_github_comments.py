"""The GitHub comment client against a local fake of the REST API on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ops.github.comments import PER_PAGE, GitHubComments, GitHubError

MARKER = "<!-- test-marker -->"


class FakeGitHub:
    def __init__(self):
        self.comments: list[dict] = []
        self.requests: list[tuple[str, str, dict]] = []
        self.next_id = 1000

    def add(self, body: str) -> dict:
        self.next_id += 1
        comment = {"id": self.next_id, "body": body, "html_url": f"https://github.test/c/{self.next_id}"}
        self.comments.append(comment)
        return comment


@pytest.fixture
def github():
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _reply(self, status: int, payload) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> tuple[str, dict]:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            self.requests.append((self.command, self.path, {"auth": self.headers.get("Authorization"), **body}))
            return url.path, parse_qs(url.query)

        requests = fake.requests

        def do_GET(self):
            path, query = self._record()
            if self.headers.get("Authorization") != "Bearer t0ken":
                return self._reply(401, {"message": "Bad credentials"})
            if path == "/repos/acme/mlops/issues/7/comments":
                page, per_page = int(query["page"][0]), int(query["per_page"][0])
                return self._reply(200, fake.comments[(page - 1) * per_page : page * per_page])
            return self._reply(404, {"message": "Not Found"})

        def do_POST(self):
            path, _ = self._record()
            if path == "/repos/acme/mlops/issues/7/comments":
                return self._reply(201, fake.add(self.requests[-1][2]["body"]))
            return self._reply(404, {"message": "Not Found"})

        def do_PATCH(self):
            path, _ = self._record()
            for comment in fake.comments:
                if path == f"/repos/acme/mlops/issues/comments/{comment['id']}":
                    comment["body"] = self.requests[-1][2]["body"]
                    return self._reply(200, comment)
            return self._reply(404, {"message": "Not Found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


def client(github, token="t0ken") -> GitHubComments:
    return GitHubComments.from_env(
        env={"GITHUB_REPOSITORY": "acme/mlops", "GITHUB_TOKEN": token, "GITHUB_API_URL": github.url}
    )


def test_first_post_creates_then_updates_the_same_comment(github):
    github.add("an unrelated review comment")
    first = client(github).upsert(7, f"{MARKER}\nreport v1", MARKER)
    second = client(github).upsert(7, f"{MARKER}\nreport v2", MARKER)
    assert first.action == "created" and second.action == "updated"
    assert first.comment_id == second.comment_id
    assert [c["body"] for c in github.comments] == ["an unrelated review comment", f"{MARKER}\nreport v2"]
    assert all(auth == "Bearer t0ken" for _, _, body in github.requests for auth in [body["auth"]])


def test_the_marker_is_found_beyond_the_first_page(github):
    for i in range(PER_PAGE + 5):
        github.add(f"comment {i}")
    github.add(f"{MARKER}\nold report")
    result = client(github).upsert(7, "new report", MARKER)  # the marker is added when the body lacks it
    assert result.action == "updated"
    assert github.comments[-1]["body"] == f"{MARKER}\nnew report"
    pages = [path for method, path, _ in github.requests if method == "GET"]
    assert len(pages) == 2


def test_errors_name_the_status_and_never_the_token(github):
    with pytest.raises(GitHubError) as error:
        client(github, token="wrong-token").upsert(7, "x", MARKER)
    assert "HTTP 401" in str(error.value)
    assert "wrong-token" not in str(error.value) and "wrong-token" not in repr(client(github, "wrong-token"))


def test_missing_token_is_a_clear_error():
    with pytest.raises(GitHubError, match="GITHUB_TOKEN"):
        GitHubComments.from_env(env={"GITHUB_REPOSITORY": "acme/mlops"})
