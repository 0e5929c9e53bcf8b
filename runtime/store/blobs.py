"""Content-addressed blobs: exact bytes by sha256, verified while written, renamed into place."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from runtime.errors import StoreError
from runtime.store.scratch import scratch_prefix

DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


def check_digest(digest: str) -> str:
    """Return `digest` if it is a well-formed sha256 digest, else raise."""
    if not DIGEST_RE.match(digest):
        raise StoreError(f"not a sha256 digest: {digest!r}")
    return digest


def sha256_digest(data: bytes) -> str:
    """The OCI digest string of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


class BlobWriter:
    """Streams a blob to a temporary file, hashing as it goes; `commit` verifies and publishes.

    Nothing unverified is ever visible under the blob's digest: the file is
    renamed into place only after digest and size match. Two processes writing
    the same blob both succeed and leave one copy.
    """

    def __init__(self, store: BlobStore, expected_digest: str | None, expected_size: int | None):
        self.store = store
        self.expected_digest = check_digest(expected_digest) if expected_digest else None
        self.expected_size = expected_size
        self._hash = hashlib.sha256()
        self.size = 0
        store.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=store.tmp, prefix=scratch_prefix("blob"))
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self._tmp_path = Path(name)
        self.digest: str | None = None

    def write(self, data: bytes) -> int:
        """Append `data`; refuse once more than the expected size has arrived."""
        assert self._file is not None, "blob writer already closed"
        self.size += len(data)
        if self.expected_size is not None and self.size > self.expected_size:
            raise StoreError(
                f"blob {self.expected_digest or ''} is larger than its declared "
                f"size {self.expected_size}"
            )
        self._hash.update(data)
        self._file.write(data)
        return len(data)

    def commit(self) -> str:
        """Verify size and digest, fsync, and move the blob into the store; return its digest."""
        assert self._file is not None, "blob writer already closed"
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        digest = "sha256:" + self._hash.hexdigest()
        try:
            if self.expected_size is not None and self.size != self.expected_size:
                raise StoreError(
                    f"blob {self.expected_digest or digest} is truncated: got {self.size} "
                    f"bytes, expected {self.expected_size}"
                )
            if self.expected_digest is not None and digest != self.expected_digest:
                raise StoreError(
                    f"blob digest mismatch: expected {self.expected_digest}, got {digest}"
                )
            final = self.store.path(digest)
            os.chmod(self._tmp_path, 0o644)
            os.rename(self._tmp_path, final)
        except BaseException:
            self.abort()
            raise
        self.digest = digest
        return digest

    def abort(self) -> None:
        """Throw the partial blob away (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        try:
            self._tmp_path.unlink()
        except FileNotFoundError:
            pass

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None or self.digest is None:
            self.abort()


class BlobStore:
    """Blobs stored as `<dir>/<hex>`, immutable once written."""

    def __init__(self, directory: Path, tmp: Path):
        self.directory = directory
        self.tmp = tmp

    def path(self, digest: str) -> Path:
        """The file that holds (or would hold) `digest`."""
        return self.directory / check_digest(digest).split(":", 1)[1]

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()

    def size(self, digest: str) -> int:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError as exc:
            raise StoreError(f"blob {digest} is not in the store") from exc

    def open(self, digest: str) -> BinaryIO:
        """Open a stored blob for reading."""
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError as exc:
            raise StoreError(f"blob {digest} is not in the store") from exc

    def read(self, digest: str) -> bytes:
        with self.open(digest) as handle:
            return handle.read()

    def writer(
        self, expected_digest: str | None = None, expected_size: int | None = None
    ) -> BlobWriter:
        """A writer for a new blob; verified against the expectations on commit."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return BlobWriter(self, expected_digest, expected_size)

    def put(self, data: bytes, expected_digest: str | None = None) -> str:
        """Store `data` and return its digest."""
        digest = sha256_digest(data)
        if self.exists(digest):
            if expected_digest and expected_digest != digest:
                raise StoreError(f"blob digest mismatch: expected {expected_digest}, got {digest}")
            return digest
        with self.writer(expected_digest, len(data)) as writer:
            writer.write(data)
            return writer.commit()

    def remove(self, digest: str) -> None:
        try:
            self.path(digest).unlink()
        except FileNotFoundError:
            pass

    def __iter__(self) -> Iterator[str]:
        if not self.directory.exists():
            return
        for entry in self.directory.iterdir():
            if len(entry.name) == 64:
                yield "sha256:" + entry.name
