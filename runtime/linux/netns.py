"""Network namespaces pinned by bind mounts: create, enter for a block of code, remove.

A pinned namespace is a new network namespace whose nsfs file is bind-mounted
onto a plain file (the pin). It lives as long as the pin is mounted, whether or
not any process is inside it, so a container's network (interfaces, addresses,
routes) can outlive the container's processes and be joined by others.

Entering is per thread: `setns(CLONE_NEWNET)` moves only the calling thread,
and `entered` always moves it back, so the rest of the program stays where it
was. A netlink socket opened inside keeps talking to that namespace after the
thread has left, which is how the network code configures a namespace without
forking.

A mount namespace copied from this one while a pin exists holds a copy of the
pin; a container drops it with the rest of the old root at pivot_root.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runtime.errors import SyscallError
from runtime.linux import syscalls

THREAD_NET = "/proc/thread-self/ns/net"


def _mount_points() -> set[str]:
    """Mount points of this process's mount namespace."""
    points: set[str] = set()
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) > 4:
                points.add(fields[4].replace("\\040", " "))
    return points


def is_pinned(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a mount point holding a namespace (a live pin)."""
    return os.path.realpath(path) in _mount_points()


def create(path: str | os.PathLike[str]) -> Path:
    """Create a new network namespace with only `lo` (up), pinned at `path`; return the path.

    Raises SyscallError if `path` already pins a namespace.
    """
    pin = Path(path)
    if is_pinned(pin):
        raise SyscallError("create network namespace", errno.EEXIST, str(pin))
    pin.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(pin, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o444)
    os.close(fd)
    saved = os.open(THREAD_NET, os.O_RDONLY | os.O_CLOEXEC)
    try:
        syscalls.unshare(syscalls.CLONE_NEWNET)
        try:
            syscalls.mount(THREAD_NET, pin, None, syscalls.MS_BIND)
            _loopback_up()
        finally:
            syscalls.setns(saved, syscalls.CLONE_NEWNET, THREAD_NET)
    except BaseException:
        _unpin(pin)
        raise
    finally:
        os.close(saved)
    return pin


def _loopback_up() -> None:
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        index = ipr.link_lookup(ifname="lo")[0]
        ipr.link("set", index=index, state="up")


def remove(path: str | os.PathLike[str]) -> None:
    """Unpin the namespace at `path` and delete the pin (idempotent).

    The namespace itself goes away once no process is left inside it; with it
    go its interfaces (the container ends of veth pairs, and so the pairs).
    """
    _unpin(Path(path))


def _unpin(pin: Path) -> None:
    if is_pinned(pin):
        syscalls.umount(pin, syscalls.MNT_DETACH)
    try:
        pin.unlink()
    except FileNotFoundError:
        pass


def open_namespace(path: str | os.PathLike[str]) -> int:
    """Open a network namespace file (a pin or /proc/PID/ns/net); the caller closes the fd."""
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise SyscallError("open network namespace", exc.errno or 0, os.fspath(path)) from exc


@contextmanager
def entered(path: str | os.PathLike[str]) -> Iterator[None]:
    """Run the body with this thread in the network namespace at `path`, then move it back."""
    target = open_namespace(path)
    try:
        saved = os.open(THREAD_NET, os.O_RDONLY | os.O_CLOEXEC)
        try:
            syscalls.setns(target, syscalls.CLONE_NEWNET, os.fspath(path))
            try:
                yield
            finally:
                syscalls.setns(saved, syscalls.CLONE_NEWNET, THREAD_NET)
        finally:
            os.close(saved)
    finally:
        os.close(target)


def same_namespace(first: str | os.PathLike[str], second: str | os.PathLike[str]) -> bool:
    """Whether two namespace files refer to the same network namespace."""
    a, b = os.stat(first), os.stat(second)
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
