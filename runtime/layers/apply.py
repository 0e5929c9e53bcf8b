"""Apply a layer tar onto a snapshot directory, confined to it, with OCI whiteouts made overlay ones.

Every entry is resolved from a descriptor of the snapshot's root with
`openat2(RESOLVE_IN_ROOT)`, and created with fd-relative calls on its parent
directory: `..`, absolute names, symlinked parents and hardlink targets all
stay inside the snapshot. The final component is never followed. A whiteout
`.wh.NAME` becomes the overlayfs whiteout (a 0/0 character device) and
`.wh..wh..opq` the `trusted.overlay.opaque=y` xattr on its directory.
"""

from __future__ import annotations

import errno
import io
import math
import os
import shutil
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from runtime.errors import SyscallError
from runtime.layers.compression import CHUNK, CountingReader, DigestingReader, open_decompressed
from runtime.layers.errors import LayerError
from runtime.linux.securepath import (
    RESOLVE_IN_ROOT,
    RESOLVE_NO_MAGICLINKS,
    makedirs_in_root,
    openat2,
    resolve_in_root,
)

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
# Overlay's own attributes in a layer could redirect lookups out of the layer: never set them.
FORBIDDEN_XATTR_PREFIX = "trusted.overlay."
_RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
# Go's archive/tar (Docker's reader) refuses pax and GNU long-name headers above 1 MiB: read
# whole into memory, a gzip of a gigabyte of zeros would otherwise be a gigabyte there.
MAX_SPECIAL_HEADER = 1 << 20
_SPECIAL_HEADERS = (
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
)
# Small reads (headers) from the tar stream copy the rest of its buffer each time.
_TAR_BUFFER = 64 << 10
_MAX_ID = (1 << 32) - 2
_PARENT_PROBLEMS = {
    errno.ENOTDIR: "a parent is not a directory",
    errno.ELOOP: "a parent is a loop of symlinks",
    errno.ENAMETOOLONG: "its path is too long",
}
_MAX_MTIME_NS = (1 << 63) - 1


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar header reader that refuses oversized pax/long-name headers and sparse files."""

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _SPECIAL_HEADERS and self.size > MAX_SPECIAL_HEADER:
            raise LayerError(
                f"layer has a {self.size}-byte extended header (at most {MAX_SPECIAL_HEADER})"
            )
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise LayerError(f"layer entry {self.name!r} is a sparse file, which is not supported")
        return super()._proc_member(tarfile_)  # type: ignore[misc]

    def _refuse_sparse(self, *_: object) -> None:
        # Sparse maps are read whole before an entry is seen: a map of a billion holes
        # would be a billion numbers in memory. Layers made by image builders have none.
        raise LayerError("layer has a sparse file, which is not supported")

    _proc_gnusparse_00 = _refuse_sparse
    _proc_gnusparse_01 = _refuse_sparse
    _proc_gnusparse_10 = _refuse_sparse


@dataclass(frozen=True)
class AppliedLayer:
    """What applying a layer found: the uncompressed digest (diff id) and sizes."""

    diff_id: str
    tar_size: int
    content_size: int
    entries: int


def split_entry_name(name: str) -> list[str]:
    """The path components of a tar entry name, `..` clamped at the root (as Docker does)."""
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return parts


def apply_layer(
    source: BinaryIO,
    target: Path,
    *,
    expected_diff_id: str | None = None,
    on_read: Callable[[int], None] | None = None,
) -> AppliedLayer:
    """Unpack the (gzip/zstd/plain) layer `source` into the directory `target`.

    `on_read` is told how many compressed bytes were consumed, for progress.
    Raises LayerError when the archive is corrupt, an entry is unsafe beyond
    clamping, or the uncompressed digest differs from `expected_diff_id`.
    """
    counted = io.BufferedReader(CountingReader(source, on_read), CHUNK) if on_read else source
    tar_stream = DigestingReader(open_decompressed(counted))
    root_fd = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        extractor = _Extractor(root_fd, Path(os.path.abspath(target)))
        try:
            with tarfile.open(
                fileobj=tar_stream,
                mode="r|",
                bufsize=_TAR_BUFFER,
                errorlevel=2,
                tarinfo=_BoundedTarInfo,
            ) as archive:
                for member in archive:
                    extractor.apply(member, archive)
            tar_stream.drain()
        except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
            if isinstance(exc, LayerError):
                raise
            raise LayerError(f"layer archive is corrupt or truncated: {exc}") from exc
        extractor.finish()
    finally:
        os.close(root_fd)
    if expected_diff_id is not None and tar_stream.digest != expected_diff_id:
        raise LayerError(
            f"layer content does not match its diff id: expected {expected_diff_id}, "
            f"got {tar_stream.digest}"
        )
    return AppliedLayer(
        diff_id=tar_stream.digest,
        tar_size=tar_stream.size,
        content_size=extractor.content_size,
        entries=extractor.entries,
    )


class _Extractor:
    """Applies tar members one by one under an open root directory."""

    def __init__(self, root_fd: int, root_path: Path):
        self.root_fd = root_fd
        self.root_path = root_path
        self.content_size = 0
        self.entries = 0
        self._dir_times: list[tuple[str, int]] = []

    def apply(self, member: tarfile.TarInfo, archive: tarfile.TarFile) -> None:
        parts = split_entry_name(member.name)
        self.entries += 1
        _check_header(member)
        if not parts:
            if member.isdir():
                self._set_metadata_fd(self.root_fd, member)
            return
        name = parts[-1]
        if member.islnk() and split_entry_name(member.linkname) == parts:
            return  # a hard link to itself changes nothing
        parent_fd = self._parent(parts[:-1], member.name)
        try:
            if name.startswith(WHITEOUT_PREFIX):
                self._whiteout(parent_fd, name, member.name)
                return
            self._clear(parent_fd, name, member)
            if member.isdir():
                self._directory(parent_fd, name, member, "/".join(parts))
            elif member.isreg():
                self._file(parent_fd, name, member, archive)
            elif member.issym():
                os.symlink(member.linkname, name, dir_fd=parent_fd)
                self._set_link_metadata(parent_fd, name, member)
            elif member.islnk():
                self._hardlink(parent_fd, name, member)
            elif member.ischr() or member.isblk() or member.isfifo():
                self._special(parent_fd, name, member)
            else:
                raise LayerError(
                    f"layer entry {member.name!r} has unsupported type {member.type!r}"
                )
        except OSError as exc:
            raise LayerError(f"cannot unpack layer entry {member.name!r}: {exc.strerror}") from exc
        finally:
            os.close(parent_fd)

    def finish(self) -> None:
        """Set directory times last (creating entries inside a directory changes its mtime)."""
        for path, mtime_ns in sorted(self._dir_times, key=lambda item: -item[0].count("/")):
            try:
                fd = openat2(
                    self.root_fd, path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, 0, _RESOLVE
                )
            except SyscallError:
                continue  # replaced later in the layer by something else
            try:
                os.utime(fd, ns=(mtime_ns, mtime_ns))
            finally:
                os.close(fd)

    def _parent(self, parents: list[str], entry: str) -> int:
        """An O_PATH descriptor of the entry's parent; missing levels are made (0755, root)."""
        try:
            return self._open_dir(parents)
        except SyscallError as exc:
            if exc.errno != errno.ENOENT:
                raise LayerError(
                    f"layer entry {entry!r}: {_PARENT_PROBLEMS.get(exc.errno, exc)}"
                ) from exc
        # Follow symlinks (confined) to where the directory belongs, then make what is missing.
        try:
            resolved = resolve_in_root(self.root_path, "/".join(parents))
            makedirs_in_root(self.root_path, str(resolved.relative_to(self.root_path)))
        except (SyscallError, ValueError) as exc:
            raise LayerError(f"layer entry {entry!r}: cannot create its parent: {exc}") from exc
        return self._open_dir(parents)

    def _open_dir(self, parts: list[str]) -> int:
        return openat2(
            self.root_fd, "/".join(parts) or ".", os.O_PATH | os.O_DIRECTORY, 0, _RESOLVE
        )

    def _whiteout(self, parent_fd: int, name: str, entry: str) -> None:
        if name == OPAQUE_MARKER:
            fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=parent_fd)
            try:
                os.setxattr(fd, OPAQUE_XATTR, b"y")
            finally:
                os.close(fd)
            return
        hidden = name[len(WHITEOUT_PREFIX) :]
        if hidden in ("", ".", "..") or hidden.startswith(WHITEOUT_PREFIX):
            raise LayerError(
                f"layer entry {entry!r} is a whiteout of {hidden!r}, which is not allowed"
            )
        _remove_entry(parent_fd, hidden)
        os.mknod(hidden, stat.S_IFCHR | 0o000, os.makedev(0, 0), dir_fd=parent_fd)

    def _clear(self, parent_fd: int, name: str, member: tarfile.TarInfo) -> None:
        """Remove what the entry replaces (a directory stays if the entry is one too)."""
        try:
            existing = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(existing.st_mode) and member.isdir():
            return
        _remove_entry(parent_fd, name)

    def _directory(self, parent_fd: int, name: str, member: tarfile.TarInfo, path: str) -> None:
        try:
            os.mkdir(name, 0o700, dir_fd=parent_fd)
        except FileExistsError:
            pass
        fd = os.open(
            name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd
        )
        try:
            self._set_metadata_fd(fd, member, times=False)
        finally:
            os.close(fd)
        self._dir_times.append((path, _mtime_ns(member)))

    def _file(
        self, parent_fd: int, name: str, member: tarfile.TarInfo, archive: tarfile.TarFile
    ) -> None:
        fd = os.open(
            name,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=parent_fd,
        )
        try:
            content = archive.extractfile(member)
            if content is not None:
                with open(fd, "wb", closefd=False) as out:
                    shutil.copyfileobj(content, out, CHUNK)
            self.content_size += member.size
            self._set_metadata_fd(fd, member)
        finally:
            os.close(fd)

    def _hardlink(self, parent_fd: int, name: str, member: tarfile.TarInfo) -> None:
        target = split_entry_name(member.linkname)
        if not target:
            raise LayerError(f"layer entry {member.name!r} is a hard link to the root directory")
        source_parent = self._existing_parent(target[:-1], member)
        try:
            os.link(
                target[-1],
                name,
                src_dir_fd=source_parent,
                dst_dir_fd=parent_fd,
                follow_symlinks=False,
            )
        except FileNotFoundError as exc:
            raise LayerError(
                f"layer entry {member.name!r} is a hard link to {member.linkname!r}, "
                "which is not in this layer"
            ) from exc
        finally:
            os.close(source_parent)

    def _existing_parent(self, parents: list[str], member: tarfile.TarInfo) -> int:
        try:
            return self._open_dir(parents)
        except SyscallError as exc:
            raise LayerError(
                f"layer entry {member.name!r} is a hard link to {member.linkname!r}, "
                "which is not in this layer"
            ) from exc

    def _special(self, parent_fd: int, name: str, member: tarfile.TarInfo) -> None:
        if member.isfifo():
            os.mkfifo(name, 0o600, dir_fd=parent_fd)
        else:
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
            os.mknod(
                name, kind | 0o600, os.makedev(member.devmajor, member.devminor), dir_fd=parent_fd
            )
        os.chown(name, member.uid, member.gid, dir_fd=parent_fd, follow_symlinks=False)
        os.chmod(name, member.mode & 0o7777, dir_fd=parent_fd)
        path = f"/proc/self/fd/{parent_fd}/{name}"
        for key, value in _xattrs(member):
            _set_xattr(path, key, value)
        mtime = _mtime_ns(member)
        os.utime(name, ns=(mtime, mtime), dir_fd=parent_fd, follow_symlinks=False)

    def _set_link_metadata(self, parent_fd: int, name: str, member: tarfile.TarInfo) -> None:
        os.chown(name, member.uid, member.gid, dir_fd=parent_fd, follow_symlinks=False)
        mtime = _mtime_ns(member)
        os.utime(name, ns=(mtime, mtime), dir_fd=parent_fd, follow_symlinks=False)

    def _set_metadata_fd(self, fd: int, member: tarfile.TarInfo, times: bool = True) -> None:
        # chown first: it clears setuid/setgid bits and file capabilities.
        os.fchown(fd, member.uid, member.gid)
        os.fchmod(fd, member.mode & 0o7777)
        for key, value in _xattrs(member):
            _set_xattr(fd, key, value)
        if times:
            mtime = _mtime_ns(member)
            os.utime(fd, ns=(mtime, mtime))


