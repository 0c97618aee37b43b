"""Ground-truth labels and accuracy on labelled samples.

Labels arrive as JSON lines {"request_id": ..., "row": ..., "label": ...}: the id of the inference
request (MLServer returns it as the response's id, so whoever learns the truth later can name the
prediction) and the row in that request. Accuracy is measured on the sampled predictions that have a
label; labels of predictions that were not sampled are ignored, as the monitor never saw them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import requests

from facts.quality_samples import PredictionSample, class_label


def parse_labels(lines: Iterable[str]) -> dict[tuple[str, int], str]:
    labels = {}
    for line in lines:
        line = line.strip()
        if not line:
            continue
        record = json.loads(line)
        labels[(str(record["request_id"]), int(record.get("row", 0)))] = class_label(record["label"])
    return labels


def read_labels(uri: str) -> dict[tuple[str, int], str]:
    """Labels from file://, http(s):// or gs:// (the latter with google-cloud-storage, in the image)."""
    if uri.startswith("file://"):
        return parse_labels(Path(uri.removeprefix("file://")).read_text(encoding="utf-8").splitlines())
    if uri.startswith(("http://", "https://")):
        response = requests.get(uri, timeout=60)
        response.raise_for_status()
        return parse_labels(response.text.splitlines())
    if uri.startswith("gs://"):
        from google.cloud import storage  # only the image has it: the tests read files

        bucket, _, name = uri.removeprefix("gs://").partition("/")
        text = storage.Client().bucket(bucket).blob(name).download_as_text()
        return parse_labels(text.splitlines())
    raise ValueError(f"labels location {uri!r} has no scheme the monitor reads (file://, http(s)://, gs://)")


def accuracy(samples: list[PredictionSample], labels: dict[tuple[str, int], str]) -> tuple[float | None, int]:
    """(share of labelled samples predicted right, how many samples had a label); None without any."""
    judged = [
        class_label(s.prediction) == labels[(s.request_id, s.row)] for s in samples if (s.request_id, s.row) in labels
    ]
    if not judged:
        return None, 0
    return sum(judged) / len(judged), len(judged)
