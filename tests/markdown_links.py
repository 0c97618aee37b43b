"""Headings and links of a Markdown page as GitHub renders them, for tests that check the docs' links.

GitHub's heading anchors (github-slugger): the heading's text lowercased, every character other than a
letter, digit, '-', '_' or space dropped, spaces turned into '-'; a repeated anchor gets '-1', '-2', ...
Fenced code blocks hold neither headings nor links (a `# comment` in a YAML example is no heading).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_CODE_SPAN = re.compile(r"`+[^`]*`+")
_FENCE = re.compile(r"^\s*(```|~~~)")


def prose_lines(markdown: str) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading renders as its text
    text = re.sub(r"[`*]", "", text).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def github_anchors(markdown: str) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose_lines(markdown):
        if match := _HEADING.match(line):
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            anchors.add(base if count == 0 else f"{base}-{count}")
    return anchors


def links(markdown: str) -> Iterator[tuple[int, str]]:
    """(line number, target) of every inline link and image outside code; a link's text may wrap lines."""
    prose = dict(prose_lines(markdown))
    lines = [prose.get(n, "") for n in range(1, len(markdown.splitlines()) + 1)]
    text = _CODE_SPAN.sub(lambda span: re.sub(r"[^\n]", " ", span.group(0)), "\n".join(lines))
    for match in _LINK.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, match.group(1)
