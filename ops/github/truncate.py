"""Fit a comment into what GitHub accepts: a body of at most 65,536 characters (a longer one is refused
with HTTP 422 "body is too long"). A report that does not fit keeps its beginning, cut at a line, with
any open code fence closed, and ends with a note that says how long it was and where the whole of it is,
so the job posts a useful comment instead of failing."""

from __future__ import annotations

MAX_COMMENT_CHARS = 65_536


def truncation_note(total: int, full_report: str) -> str:
    where = f"the full report: {full_report}" if full_report else "the full report is in this job's log and artifacts"
    return (
        f"\n\n> [!NOTE]\n> Truncated: this report is {total:,} characters, more than the {MAX_COMMENT_CHARS:,} "
        f"GitHub accepts in a comment; {where}\n"
    )


def fit_comment(body: str, full_report: str = "", limit: int = MAX_COMMENT_CHARS) -> str:
    """`body` itself when it fits, else its head (whole lines) and the truncation note, within `limit`."""
    if len(body) <= limit:
        return body
    note = truncation_note(len(body), full_report)
    fence_close = "\n```"
    room = limit - len(note) - len(fence_close)
    head = body[:room]
    cut = head.rfind("\n")
    if cut > 0:
        head = head[:cut]
    if sum(line.lstrip().startswith("```") for line in head.splitlines()) % 2:
        head += fence_close  # a cut inside a code block: close it, or the note renders as code
    return head + note
