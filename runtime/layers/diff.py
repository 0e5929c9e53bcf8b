"""Diff an overlayfs upper directory into an OCI layer tar (overlay whiteouts become OCI ones).

The upper directory of a container holds exactly what changed: new and
modified files, 0/0 character devices for deleted ones and directories marked
`trusted.overlay.opaque=y` that replace a lower directory wholesale. The layer
keeps owners, modes, xattrs, mtimes and hard links; paths can be left out
entirely (`exclude`) or kept as empty directories (`exclude_contents`, for
volume mount points).
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from runtime.layers.apply import OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX
from runtime.layers.compression import CHUNK
from runtime.layers.errors import LayerError

_SKIPPED_XATTR_PREFIXES = ("trusted.overlay.", "security.selinux")


@dataclass(frozen=True)
class LayerDiff:
    """The tar written: its digest (the diff id), its size, its entries and their file bytes."""

    diff_id: str
    size: int
    entries: int
    content_size: int = 0


class HashingWriter(io.RawIOBase):
    """Passes writes through to `target` while hashing and counting them."""

    def __init__(self, target: BinaryIO):
        self._target = target
        self._hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._hash.update(data)
        self.size += len(data)
        self._target.write(data)
        return len(data)

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()


def diff_upper(
    upper: Path,
    output: BinaryIO,
    *,
    exclude: Collection[str] = (),
    exclude_contents: Collection[str] = (),
) -> LayerDiff:
    """Write the changes recorded in the overlay upper dir `upper` as a layer tar to `output`.

    Paths in `exclude` / `exclude_contents` are container paths ("/etc/hosts").
    """
    skipped = {_normal(p) for p in exclude}
    emptied = {_normal(p) for p in exclude_contents}
    sink = HashingWriter(output)
    writer = _DiffWriter(upper, sink)
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT, bufsize=CHUNK) as archive:
        writer.archive = archive
        writer.walk("", skipped, emptied)
    return LayerDiff(
        diff_id=sink.digest,
        size=sink.size,
        entries=writer.entries,
        content_size=writer.content_size,
    )


def _normal(path: str) -> str:
    return "/".join(part for part in path.split("/") if part not in ("", "."))


class _DiffWriter:
    def __init__(self, upper: Path, sink: HashingWriter):
        self.upper = upper
        self.sink = sink
        self.archive: tarfile.TarFile | None = None
        self.entries = 0
        self.content_size = 0
        self._links: dict[tuple[int, int], str] = {}

    def walk(self, relative: str, skipped: set[str], emptied: set[str]) -> None:
        directory = self.upper / relative if relative else self.upper
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            raise LayerError(f"cannot read {directory}: {exc.strerror}") from exc
        for name in names:
            path = f"{relative}/{name}" if relative else name
            if path in skipped:
                continue
            info = os.lstat(self.upper / path)
            if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
                self._add_whiteout(relative, name, info)
                continue
            self._add(path, info)
            if stat.S_ISDIR(info.st_mode):
                if _xattr(self.upper / path, OPAQUE_XATTR) == b"y":
                    self._add_whiteout(path, OPAQUE_MARKER[len(WHITEOUT_PREFIX) :], info)
                if path not in emptied:
                    self.walk(path, skipped, emptied)

    def _add_whiteout(self, parent: str, hidden: str, info: os.stat_result) -> None:
        entry = tarfile.TarInfo(
            f"{parent}/{WHITEOUT_PREFIX}{hidden}" if parent else WHITEOUT_PREFIX + hidden
        )
        entry.mtime = int(info.st_mtime)
        entry.mode = 0o600
        self._write(entry)

    def _add(self, path: str, info: os.stat_result) -> None:
        host = self.upper / path
        entry = tarfile.TarInfo(path + ("/" if stat.S_ISDIR(info.st_mode) else ""))
        entry.mode = stat.S_IMODE(info.st_mode)
        entry.uid, entry.gid = info.st_uid, info.st_gid
        entry.uname = entry.gname = ""
        entry.mtime = int(info.st_mtime)
        entry.pax_headers = {
            "SCHILY.xattr." + key: value.decode("utf-8", "surrogateescape")
            for key, value in _xattrs(host)
        }
        mode = info.st_mode
        if stat.S_ISREG(mode) and info.st_nlink > 1:
            first = self._links.get((info.st_dev, info.st_ino))
            if first is not None:
                entry.type, entry.linkname = tarfile.LNKTYPE, first
                self._write(entry)
                return
            self._links[(info.st_dev, info.st_ino)] = path
        if stat.S_ISREG(mode):
            entry.size = info.st_size
            self.content_size += info.st_size
            with open(host, "rb") as content:
                self._write(entry, content)
            return
        if stat.S_ISDIR(mode):
            entry.type = tarfile.DIRTYPE
        elif stat.S_ISLNK(mode):
            entry.type, entry.linkname = tarfile.SYMTYPE, os.readlink(host)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            entry.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
            entry.devmajor, entry.devminor = os.major(info.st_rdev), os.minor(info.st_rdev)
        elif stat.S_ISFIFO(mode):
            entry.type = tarfile.FIFOTYPE
        else:
            return  # sockets have no place in a layer
        self._write(entry)

    def _write(self, entry: tarfile.TarInfo, content: BinaryIO | None = None) -> None:
        assert self.archive is not None
        self.archive.addfile(entry, content)
        self.entries += 1


def _xattr(path: Path, name: str) -> bytes | None:
    try:
        return os.getxattr(path, name, follow_symlinks=False)
    except OSError:
        return None


def _xattrs(path: Path) -> list[tuple[str, bytes]]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return []
    found = []
    for name in sorted(names):
        if name.startswith(_SKIPPED_XATTR_PREFIXES):
            continue
        value = _xattr(path, name)
        if value is not None:
            found.append((name, value))
    return found
