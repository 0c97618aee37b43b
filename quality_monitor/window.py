"""The window's samples of one model, accumulated one sample at a time in bounded memory.

The monitor reads samples as a stream (a file's lines, the pods' log responses) and never holds the
window as a list of records. Per version it keeps:
  - the feature rows, in one float matrix (an object matrix once a categorical value appears) that
    grows by doubling up to `cap` rows. Past the cap it is a uniform reservoir sample of every row the
    window held (Vitter's algorithm R): each of the n rows seen is kept with probability cap / n, so the
    drift tests run on at most `cap` rows (KS statistic error about 1/sqrt(cap), 0.002 at the default
    cap, far below the 0.1 drift threshold) and memory stays at cap x features values;
  - how many rows did not have the version's width (a schema mismatch, reported, never guessed at);
  - for accuracy, only two counters: samples with a label, and those predicted right. Labels are read
    before the samples, so a sample is joined as it passes and is not kept.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facts.quality_samples import class_label

DEFAULT_MAX_SAMPLES = 200_000  # rows kept per version: 32 MB at 20 float features
_FIRST_ROWS = 4096


@dataclass
class VersionWindow:
    version: str
    cap: int
    rng: random.Random
    feature_names: list[str] | None = None
    width: int = -1  # the first sample's; -1 before any
    seen: int = 0  # rows of this version in the window (kept or not)
    mismatched: int = 0  # rows whose width was not `width`: not kept
    first_mismatch: int = 0  # that first mismatching row's width
    labelled: int = 0
    correct: int = 0
    _rows: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    _kept: int = 0

    def add(self, features: Sequence[Any], names: Sequence[str] | None) -> None:
        if len(features) != self.width:
            if self.width >= 0:
                if not self.mismatched:
                    self.first_mismatch = len(features)
                self.mismatched += 1
                return
            self.width = len(features)
            self.feature_names = list(names) if names else None
            self._rows = np.empty((min(_FIRST_ROWS, self.cap), self.width))
        self.seen += 1
        slot = self._kept
        if slot < self.cap:
            if slot == len(self._rows):
                self._grow()
            self._kept = slot + 1
        else:
            slot = int(self.rng.random() * self.seen)
            if slot >= self.cap:
                return
        try:
            self._rows[slot] = features
        except (TypeError, ValueError):  # a categorical value: keep every column as objects from now on
            self._rows = self._rows.astype(object)
            self._rows[slot] = features

    def _grow(self) -> None:
        grown = np.empty((min(2 * len(self._rows), self.cap), self.width), dtype=self._rows.dtype)
        grown[: len(self._rows)] = self._rows
        self._rows = grown

    def judge(self, key: tuple[str, int], prediction: Any, labels: Mapping[tuple[str, int], str]) -> None:
        truth = labels.get(key)
        if truth is not None:
            self.labelled += 1
            self.correct += class_label(prediction) == truth

    @property
    def rows(self) -> np.ndarray:
        """The kept rows: every row of the window up to the cap, a uniform sample of them past it."""
        return self._rows[: self._kept]

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None


@dataclass
class ModelWindow:
    """Every version's window of one model, fed sample by sample."""

    cap: int = DEFAULT_MAX_SAMPLES
    labels: Mapping[tuple[str, int], str] | None = None
    seed: int = 0
    versions: dict[str, VersionWindow] = field(default_factory=dict)

    def of(self, version: str) -> VersionWindow:
        window = self.versions.get(version)
        if window is None:
            # One generator per version, seeded: a run is reproducible from its input.
            window = self.versions[version] = VersionWindow(version, self.cap, random.Random(f"{self.seed}:{version}"))
        return window

    def add(
        self,
        version: str,
        features: Sequence[Any],
        names: Sequence[str] | None = None,
        request_id: str = "",
        row: int = 0,
        prediction: Any = None,
    ) -> None:
        window = self.of(version)
        window.add(features, names)
        if self.labels is not None:
            window.judge((request_id, row), prediction, self.labels)

    @property
    def samples(self) -> int:
        return sum(w.seen + w.mismatched for w in self.versions.values())
