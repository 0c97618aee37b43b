"""Catalogue entries that used to pass and fail later, or fail with a validator's raw text: each is now
caught at load time with its file, key and fix."""

from __future__ import annotations

import pytest

from tests.test_catalogue import base_entry, problems_of, write

SOURCE = "models/churn-prediction.yaml"


def entry_with(**changes) -> dict:
    entry = base_entry()
    for dotted, value in changes.items():
        node = entry
        *parents, last = dotted.split("__")
        for key in parents:
            node = node[key]
        node[last] = value
    return entry


def only_problem(tmp_path, entry) -> str:
    (problem,) = problems_of(write(tmp_path / "models", "churn-prediction.yaml", entry).parent)
    return problem


@pytest.mark.parametrize("floor", [85, 1.5, -0.1])
def test_a_fraction_metric_floor_outside_0_1_is_caught_in_the_catalogue(tmp_path, floor):
    entry = entry_with(environments__dev__gates={"minMetrics": {"accuracy": floor}})
    problem = only_problem(tmp_path, entry)
    assert problem.startswith(
        f"{SOURCE}: environments.dev.gates.minMetrics: accuracy floor {floor:g} is outside [0, 1]"
    )
    if floor == 85:
        assert "(fix: write it as a fraction, e.g. accuracy: 0.85)" in problem


def test_floors_of_unbounded_metrics_are_left_alone(tmp_path):
    entry = entry_with(environments__dev__gates={"minMetrics": {"log_loss_improvement": 3.0, "f1_weighted": 0.7}})
    problems_of_nothing = write(tmp_path / "models", "churn-prediction.yaml", entry).parent
    from catalogue.loader import load_catalogue

    assert load_catalogue(problems_of_nothing).names() == ["churn-prediction"]


@pytest.mark.parametrize("alias", ["", "   "])
def test_an_empty_alias_names_file_field_and_fix(tmp_path, alias):
    problem = only_problem(tmp_path, entry_with(environments__prod__alias=alias))
    assert (
        problem
        == f"{SOURCE}: environments.prod.alias: alias is empty (fix: name an MLflow alias, e.g. alias: champion)"
    )


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("autoscaling__maxReplicas", 5000, "autoscaling.maxReplicas: 5000 is out of range: it must be at most 200"),
        ("environments__prod__maxReplicas", 1000, "environments.prod.maxReplicas: 1000 is out of range"),
        ("slo__latencyP95Ms", 10**9, "slo.latencyP95Ms: 1000000000 is out of range: it must be at most 600000"),
    ],
)
def test_integers_have_upper_bounds(tmp_path, key, value, expected):
    problem = only_problem(tmp_path, entry_with(**{key: value}))
    assert problem.startswith(f"{SOURCE}: {expected}") and "(fix: write a value at most" in problem


def test_pattern_refusals_say_what_is_allowed_not_the_regular_expression(tmp_path):
    problem = only_problem(tmp_path, entry_with(team="Customer Analytics"))
    assert problem == (
        f"{SOURCE}: team: 'Customer Analytics' is not a label value: letters, digits, '-', '_' and '.', starting "
        "and ending with a letter or digit (fix: write a label value: letters, digits, '-', '_' and '.', starting "
        "and ending with a letter or digit)"
    )
    assert "pattern" not in problem and "^" not in problem


def test_every_refusal_has_a_fix(tmp_path):
    entry = entry_with(team="x y", env={"1BAD": "v"}, autoscaling__minReplicas=0)
    found = problems_of(write(tmp_path / "models", "churn-prediction.yaml", entry).parent)
    assert len(found) == 3 and all("(fix: " in p for p in found)
