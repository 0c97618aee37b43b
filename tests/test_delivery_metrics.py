"""Delivery metrics against the real MLflow server: a scripted history whose figures are worked out by hand.

The history is written with the same tag names the platform writes (the provider's deployment and
release tags, promote/rollback audit tags, `<env>-live` aliases) on real registered versions, whose
creation times the registry sets; every scripted time is placed relative to them, and the clock of the
computation is fixed, so each expected figure below is plain arithmetic.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from facts import delivery_metrics as S
from ops.metrics.command import compute
from ops.metrics.compute import model_figures, p90, stack_figures
from ops.metrics.history import CanaryOutcome, created_at
from ops.metrics.reader import _increments, registry_history
from ops.metrics.report import exposition, table
from ops.promotion.audit import AuditEntry
from registry.provider import _deployed_tag, _released_tag
from tests.conftest import PROJECT_DIR

H = timedelta(hours=1)
ENV = "prod"


def seconds(value: float):
    """Recorded times have whole seconds (as the platform writes them); creation times have milliseconds."""
    return pytest.approx(value, abs=1.0)


def iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def created(client, name: str, version: str) -> datetime:
    return created_at(client.get_version(name, version))


def release(client, name: str, version: str, at: datetime, live: bool = False) -> None:
    client.set_version_tag(name, version, _released_tag(ENV), iso(at))
    if live:
        client.set_version_tag(name, version, _deployed_tag(ENV), iso(at))
        client.set_alias(name, f"{ENV}-live", version)


def rollback(client, name: str, to_version: str, from_version: str, at: datetime) -> None:
    entry = AuditEntry("rolledback", "m", ENV, to_version, f"v{from_version}", "ci", iso(at), "latency")
    for key, value in entry.mlflow_tags().items():
        client.set_version_tag(name, to_version, key, value)


@pytest.fixture(scope="module")
def scripted(mlflow_server, trained_estimator):
    """Model A: v1..v4 in prod, v2 rolled back to v1, v3's canary failed, v4 live. Returns the facts."""
    from ops.demo.trained_models import log_and_register
    from registry.client import MlflowRegistryClient

    estimator, _ = trained_estimator
    client = MlflowRegistryClient(mlflow_server.uri, read_timeout=30)
    name = f"metrics-a-{uuid.uuid4().hex[:6]}"
    for _ in range(4):
        log_and_register(mlflow_server.uri, name, estimator, {"accuracy": 0.9}, tags={}, experiment="metrics")
    c = {v: created(client, name, v) for v in ("1", "2", "3", "4")}
    release(client, name, "1", c["1"] + 2 * H)
    release(client, name, "2", c["2"] + 5 * H)
    rollback(client, name, "1", "2", c["2"] + 6 * H)
    release(client, name, "3", c["3"] + 10 * H)
    # v4 promoted: its release time is the promote audit tag, plus the provider's tags.
    promoted = AuditEntry("promoted", "m", ENV, "4", "staging", "ci", iso(c["4"] + 12 * H))
    for key, value in promoted.mlflow_tags().items():
        client.set_version_tag(name, "4", key, value)
    release(client, name, "4", c["4"] + 12 * H, live=True)
    canary_failed = CanaryOutcome(c["3"] + 10.5 * H, succeeded=False)
    canary_ok = CanaryOutcome(c["4"] + 12.2 * H, succeeded=True)
    yield {"client": client, "name": name, "c": c, "canaries": (canary_failed, canary_ok), "now": c["4"] + 24 * H}
    client.close()


