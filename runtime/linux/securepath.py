"""Path resolution confined to a root directory, for image content the engine does not trust.

A layer, an image or a container may hold symlinks that point anywhere. Every
path the engine opens, creates or mounts on *inside* such a tree is resolved
here, as if the tree were `/`: absolute symlinks restart at the tree's root and
`..` never climbs above it. `openat2(RESOLVE_IN_ROOT)` does this in the kernel
(Linux 5.6+); the component-by-component walk is the fallback and also serves
callers that need a path rather than a descriptor (mount targets).
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from pathlib import Path

from runtime.errors import SyscallError
from runtime.linux.syscalls import _libc

SYS_OPENAT2 = 437  # the same number on x86_64 and aarch64
RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10
MAX_SYMLINKS = 255


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


_openat2_missing = False


def openat2(dirfd: int, path: str, flags: int, mode: int = 0, resolve: int = 0) -> int:
    """openat2(2); raises SyscallError (ENOSYS on kernels before 5.6)."""
    # O_TMPFILE contains O_DIRECTORY's bit: only the whole flag (or O_CREAT) takes a mode.
    takes_mode = flags & os.O_CREAT or flags & os.O_TMPFILE == os.O_TMPFILE
    how = _OpenHow(flags | os.O_CLOEXEC, mode if takes_mode else 0, resolve)
    result = _libc.syscall(
        SYS_OPENAT2, ctypes.c_int(dirfd), os.fsencode(path), ctypes.byref(how), ctypes.sizeof(how)
    )
    if result < 0:
        raise SyscallError("openat2", ctypes.get_errno(), path)
    return int(result)


def open_in_root(root_fd: int, path: str, flags: int, mode: int = 0o644) -> int:
    """Open `path` (absolute or relative) as seen from the tree `root_fd`, never outside it."""
    global _openat2_missing
    relative = path.lstrip("/") or "."
    if not _openat2_missing:
        try:
            return openat2(root_fd, relative, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
        except SyscallError as exc:
            if exc.errno != errno.ENOSYS:
                raise
            _openat2_missing = True
    root_path = os.readlink(f"/proc/self/fd/{root_fd}")
    resolved = resolve_in_root(root_path, path)
    try:
        return os.open(resolved, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        raise SyscallError("open", exc.errno or errno.EIO, str(resolved)) from exc


def resolve_in_root(root: str | os.PathLike[str], path: str) -> Path:
    """The host path that `path` names inside the tree `root`, symlinks followed within it.

    Components that do not exist yet are kept as they are (so the result can be
    created); `..` and absolute symlink targets are clamped to `root`.
    """
    root_path = Path(os.path.abspath(root))
    pending = [part for part in path.split("/") if part not in ("", ".")]
    pending.reverse()
    resolved: list[str] = []
    links = 0
    while pending:
        part = pending.pop()
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root_path.joinpath(*resolved, part)
        try:
            info = os.lstat(candidate)
        except FileNotFoundError:
            resolved.append(part)
            continue
        except NotADirectoryError:
            resolved.append(part)
            continue
        if stat.S_ISLNK(info.st_mode):
            links += 1
            if links > MAX_SYMLINKS:
                raise SyscallError("resolve", errno.ELOOP, path)
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            extra = [p for p in target.split("/") if p not in ("", ".")]
            pending.extend(reversed(extra))
            continue
        resolved.append(part)
    return root_path.joinpath(*resolved)


def makedirs_at(root_fd: int, path: str, mode: int = 0o755) -> None:
    """Create `path` and missing parents in the tree `root_fd` (openat2 needed, Linux 5.6+).

    mkdirat level by level, each parent opened confined (RESOLVE_IN_ROOT) first.
    """
    _makedirs_at(root_fd, [p for p in path.split("/") if p not in ("", ".")], mode)


def _makedirs_at(root_fd: int, parts: list[str], mode: int) -> None:
    done = ""
    for part in parts:
        current = f"{done}/{part}" if done else part
        try:
            os.close(openat2(root_fd, current, os.O_PATH | os.O_DIRECTORY, 0, _CONFINED))
        except SyscallError as exc:
            if exc.errno != errno.ENOENT:
                raise
            parent = openat2(root_fd, done or ".", os.O_PATH | os.O_DIRECTORY, 0, _CONFINED)
            try:
                os.mkdir(part, mode, dir_fd=parent)
            except FileExistsError:
                # a dangling symlink: the path-walking resolver follows it (confined)
                raise SyscallError("mkdir", errno.EEXIST, current) from None
            except OSError as err:
                raise SyscallError("mkdir", err.errno or errno.EIO, current) from None
            finally:
                os.close(parent)
        done = current


_CONFINED = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS


def makedirs_in_root(root: str | os.PathLike[str], path: str, mode: int = 0o755) -> Path:
    """Create `path` and its missing parents inside `root`; return the host path.

    Each level is resolved again after it is made, so a symlink planted in
    between still cannot lead outside the tree.
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not _openat2_missing and ".." not in parts:
        root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            _makedirs_at(root_fd, parts, mode)
            return resolve_in_root(root, path)
        except SyscallError as exc:
            if exc.errno not in (errno.ENOSYS, errno.EEXIST):
                raise
        finally:
            os.close(root_fd)
    root_path = Path(os.path.abspath(root))
    current = "/"
    for part in [p for p in path.split("/") if p not in ("", ".")]:
        current = os.path.join(current, part)
        host = resolve_in_root(root_path, current)
        if not host.exists():
            # A symlink may have led to a place whose parents are missing too: make
            # them, again confined (the resolved path has no symlinks left to follow).
            parent = host.parent
            if parent != root_path and not parent.exists():
                makedirs_in_root(root_path, "/" + str(parent.relative_to(root_path)), mode)
            try:
                os.mkdir(host, mode)
            except FileExistsError:
                pass
            except OSError as exc:
                raise SyscallError("mkdir", exc.errno or errno.EIO, str(host)) from exc
        elif not host.is_dir():
            raise SyscallError("mkdir", errno.ENOTDIR, str(host))
    return resolve_in_root(root_path, path)
