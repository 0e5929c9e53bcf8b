"""`cp` between the host and a container, safe against the container's own symlinks.

The container's tree is untrusted: a symlink in it may point at `/etc` of the
host. Paths inside it are resolved with openat2(RESOLVE_IN_ROOT) from a
descriptor of its root (runtime/linux/securepath), so `..` and absolute link
targets stay inside; below that, every step is a single name opened relative
to its directory's descriptor with O_NOFOLLOW, so nothing is ever followed out.

A running container is reached through /proc/<pid>/root (its view, volumes
included); a stopped one through its rootfs, mounted for the copy, with paths
under a volume or bind mount redirected to the mount's source.

Out: to a host path (into it if it is a directory, Docker's rule) or as a tar
stream. In: a host path or a tar stream, created as root (uid 0) like Docker.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from runtime.containers import rootfs
from runtime.containers.errors import ContainerError
from runtime.containers.paths import ContainerPaths
from runtime.errors import SyscallError
from runtime.linux.securepath import open_in_root

if TYPE_CHECKING:
    from runtime.containers.manager import Containers
    from runtime.containers.model import Container

CHUNK = 1024 * 1024


@contextmanager
def _root_of(manager: Containers, container: Container, path: str) -> Iterator[tuple[int, str]]:
    """A descriptor of the tree holding `path`, and the path within that tree."""
    path = posixpath.normpath("/" + path.lstrip("/"))
    if container.state.status in ("running", "paused") and container.state.pid:
        fd = os.open(f"/proc/{container.state.pid}/root", os.O_PATH | os.O_DIRECTORY)
        try:
            yield fd, path
        finally:
            os.close(fd)
        return
    for mount in sorted(
        container.resolved.get("mounts") or [], key=lambda m: -len(m["destination"])
    ):
        destination = posixpath.normpath(mount["destination"])
        if mount.get("type") != "tmpfs" and (
            path == destination or path.startswith(destination + "/")
        ):
            fd = os.open(mount["source"], os.O_PATH | os.O_DIRECTORY)
            try:
                yield fd, path[len(destination) :] or "/"
            finally:
                os.close(fd)
            return
    paths = ContainerPaths(manager.store.layout, container.id)
    with manager.registry.lock(container.id):
        mounted_here = not rootfs.is_mounted(paths.rootfs.merged)
        if mounted_here:
            rootfs.mount_rootfs(paths.rootfs, manager.images.lower_dirs(container.image_id))
        try:
            fd = os.open(paths.rootfs.merged, os.O_PATH | os.O_DIRECTORY)
            try:
                yield fd, path
            finally:
                os.close(fd)
        finally:
            if mounted_here:
                rootfs.unmount_rootfs(paths.rootfs)


def _open(root: int, path: str, flags: int) -> int:
    try:
        return open_in_root(root, path, flags)
    except SyscallError as exc:
        if exc.errno == errno.ENOENT:
            raise ContainerError(f"Could not find the file {path} in container") from None
        raise ContainerError(f"cannot open {path} in the container: {exc}") from None


def _reopen(fd: int, flags: int) -> int:
    return os.open(f"/proc/self/fd/{fd}", flags | os.O_CLOEXEC)


# -- out of the container ------------------------------------------------------------------


def _entries(fd: int, name: str, info: os.stat_result) -> Iterator[tuple[str, os.stat_result, int]]:
    """(relative name, stat, descriptor to read) for `fd` and below; symlinks never followed."""
    yield name, info, fd
    if not stat.S_ISDIR(info.st_mode):
        return
    directory = _reopen(fd, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for child in sorted(os.listdir(directory)):
            child_info = os.stat(child, dir_fd=directory, follow_symlinks=False)
            flags = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
            child_fd = os.open(child, flags, dir_fd=directory)
            try:
                yield from _entries(child_fd, f"{name}/{child}", child_info)
            finally:
                os.close(child_fd)
    finally:
        os.close(directory)


def _tar_info(name: str, info: os.stat_result, fd: int) -> tarfile.TarInfo:
    entry = tarfile.TarInfo(name)
    entry.mode = stat.S_IMODE(info.st_mode)
    entry.uid, entry.gid = info.st_uid, info.st_gid
    entry.mtime = int(info.st_mtime)
    if stat.S_ISDIR(info.st_mode):
        entry.type = tarfile.DIRTYPE
    elif stat.S_ISLNK(info.st_mode):
        entry.type = tarfile.SYMTYPE
        entry.linkname = _link_target(fd)
    elif stat.S_ISREG(info.st_mode):
        entry.size = info.st_size
    else:
        entry.type = tarfile.FIFOTYPE if stat.S_ISFIFO(info.st_mode) else tarfile.CHRTYPE
    return entry


def _link_target(fd: int) -> str:
    # readlink of an O_PATH|O_NOFOLLOW descriptor with an empty name reads the link itself.
    return os.readlink("", dir_fd=fd)


def copy_from_container(
    manager: Containers,
    key: str,
    path: str,
    destination: Path | IO[bytes],
    follow_link: bool,
) -> None:
    """Copy `path` out (see the module docstring)."""
    container = manager.get(key)
    with _root_of(manager, container, path) as (root, inner):
        flags = os.O_PATH | (0 if follow_link else os.O_NOFOLLOW)
        fd = _open(root, inner, flags)
        try:
            info = os.fstat(fd)
            base = posixpath.basename(inner.rstrip("/")) or "."
            if isinstance(destination, Path):
                _to_host(fd, info, base, destination)
            else:
                _to_tar(fd, info, base, destination)
        finally:
            os.close(fd)


def _to_tar(fd: int, info: os.stat_result, base: str, stream: IO[bytes]) -> None:
    with tarfile.open(fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for name, entry_info, entry_fd in _entries(fd, base, info):
            entry = _tar_info(name, entry_info, entry_fd)
            if entry.isreg():
                with os.fdopen(_reopen(entry_fd, os.O_RDONLY), "rb") as data:
                    archive.addfile(entry, data)
            elif entry.isdir() or entry.issym():
                archive.addfile(entry)


def _to_host(fd: int, info: os.stat_result, base: str, destination: Path) -> None:
    target = destination / base if destination.is_dir() else destination
    if not target.parent.is_dir():
        raise ContainerError(f"destination directory {target.parent} does not exist")
    prefix = len(base)
    for name, entry_info, entry_fd in _entries(fd, base, info):
        path = Path(str(target) + name[prefix:])
        mode = entry_info.st_mode
        if stat.S_ISDIR(mode):
            path.mkdir(exist_ok=True)
        elif stat.S_ISLNK(mode):
            if path.is_symlink() or path.exists():
                path.unlink()
            path.symlink_to(_link_target(entry_fd))
            continue
        elif stat.S_ISREG(mode):
            if path.is_symlink():
                path.unlink()
            with os.fdopen(_reopen(entry_fd, os.O_RDONLY), "rb") as source, open(path, "wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
        else:
            continue
        os.chmod(path, stat.S_IMODE(mode))
        os.utime(path, ns=(entry_info.st_atime_ns, entry_info.st_mtime_ns))


# -- into the container --------------------------------------------------------------------


def _enter_dir(parent: int, name: str) -> int:
    """The directory `name` under `parent` (made if missing; a symlink there is replaced)."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(name, flags, dir_fd=parent)
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        os.unlink(name, dir_fd=parent)
    os.mkdir(name, 0o755, dir_fd=parent)
    return os.open(name, flags, dir_fd=parent)


