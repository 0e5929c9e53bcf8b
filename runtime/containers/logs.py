"""Reading a container's json-file log: oldest rotated file first, `--tail`, `--since`, `-f`.

Following watches the log directory with inotify (appends, and the renames
of a rotation) and ends once the container has stopped and everything
written has been read.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from runtime.containers import state
from runtime.containers.errors import ContainerError
from runtime.containers.model import LogEntry
from runtime.containers.paths import ContainerPaths
from runtime.containers.timestamps import parse_timestamp
from runtime.linux import inotify

if TYPE_CHECKING:
    from runtime.containers.manager import Containers

FOLLOW_CHECK = 1.0


def log_files(path: Path) -> list[Path]:
    """The current log and its rotations, oldest first."""
    rotated = []
    for candidate in path.parent.glob(path.name + ".*"):
        suffix = candidate.name[len(path.name) + 1 :]
        if suffix.isdigit():
            rotated.append((int(suffix), candidate))
    return [p for _, p in sorted(rotated, reverse=True)] + ([path] if path.exists() else [])


def parse_line(line: bytes) -> LogEntry | None:
    """One json-file line; None if it is not one (a torn last line)."""
    try:
        data = json.loads(line)
        return LogEntry(str(data["time"]), str(data["stream"]), str(data["log"]).encode())
    except (ValueError, KeyError, TypeError):
        return None


def _wanted(entry: LogEntry, since: float | None, until: float | None) -> bool:
    if since is None and until is None:
        return True
    moment = parse_timestamp(entry.time) or 0.0
    return (since is None or moment >= since) and (until is None or moment <= until)


def _read_all(path: Path, since: float | None, until: float | None) -> Iterator[LogEntry]:
    for file in log_files(path):
        try:
            with open(file, "rb") as handle:
                for line in handle:
                    entry = parse_line(line)
                    if entry is not None and _wanted(entry, since, until):
                        yield entry
        except FileNotFoundError:
            continue  # rotated away while we read


def read_logs(
    manager: Containers,
    key: str,
    *,
    follow: bool,
    tail: int | None,
    since: float | None,
    until: float | None,
) -> Iterator[LogEntry]:
    """A container's log entries (see the module docstring)."""
    container = manager.get(key)
    if container.request.log.driver == "none":
        raise ContainerError('configured logging driver does not support reading: "none"')
    path = ContainerPaths(manager.store.layout, container.id).log
    if not follow:
        entries: Iterator[LogEntry] = _read_all(path, since, until)
        if tail is not None and tail >= 0:
            entries = iter(deque(entries, maxlen=tail)) if tail else iter(())
        yield from entries
        return
    yield from _follow(manager, container.id, path, tail, since, until)


def _follow(
    manager: Containers,
    container_id: str,
    path: Path,
    tail: int | None,
    since: float | None,
    until: float | None,
) -> Iterator[LogEntry]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with inotify.Watch() as watch:
        watch.add(path.parent, inotify.MODIFY | inotify.CREATE | inotify.MOVED_TO)
        watch.add(manager.registry.bell, inotify.ATTRIB)
        reader = _Tail(path)
        backlog: Iterator[LogEntry] = _read_all(path, since, until)
        if tail is not None and tail >= 0:
            backlog = iter(deque(backlog, maxlen=tail)) if tail else iter(())
        yield from backlog
        try:
            while True:
                stopped = _stopped(manager, container_id)
                fresh = reader.read_new()
                for entry in fresh:
                    if _wanted(entry, since, until):
                        yield entry
                if stopped and not fresh:
                    return
                if not fresh:
                    watch.wait(FOLLOW_CHECK)
        finally:
            reader.close()


def _stopped(manager: Containers, container_id: str) -> bool:
    container = manager.find(container_id)
    return container is None or container.state.status not in state.LIVE_STATUSES


class _Tail:
    """Reads what is appended to a log file, across rotations (from the end at first)."""

    def __init__(self, path: Path):
        self.path = path
        self.handle: BinaryIO | None = None
        self._open(at_end=True)

    def _open(self, at_end: bool) -> None:
        try:
            self.handle = open(self.path, "rb")  # noqa: SIM115 - kept open while following
        except FileNotFoundError:
            self.handle = None
            return
        if at_end:
            self.handle.seek(0, os.SEEK_END)

    def read_new(self) -> list[LogEntry]:
        """Entries appended since the last read; after a rotation, the old file's rest first."""
        entries: list[LogEntry] = []
        if self.handle is None:
            self._open(at_end=False)
            if self.handle is None:
                return entries
        while True:
            line = self.handle.readline()
            if not line:
                break
            if not line.endswith(b"\n"):
                self.handle.seek(-len(line), os.SEEK_CUR)  # an entry still being written
                break
            entry = parse_line(line)
            if entry is not None:
                entries.append(entry)
        try:
            rotated = os.stat(self.path).st_ino != os.fstat(self.handle.fileno()).st_ino
        except FileNotFoundError:
            rotated = False
        if rotated:
            self.handle.close()
            self._open(at_end=False)
            entries += self.read_new()
        return entries

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
