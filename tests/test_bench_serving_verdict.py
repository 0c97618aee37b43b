"""The serving benchmark's verdict against its A/A control (the load run itself is a benchmark, not a test)."""

from __future__ import annotations

from types import SimpleNamespace

from benchmarks.bench_serving import STOCK_AGAIN, a_a_spread, verdict


def result(rps: float, p99: float):
    return SimpleNamespace(requests_per_s=rps, p99_ms=p99)


def test_the_a_a_spread_is_the_range_of_the_second_stock_server_against_the_first_per_round():
    results = {
        ("stock", 8): [result(100, 20.0), result(200, 30.0), result(100, 25.0)],
        (STOCK_AGAIN, 8): [result(90, 21.5), result(220, 29.0), result(100, 25.0)],
    }
    assert a_a_spread(results, 8) == ((0.9, 1.1), (-1.0, 1.5))


def test_a_miss_counts_only_outside_what_two_identical_servers_showed():
    spread = ((0.90, 1.08), (-2.0, 1.5))
    assert verdict(0.97, 0.5, spread) == "met"
    assert verdict(0.92, 0.5, spread) == "within A/A noise"  # identical servers differed by 10%
    assert verdict(0.85, 0.5, spread) == "not met"
    assert verdict(0.99, 1.4, spread) == "within A/A noise"
    assert verdict(0.99, 3.0, spread) == "not met"
