"""Namespaces: join the ones given by path, create the rest, and compare them.

runc's order is kept: namespaces named by a path are joined first (with
setns, each checked to be of the expected kind), then one unshare(2) creates
all the others at once. A new PID namespace applies to children only, so the
caller forks after this.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from runtime.errors import SyscallError
from runtime.linux import syscalls

# OCI names ("network", "mount", ...) in the order runc joins them: the user
# namespace is absent here (not supported), mount comes last so the paths of
# the others stay reachable.
JOIN_ORDER = ("ipc", "uts", "network", "pid", "cgroup", "time", "mount")


@dataclass(frozen=True)
class NamespaceRequest:
    """One `linux.namespaces` entry: a kind and, to join an existing one, its path."""

    kind: str
    path: str | None = None


def flag_of(kind: str) -> int:
    """The CLONE_NEW* flag of an OCI namespace name."""
    try:
        return syscalls.NAMESPACE_FLAGS[kind]
    except KeyError:
        raise SyscallError("unshare", 22, detail=f"unknown namespace kind {kind!r}") from None


def open_namespace_files(requests: Iterable[NamespaceRequest]) -> list[tuple[str, int]]:
    """Open every namespace to join before any is joined (paths may live in the others)."""
    opened: list[tuple[str, int]] = []
    try:
        for request in sorted(
            (r for r in requests if r.path), key=lambda r: JOIN_ORDER.index(r.kind)
        ):
            assert request.path is not None
            try:
                fd = os.open(request.path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                raise SyscallError("open", exc.errno or 2, request.path, request.kind) from None
            opened.append((request.kind, fd))
    except BaseException:
        for _, fd in opened:
            os.close(fd)
        raise
    return opened


def join_and_unshare(requests: Iterable[NamespaceRequest]) -> None:
    """Join the namespaces given by path, then unshare the ones without a path."""
    requests = list(requests)
    for kind, fd in open_namespace_files(requests):
        try:
            syscalls.setns(fd, flag_of(kind), f"{kind} namespace")
        finally:
            os.close(fd)
    flags = 0
    for request in requests:
        if not request.path:
            flags |= flag_of(request.kind)
    if flags:
        syscalls.unshare(flags)


def namespace_id(pid: int | str, kind: str) -> str:
    """The identity of a process's namespace, e.g. 'net:[4026531840]'."""
    return os.readlink(f"/proc/{pid}/ns/{syscalls.NAMESPACE_FILES[kind]}")


def namespace_path(pid: int, kind: str) -> str:
    """The /proc path that names `pid`'s namespace of `kind`, for others to join."""
    return f"/proc/{pid}/ns/{syscalls.NAMESPACE_FILES[kind]}"


def set_hostname(hostname: str | None, domainname: str | None) -> None:
    """Set the host and domain name of the current UTS namespace."""
    if hostname:
        syscalls.sethostname(hostname)
    if domainname:
        syscalls.setdomainname(domainname)
