"""Linux capabilities: names, Docker's default set, and applying the five sets to a process.

The order follows runc: drop from the bounding set while CAP_SETPCAP is still
held, keep the permitted set across the change of user (PR_SET_KEEPCAPS), then
capset the effective, permitted and inheritable sets and raise the ambient ones.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass, field

from runtime.errors import SyscallError
from runtime.linux import syscalls

CAPABILITIES = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
CAPABILITY_NUMBERS = {name: number for number, name in enumerate(CAPABILITIES)}

# What `docker run` grants when nothing is added or dropped.
DOCKER_DEFAULT_CAPABILITIES = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)


def last_capability() -> int:
    """The highest capability number this kernel knows."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as handle:
            return int(handle.read())
    except OSError:
        return len(CAPABILITIES) - 1


def has_capability(name: str) -> bool:
    """Whether this process holds `name` in its effective set."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) & to_mask([name]))
    return False


def normalize_name(name: str) -> str:
    """`net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` all name CAP_NET_ADMIN; `ALL` stays."""
    upper = name.strip().upper()
    if upper == "ALL":
        return upper
    return upper if upper.startswith("CAP_") else "CAP_" + upper


def to_mask(names: Iterable[str]) -> int:
    """The bit mask of capability names; unknown names raise ValueError."""
    mask = 0
    for name in names:
        normalized = normalize_name(name)
        if normalized not in CAPABILITY_NUMBERS:
            raise ValueError(f"unknown capability {name!r}")
        mask |= 1 << CAPABILITY_NUMBERS[normalized]
    return mask


def resolve_set(privileged: bool, add: Iterable[str] = (), drop: Iterable[str] = ()) -> list[str]:
    """Docker's rules for the resulting set: defaults (or all), plus `add`, minus `drop`."""
    known = CAPABILITIES[: last_capability() + 1]
    added = [normalize_name(name) for name in add]
    dropped = [normalize_name(name) for name in drop]
    for name in (*added, *dropped):
        if name != "ALL" and name not in CAPABILITY_NUMBERS:
            raise ValueError(f"unknown capability {name!r}")
    if privileged or "ALL" in added:
        result = list(known)
    else:
        result = list(DOCKER_DEFAULT_CAPABILITIES)
        result += [name for name in added if name not in result]
    if "ALL" in dropped:
        # Docker: drop ALL then add back only what is listed explicitly.
        result = [name for name in added if name != "ALL"]
    else:
        result = [name for name in result if name not in dropped]
    return result


@dataclass(frozen=True)
class CapabilitySets:
    """The five capability sets of a process, as name lists (OCI process.capabilities)."""

    bounding: tuple[str, ...] = ()
    effective: tuple[str, ...] = ()
    permitted: tuple[str, ...] = ()
    inheritable: tuple[str, ...] = ()
    ambient: tuple[str, ...] = field(default=())


def drop_bounding(keep: Iterable[str]) -> None:
    """Drop every capability not in `keep` from the bounding set (needs CAP_SETPCAP)."""
    keep_mask = to_mask(keep)
    for number in range(last_capability() + 1):
        if not keep_mask & (1 << number):
            try:
                syscalls.prctl(syscalls.PR_CAPBSET_DROP, number)
            except SyscallError as exc:
                if exc.errno != errno.EINVAL:
                    raise


def keep_capabilities_across_setuid(keep: bool) -> None:
    """PR_SET_KEEPCAPS: keep the permitted set when the user changes away from root."""
    syscalls.prctl(syscalls.PR_SET_KEEPCAPS, 1 if keep else 0)


def apply_sets(sets: CapabilitySets) -> None:
    """capset the effective, permitted and inheritable sets, then raise the ambient ones."""
    syscalls.capset(to_mask(sets.effective), to_mask(sets.permitted), to_mask(sets.inheritable))
    syscalls.prctl(syscalls.PR_CAP_AMBIENT, syscalls.PR_CAP_AMBIENT_CLEAR_ALL)
    for name in sets.ambient:
        try:
            syscalls.prctl(
                syscalls.PR_CAP_AMBIENT,
                syscalls.PR_CAP_AMBIENT_RAISE,
                to_mask([name]).bit_length() - 1,
            )
        except SyscallError as exc:
            # Like runc: an ambient capability not also permitted and inheritable is skipped.
            if exc.errno != errno.EPERM:
                raise
