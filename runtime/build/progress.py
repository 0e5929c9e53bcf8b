"""What a build prints: numbered steps, streamed RUN output, CACHED, the result.

    [build 2/5] RUN make
      | cc -o app main.c
    [build 2/5] DONE 1.3s
    CACHED [build 3/5] COPY . /src
    writing image sha256:4f1c...
    naming to docker.io/library/app:latest

`PlainProgress` writes that to a text stream; `QuietProgress` writes nothing
while things go well (for `-q`, where only the image id is printed) and, like
the plain one, shows a failing step with its last lines of output on stderr.
"""

from __future__ import annotations

import sys
from collections import deque
from typing import Protocol, TextIO

TAIL_LINES = 10


class BuildProgress(Protocol):
    """Receives a build's events; the executor calls these in order."""

    def step(self, label: str) -> None:
        """A step starts (also FROM lines, which do not run)."""

    def cached(self, label: str) -> None:
        """A step's result came from the cache."""

    def output(self, data: bytes) -> None:
        """Bytes a RUN step wrote to stdout or stderr."""

    def done(self, label: str, seconds: float) -> None:
        """A step finished."""

    def failed(self, label: str, reason: str) -> None:
        """A step failed; show it with the last lines of its output."""

    def message(self, text: str) -> None:
        """A line about the build as a whole (pulling, writing, naming)."""

    def tail(self) -> tuple[str, ...]:
        """The last lines the current step wrote."""


class _Lines:
    """Splits output into lines, keeping the last few."""

    def __init__(self) -> None:
        self.pending = b""
        self.last: deque[str] = deque(maxlen=TAIL_LINES)

    def reset(self) -> None:
        self.pending = b""
        self.last.clear()

    def feed(self, data: bytes) -> list[str]:
        self.pending += data
        *complete, self.pending = self.pending.split(b"\n")
        lines = [_text(line) for line in complete]
        self.last.extend(lines)
        return lines

    def flush(self) -> list[str]:
        if not self.pending:
            return []
        line, self.pending = _text(self.pending), b""
        self.last.append(line)
        return [line]


def _text(line: bytes) -> str:
    # Progress bars redraw with carriage returns: keep what the line ended as.
    return line.decode("utf-8", "replace").rstrip("\r").rsplit("\r", 1)[-1]


def _failure_block(label: str, reason: str, lines: tuple[str, ...]) -> str:
    rule = "-" * 8
    body = "".join(f"{line}\n" for line in lines)
    return f"{rule}\n > {label}: {reason}\n{body}{rule}\n"


class PlainProgress:
    """Plain text progress, one line per event, RUN output indented as it comes."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self._lines = _Lines()

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def step(self, label: str) -> None:
        self._lines.reset()
        self._write(f"{label}\n")

    def cached(self, label: str) -> None:
        self._write(f"CACHED {label}\n")

    def output(self, data: bytes) -> None:
        lines = self._lines.feed(data)
        if lines:
            self._write("".join(f"  | {line}\n" for line in lines))

    def done(self, label: str, seconds: float) -> None:
        rest = self._lines.flush()
        if rest:
            self._write(f"  | {rest[0]}\n")
        self._write(f"{label} DONE {seconds:.1f}s\n")

    def failed(self, label: str, reason: str) -> None:
        rest = self._lines.flush()
        if rest:
            self._write(f"  | {rest[0]}\n")
        self._write(_failure_block(label, reason, tuple(self._lines.last)))

    def message(self, text: str) -> None:
        self._write(f"{text}\n")

    def tail(self) -> tuple[str, ...]:
        self._lines.flush()
        return tuple(self._lines.last)


class QuietProgress:
    """Silent progress for `-q`: only a failure is shown, on stderr."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self._lines = _Lines()

    def step(self, label: str) -> None:
        self._lines.reset()

    def cached(self, label: str) -> None:
        pass

    def output(self, data: bytes) -> None:
        self._lines.feed(data)

    def done(self, label: str, seconds: float) -> None:
        pass

    def failed(self, label: str, reason: str) -> None:
        self._lines.flush()
        self.stream.write(_failure_block(label, reason, tuple(self._lines.last)))
        self.stream.flush()

    def message(self, text: str) -> None:
        pass

    def tail(self) -> tuple[str, ...]:
        self._lines.flush()
        return tuple(self._lines.last)
