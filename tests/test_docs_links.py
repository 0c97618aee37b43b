"""The README stays a newcomer's page and every relative link in it and in docs/ leads somewhere.

A link to another page must name a file of the repository; a link with `#anchor` must name a heading of
that Markdown page (GitHub's anchor rules, tests/markdown_links.py). Every page in docs/ is linked from the
README, so what moved out of it stays reachable.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from tests.markdown_links import github_anchors, links, slug

README = PROJECT_DIR / "README.md"
PAGES = [README, *sorted((PROJECT_DIR / "docs").glob("*.md"))]
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _name(page: Path) -> str:
    return page.relative_to(PROJECT_DIR).as_posix()


def link_problems(page: Path) -> list[str]:
    problems = []
    for number, target in links(page.read_text(encoding="utf-8")):
        if _SCHEME.match(target):
            continue  # a URL, not a file of this repository
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        where = f"{_name(page)}:{number}: {target}"
        if not resolved.is_relative_to(PROJECT_DIR) or not resolved.exists():
            problems.append(f"{where}: no such file in the repository")
        elif anchor and resolved.suffix != ".md":
            problems.append(f"{where}: an anchor on a file that is not Markdown")
        elif anchor and anchor not in github_anchors(resolved.read_text(encoding="utf-8")):
            problems.append(f"{where}: {_name(resolved)} has no heading with that anchor")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_resolves_to_a_file_and_a_heading(page):
    assert not link_problems(page), "\n".join(link_problems(page))


def test_the_readme_stays_under_300_lines():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines < 300, f"README.md has {lines} lines: move the reference into docs/<concern>.md"


def test_every_doc_is_linked_from_the_readme():
    linked = {(PROJECT_DIR / target.partition("#")[0]).resolve() for _, target in links(README.read_text())}
    unlinked = [_name(page) for page in PAGES[1:] if page.resolve() not in linked]
    assert not unlinked, f"not in the README's documentation table: {unlinked}"


def test_a_broken_link_and_a_missing_anchor_are_reported(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.test_docs_links.PROJECT_DIR", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## Two words: `here`\n\n## Two words: `here`\n")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/a.md#two-words-here) [dup](docs/a.md#two-words-here-1) [self](#title) [web](https://x.y/#z)\n"
        "# Title\n```\n[in code](nowhere.md)\n```\n"
        "[gone](docs/missing.md) [anchor](docs/a.md#two-words) `[code](nowhere.md)` [out](../../etc/passwd)\n"
        "a [wrapped\nlink](docs/a.md#a-pag)\n"
    )
    assert link_problems(page) == [
        "README.md:6: docs/missing.md: no such file in the repository",
        "README.md:6: docs/a.md#two-words: docs/a.md has no heading with that anchor",
        "README.md:6: ../../etc/passwd: no such file in the repository",
        "README.md:7: docs/a.md#a-pag: docs/a.md has no heading with that anchor",
    ]


def test_anchor_rule_matches_githubs():
    assert slug("Platform add-ons: Prometheus and Grafana, Flagger, KEDA and the traffic layer") == (
        "platform-add-ons-prometheus-and-grafana-flagger-keda-and-the-traffic-layer"
    )
    assert slug("The `gitops` key") == "the-gitops-key"
    assert slug("Canary analysis simulator (`make bench-canary`)") == "canary-analysis-simulator-make-bench-canary"
    assert slug("ModelLatencyP95OverSla") == "modellatencyp95oversla"
