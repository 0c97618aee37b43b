"""One monitor run: the window's samples, streamed into per-version windows, against each version's reference."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import requests

from facts.quality_samples import PredictionSample
from quality_monitor.config import MonitorConfig
from quality_monitor.drift import matrix_drift
from quality_monitor.errors import MonitorError
from quality_monitor.export import ModelQuality, VersionQuality
from quality_monitor.labels import read_labels
from quality_monitor.reference import Reference, download_reference
from quality_monitor.samples import PodLogs, window_from_file
from quality_monitor.window import ModelWindow, VersionWindow

log = logging.getLogger("quality_monitor")

ReferenceLoader = Callable[[str], Reference]  # version -> its reference


def source_of(config: MonitorConfig) -> str:
    """Where this run reads samples, for messages."""
    if config.samples_file:
        return config.samples_file
    return f"pods {config.pod_selector} in {config.namespace}"


def read_window(config: MonitorConfig, window: ModelWindow) -> None:
    """Streams the window's samples into `window`; a source that cannot be read is a MonitorError."""
    try:
        if config.samples_file:
            window_from_file(Path(config.samples_file), config.model, config.window_seconds, window)
        else:
            PodLogs.in_cluster().feed(
                config.namespace, config.pod_selector, config.container, config.model, config.window_seconds, window
            )
    except (OSError, RuntimeError, requests.RequestException) as error:
        raise MonitorError(f"{config.model}: cannot read samples from {source_of(config)}: {error}") from None


def assess(
    config: MonitorConfig,
    samples: Iterable[PredictionSample],
    reference_of: ReferenceLoader,
    labels: Mapping[tuple[str, int], str] | None = None,
) -> ModelQuality:
    """Drift and accuracy per version present in `samples`; a version below the sample floors gets none."""
    window = ModelWindow(cap=config.max_samples, labels=labels)
    for s in samples:
        window.add(s.version, s.features, s.feature_names, s.request_id, s.row, s.prediction)
    return judge(config, window, reference_of)


def _check_schema(config: MonitorConfig, window: VersionWindow, reference: Reference) -> None:
    where = f"{config.model} v{window.version}"
    fix = "the reference artifact must describe what this version serves: re-log it with the model's inputs"
    if window.mismatched:
        raise MonitorError(
            f"{where}: {window.mismatched} of {window.seen + window.mismatched} samples have "
            f"{window.first_mismatch} features, the others {window.width}; the reference has "
            f"{len(reference.feature_names)} ({', '.join(reference.feature_names)}): {fix}"
        )
    if window.feature_names and window.feature_names != reference.feature_names:
        raise MonitorError(
            f"{where}: samples name features {window.feature_names}, the reference {reference.feature_names}: {fix}"
        )
    if window.width != len(reference.feature_names):
        raise MonitorError(
            f"{where}: samples have {window.width} features, the reference has "
            f"{len(reference.feature_names)} ({', '.join(reference.feature_names)}): {fix}"
        )


def judge(config: MonitorConfig, window: ModelWindow, reference_of: ReferenceLoader) -> ModelQuality:
    result = ModelQuality(config.model, samples=window.samples)
    for version, group in sorted(window.versions.items()):
        quality = VersionQuality(version)
        if group.seen + group.mismatched >= config.min_samples:
            reference = reference_of(version)
            _check_schema(config, group, reference)
            quality.drift = matrix_drift(reference.feature_names, reference.rows, group.rows)
            if group.seen > group.cap:
                log.info(
                    "%s v%s: %d samples in the window, drift on a uniform sample of %d (the cap)",
                    config.model,
                    version,
                    group.seen,
                    group.cap,
                )
        else:
            log.warning(
                "%s v%s: %d samples in the window, below %d: no drift",
                config.model,
                version,
                group.seen,
                config.min_samples,
            )
        if window.labels is not None:
            if group.labelled >= config.min_labelled:
                quality.accuracy = group.accuracy
            else:
                log.warning(
                    "%s v%s: %d of %d samples have a label, below %d: no accuracy%s",
                    config.model,
                    version,
                    group.labelled,
                    group.seen,
                    config.min_labelled,
                    " (no label has arrived for any of them)" if not group.labelled else "",
                )
        if quality.drift is not None or quality.accuracy is not None:
            result.versions.append(quality)
    return result


def run(config: MonitorConfig, reference_of: ReferenceLoader | None = None) -> ModelQuality:
    labels = None
    if config.labels_uri:
        try:
            labels = read_labels(config.labels_uri)
        except (OSError, ValueError, requests.RequestException) as error:
            raise MonitorError(f"{config.model}: cannot read labels from {config.labels_uri}: {error}") from None
    window = ModelWindow(cap=config.max_samples, labels=labels)
    read_window(config, window)
    if reference_of is None:

        def reference_of(version: str) -> Reference:
            return download_reference(config.tracking_uri, config.registered_model, version, config.reference_artifact)

    return judge(config, window, reference_of)
