"""Versions the docs quote from facts/: a chart named with a version in the README or docs/*.md is the
version facts/charts.py pins, so a bump there cannot leave the docs describing the old chart."""

from __future__ import annotations

import re

import pytest

from facts.charts import CHARTS, ChartFact
from tests.conftest import PROJECT_DIR

PAGES = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]


def quoted_versions(chart: str, text: str) -> list[str]:
    """Every `<chart> <x.y.z>` in the text ("Flagger 1.44.0", "kube-prometheus-stack    88.5.3")."""
    return re.findall(rf"(?<![\w/-]){re.escape(chart)}[ \t]+(\d+\.\d+\.\d+)\b", text, flags=re.IGNORECASE)


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.chart)
def test_every_chart_version_the_docs_quote_is_the_pinned_one(chart: ChartFact):
    stale = [
        f"{page.relative_to(PROJECT_DIR)}: {chart.chart} {version}"
        for page in PAGES
        for version in quoted_versions(chart.chart, page.read_text(encoding="utf-8"))
        if version != chart.version
    ]
    assert not stale, f"facts/charts.py pins {chart.chart} {chart.version}; the docs say {stale}"


def test_the_add_ons_doc_quotes_each_add_on_chart():
    text = (PROJECT_DIR / "docs" / "addons.md").read_text(encoding="utf-8")
    assert [c.chart for c in CHARTS if not quoted_versions(c.chart, text)] == ["argo-cd"]  # Argo CD: docs/gitops.md


def test_a_quoted_version_is_found_in_any_case_and_a_pin_example_is_not():
    text = "Flagger 1.44.0 (`flagger-system`), kube-prometheus-stack    88.5.3, keda: {version: 2.19.0}, fluxcd/flagger v1.43.0"
    assert quoted_versions("flagger", text) == ["1.44.0"]
    assert quoted_versions("kube-prometheus-stack", text) == ["88.5.3"]
    assert quoted_versions("keda", text) == []
