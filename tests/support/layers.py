"""Build layer tarballs entry by entry (hostile ones included), and read trees back."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runtime.linux import syscalls


class LayerBuilder:
    """A tar written in memory, one entry at a time, with full control of names and types."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._tar = tarfile.open(fileobj=self._buffer, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115

    def _add(self, name: str, kind: bytes, data: bytes = b"", **fields: Any) -> LayerBuilder:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.mode = fields.pop("mode", 0o755 if kind == tarfile.DIRTYPE else 0o644)
        info.mtime = fields.pop("mtime", 1_700_000_000)
        xattrs = fields.pop("xattrs", {})
        info.pax_headers = {
            f"SCHILY.xattr.{k}": v.decode("utf-8", "surrogateescape") for k, v in xattrs.items()
        }
        for key, value in fields.items():
            setattr(info, key, value)
        info.size = len(data)
        self._tar.addfile(info, io.BytesIO(data) if data else None)
        return self

    def dir(self, name: str, **fields: Any) -> LayerBuilder:
        return self._add(name, tarfile.DIRTYPE, **fields)

    def file(self, name: str, data: bytes = b"", **fields: Any) -> LayerBuilder:
        return self._add(name, tarfile.REGTYPE, data, **fields)

    def symlink(self, name: str, target: str, **fields: Any) -> LayerBuilder:
        return self._add(name, tarfile.SYMTYPE, linkname=target, **fields)

    def hardlink(self, name: str, target: str, **fields: Any) -> LayerBuilder:
        return self._add(name, tarfile.LNKTYPE, linkname=target, **fields)

    def device(
        self, name: str, major: int, minor: int, block: bool = False, **fields: Any
    ) -> LayerBuilder:
        kind = tarfile.BLKTYPE if block else tarfile.CHRTYPE
        return self._add(name, kind, devmajor=major, devminor=minor, **fields)

    def fifo(self, name: str, **fields: Any) -> LayerBuilder:
        return self._add(name, tarfile.FIFOTYPE, **fields)

    def build(self) -> bytes:
        self._tar.close()
        return self._buffer.getvalue()


def tree(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under `root`: type, mode, owner, and content digest / link target / device."""
    found: dict[str, tuple[Any, ...]] = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory) / name
            info = os.lstat(path)
            relative = str(path.relative_to(root))
            mode = info.st_mode
            if stat.S_ISREG(mode):
                detail: Any = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(mode):
                detail = os.readlink(path)
            elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
                detail = (os.major(info.st_rdev), os.minor(info.st_rdev))
            else:
                detail = None
            found[relative] = (
                stat.S_IFMT(mode),
                stat.S_IMODE(mode),
                info.st_uid,
                info.st_gid,
                detail,
            )
    return found


@contextmanager
def overlay_view(lower_dirs: list[Path], target: Path) -> Iterator[Path]:
    """Mount the snapshots `lower_dirs` (lowest first) read-only at `target`, as a container would."""
    target.mkdir(parents=True, exist_ok=True)
    lowers = ":".join(str(p) for p in reversed(lower_dirs))
    if len(lower_dirs) == 1:
        syscalls.mount(str(lower_dirs[0]), str(target), None, syscalls.MS_BIND | syscalls.MS_RDONLY)
    else:
        syscalls.mount("overlay", str(target), "overlay", syscalls.MS_RDONLY, f"lowerdir={lowers}")
    try:
        yield target
    finally:
        syscalls.umount(str(target), syscalls.MNT_DETACH)


@contextmanager
def overlay_writable(
    lower_dirs: list[Path], upper: Path, work: Path, target: Path
) -> Iterator[Path]:
    """A writable overlay over `lower_dirs` (like a container's rootfs), unmounted afterwards."""
    for path in (upper, work, target):
        path.mkdir(parents=True, exist_ok=True)
    lowers = ":".join(str(p) for p in reversed(lower_dirs))
    syscalls.mount(
        "overlay", str(target), "overlay", 0, f"lowerdir={lowers},upperdir={upper},workdir={work}"
    )
    try:
        yield target
    finally:
        syscalls.umount(str(target), syscalls.MNT_DETACH)
