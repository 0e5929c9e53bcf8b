"""Thin ctypes wrappers over the system calls Python 3.11's os module lacks.

Every wrapper raises SyscallError naming the call, the path and the errno name.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

from runtime.errors import SyscallError

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

# clone(2) / unshare(2) / setns(2) namespace flags
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWTIME = 0x00000080

NAMESPACE_FLAGS = {
    "mount": CLONE_NEWNS,
    "cgroup": CLONE_NEWCGROUP,
    "uts": CLONE_NEWUTS,
    "ipc": CLONE_NEWIPC,
    "user": CLONE_NEWUSER,
    "pid": CLONE_NEWPID,
    "network": CLONE_NEWNET,
    "time": CLONE_NEWTIME,
}
# The name of each namespace under /proc/<pid>/ns/
NAMESPACE_FILES = {
    "mount": "mnt",
    "cgroup": "cgroup",
    "uts": "uts",
    "ipc": "ipc",
    "user": "user",
    "pid": "pid",
    "network": "net",
    "time": "time",
}

# mount(2) flags
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_SYNCHRONOUS = 16
MS_REMOUNT = 32
MS_MANDLOCK = 64
MS_DIRSYNC = 128
MS_NOSYMFOLLOW = 256
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_SILENT = 32768
MS_POSIXACL = 1 << 16
MS_UNBINDABLE = 1 << 17
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_SHARED = 1 << 20
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24
MS_LAZYTIME = 1 << 25

# umount2(2) flags
MNT_FORCE = 1
MNT_DETACH = 2
MNT_EXPIRE = 4
UMOUNT_NOFOLLOW = 8

_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_void_p,
]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.sethostname.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_libc.setdomainname.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_libc.syscall.restype = ctypes.c_long


def _fs(value: str | bytes | os.PathLike[str] | None) -> bytes | None:
    if value is None:
        return None
    return os.fsencode(value)


def _check(
    result: int, call: str, path: str | os.PathLike[str] | None = None, detail: str = ""
) -> int:
    if result < 0:
        raise SyscallError(call, ctypes.get_errno(), os.fspath(path) if path else None, detail)
    return result


def unshare(flags: int) -> None:
    """unshare(2): give this thread (the process, for most flags) new namespaces."""
    _check(_libc.unshare(flags), "unshare", detail=f"flags {flags:#x}")


def setns(fd: int, nstype: int = 0, path: str | None = None) -> None:
    """setns(2): join the namespace that `fd` refers to."""
    _check(_libc.setns(fd, nstype), "setns", path)


def setns_path(path: str | os.PathLike[str], nstype: int = 0) -> None:
    """Open a namespace file (e.g. /proc/PID/ns/net) and join it."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns(fd, nstype, os.fspath(path))
    finally:
        os.close(fd)


def mount(
    source: str | os.PathLike[str] | None,
    target: str | os.PathLike[str],
    fstype: str | None = None,
    flags: int = 0,
    data: str | bytes | None = None,
) -> None:
    """mount(2)."""
    data_bytes = data.encode() if isinstance(data, str) else data
    result = _libc.mount(
        _fs(source),
        _fs(target),
        _fs(fstype),
        flags,
        ctypes.c_char_p(data_bytes) if data_bytes is not None else None,
    )
    detail = f"source {os.fspath(source)}" if source is not None else ""
    if fstype:
        detail += f"{', ' if detail else ''}type {fstype}"
    _check(result, "mount", target, detail)


def umount(target: str | os.PathLike[str], flags: int = 0) -> None:
    """umount2(2)."""
    _check(_libc.umount2(_fs(target), flags), "umount2", target)


def pivot_root(new_root: str | os.PathLike[str], put_old: str | os.PathLike[str]) -> None:
    """pivot_root(2), which glibc does not wrap."""
    sys_pivot_root = 155  # x86_64
    if os.uname().machine == "aarch64":
        sys_pivot_root = 41
    result = _libc.syscall(sys_pivot_root, _fs(new_root), _fs(put_old))
    _check(result, "pivot_root", new_root)


def sethostname(name: str) -> None:
    """sethostname(2) in the current UTS namespace."""
    raw = name.encode()
    _check(_libc.sethostname(raw, len(raw)), "sethostname", detail=name)


def setdomainname(name: str) -> None:
    """setdomainname(2) in the current UTS namespace."""
    raw = name.encode()
    _check(_libc.setdomainname(raw, len(raw)), "setdomainname", detail=name)
