"""Mounts inside a container's root: OCI mount options, confined targets, pivot_root.

Every target is resolved inside the new root (securepath) and opened with
O_PATH before the mount; the mount is made on /proc/self/fd/N of that
descriptor, so a symlink planted in an image, or swapped in after the check,
cannot send a mount to the host.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import SyscallError
from runtime.linux import syscalls
from runtime.linux.securepath import makedirs_at, makedirs_in_root, open_in_root

# option -> (flags to clear, flags to set)
_FLAG_OPTIONS: dict[str, tuple[int, int]] = {
    "defaults": (0, 0),
    "ro": (0, syscalls.MS_RDONLY),
    "rw": (syscalls.MS_RDONLY, 0),
    "suid": (syscalls.MS_NOSUID, 0),
    "nosuid": (0, syscalls.MS_NOSUID),
    "dev": (syscalls.MS_NODEV, 0),
    "nodev": (0, syscalls.MS_NODEV),
    "exec": (syscalls.MS_NOEXEC, 0),
    "noexec": (0, syscalls.MS_NOEXEC),
    "sync": (0, syscalls.MS_SYNCHRONOUS),
    "async": (syscalls.MS_SYNCHRONOUS, 0),
    "dirsync": (0, syscalls.MS_DIRSYNC),
    "remount": (0, syscalls.MS_REMOUNT),
    "mand": (0, syscalls.MS_MANDLOCK),
    "nomand": (syscalls.MS_MANDLOCK, 0),
    "atime": (syscalls.MS_NOATIME, 0),
    "noatime": (0, syscalls.MS_NOATIME),
    "diratime": (syscalls.MS_NODIRATIME, 0),
    "nodiratime": (0, syscalls.MS_NODIRATIME),
    "bind": (0, syscalls.MS_BIND),
    "rbind": (0, syscalls.MS_BIND | syscalls.MS_REC),
    "relatime": (0, syscalls.MS_RELATIME),
    "norelatime": (syscalls.MS_RELATIME, 0),
    "strictatime": (0, syscalls.MS_STRICTATIME),
    "nostrictatime": (syscalls.MS_STRICTATIME, 0),
    "nosymfollow": (0, syscalls.MS_NOSYMFOLLOW),
}
PROPAGATION_OPTIONS = {
    "private": syscalls.MS_PRIVATE,
    "rprivate": syscalls.MS_PRIVATE | syscalls.MS_REC,
    "shared": syscalls.MS_SHARED,
    "rshared": syscalls.MS_SHARED | syscalls.MS_REC,
    "slave": syscalls.MS_SLAVE,
    "rslave": syscalls.MS_SLAVE | syscalls.MS_REC,
    "unbindable": syscalls.MS_UNBINDABLE,
    "runbindable": syscalls.MS_UNBINDABLE | syscalls.MS_REC,
}
# statvfs f_flag bits -> mount flags, to keep a mount's flags when remounting it
_STATVFS_FLAGS = {
    1: syscalls.MS_RDONLY,
    2: syscalls.MS_NOSUID,
    4: syscalls.MS_NODEV,
    8: syscalls.MS_NOEXEC,
    1024: syscalls.MS_NOATIME,
    2048: syscalls.MS_NODIRATIME,
    4096: syscalls.MS_RELATIME,
}


@dataclass(frozen=True)
class MountOptions:
    """OCI mount options split into mount flags, propagation changes and fs data."""

    flags: int
    propagation: tuple[int, ...]
    data: str

    @property
    def is_bind(self) -> bool:
        return bool(self.flags & syscalls.MS_BIND)


def parse_options(options: list[str]) -> MountOptions:
    """Split OCI `options` the way runc does; unknown options are filesystem data."""
    flags = 0
    propagation: list[int] = []
    data: list[str] = []
    for option in options:
        if option in _FLAG_OPTIONS:
            clear, set_ = _FLAG_OPTIONS[option]
            flags = (flags & ~clear) | set_
        elif option in PROPAGATION_OPTIONS:
            propagation.append(PROPAGATION_OPTIONS[option])
        elif option in ("tmpcopyup", "idmap", "ridmap"):
            continue
        else:
            data.append(option)
    return MountOptions(flags, tuple(propagation), ",".join(data))


def open_target(root: Path, destination: str, directory: bool) -> int:
    """Create `destination` inside `root` if missing and return an O_PATH descriptor of it."""
    root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            # Most targets exist already (the init layer has them): one confined open.
            return open_in_root(root_fd, destination, os.O_PATH)
        except SyscallError as exc:
            if exc.errno != errno.ENOENT:
                raise
        parent = destination if directory else os.path.dirname(destination.rstrip("/")) or "/"
        try:
            makedirs_at(root_fd, parent)
        except SyscallError as exc:
            if exc.errno not in (errno.ENOSYS, errno.EEXIST):
                raise
            makedirs_in_root(root, parent)
        if not directory:
            try:
                os.close(open_in_root(root_fd, destination, os.O_WRONLY | os.O_CREAT, 0o644))
            except SyscallError as exc:
                if exc.errno not in (errno.EISDIR, errno.EACCES, errno.ETXTBSY, errno.ENXIO):
                    raise
        elif not _exists(root_fd, destination):
            # the target itself is a dangling symlink: create what it points to, confined
            makedirs_in_root(root, destination)
        return open_in_root(root_fd, destination, os.O_PATH)
    finally:
        os.close(root_fd)


def _exists(root_fd: int, path: str) -> bool:
    try:
        os.close(open_in_root(root_fd, path, os.O_PATH))
    except SyscallError:
        return False
    return True


def fd_path(fd: int) -> str:
    """The magic-link path of a descriptor, usable as a mount target or source."""
    return f"/proc/self/fd/{fd}"


def current_flags(path: str) -> int:
    """The mount flags the mount at `path` has now (from statvfs)."""
    value = os.statvfs(path).f_flag
    return sum(flag for bit, flag in _STATVFS_FLAGS.items() if value & bit)


def remount_readonly(path: str, recursive: bool = False) -> None:
    """Make the mount at `path` read-only, keeping its nosuid/nodev/noexec flags."""
    flags = current_flags(path) | syscalls.MS_RDONLY
    syscalls.mount(None, path, None, syscalls.MS_BIND | syscalls.MS_REMOUNT | flags)


def mount_in_root(
    root: Path, destination: str, source: str | None, fstype: str | None, opts: MountOptions
) -> None:
    """Mount at `destination` inside `root`, then apply flags and propagation as runc does."""
    directory = is_directory_source(source, fstype, opts)
    flags = opts.flags & ~syscalls.MS_REMOUNT
    fd = open_target(root, destination, directory)
    try:
        if opts.is_bind:
            syscalls.mount(source, fd_path(fd), None, flags & (syscalls.MS_BIND | syscalls.MS_REC))
        else:
            syscalls.mount(source, fd_path(fd), fstype, flags, opts.data or None)
    finally:
        os.close(fd)
    extra = flags & ~(syscalls.MS_BIND | syscalls.MS_REC)
    if not (opts.is_bind and extra) and not opts.propagation:
        return
    # The first descriptor names the covered directory; reopen to reach the new mount.
    fd = open_target(root, destination, directory)
    try:
        if opts.is_bind and extra:
            # A bind mount takes its flags only from a remount of the new mount.
            syscalls.mount(None, fd_path(fd), None, syscalls.MS_BIND | syscalls.MS_REMOUNT | extra)
        for change in opts.propagation:
            syscalls.mount(None, fd_path(fd), None, change)
    finally:
        os.close(fd)


def is_directory_source(source: str | None, fstype: str | None, opts: MountOptions) -> bool:
    """Whether a mount needs a directory target (every non-bind mount and directory binds)."""
    if not opts.is_bind or source is None:
        return True
    try:
        return stat.S_ISDIR(os.stat(source).st_mode)
    except OSError:
        return True


def mask_path(path: str) -> None:
    """Hide `path`: /dev/null over a file, an empty read-only tmpfs over a directory."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    if stat.S_ISDIR(info.st_mode):
        syscalls.mount("tmpfs", path, "tmpfs", syscalls.MS_RDONLY, "size=0k")
    else:
        syscalls.mount("/dev/null", path, None, syscalls.MS_BIND)
        # read-only as crun makes it (runc leaves it writable): writes fail instead of vanishing
        syscalls.mount(
            None, path, None, syscalls.MS_BIND | syscalls.MS_REMOUNT | syscalls.MS_RDONLY
        )


def make_readonly_path(path: str) -> None:
    """Bind `path` onto itself and make that mount read-only (Docker's readonlyPaths)."""
    try:
        syscalls.mount(path, path, None, syscalls.MS_BIND | syscalls.MS_REC)
    except SyscallError as exc:
        if exc.errno == errno.ENOENT:
            return
        raise
    remount_readonly(path)


def pivot_into(new_root: str) -> None:
    """pivot_root into `new_root` and detach the old root, leaving no host mount reachable.

    The `pivot_root(".", ".")` form stacks the old root on top of the new one,
    so no directory for it is needed inside the container.
    """
    old_root = os.open("/", os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    new_root_fd = os.open(new_root, os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fchdir(new_root_fd)
        syscalls.pivot_root(".", ".")
        os.fchdir(old_root)
        # Make sure unmounting the old root does not propagate to the host.
        syscalls.mount(None, ".", None, syscalls.MS_SLAVE | syscalls.MS_REC)
        syscalls.umount(".", syscalls.MNT_DETACH)
        os.chdir("/")
    finally:
        os.close(old_root)
        os.close(new_root_fd)
