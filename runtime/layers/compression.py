"""Layer compression: recognise gzip / zstd / plain tar by magic bytes and stream either way."""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Callable
from typing import BinaryIO

import zstandard

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1 << 20


def detect_compression(head: bytes) -> str:
    """`gzip`, `zstd` or `none`, from the first bytes of a blob."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "none"


class PeekedReader(io.RawIOBase):
    """A reader that replays the bytes already read to detect the format."""

    def __init__(self, head: bytes, source: BinaryIO):
        self._head = head
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_decompressed(source: BinaryIO) -> BinaryIO:
    """A reader of the uncompressed tar inside `source`, whatever its compression."""
    head = source.read(4)
    stream: BinaryIO = io.BufferedReader(PeekedReader(head, source), CHUNK)
    kind = detect_compression(head)
    if kind == "gzip":
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    if kind == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
        return io.BufferedReader(reader, CHUNK)
    return stream


class CountingReader(io.RawIOBase):
    """Passes bytes through, telling `on_read` how many went by (for progress)."""

    def __init__(self, source: BinaryIO, on_read: Callable[[int], None]):
        self._source = source
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = self._source.readinto(buffer)  # type: ignore[attr-defined]
        if size:
            self._on_read(size)
        return int(size or 0)


class DigestingReader(io.RawIOBase):
    """Passes bytes through while computing their sha256 and counting them."""

    def __init__(self, source: BinaryIO, on_read: Callable[[int], None] | None = None):
        self._source = source
        self._hash = hashlib.sha256()
        self.size = 0
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._source.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self._hash.update(data)
        self.size += size
        if self._on_read is not None and size:
            self._on_read(size)
        return size

    def drain(self) -> None:
        """Read to the end (tar readers stop at the end-of-archive marker)."""
        while self.read(CHUNK):
            pass

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()


def gzip_writer(target: BinaryIO, level: int = 6) -> BinaryIO:
    """A writer that gzips into `target` (mtime 0, so equal input gives equal bytes)."""
    return gzip.GzipFile(fileobj=target, mode="wb", compresslevel=level, mtime=0)  # type: ignore[return-value]
