"""A small feature repository, applied with the Feast SDK and materialised into the online store; run by
tests/test_feature_store_real.py with the Feast venv's Python (never imported by the program's tests):

    python tests/feast_repo/repo.py <feature_store.yaml> <work dir> <feature service> <entity key>

The feature service and the entity key are the catalogue entry's (`features:`), so the server is asked
for exactly what a model's FEAST_FEATURE_SERVICE names. Prints the rows it wrote as JSON."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from feast import Entity, FeatureService, FeatureStore, FeatureView, Field, FileSource
from feast.types import Float64, Int64

ROWS = {1001: (14, 42.5), 1002: (3, 17.25), 1003: (48, 99.0)}  # customer -> (tenure_months, monthly_spend)


def main(config: str, work: str, service: str, entity_key: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    data = Path(work) / "churn_stats.parquet"
    frame = pd.DataFrame(
        {
            entity_key: list(ROWS),
            "tenure_months": [t for t, _ in ROWS.values()],
            "monthly_spend": [s for _, s in ROWS.values()],
            "event_timestamp": [now - timedelta(hours=1)] * len(ROWS),
        }
    )
    frame.to_parquet(data)
    customer = Entity(name="customer", join_keys=[entity_key])
    stats = FeatureView(
        name="churn_stats",
        entities=[customer],
        ttl=timedelta(days=1),
        schema=[Field(name="tenure_months", dtype=Int64), Field(name="monthly_spend", dtype=Float64)],
        source=FileSource(path=str(data), timestamp_field="event_timestamp"),
    )
    store = FeatureStore(repo_path=work, fs_yaml_file=Path(config))
    store.apply([customer, stats, FeatureService(name=service, features=[stats])])
    store.materialize(start_date=now - timedelta(days=1), end_date=now)
    print(json.dumps({str(k): {"tenure_months": t, "monthly_spend": s} for k, (t, s) in ROWS.items()}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
