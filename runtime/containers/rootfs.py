"""A container's root filesystem: image snapshots + an init layer + a writable upper, one overlay.

    lower (read-only): init layer, then the image's snapshots from top to bottom
    upper (writable):  the container's own changes (what `commit` takes)

The init layer holds the mount points the runtime binds over
(/etc/hosts, /etc/hostname, /etc/resolv.conf, /dev, /proc, /sys, ...), so the
real files live in the container's directory, owned by the engine, and never
end up in the upper dir. Any number of layers mounts: the overlay is set up
through the new mount API, one `lowerdir+` per layer (Linux 6.8+), with no
limit on the length of all paths together; on older kernels the legacy
option string is used, through short relative names when it would pass the
one-page limit.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import EngineError, SyscallError
from runtime.linux import syscalls

PAGE_LIMIT = 4096 - 64  # the mount data page, less room for the other options
INIT_FILES = ("etc/hosts", "etc/hostname", "etc/resolv.conf")
INIT_DIRS = ("dev/pts", "dev/shm", "proc", "sys", "etc")


class RootfsError(EngineError):
    """A container's root filesystem cannot be prepared, mounted or removed."""


@dataclass(frozen=True)
class RootfsDirs:
    """The directories of one container's rootfs under its container directory."""

    base: Path

    @property
    def init(self) -> Path:
        return self.base / "init"

    @property
    def upper(self) -> Path:
        return self.base / "upper"

    @property
    def work(self) -> Path:
        return self.base / "work"

    @property
    def merged(self) -> Path:
        return self.base / "rootfs"

    @property
    def links(self) -> Path:
        return self.base / "l"


def make_init_layer(directory: Path) -> None:
    """The runtime-owned layer: empty mount points for the files and filesystems bound in."""
    for name in INIT_DIRS:
        (directory / name).mkdir(parents=True, exist_ok=True)
    for name in INIT_FILES:
        (directory / name).touch()
    mtab = directory / "etc/mtab"
    if not mtab.is_symlink():
        mtab.symlink_to("/proc/mounts")


def prepare(dirs: RootfsDirs) -> None:
    """Create the init layer, upper, work and mount-point directories."""
    for path in (dirs.upper, dirs.work, dirs.merged):
        path.mkdir(parents=True, exist_ok=True)
    make_init_layer(dirs.init)


def _mount_with_new_api(lowers: Sequence[Path], upper: Path, work: Path, target: Path) -> None:
    context = syscalls.fsopen("overlay")
    try:
        for lower in lowers:
            syscalls.fsconfig_string(context, "lowerdir+", str(lower))
        syscalls.fsconfig_string(context, "upperdir", str(upper))
        syscalls.fsconfig_string(context, "workdir", str(work))
        syscalls.fsconfig_create(context)
        mount_fd = syscalls.fsmount(context)
        try:
            syscalls.move_mount_fd(mount_fd, target)
        finally:
            os.close(mount_fd)
    finally:
        os.close(context)


def _mount_legacy(
    lowers: Sequence[Path], upper: Path, work: Path, target: Path, links: Path
) -> None:
    data = f"lowerdir={':'.join(map(str, lowers))},upperdir={upper},workdir={work}"
    if len(data) < PAGE_LIMIT:
        syscalls.mount("overlay", target, "overlay", 0, data)
        return
    # Short names relative to a directory of symlinks, resolved from a child's cwd.
    shutil.rmtree(links, ignore_errors=True)
    links.mkdir(parents=True)
    for index, lower in enumerate(lowers):
        (links / f"{index:x}").symlink_to(lower)
    short = ":".join(f"{index:x}" for index in range(len(lowers)))
    data = f"lowerdir={short},upperdir={upper},workdir={work}"
    if len(data) >= PAGE_LIMIT:
        raise RootfsError(f"too many layers ({len(lowers)}) for this kernel's overlay options")
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(links)
            syscalls.mount("overlay", target, "overlay", 0, data)
            os._exit(0)
        except SyscallError as exc:
            os._exit(exc.errno or 1)
        except BaseException:
            os._exit(255)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SyscallError("mount", code if 0 < code < 255 else errno.EIO, str(target), "overlay")


def mount_overlay(
    lowers: Sequence[Path], upper: Path, work: Path, target: Path, links: Path | None = None
) -> None:
    """Mount an overlay at `target`; `lowers` are ordered top-most first."""
    if not lowers:
        raise RootfsError("an overlay needs at least one lower directory")
    for lower in lowers:
        if not lower.is_dir():
            raise RootfsError(f"layer directory {lower} does not exist")
    try:
        _mount_with_new_api(lowers, upper, work, target)
        return
    except SyscallError as exc:
        if exc.errno not in (errno.ENOSYS, errno.EINVAL, errno.EPERM):
            raise RootfsError(f"cannot mount the overlay at {target}: {exc}") from None
    _mount_legacy(lowers, upper, work, target, links or target.parent / "l")


def mount_rootfs(dirs: RootfsDirs, image_layers: Sequence[Path]) -> Path:
    """Prepare and mount the rootfs of image snapshots (lowest layer first); return its path.

    A plain directory (a test rootfs, an unpacked image) is one layer.
    """
    prepare(dirs)
    lowers = [dirs.init, *reversed([Path(p) for p in image_layers])]
    mount_overlay(lowers, dirs.upper, dirs.work, dirs.merged, dirs.links)
    return dirs.merged


def is_mounted(path: Path) -> bool:
    """Whether `path` is a mount point in this mount namespace."""
    wanted = str(path.resolve())
    with open("/proc/self/mountinfo") as handle:
        return any(line.split()[4] == wanted for line in handle)


def unmount_rootfs(dirs: RootfsDirs) -> None:
    """Unmount the overlay (lazily if something still holds it)."""
    if not is_mounted(dirs.merged):
        return
    try:
        syscalls.umount(dirs.merged)
    except SyscallError as exc:
        if exc.errno != errno.EBUSY:
            raise
        syscalls.umount(dirs.merged, syscalls.MNT_DETACH)


def remove_rootfs(dirs: RootfsDirs) -> None:
    """Unmount and delete the container's layers (init, upper, work)."""
    unmount_rootfs(dirs)
    for path in (dirs.merged, dirs.init, dirs.upper, dirs.work, dirs.links):
        shutil.rmtree(path, ignore_errors=True)