def test_the_scripted_history_gives_the_hand_computed_figures(scripted):
    client, name, c, now = scripted["client"], scripted["name"], scripted["c"], scripted["now"]
    read = registry_history(client, "model-a", name, ENV, scripted["canaries"])
    figures, raw = model_figures(read.history, now - timedelta(days=30), now)

    assert figures.deployments == 4  # v1, v2, v3, v4 went live; the rollback to v1 is not a new deployment
    assert figures.deploys_per_week == pytest.approx(4 / (30 / 7))
    # Lead times 2 h, 5 h, 10 h, 12 h: median (5 + 10) / 2 = 7.5 h; nearest-rank p90 = the 4th = 12 h.
    assert figures.lead_time_median == seconds(7.5 * 3600)
    assert figures.lead_time_p90 == seconds(12 * 3600)
    # v2 rolled back, v3's canary failed: 2 of 4.
    assert figures.failed == 2 and figures.change_failure_rate == pytest.approx(0.5)
    # v2 fails at its rollback (c2 + 6 h), v3 at its failed canary (c3 + 10.5 h); v4 (c4 + 12 h) is the
    # next healthy deployment for both.
    restore_v2 = (c["4"] + 12 * H) - (c["2"] + 6 * H)
    restore_v3 = (c["4"] + 12 * H) - (c["3"] + 10.5 * H)
    assert figures.restore_median == seconds((restore_v2 + restore_v3).total_seconds() / 2)
    assert figures.restores == 2 and figures.open_failures == 0
    assert figures.served_version == "4" and figures.served_age == seconds(24 * 3600)
    assert figures.notes == ()
    assert sorted(raw["lead_times"]) == pytest.approx([2 * 3600, 5 * 3600, 10 * 3600, 12 * 3600], abs=1.0)


def test_a_shorter_window_counts_only_its_deployments(scripted):
    client, name, c = scripted["client"], scripted["name"], scripted["c"]
    now = c["4"] + 13 * H
    read = registry_history(client, "model-a", name, ENV, scripted["canaries"])
    # Window [c4 + 13 h - 4 h, ...]: v3 (c3 + 10 h) and v4 (c4 + 12 h) only.
    figures, _ = model_figures(read.history, now - 4 * H, now)
    assert figures.deployments == 2 and figures.failed == 1 and figures.change_failure_rate == pytest.approx(0.5)
    assert figures.deploys_per_week == pytest.approx(2 / (4 / 168))


def test_without_canary_outcomes_only_the_rollback_counts_as_failed_and_v3_is_the_healthy_next(scripted):
    client, name, c, now = scripted["client"], scripted["name"], scripted["c"], scripted["now"]
    read = registry_history(client, "model-a", name, ENV)
    figures, _ = model_figures(read.history, now - timedelta(days=30), now)
    assert figures.failed == 1 and figures.change_failure_rate == pytest.approx(0.25)
    assert figures.restore_median == seconds(((c["3"] + 10 * H) - (c["2"] + 6 * H)).total_seconds())


def test_a_model_never_deployed_and_a_model_never_registered_are_clear_not_errors(make_model, registry_client):
    model = make_model([{"metrics": {"accuracy": 0.9}}])
    now = datetime.now(UTC)
    never, _ = model_figures(registry_history(registry_client, "b", model.name, ENV).history, now - 30 * 24 * H, now)
    assert never.deployments == 0 and never.change_failure_rate is None and never.lead_time_median is None
    assert never.served_version is None and never.served_age is None and never.deploys_per_week == 0
    missing = registry_history(registry_client, "c", f"absent-{uuid.uuid4().hex[:6]}", ENV)
    assert missing.history.releases == () and "does not exist: never deployed" in missing.notes[0]
    stack = stack_figures(ENV, [], now - 30 * 24 * H, now)
    assert stack.deployments == 0 and stack.change_failure_rate is None and stack.served_age is None
    assert "n/a" in table([never], stack, "30d") and "not deployed" in table([never], stack, "30d")


