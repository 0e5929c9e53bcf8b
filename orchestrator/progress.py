"""Feedback while a plan runs: one line per network, volume, image and container, with timings.

On a terminal a live view (rich) redraws every line in place — `Creating` →
`Started` → `Healthy`, each with the time since its first step — under a
`[+] Running 3/5` header. Elsewhere (a pipe, a log file, CI) each change is one
plain line, so the output stays readable and greppable. Both are safe to call
from several threads at once.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Protocol, Self

if TYPE_CHECKING:
    from rich.table import Table

DONE_MARK = "✔"
FAILED_MARK = "✘"


class Progress(Protocol):
    """Where converging reports what it is doing."""

    def update(self, kind: str, name: str, status: str, *, done: bool = False) -> None:
        """`Container app-web-1` is now `status`; `done` when this is its last step."""

    def fail(self, kind: str, name: str, status: str) -> None:
        """`Container app-web-1` failed (`status` says how)."""

    def note(self, text: str) -> None:
        """A message outside the lines (a warning, a skipped step)."""

    def close(self) -> None:
        """Stop reporting (the live view leaves its last frame on screen)."""

    def __enter__(self) -> Progress:
        """`with progress_for(...) as progress:` closes it however the block ends."""

    def __exit__(self, *exc: object) -> None: ...


@dataclass
class _Line:
    kind: str
    name: str
    status: str
    started: float
    finished: float | None = None
    failed: bool = False
    notes: list[str] = field(default_factory=list)

    def elapsed(self, now: float) -> float:
        return (self.finished or now) - self.started


class _Lines:
    """The lines and their order, shared by both views."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lines: dict[tuple[str, str], _Line] = {}

    def set(self, kind: str, name: str, status: str, done: bool, failed: bool) -> _Line:
        now = time.monotonic()
        with self.lock:
            line = self.lines.get((kind, name))
            if line is None:
                line = self.lines[kind, name] = _Line(kind, name, status, now)
            line.status = status
            line.failed = failed
            line.finished = now if done or failed else None
            return line


class _Closing:
    """Closed at the end of a `with` block."""

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PlainProgress(_Closing):
    """One line per change: ` Container app-web-1  Started 0.4s`."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.state = _Lines()

    def _write(self, text: str) -> None:
        with self.state.lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def update(self, kind: str, name: str, status: str, *, done: bool = False) -> None:
        line = self.state.set(kind, name, status, done, False)
        timing = f" {line.elapsed(time.monotonic()):.1f}s" if done else ""
        self._write(f" {kind} {name}  {status}{timing}")

    def fail(self, kind: str, name: str, status: str) -> None:
        self.state.set(kind, name, status, True, True)
        self._write(f" {kind} {name}  {status}")

    def note(self, text: str) -> None:
        self._write(text)


class LiveProgress(_Closing):
    """A rich Live view redrawn in place, with a header counting finished lines."""

    def __init__(self, stream: IO[str], title: str = "Running"):
        from rich.console import Console
        from rich.live import Live

        self.state = _Lines()
        self.title = title
        self.console = Console(file=stream, highlight=False)
        self.live = Live(
            get_renderable=self._render,
            console=self.console,
            refresh_per_second=10,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.live.start()

    def _render(self) -> Table:
        from rich.table import Table
        from rich.text import Text

        now = time.monotonic()
        with self.state.lock:
            lines = list(self.state.lines.values())
        finished = sum(1 for line in lines if line.finished is not None)
        table = Table.grid(padding=(0, 1))
        table.add_column()
        table.add_column()
        table.add_column()
        table.add_column(justify="right")
        for line in lines:
            if line.failed:
                mark = Text(f" {FAILED_MARK}", style="red")
            elif line.finished is not None:
                mark = Text(f" {DONE_MARK}", style="green")
            else:
                mark = Text(" ⠿", style="blue")
            table.add_row(
                mark,
                f"{line.kind} {line.name}",
                Text(line.status, style="red" if line.failed else ""),
                Text(f"{line.elapsed(now):.1f}s", style="blue"),
            )
        header = Text(f"[+] {self.title} {finished}/{len(lines)}", style="bold")
        outer = Table.grid()
        outer.add_row(header)
        outer.add_row(table)
        return outer

    def update(self, kind: str, name: str, status: str, *, done: bool = False) -> None:
        self.state.set(kind, name, status, done, False)

    def fail(self, kind: str, name: str, status: str) -> None:
        self.state.set(kind, name, status, True, True)

    def note(self, text: str) -> None:
        self.live.console.print(text, markup=False, highlight=False)

    def close(self) -> None:
        self.live.refresh()
        self.live.stop()


class QuietProgress(_Closing):
    """Reports nothing (`--quiet-pull`, `-q`, library use)."""

    def update(self, kind: str, name: str, status: str, *, done: bool = False) -> None:
        pass

    def fail(self, kind: str, name: str, status: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass


def progress_for(stream: IO[str] | None = None, *, title: str = "Running") -> Progress:
    """The live view on a terminal, plain lines elsewhere (both on stderr by default)."""
    target = stream or sys.stderr
    if target.isatty():
        return LiveProgress(target, title)
    return PlainProgress(target)
