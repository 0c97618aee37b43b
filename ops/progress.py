"""Progress of long commands: a live line per phase with its count on a terminal, plain lines elsewhere.

    progress = Progress.detect(json_output=args.json)   # once per command
    with progress.phase("models resolved", total=len(models)) as phase:
        for model in models:
            ...
            phase.advance(detail=model.name)
    progress.line("a message that must stay in the log")

On a terminal (stderr is a TTY, not `CI=true`, not `--json`) each phase is a rich live line (spinner,
count n/N, what it is doing now, time) that stays on screen when done. Anywhere else (CI logs, pipes,
captured test output, `--json`) nothing moves: each phase that finishes prints ONE line, `title: n/N` (no
times, so captured output is stable; a failed phase prints nothing, so its error stands alone), and `line()`
prints its text as it is. Progress always goes to stderr, so stdout keeps only what a command answers (the
`--json` document, a summary). Phases may overlap (the render counts resolutions and registrations at once)
and may be advanced from any thread.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import Progress as LiveProgress
from rich.progress import SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn


def is_ci(environ: Mapping[str, str]) -> bool:
    return environ.get("CI", "").strip().lower() in ("true", "1", "yes")


class Phase:
    """One counted step of a command; `advance` from any thread."""

    def __init__(self, owner: Progress, title: str, total: int | None, task: TaskID | None):
        self.title, self.total, self.done = title, total, 0
        self._owner, self._task, self._lock = owner, task, threading.Lock()

    def advance(self, count: int = 1, detail: str = "") -> None:
        with self._lock:
            self.done += count
            done = self.done
        if self._task is not None:
            self._owner._live_update(self._task, done, self.total, detail)

    def set_total(self, total: int) -> None:
        self.total = total
        if self._task is not None:
            self._owner._live_update(self._task, self.done, total, "")

    def count_text(self) -> str:
        return f"{self.done}/{self.total}" if self.total is not None else str(self.done)


class Progress:
    def __init__(self, console: Console, live: bool):
        self.console = console
        self.live = live
        self._display: LiveProgress | None = None
        self._open = 0
        self._lock = threading.Lock()

    @classmethod
    def detect(
        cls,
        *,
        json_output: bool = False,
        environ: Mapping[str, str] = os.environ,
        console: Console | None = None,
        file: IO[str] | None = None,
    ) -> Progress:
        """Live on a terminal; plain in CI (`CI=true`), under `--json` and when stderr is not a terminal."""
        console = console or Console(file=file or sys.stderr, highlight=False)
        return cls(console, console.is_terminal and not json_output and not is_ci(environ))

    @classmethod
    def plain(cls, file: IO[str] | None = None) -> Progress:
        return cls(Console(file=file or sys.stderr, highlight=False, force_terminal=False), live=False)

    @contextmanager
    def phase(self, title: str, total: int | None = None, *, summary: bool = True) -> Iterator[Phase]:
        """A phase; `summary=False` prints no closing plain line (for phases whose lines say it already)."""
        task = self._start(title, total) if self.live else None
        phase = Phase(self, title, total, task)
        try:
            yield phase
        finally:
            if task is not None:
                self._stop(task, phase)
        if task is None and summary:  # only a phase that finished says so: a failure's error stands alone
            self.line(f"{title}: {phase.count_text()}")

    def line(self, text: str) -> None:
        """A line that stays: above the live lines on a terminal, as it is elsewhere."""
        if self.live:
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(text, file=self.console.file, flush=True)

    # -- the live display ----------------------------------------------------------------------------

    def _start(self, title: str, total: int | None) -> TaskID:
        with self._lock:
            if self._display is None:
                self._display = LiveProgress(
                    SpinnerColumn(finished_text="[green]✓"),
                    TextColumn("{task.description}"),
                    TextColumn("[bold]{task.fields[count]}"),
                    TextColumn("[dim]{task.fields[detail]}"),
                    TimeElapsedColumn(),
                    console=self.console,
                    transient=False,
                )
                self._display.start()
            self._open += 1
            count = f"0/{total}" if total is not None else "0"
            return self._display.add_task(title, total=total, count=count, detail="")

    def _live_update(self, task: TaskID, done: int, total: int | None, detail: str) -> None:
        display = self._display
        if display is not None:
            count = f"{done}/{total}" if total is not None else str(done)
            display.update(task, completed=done, total=total, count=count, detail=detail)

    def _stop(self, task: TaskID, phase: Phase) -> None:
        with self._lock:
            display = self._display
            if display is None:
                return
            if phase.total is None:  # a count without a total is finished when its phase ends
                display.update(task, total=phase.done, completed=phase.done)
            self._open -= 1
            if self._open == 0:
                display.stop()
                self._display = None
