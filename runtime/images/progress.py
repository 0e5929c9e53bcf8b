"""Progress of pulls and pushes: a callback interface, a silent one and a rich one per layer."""

from __future__ import annotations

import threading
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)


class Reporter(Protocol):
    """What pull and push tell about their work; every method may be called from any thread."""

    def message(self, text: str) -> None: ...

    def start(self, key: str, state: str, total: int) -> None: ...

    def advance(self, key: str, amount: int) -> None: ...

    def state(self, key: str, state: str, *, total: int | None = None) -> None: ...

    def close(self) -> None: ...


class SilentReporter:
    """Says nothing (`-q`)."""

    def message(self, text: str) -> None:
        pass

    def start(self, key: str, state: str, total: int) -> None:
        pass

    def advance(self, key: str, amount: int) -> None:
        pass

    def state(self, key: str, state: str, *, total: int | None = None) -> None:
        pass

    def close(self) -> None:
        pass


class RichReporter:
    """One progress bar per layer on stderr, Docker-style (`a1b2c3d4e5f6: Downloading`)."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.fields[key]}: {task.description:<16}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=self.console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()
        self._started = False

    def _ensure_started(self) -> None:
        if not self._started:
            self._progress.start()
            self._started = True

    def message(self, text: str) -> None:
        self._progress.console.print(text, highlight=False, markup=False)

    def start(self, key: str, state: str, total: int) -> None:
        with self._lock:
            self._ensure_started()
            self._tasks[key] = self._progress.add_task(state, total=total, key=key)

    def advance(self, key: str, amount: int) -> None:
        task = self._tasks.get(key)
        if task is not None:
            self._progress.advance(task, amount)

    def state(self, key: str, state: str, *, total: int | None = None) -> None:
        task = self._tasks.get(key)
        if task is None:
            return
        if total is not None:
            self._progress.reset(task, total=total, description=state)
        else:
            self._progress.update(task, description=state)

    def close(self) -> None:
        with self._lock:
            if self._started:
                self._progress.stop()
                self._started = False


def reporter_for(quiet: bool) -> Reporter:
    """The reporter a command should use."""
    return SilentReporter() if quiet else RichReporter()