def test_clock_skew_between_records_is_noted_and_left_out(make_model, registry_client):
    model = make_model([{"metrics": {"accuracy": 0.9}}, {"metrics": {"accuracy": 0.9}}])
    c1, c2 = (created(registry_client, model.name, v) for v in ("1", "2"))
    release(registry_client, model.name, "1", c1 - 0.5 * H)  # recorded before the version existed
    release(registry_client, model.name, "2", c2 + 3 * H, live=True)
    rollback(registry_client, model.name, "1", "2", c2 + 2 * H)  # before v2's deployment
    now = c2 + 4 * H
    figures, _ = model_figures(registry_history(registry_client, "d", model.name, ENV).history, now - 24 * H, now)
    assert figures.deployments == 2
    assert figures.lead_time_median == seconds(3 * 3600)  # only v2's; v1's negative lead time is out
    assert figures.failed == 1 and figures.restore_median is None and figures.open_failures == 0
    notes = " ".join(figures.notes)
    assert re.search(r"v1: deployed 1[78]\d\d s before it was created", notes) and "v2: rollback recorded" in notes
    future, _ = model_figures(registry_history(registry_client, "d", model.name, ENV).history, c2 - 48 * H, c2 - 24 * H)
    assert future.served_age is None and "in the future" in " ".join(future.notes)


def test_pooled_stack_figures_and_the_pushed_series(scripted, make_model, registry_client):
    client, name, now = scripted["client"], scripted["name"], scripted["now"]
    since = now - timedelta(days=30)
    a = model_figures(registry_history(client, "model-a", name, ENV, scripted["canaries"]).history, since, now)
    other = make_model([{"metrics": {"accuracy": 0.9}}])
    b = model_figures(registry_history(registry_client, "model-b", other.name, ENV).history, since, now)
    stack = stack_figures(ENV, [a, b], since, now)
    assert stack.deployments == 4 and stack.change_failure_rate == pytest.approx(0.5)
    assert stack.served_version == "model-a v4"
    text = exposition([a[0], b[0]], stack, {"model-a": scripted["c"]["4"].timestamp()}, {"model-a": 90 * 86400}, now)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) == {s.name for s in S.DELIVERY_SERIES}
    cfr = {tuple(sorted(s.labels.items())): s.value for s in families[S.CHANGE_FAILURE_RATE.name].samples}
    assert cfr == {(("environment", "prod"), ("model", "model-a")): 0.5, (("environment", "prod"),): 0.5}
    created_samples = families[S.SERVED_VERSION_CREATED.name].samples
    assert [(s.labels["model"], s.labels["version"]) for s in created_samples] == [("model-a", "4")]
    # model-b has no deployments: no lead time series for it, never a 0 that would read as instant.
    assert all(s.labels.get("model") != "model-b" for s in families[S.LEAD_TIME_MEDIAN.name].samples)
    for series in S.DELIVERY_SERIES:
        for sample in families[series.name].samples:
            assert set(sample.labels) <= set(series.labels), series.name


def test_the_command_reads_a_stack_and_its_catalogue(scripted, tmp_path, mlflow_server):
    name = scripted["name"]
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.prod.yaml").write_text(
        yaml.safe_dump(
            {
                "config": {
                    "mlops-platform:environment": "prod",
                    "mlops-platform:mlflowTrackingUri": mlflow_server.uri,
                }
            }
        )
    )
    (tmp_path / "models").mkdir()
    entry = yaml.safe_load((PROJECT_DIR / "models" / "churn-prediction.yaml").read_text())
    entry["registeredModel"] = name
    (tmp_path / "models" / "churn-prediction.yaml").write_text(yaml.safe_dump(entry))
    now = scripted["now"]
    models, stack, created_times, max_ages, notes = compute(tmp_path, "prod", timedelta(days=30), now)
    (figures,) = models
    assert figures.scope == "churn-prediction" and figures.deployments == 4 and figures.failed == 1
    assert max_ages == {"churn-prediction": 90 * 86400}
    assert created_times["churn-prediction"] == seconds(scripted["c"]["4"].timestamp())
    assert "no --prometheus" in notes[0]
    json.dumps([figures.__dict__], default=str)


def test_flagger_counter_samples_become_outcomes_at_their_times_and_resets_are_not_negative():
    samples = [[1000, "0"], [1060, "0"], [1120, "1"], [1180, "1"], [1240, "3"], [1300, "0"], [1360, "1"]]
    found = _increments(samples)
    assert [(int(t.timestamp()), d) for t, d in found] == [(1120, 1.0), (1240, 2.0), (1360, 1.0)]


def test_p90_is_nearest_rank():
    assert p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == 9 and p90([5]) == 5 and p90([]) is None
