"""PromQL checks with a real parser (promql-parser, the Rust `promql-parser` crate's Python binding):
every query parses, and names only series and labels a facts table lists."""

from __future__ import annotations

from collections.abc import Iterable

import promql_parser

from facts.runtime_metrics import MetricsTable

# Flagger MetricTemplate variables, replaced by literals before parsing (as Flagger does before querying).
FLAGGER_VARIABLES = {"{{ namespace }}": "ns", "{{ target }}": "model", "{{ interval }}": "60s"}


def parse(query: str):
    for variable, literal in FLAGGER_VARIABLES.items():
        query = query.replace(variable, literal)
    return promql_parser.parse(query)


def selectors(expr) -> list[tuple[str, set[str], set[str]]]:
    """(series name, labels matched, labels grouped by) of every vector selector in the expression."""
    found: list[tuple[str, set[str], set[str]]] = []

    def walk(node, grouping: set[str]) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            matched = {m.name for m in node.matchers.matchers}
            found.append((node.name, matched, set(grouping)))
        elif isinstance(node, promql_parser.MatrixSelector):
            walk(node.vector_selector, grouping)
        elif isinstance(node, promql_parser.AggregateExpr):
            labels = set(node.modifier.labels) if node.modifier is not None else set()
            walk(node.expr, grouping | labels)
            if node.param is not None:
                walk(node.param, grouping)
        elif isinstance(node, promql_parser.BinaryExpr):
            walk(node.lhs, grouping)
            walk(node.rhs, grouping)
        elif isinstance(node, promql_parser.Call):
            for arg in node.args:
                walk(arg, grouping)
        elif isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
            walk(node.expr, grouping)
        elif isinstance(node, (promql_parser.NumberLiteral, promql_parser.StringLiteral)):
            return
        else:
            raise TypeError(f"unhandled PromQL node {type(node).__name__}")

    walk(expr, set())
    return found


def unknown_names(query: str, tables: Iterable[MetricsTable]) -> list[str]:
    """Series or labels in `query` that no table lists (empty when the query is clean)."""
    tables = list(tables)
    problems = []
    for name, matched, grouped in selectors(parse(query)):
        # `le` of histogram_quantile's grouping belongs to the _bucket series.
        labels = matched | grouped
        if not any(table.allows(name, labels) for table in tables):
            problems.append(f"{name} with labels {sorted(labels)}")
    return problems
