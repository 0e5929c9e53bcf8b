"""The user's side of a container terminal: raw mode, window size, signals turned into events.

`exec -it` relays the caller's terminal to a pty master it holds; `attach`
relays it to the monitor's socket. Both put the caller's terminal in raw
mode (so Ctrl-C is a byte the container's terminal turns into SIGINT),
follow SIGWINCH, and restore the terminal however they end.
"""

from __future__ import annotations

import array
import fcntl
import os
import signal
import termios
import tty
from collections.abc import Iterable
from types import FrameType, TracebackType
from typing import Any

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"


def window_size(fd: int = 0) -> tuple[int, int] | None:
    """(rows, columns) of the terminal on `fd` (or on stdout), None if neither is one."""
    for candidate in (fd, 1):
        try:
            packed = fcntl.ioctl(candidate, termios.TIOCGWINSZ, b"\0" * 8)
        except OSError:
            continue
        rows, columns = array.array("H", packed)[:2]
        if rows and columns:
            return rows, columns
    return None


def parse_detach_keys(text: str) -> bytes:
    """Docker's `--detach-keys`: `ctrl-p,ctrl-q`, `ctrl-@`, letters; b"" switches detaching off."""
    keys = bytearray()
    for item in (part.strip() for part in text.split(",") if part.strip()):
        if item.lower().startswith("ctrl-") and len(item) == 6:
            code = ord(item[5].upper()) - 64
            if not 0 <= code < 32:
                raise ValueError(f"invalid detach key {item!r}")
            keys.append(code)
        elif len(item) == 1:
            keys.append(ord(item))
        else:
            raise ValueError(f"invalid detach key {item!r}")
    return bytes(keys)


class RawTerminal:
    """Raw mode on `fd` while inside the `with` block (nothing if it is not a terminal)."""

    def __init__(self, fd: int = 0):
        self.fd = fd
        self.saved: list[Any] | None = None

    def __enter__(self) -> RawTerminal:
        if os.isatty(self.fd):
            self.saved = termios.tcgetattr(self.fd)
            # TCSANOW, not the default TCSAFLUSH: what was typed ahead is kept, as with Docker.
            tty.setraw(self.fd, termios.TCSANOW)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


class SignalPipe:
    """Signals delivered as bytes on a pipe, so a select loop sees them with its other inputs."""

    def __init__(self, numbers: Iterable[int]):
        self.read_fd, self.write_fd = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.previous: dict[int, object] = {}
        for number in numbers:
            self.previous[number] = signal.signal(number, self._handle)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        try:
            os.write(self.write_fd, bytes([number]))
        except BlockingIOError:
            pass

    def received(self) -> list[int]:
        """The signals that arrived since the last call."""
        try:
            return list(os.read(self.read_fd, 256))
        except BlockingIOError:
            return []

    def close(self) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
        os.close(self.read_fd)
        os.close(self.write_fd)

    def __enter__(self) -> SignalPipe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_all(fd: int, data: bytes) -> None:
    """Write everything (the caller's stdout may be a slow pipe)."""
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            import select

            select.select([], [fd], [])
            continue
        view = view[written:]
