"""Predictions waiting for their quality signals: a queue bounded in rows, drained by one background thread.

Why: recording cost the request path a second model call (predict_proba), a counter update per row and
a JSON line per sampled row (docs/benchmarks.md, the first serving run). The request path now only
offers its output (with the probabilities of its one forward pass, or the decoded input when the model
needs a separate predict_proba) here; the recorder thread takes everything pending at once, so one
metrics update and one log write serve many requests.

Bound: at most `max_rows` rows wait. When the recorder falls that far behind (a flood, a blocked
stdout), further predictions are served as usual but not recorded: their rows are counted as dropped
(model_quality_records_dropped_total), never buffered. Memory stays at max_rows rows whatever the load.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Pending:
    request_id: str
    # The model's input as MLServer decoded it (a numpy array, a DataFrame, ...), kept only when the recorder
    # needs it: for the sample lines, or for predict_proba when the request's own call gave no probabilities.
    decoded: Any
    output: Any  # what the model returned for it
    rows: int
    probabilities: Any = None  # the class probabilities the request's one forward pass gave (one_pass.py)


class PendingQueue:
    def __init__(self, max_rows: int):
        if max_rows < 1:
            raise ValueError(f"the pending queue needs room for at least one row, not {max_rows}")
        self.max_rows = max_rows
        self._items: deque[Pending] = deque()
        self._rows = 0
        self.dropped_rows = 0
        self.peak_rows = 0
        self._lock = threading.Lock()

    @property
    def rows(self) -> int:
        return self._rows

    def offer(self, item: Pending) -> bool:
        """Queues `item` unless that would exceed max_rows; never blocks. False: dropped (and counted)."""
        with self._lock:
            if self._rows + item.rows > self.max_rows:
                self.dropped_rows += item.rows
                return False
            self._items.append(item)
            self._rows += item.rows
            self.peak_rows = max(self.peak_rows, self._rows)
            return True

    def take_all(self) -> list[Pending]:
        """Everything pending, in arrival order; the queue is empty afterwards."""
        with self._lock:
            items, self._items = list(self._items), deque()
            self._rows = 0
            return items
