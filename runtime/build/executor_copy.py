"""COPY, ADD and WORKDIR applied to a mounted state: files written confined to its root.

Destinations are resolved inside the root being built (`resolve_in_root`),
one directory at a time, so a symlink in the image can redirect a copy only
within the image, never to the host; the final component of what is written
is never followed. As BuildKit does: a directory source copies its contents;
files keep their mode and mtime; context files become root-owned, files
from another stage or image keep their owner; `--chown` / `--chmod` replace
them; missing parent directories are made 0755 (owned as `--chown` says);
hard links inside one copy stay hard links.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from runtime.build.archives import is_archive, unpack
from runtime.build.errors import BuildError
from runtime.build.file_modes import ModeChange, Owner
from runtime.build.source_trees import Selected, SourceTree, host_path, walk
from runtime.linux.securepath import resolve_in_root

_COPY_CHUNK = 1 << 30


@dataclass
class CopyTarget:
    """Where a copy writes and how: the root, the owner and mode rules."""

    root: Path
    owner: Owner | None = None
    mode: ModeChange | None = None
    keep_owner: bool = False
    _links: dict[tuple[int, int], Path] = field(default_factory=dict)

    def resolve(self, container_path: str) -> Path:
        """The host path of `container_path` in the root (parents' symlinks followed inside)."""
        return resolve_in_root(self.root, container_path)

    def make_dirs(self, container_path: str) -> Path:
        """Create `container_path` and missing parents (0755, `owner`); return its host path."""
        parts = [p for p in container_path.split("/") if p not in ("", ".")]
        current = ""
        host = self.root
        for part in parts:
            current = f"{current}/{part}"
            host = self.resolve(current)
            try:
                status = os.lstat(host)
            except FileNotFoundError:
                os.mkdir(host, 0o755)
                os.chmod(host, 0o755)
                if self.owner is not None:
                    os.lchown(host, self.owner.uid, self.owner.gid)
                continue
            if not stat.S_ISDIR(status.st_mode):
                raise BuildError(f"cannot copy to {current}: it is not a directory")
        return host

    def is_dir(self, container_path: str) -> bool:
        """Whether `container_path` is a directory in the root (symlinks followed inside)."""
        try:
            return stat.S_ISDIR(os.lstat(self.resolve(container_path)).st_mode)
        except FileNotFoundError:
            return False

    def ownership(self, status: os.stat_result) -> tuple[int, int]:
        if self.owner is not None:
            return self.owner.uid, self.owner.gid
        if self.keep_owner:
            return status.st_uid, status.st_gid
        return 0, 0

    def permissions(self, status: os.stat_result) -> int:
        if self.mode is None:
            return stat.S_IMODE(status.st_mode)
        return self.mode.apply(status.st_mode, stat.S_ISDIR(status.st_mode))


def _clear(destination: Path, replacing_dir: bool) -> None:
    try:
        status = os.lstat(destination)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(status.st_mode):
        if replacing_dir:
            return
        raise BuildError(f"cannot replace directory {destination.name} with a file")
    os.unlink(destination)


def _copy_content(source: Path, destination: Path, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    out = os.open(destination, flags, 0o600)
    try:
        with open(source, "rb") as handle:
            inp = handle.fileno()
            while True:
                try:
                    copied = os.copy_file_range(inp, out, _COPY_CHUNK)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP):
                        raise
                    copied = os.sendfile(out, inp, None, _COPY_CHUNK)
                if copied == 0:
                    break
        os.fchmod(out, mode)
    finally:
        os.close(out)


def _set_metadata(path: Path, owner: tuple[int, int], mode: int | None, mtime: float) -> None:
    os.lchown(path, *owner)
    if mode is not None:
        os.chmod(path, mode)
    os.utime(path, (mtime, mtime), follow_symlinks=False)


def copy_entry(
    tree: SourceTree, path: str, status: os.stat_result, destination: Path, target: CopyTarget
) -> None:
    """Copy one entry (not what is below a directory) to the host path `destination`."""
    mode = status.st_mode
    owner = target.ownership(status)
    permissions = target.permissions(status)
    if stat.S_ISDIR(mode):
        _clear(destination, replacing_dir=True)
        if not destination.is_dir():
            os.mkdir(destination, 0o700)
        _set_metadata(destination, owner, permissions, status.st_mtime)
        return
    _clear(destination, replacing_dir=False)
    source = host_path(tree, path)
    key = (status.st_dev, status.st_ino)
    if stat.S_ISREG(mode) and status.st_nlink > 1 and key in target._links:
        os.link(target._links[key], destination, follow_symlinks=False)
        return
    if stat.S_ISREG(mode):
        _copy_content(source, destination, permissions)
    elif stat.S_ISLNK(mode):
        os.symlink(os.readlink(source), destination)
        os.lchown(destination, *owner)
        os.utime(destination, (status.st_mtime, status.st_mtime), follow_symlinks=False)
        return
    elif stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        os.mknod(destination, stat.S_IFMT(mode) | 0o600, status.st_rdev)
    else:
        return  # sockets are not copied
    _set_metadata(destination, owner, permissions, status.st_mtime)
    if stat.S_ISREG(mode) and status.st_nlink > 1:
        target._links[key] = destination


def copy_tree(tree: SourceTree, path: str, container_dir: str, target: CopyTarget) -> None:
    """Copy what is below directory `path` into `container_dir` (made if missing)."""
    target.make_dirs(container_dir)
    directories: list[tuple[Path, float]] = []
    base = path + "/" if path else ""
    for child, status in walk(tree, path):
        relative = child[len(base) :]
        if stat.S_ISDIR(status.st_mode):
            # A directory merges into what the image has there, symlinks followed inside.
            destination = target.resolve(f"{container_dir}/{relative}")
            directories.append((destination, status.st_mtime))
        else:
            parent, _, name = relative.rpartition("/")
            destination = target.resolve(f"{container_dir}/{parent}") / name
        copy_entry(tree, child, status, destination, target)
    for directory, mtime in reversed(directories):
        os.utime(directory, (mtime, mtime), follow_symlinks=False)


def copy_selection(
    tree: SourceTree,
    selected: list[Selected],
    destination: str,
    target: CopyTarget,
    *,
    many: bool,
    unpack_archives: bool = False,
) -> None:
    """Copy the matches of one or more sources to `destination` (a container path).

    `many`: several sources or matches, so the destination is a directory.
    """
    as_dir = destination.endswith(("/", "/.")) or many or target.is_dir(destination)
    for item in selected:
        if item.is_dir:
            copy_tree(tree, item.path, destination, target)
            continue
        source = host_path(tree, item.path)
        if unpack_archives and stat.S_ISREG(item.status.st_mode) and is_archive(source):
            unpack(source, target.make_dirs(destination))
            continue
        if as_dir:
            directory = target.make_dirs(destination)
            file_path = directory / item.name
        else:
            parent, _, name = destination.rstrip("/").rpartition("/")
            file_path = target.make_dirs(parent or "/") / name
        copy_entry(tree, item.path, item.status, file_path, target)


def write_file(target: CopyTarget, container_path: str, data: bytes, mode: int) -> None:
    """Create a file (a COPY here-document) with `data` at `container_path`."""
    parent, _, name = container_path.rstrip("/").rpartition("/")
    destination = target.make_dirs(parent or "/") / name
    _clear(destination, replacing_dir=False)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(destination, flags, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    owner = target.owner or Owner(0, 0)
    now = time.time()
    _set_metadata(destination, (owner.uid, owner.gid), None, now)
