"""Device nodes of a container's /dev and the device-access rules of its cgroup.

/dev is a fresh tmpfs holding only the nodes a container may use (Docker's
six plus what the run request adds), the usual symlinks and the mount points
of /dev/pts, /dev/shm and /dev/mqueue.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from runtime.errors import SyscallError


@dataclass(frozen=True)
class DeviceNode:
    """A node to create: path inside the container, char/block, numbers, mode, owner."""

    path: str
    kind: str  # "c", "b", "u" (unbuffered char) or "p" (fifo)
    major: int
    minor: int
    mode: int = 0o666
    uid: int = 0
    gid: int = 0


DEFAULT_DEVICES = (
    DeviceNode("/dev/null", "c", 1, 3),
    DeviceNode("/dev/zero", "c", 1, 5),
    DeviceNode("/dev/full", "c", 1, 7),
    DeviceNode("/dev/random", "c", 1, 8),
    DeviceNode("/dev/urandom", "c", 1, 9),
    DeviceNode("/dev/tty", "c", 5, 0),
)
DEV_SYMLINKS = (
    ("/proc/self/fd", "/dev/fd"),
    ("/proc/self/fd/0", "/dev/stdin"),
    ("/proc/self/fd/1", "/dev/stdout"),
    ("/proc/self/fd/2", "/dev/stderr"),
    ("pts/ptmx", "/dev/ptmx"),
)


@dataclass(frozen=True)
class DeviceRule:
    """A cgroup device rule: allow or deny type/major/minor with r, w, m access."""

    allow: bool
    kind: str = "a"  # "a", "c" or "b"
    major: int | None = None  # None is "*"
    minor: int | None = None
    access: str = "rwm"

    def v1_line(self) -> str:
        """The rule as written to devices.allow / devices.deny."""
        if self.kind == "a":
            return "a"
        major = "*" if self.major is None else str(self.major)
        minor = "*" if self.minor is None else str(self.minor)
        return f"{self.kind} {major}:{minor} {self.access}"


# Docker's default allowlist: deny everything, then the nodes of /dev, ptys, and
# mknod (not access) of any node.
DEFAULT_RULES = (
    DeviceRule(False),
    DeviceRule(True, "c", None, None, "m"),
    DeviceRule(True, "b", None, None, "m"),
    DeviceRule(True, "c", 1, 3),
    DeviceRule(True, "c", 1, 5),
    DeviceRule(True, "c", 1, 7),
    DeviceRule(True, "c", 1, 8),
    DeviceRule(True, "c", 1, 9),
    DeviceRule(True, "c", 5, 0),
    DeviceRule(True, "c", 5, 1),
    DeviceRule(True, "c", 5, 2),
    DeviceRule(True, "c", 136, None),
    DeviceRule(True, "c", 10, 200),
)


def host_device(path: str) -> DeviceNode:
    """Describe a host device node (for `--device /dev/x`)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise SyscallError("stat", exc.errno or errno.ENOENT, path) from None
    if stat.S_ISCHR(info.st_mode):
        kind = "c"
    elif stat.S_ISBLK(info.st_mode):
        kind = "b"
    else:
        raise SyscallError("stat", errno.ENODEV, path, "not a device node")
    return DeviceNode(
        path,
        kind,
        os.major(info.st_rdev),
        os.minor(info.st_rdev),
        stat.S_IMODE(info.st_mode),
        info.st_uid,
        info.st_gid,
    )


def create_node(dev_root: str, node: DeviceNode) -> None:
    """mknod `node` under the directory that stands for the container's "/"."""
    target = os.path.join(dev_root, node.path.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    kinds = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}
    try:
        os.unlink(target)
    except FileNotFoundError:
        pass
    try:
        os.mknod(
            target, kinds[node.kind] | (node.mode & 0o7777), os.makedev(node.major, node.minor)
        )
        os.chmod(target, node.mode & 0o7777)
        os.chown(target, node.uid, node.gid)
    except OSError as exc:
        raise SyscallError("mknod", exc.errno or errno.EPERM, target) from None


def create_symlinks(root: str) -> None:
    """The /dev symlinks every program expects (fd, stdin, stdout, stderr, ptmx)."""
    for source, link in DEV_SYMLINKS:
        target = os.path.join(root, link.lstrip("/"))
        try:
            os.symlink(source, target)
        except FileExistsError:
            pass
    if os.path.exists("/proc/kcore"):
        try:
            os.symlink("/proc/kcore", os.path.join(root, "dev/core"))
        except FileExistsError:
            pass
