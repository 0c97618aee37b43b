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
        # Answers given before the API behaves: (status, headers, raw body), one per request, in order.
        self.faults: list[tuple[int, dict[str, str], str]] = []

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

        def _fault(self) -> bool:
            if not fake.faults:
                return False
            status, headers, body = fake.faults.pop(0)
            data = body.encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return True

        def _record(self) -> tuple[str, dict]:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            self.requests.append((self.command, self.path, {"auth": self.headers.get("Authorization"), **body}))
            return url.path, parse_qs(url.query)

        requests = fake.requests

        def do_GET(self):
            path, query = self._record()
            if self._fault():
                return None
            if self.headers.get("Authorization") != "Bearer t0ken":
                return self._reply(401, {"message": "Bad credentials"})
            if path == "/repos/acme/mlops/issues/7/comments":
                page, per_page = int(query["page"][0]), int(query["per_page"][0])
                return self._reply(200, fake.comments[(page - 1) * per_page : page * per_page])
            return self._reply(404, {"message": "Not Found"})

        def do_POST(self):
            path, _ = self._record()
            if self._fault():
                return None
            if path == "/repos/acme/mlops/issues/7/comments":
                return self._reply(201, fake.add(self.requests[-1][2]["body"]))
            return self._reply(404, {"message": "Not Found"})

        def do_PATCH(self):
            path, _ = self._record()
            if self._fault():
                return None
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


# -- a misbehaving GitHub: one clear error, bounded waits, never a duplicate ----------------------------

GITHUB_SAYS = json.dumps({"message": "Resource not accessible by integration"})


