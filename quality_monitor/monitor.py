"""One monitor run: samples of the window, grouped by version, against each version's reference."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from facts.quality_samples import PredictionSample
from quality_monitor.config import MonitorConfig
from quality_monitor.drift import dataset_drift
from quality_monitor.export import ModelQuality, VersionQuality
from quality_monitor.labels import accuracy, read_labels
from quality_monitor.reference import Reference, download_reference
from quality_monitor.samples import PodLogs, samples_from_file

log = logging.getLogger("quality_monitor")

ReferenceLoader = Callable[[str], Reference]  # version -> its reference


def read_samples(config: MonitorConfig) -> list[PredictionSample]:
    if config.samples_file:
        return samples_from_file(Path(config.samples_file), config.model, config.window_seconds)
    return PodLogs.in_cluster().samples(
        config.namespace, config.pod_selector, config.container, config.model, config.window_seconds
    )


def assess(
    config: MonitorConfig,
    samples: list[PredictionSample],
    reference_of: ReferenceLoader,
    labels: dict[tuple[str, int], str] | None = None,
) -> ModelQuality:
    """Drift and accuracy per version present in `samples`; a version below the sample floors gets none."""
    by_version: dict[str, list[PredictionSample]] = {}
    for sample in samples:
        by_version.setdefault(sample.version, []).append(sample)
    result = ModelQuality(config.model)
    for version, group in sorted(by_version.items()):
        quality = VersionQuality(version)
        if len(group) >= config.min_samples:
            reference = reference_of(version)
            names = group[0].feature_names
            if names and list(names) != reference.feature_names:
                raise ValueError(
                    f"{config.model} v{version}: samples name features {names}, the reference {reference.feature_names}"
                )
            quality.drift = dataset_drift(reference.feature_names, reference.rows, [s.features for s in group])
        else:
            log.warning(
                "%s v%s: %d samples in the window, below %d: no drift",
                config.model,
                version,
                len(group),
                config.min_samples,
            )
        if labels is not None:
            value, judged = accuracy(group, labels)
            if judged >= config.min_labelled:
                quality.accuracy = value
            else:
                log.warning(
                    "%s v%s: %d labelled samples, below %d: no accuracy",
                    config.model,
                    version,
                    judged,
                    config.min_labelled,
                )
        if quality.drift is not None or quality.accuracy is not None:
            result.versions.append(quality)
    return result


def run(config: MonitorConfig) -> ModelQuality:
    samples = read_samples(config)
    labels = read_labels(config.labels_uri) if config.labels_uri else None
    return assess(
        config,
        samples,
        lambda version: download_reference(
            config.tracking_uri, config.registered_model, version, config.reference_artifact
        ),
        labels,
    )