def _write_file(parent: int, name: str, data: IO[bytes], mode: int) -> None:
    try:
        os.unlink(name, dir_fd=parent)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise ContainerError(f"cannot overwrite directory {name} with a file") from None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, mode, dir_fd=parent)
    with os.fdopen(fd, "wb") as out:
        while chunk := data.read(CHUNK):
            out.write(chunk)
        os.fchmod(out.fileno(), mode)
        os.fchown(out.fileno(), 0, 0)


def _place(
    parent: int, parts: list[str], member: tarfile.TarInfo, archive: tarfile.TarFile
) -> None:
    """Create one tar member below `parent`, each step a single name without following links."""
    fds = []
    current = parent
    try:
        for part in parts[:-1]:
            current = _enter_dir(current, part)
            fds.append(current)
        name = parts[-1]
        if member.isdir():
            fd = _enter_dir(current, name)
            os.fchmod(fd, member.mode & 0o7777)
            os.fchown(fd, 0, 0)
            os.close(fd)
        elif member.issym():
            try:
                os.unlink(name, dir_fd=current)
            except FileNotFoundError:
                pass
            os.symlink(member.linkname, name, dir_fd=current)
        elif member.isreg():
            data = archive.extractfile(member)
            assert data is not None
            _write_file(current, name, data, member.mode & 0o7777)
    finally:
        for fd in fds:
            os.close(fd)


def _members(archive: tarfile.TarFile) -> Iterator[tuple[list[str], tarfile.TarInfo]]:
    for member in archive:
        parts = [p for p in member.name.split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            continue
        yield parts, member


def copy_to_container(manager: Containers, key: str, source: Path | IO[bytes], path: str) -> None:
    """Copy a host path or a tar stream in (see the module docstring)."""
    container = manager.get(key)
    with _root_of(manager, container, path) as (root, inner):
        target_dir, rename = _target(root, inner, source)
        try:
            if isinstance(source, Path):
                if not source.exists() and not source.is_symlink():
                    raise ContainerError(f"no such file or directory: {source}")
                stream = _host_tar(source, rename)
                with tarfile.open(fileobj=stream, mode="r|") as archive:
                    for parts, member in _members(archive):
                        _place(target_dir, parts, member, archive)
            else:
                with tarfile.open(fileobj=source, mode="r|*") as archive:
                    for parts, member in _members(archive):
                        _place(target_dir, parts, member, archive)
        finally:
            os.close(target_dir)


def _target(root: int, inner: str, source: Path | IO[bytes]) -> tuple[int, str | None]:
    """The directory to create entries in, and the name the copied path takes there."""
    flags = os.O_RDONLY | os.O_DIRECTORY
    try:
        return open_in_root(root, inner, flags), None
    except SyscallError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            raise ContainerError(f"cannot open {inner} in the container: {exc}") from None
    if not isinstance(source, Path):
        raise ContainerError(f"destination {inner} must be an existing directory")
    parent = posixpath.dirname(inner.rstrip("/")) or "/"
    try:
        return open_in_root(root, parent, flags), posixpath.basename(inner.rstrip("/"))
    except SyscallError:
        raise ContainerError(f"destination directory {parent} does not exist") from None


def _host_tar(source: Path, rename: str | None) -> IO[bytes]:
    import tempfile

    spool = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, read by the caller
    with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as archive:
        archive.add(str(source), arcname=rename or source.name or ".")
    spool.seek(0)
    return spool
