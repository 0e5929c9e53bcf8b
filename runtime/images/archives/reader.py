"""Read the files of an image archive, a tarball (plain, gzip, zstd) or a directory, safely.

Names are archive-relative (`blobs/sha256/<hex>`, `manifest.json`); anything
absolute or with `..` is refused, and symlinks inside a tarball (Docker's
`<id>/layer.tar -> ../blobs/...`) are followed only within the archive.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import BinaryIO

from runtime.images.errors import ArchiveError
from runtime.layers.apply import split_entry_name
from runtime.layers.compression import CHUNK, PeekedReader, detect_compression, open_decompressed

MAX_LINK_DEPTH = 16


def _clean(name: str) -> str:
    if name.startswith("/") or ".." in name.split("/"):
        raise ArchiveError(f"the archive names a file outside itself: {name!r}")
    return "/".join(split_entry_name(name))


class ArchiveReader:
    """Files of an archive by name."""

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def open(self, name: str) -> BinaryIO:
        raise NotImplementedError

    def read(self, name: str) -> bytes:
        with self.open(name) as handle:
            return handle.read()

    def close(self) -> None:
        pass


class DirectoryReader(ArchiveReader):
    """An unpacked archive or OCI layout directory."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, name: str) -> Path:
        path = self.root / _clean(name)
        if not os.path.realpath(path).startswith(os.path.realpath(self.root) + os.sep):
            raise ArchiveError(f"{name!r} leads outside {self.root}")
        return path

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def open(self, name: str) -> BinaryIO:
        try:
            return open(self._path(name), "rb")
        except OSError as exc:
            raise ArchiveError(f"the archive has no readable {name!r}: {exc.strerror}") from exc


class TarReader(ArchiveReader):
    """A tarball; compressed or unseekable input is first spooled to a temporary file."""

    def __init__(self, source: BinaryIO, scratch: Path):
        self._spool: BinaryIO | None = None
        seekable = source.seekable() if hasattr(source, "seekable") else False
        head = source.read(4)
        if seekable and detect_compression(head) == "none":
            source.seek(0)
            fileobj = source
        else:
            if seekable:
                source.seek(0)
                plain = open_decompressed(source)
            else:
                plain = open_decompressed(PeekedReader(head, source))  # type: ignore[arg-type]
            scratch.mkdir(parents=True, exist_ok=True)
            self._spool = tempfile.TemporaryFile(dir=scratch)  # noqa: SIM115
            assert self._spool is not None
            shutil.copyfileobj(plain, self._spool, CHUNK)
            self._spool.seek(0)
            fileobj = self._spool
        try:
            self._tar = tarfile.open(fileobj=fileobj, mode="r:")  # noqa: SIM115
            self._members = {_normal(m.name): m for m in self._tar.getmembers()}
        except (tarfile.TarError, EOFError) as exc:
            raise ArchiveError(f"not a valid image archive: {exc}") from exc

    def _member(self, name: str) -> tarfile.TarInfo:
        current = _clean(name)
        for _ in range(MAX_LINK_DEPTH):
            member = self._members.get(current)
            if member is None:
                raise ArchiveError(f"the archive has no {name!r}")
            if member.issym():
                base = os.path.dirname(current)
                current = "/".join(split_entry_name(os.path.join(base, member.linkname)))
            elif member.islnk():
                current = _normal(member.linkname)
            else:
                return member
        raise ArchiveError(f"too many links from {name!r} in the archive")

    def exists(self, name: str) -> bool:
        try:
            return self._member(name).isfile()
        except ArchiveError:
            return False

    def open(self, name: str) -> BinaryIO:
        member = self._member(name)
        handle = self._tar.extractfile(member)
        if handle is None:
            raise ArchiveError(f"{name!r} in the archive is not a file")
        return handle  # type: ignore[return-value]

    def close(self) -> None:
        self._tar.close()
        if self._spool is not None:
            self._spool.close()


def _normal(name: str) -> str:
    return "/".join(split_entry_name(name))


def open_archive(path: str | Path | None, stdin: BinaryIO | None, scratch: Path) -> ArchiveReader:
    """A reader for a directory, a tar file, or (path None) the tar on `stdin`."""
    if path is None:
        if stdin is None:
            raise ArchiveError("no archive given")
        return TarReader(stdin, scratch)
    location = Path(path)
    if location.is_dir():
        return DirectoryReader(location)
    try:
        handle = open(location, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ArchiveError(f"cannot open {location}: {exc.strerror}") from exc
    try:
        return TarReader(handle, scratch)
    except BaseException:
        handle.close()
        raise
