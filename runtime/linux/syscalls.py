"""Thin ctypes wrappers over the system calls Python 3.11's os module lacks.

Every wrapper raises SyscallError naming the call, the path and the errno name.
"""

from __future__ import annotations

import ctypes
import os

from runtime.errors import SyscallError


def _load_libc() -> ctypes.CDLL:
    # The soname directly: find_library runs ldconfig in a subprocess, which costs
    # more than a container start.
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        from ctypes.util import find_library

        return ctypes.CDLL(find_library("c") or "libc.so.6", use_errno=True)


_libc = _load_libc()

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
    result = _libc.syscall(_number("pivot_root"), _fs(new_root), _fs(put_old))
    _check(result, "pivot_root", new_root)


def sethostname(name: str) -> None:
    """sethostname(2) in the current UTS namespace."""
    raw = name.encode()
    _check(_libc.sethostname(raw, len(raw)), "sethostname", detail=name)


def setdomainname(name: str) -> None:
    """setdomainname(2) in the current UTS namespace."""
    raw = name.encode()
    _check(_libc.setdomainname(raw, len(raw)), "setdomainname", detail=name)


# --- process attributes: prctl(2), capabilities, seccomp -------------------------------------

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_SECCOMP = 22
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2

_libc.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]
_libc.prctl.restype = ctypes.c_int

# Numbers of the calls glibc 2.36 does not wrap; the new-mount-API ones are shared by all arches.
_SYSCALL_NUMBERS = {
    "x86_64": {"pivot_root": 155, "capget": 125, "capset": 126},
    "aarch64": {"pivot_root": 41, "capget": 90, "capset": 91},
}
_COMMON_NUMBERS = {"move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432}


def _number(name: str) -> int:
    if name in _COMMON_NUMBERS:
        return _COMMON_NUMBERS[name]
    machine = os.uname().machine
    try:
        return _SYSCALL_NUMBERS[machine][name]
    except KeyError:
        raise SyscallError(name, 38, detail=f"not supported on {machine}") from None


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    """prctl(2) with integer arguments."""
    return _check(_libc.prctl(option, arg2, arg3, arg4, arg5), "prctl", detail=f"option {option}")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


_CAP_VERSION_3 = 0x20080522


def capset(effective: int, permitted: int, inheritable: int) -> None:
    """capset(2) on this thread with 64-bit masks (capability version 3)."""
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    for index in range(2):
        shift = 32 * index
        data[index].effective = (effective >> shift) & 0xFFFFFFFF
        data[index].permitted = (permitted >> shift) & 0xFFFFFFFF
        data[index].inheritable = (inheritable >> shift) & 0xFFFFFFFF
    result = _libc.syscall(_number("capset"), ctypes.byref(header), data)
    _check(result, "capset")


class SockFilter(ctypes.Structure):
    """struct sock_filter: one classic BPF instruction."""

    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def seccomp_set_filter(program: bytes) -> None:
    """Install a classic BPF seccomp filter given as packed sock_filter records."""
    count = len(program) // ctypes.sizeof(SockFilter)
    instructions = (SockFilter * count).from_buffer_copy(program)
    fprog = _SockFprog(count, instructions)
    result = _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0)
    _check(result, "prctl(PR_SET_SECCOMP)")


# --- the new mount API (Linux 5.2+; overlay "lowerdir+" needs 6.8+) ---------------------------

FSCONFIG_SET_STRING = 1
FSCONFIG_CMD_CREATE = 6
FSMOUNT_CLOEXEC = 1
MOVE_MOUNT_F_EMPTY_PATH = 0x00000004
AT_FDCWD = -100


def fsopen(fstype: str) -> int:
    """fsopen(2): a filesystem context of `fstype`, as a descriptor."""
    result = _libc.syscall(_number("fsopen"), fstype.encode(), ctypes.c_uint(1))  # FSOPEN_CLOEXEC
    return _check(result, "fsopen", detail=fstype)


def fsconfig_string(fd: int, key: str, value: str) -> None:
    """fsconfig(FSCONFIG_SET_STRING): set one option of a filesystem context."""
    result = _libc.syscall(
        _number("fsconfig"),
        ctypes.c_int(fd),
        ctypes.c_uint(FSCONFIG_SET_STRING),
        key.encode(),
        os.fsencode(value),
        ctypes.c_int(0),
    )
    _check(result, "fsconfig", value, detail=key)


def fsconfig_create(fd: int) -> None:
    """fsconfig(FSCONFIG_CMD_CREATE): create the superblock of a configured context."""
    result = _libc.syscall(
        _number("fsconfig"), ctypes.c_int(fd), ctypes.c_uint(FSCONFIG_CMD_CREATE), None, None, 0
    )
    _check(result, "fsconfig", detail="create")


def fsmount(fd: int, attr_flags: int = 0) -> int:
    """fsmount(2): a detached mount of a created context, as a descriptor."""
    result = _libc.syscall(
        _number("fsmount"),
        ctypes.c_int(fd),
        ctypes.c_uint(FSMOUNT_CLOEXEC),
        ctypes.c_uint(attr_flags),
    )
    return _check(result, "fsmount")


def move_mount_fd(mount_fd: int, target: str | os.PathLike[str]) -> None:
    """move_mount(2): attach the detached mount `mount_fd` at `target`."""
    result = _libc.syscall(
        _number("move_mount"),
        ctypes.c_int(mount_fd),
        b"",
        ctypes.c_int(AT_FDCWD),
        _fs(target),
        ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH),
    )
    _check(result, "move_mount", target)
