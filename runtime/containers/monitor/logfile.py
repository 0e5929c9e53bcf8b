"""Docker's json-file log driver: one JSON object per line, size-based rotation.

    {"log":"hello\\n","stream":"stdout","time":"2024-05-01T12:00:00.123456789Z"}

Output is split at newlines; a line longer than 16 KiB is written in pieces
(without newline until the last), as Docker does. With `max-size`, a file that
has reached it is rotated before the next entry: `<log>.1` is the newest
rotated file, `<log>.<max-file - 1>` the oldest; with one file it is truncated.
"""

from __future__ import annotations

import _json
import os

from runtime.containers.timestamps import format_timestamp

PARTIAL_LIMIT = 16 * 1024


class JsonFileLog:
    """The writer for one container's json-file log."""

    def __init__(self, path: str, max_size: int = 0, max_file: int = 1):
        self.path = path
        self.max_size = max_size
        self.max_file = max(1, max_file)
        self._pending: dict[str, bytes] = {"stdout": b"", "stderr": b""}
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        self._size = os.fstat(self._fd).st_size

    def write(self, stream: str, data: bytes) -> None:
        """Add output of `stream`; complete lines (and over-long pieces) are written at once."""
        buffer = self._pending[stream] + data
        entries = []
        while True:
            newline = buffer.find(b"\n")
            if newline < 0 or newline >= PARTIAL_LIMIT:
                if len(buffer) >= PARTIAL_LIMIT:
                    entries.append(buffer[:PARTIAL_LIMIT])
                    buffer = buffer[PARTIAL_LIMIT:]
                    continue
                break
            entries.append(buffer[: newline + 1])
            buffer = buffer[newline + 1 :]
        self._pending[stream] = buffer
        if entries:
            self._append(stream, entries)

    def flush(self) -> None:
        """Write what is left of unfinished lines (the process ended)."""
        for stream, buffer in self._pending.items():
            if buffer:
                self._append(stream, [buffer])
                self._pending[stream] = b""

    def _append(self, stream: str, pieces: list[bytes]) -> None:
        stamp = format_timestamp()
        for piece in pieces:
            text = _json.encode_basestring(piece.decode("utf-8", "replace"))
            entry = f'{{"log":{text},"stream":"{stream}","time":"{stamp}"}}\n'.encode()
            if self.max_size and self._size >= self.max_size:
                self._rotate()
            os.write(self._fd, entry)
            self._size += len(entry)

    def _rotate(self) -> None:
        os.close(self._fd)
        if self.max_file > 1:
            for index in range(self.max_file - 1, 1, -1):
                try:
                    os.replace(f"{self.path}.{index - 1}", f"{self.path}.{index}")
                except FileNotFoundError:
                    pass
            os.replace(self.path, f"{self.path}.1")
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        else:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
        self._fd = os.open(self.path, flags, 0o640)
        self._size = 0

    def close(self) -> None:
        self.flush()
        os.close(self._fd)


class NoLog:
    """`logging.driver: none`: output is read (so the process never blocks) and dropped."""

    def write(self, stream: str, data: bytes) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def open_log(driver: str, path: str, max_size: int, max_file: int) -> JsonFileLog | NoLog:
    """The writer for a log driver."""
    if driver == "none":
        return NoLog()
    return JsonFileLog(path, max_size, max_file)