def _remove_entry(parent_fd: int, name: str) -> None:
    """Remove `name` under `parent_fd`, a whole tree if it is a directory (no symlink followed)."""
    try:
        existing = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(existing.st_mode):
        shutil.rmtree(name, dir_fd=parent_fd)
    else:
        os.unlink(name, dir_fd=parent_fd)


def _set_xattr(target: int | str, key: str, value: bytes) -> None:
    """Set an xattr from the layer; one the filesystem or kernel refuses is skipped, as Docker does."""
    try:
        if isinstance(target, int):
            os.setxattr(target, key, value)
        else:
            os.setxattr(target, key, value, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.ENOTSUP, errno.EPERM, errno.EINVAL):
            raise


def _xattrs(member: tarfile.TarInfo) -> list[tuple[str, bytes]]:
    found = []
    for key, value in member.pax_headers.items():
        if not key.startswith("SCHILY.xattr."):
            continue
        attribute = key[len("SCHILY.xattr.") :]
        if attribute.startswith(FORBIDDEN_XATTR_PREFIX):
            continue
        found.append((attribute, value.encode("utf-8", "surrogateescape")))
    return found


def _check_header(member: tarfile.TarInfo) -> None:
    """Refuse names and numbers the kernel cannot take (they would fail deep in a syscall)."""
    if "\0" in member.name or "\0" in member.linkname:
        raise LayerError(f"layer entry {member.name!r} has a NUL character in its name or link")
    if member.issparse():
        raise LayerError(f"layer entry {member.name!r} is a sparse file, which is not supported")
    for what, value in (("owner", member.uid), ("group", member.gid)):
        if not 0 <= value <= _MAX_ID:
            raise LayerError(f"layer entry {member.name!r} has an invalid {what} id {value}")
    if (member.ischr() or member.isblk()) and not (
        0 <= member.devmajor < 1 << 12 and 0 <= member.devminor < 1 << 20
    ):
        raise LayerError(
            f"layer entry {member.name!r} has an invalid device number "
            f"{member.devmajor}:{member.devminor}"
        )
    mtime = float(member.mtime)
    if not (math.isfinite(mtime) and abs(mtime) * 1_000_000_000 < _MAX_MTIME_NS):
        raise LayerError(f"layer entry {member.name!r} has an invalid time {member.mtime}")


def _mtime_ns(member: tarfile.TarInfo) -> int:
    return int(float(member.mtime) * 1_000_000_000)