class Waits:
    """The client's sleep and clock: records every wait instead of spending it; the clock stands still."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def patient_client(github, waits: Waits, **api) -> GitHubComments:
    return GitHubComments.from_env(
        env={"GITHUB_REPOSITORY": "acme/mlops", "GITHUB_TOKEN": "t0ken", "GITHUB_API_URL": github.url},
        sleep=waits.sleep,
        clock=lambda: waits.now,
        **api,
    )


def writes(github) -> list[str]:
    return [method for method, _, _ in github.requests if method in ("POST", "PATCH")]


def test_401_names_the_token_fix(github):
    with pytest.raises(GitHubError) as error:
        client(github, token="wrong-token").upsert(7, "x", MARKER)
    assert "HTTP 401 'Bad credentials': GitHub refused the token (fix: set GITHUB_TOKEN" in str(error.value)
    assert f"GET {github.url}/repos/acme/mlops/issues/7/comments" in str(error.value)


def test_403_without_rate_limit_headers_names_the_permission_fix_and_writes_nothing(github):
    github.faults = [(403, {}, GITHUB_SAYS)]
    with pytest.raises(GitHubError) as error:
        patient_client(github, Waits()).upsert(7, "x", MARKER)
    message = str(error.value)
    assert "HTTP 403 'Resource not accessible by integration'" in message
    assert "permissions: pull-requests: write" in message and "workflow_run" in message
    assert writes(github) == [] and github.comments == []


def test_404_names_the_repository_and_pr_fix(github):
    with pytest.raises(GitHubError) as error:
        patient_client(github, Waits()).upsert(8, "x", MARKER)  # the fake knows only PR 7
    assert "HTTP 404 'Not Found'" in str(error.value) and "check --repo owner/name and --pr N" in str(error.value)


def test_secondary_rate_limit_waits_what_retry_after_says_then_posts_once(github):
    waits = Waits()
    github.faults = [(403, {"Retry-After": "7"}, '{"message": "You have exceeded a secondary rate limit"}')]
    result = patient_client(github, waits).upsert(7, "report", MARKER)
    assert waits.slept == [7.0]
    assert result.action == "created" and len(github.comments) == 1


def test_primary_rate_limit_waits_until_x_ratelimit_reset(github):
    waits = Waits()
    reset = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(waits.now) + 12)}
    github.faults = [(429, reset, '{"message": "API rate limit exceeded"}')]
    assert patient_client(github, waits).upsert(7, "report", MARKER).action == "created"
    assert waits.slept == [13.0]  # until the reset, plus a second for clock skew


def test_a_rate_limit_longer_than_the_budget_stops_at_once_with_the_reset_time(github):
    waits = Waits()
    reset = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(waits.now) + 3600)}
    github.faults = [(403, reset, '{"message": "API rate limit exceeded"}')]
    with pytest.raises(GitHubError) as error:
        patient_client(github, waits).upsert(7, "report", MARKER)
    assert "rate limit asks to wait 3601s (until 09:00:01 UTC), more than the 60s this command waits" in str(
        error.value
    )
    assert waits.slept == [] and writes(github) == []


def test_server_errors_are_retried_with_backoff_then_succeed(github):
    waits = Waits()
    github.faults = [(502, {}, "<html>Bad gateway</html>"), (503, {}, "{}")]
    assert patient_client(github, waits).upsert(7, "report", MARKER).action == "created"
    assert waits.slept == [1.0, 2.0] and len(github.comments) == 1


def test_server_errors_that_do_not_stop_end_after_the_bounded_attempts(github):
    waits = Waits()
    github.faults = [(500, {}, "{}")] * 10
    with pytest.raises(GitHubError) as error:
        patient_client(github, waits).upsert(7, "report", MARKER)
    assert "HTTP 500 (a GitHub server error) after 4 attempt(s) and 7s of waiting" in str(error.value)
    assert "githubstatus.com" in str(error.value)
    assert len(github.requests) == 4 and writes(github) == []


def test_a_non_json_answer_is_a_clear_error_naming_the_api_url_fix(github):
    github.faults = [(200, {"Content-Type": "text/html"}, "<html><body>Sign in to continue</body></html>")]
    with pytest.raises(GitHubError) as error:
        patient_client(github, Waits()).upsert(7, "report", MARKER)
    assert "HTTP 200 but the answer is not JSON (it begins '<html><body>Sign in to continue</body></html>')" in str(
        error.value
    )
    assert "GITHUB_API_URL" in str(error.value) and writes(github) == []


def test_a_report_longer_than_github_accepts_is_cut_with_a_pointer_and_still_updates_the_one_comment(github):
    from ops.github.truncate import MAX_COMMENT_CHARS

    github.add(f"{MARKER}\nold report")
    rows = "\n".join(f"| resource-{i:05d} | update |" for i in range(6000))
    body = f"{MARKER}\n## Pulumi preview\n\n```\n{rows}\n```\n"
    assert len(body) > MAX_COMMENT_CHARS
    url = "https://github.com/acme/mlops/actions/runs/42"
    result = patient_client(github, Waits()).upsert(7, body, MARKER, full_report=url)
    (comment,) = github.comments
    assert result.action == "updated" and result.truncated
    assert len(comment["body"]) <= MAX_COMMENT_CHARS and comment["body"].startswith(MARKER)
    assert f"Truncated: this report is {len(body):,} characters" in comment["body"]
    assert comment["body"].rstrip().endswith(f"the full report: {url}")
    assert comment["body"].count("```") % 2 == 0  # the cut code block is closed before the note


def test_pr_comment_command_posts_once_and_a_refusal_is_one_line_without_traceback(
    github, monkeypatch, tmp_path, capsys
):
    from ops.__main__ import main
    from ops.automation.changes import ChangeLog
    from ops.report.stack_report import StackReport

    report = tmp_path / "prod.json"
    StackReport("prod", "pulumi preview", 0, ChangeLog(summary={"same": 3}), [], [], None).save(report)
    for key, value in {
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": "acme/mlops",
    }.items():
        monkeypatch.setenv(key, value)
    assert main(["pr-comment", str(report), "--pr", "7"]) == 0
    assert main(["pr-comment", str(report), "--pr", "7"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("created comment 1001") and out[1].startswith("updated comment 1001")
    assert len(github.comments) == 1

    github.faults = [(403, {}, GITHUB_SAYS)]
    assert main(["pr-comment", str(report), "--pr", "7"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: GET ") and "Traceback" not in err
