"""Kernel parameters of the container's own namespaces (net.*, kernel.shm*, ...)."""

from __future__ import annotations

import errno

from runtime.errors import EngineError, SyscallError

# The namespaced parameters Docker accepts; anything else would change the host.
NAMESPACED_PREFIXES = ("net.", "fs.mqueue.")
NAMESPACED_KEYS = {
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
    "kernel.domainname",
    "kernel.hostname",
}


class SysctlError(EngineError):
    """A sysctl is not namespaced (it would change the host) or cannot be written."""


def check_namespaced(key: str, host_network: bool = False) -> None:
    """Refuse a key that is not isolated by the container's namespaces."""
    if key in NAMESPACED_KEYS:
        return
    if key.startswith(NAMESPACED_PREFIXES):
        if key.startswith("net.") and host_network:
            raise SysctlError(f"sysctl {key} is not allowed with the host's network namespace")
        return
    raise SysctlError(f"sysctl {key} is not namespaced and would change the host")


# Which namespace isolates which keys (the rest are the host's: refused).
_IPC_KEYS = {key for key in NAMESPACED_KEYS if key.startswith(("kernel.msg", "kernel.s"))}
_UTS_KEYS = {"kernel.domainname", "kernel.hostname"}


def check_isolated(key: str, own_namespaces: set[str]) -> None:
    """Refuse a key unless the container has its own namespace for it (as runc checks).

    `own_namespaces` are the OCI namespace types the container does not share with
    the host ("network", "ipc", "uts"...).
    """
    if key in _UTS_KEYS:
        needed = "uts"
    elif key in _IPC_KEYS or key.startswith("fs.mqueue."):
        needed = "ipc"
    elif key.startswith("net."):
        needed = "network"
    else:
        raise SysctlError(f"sysctl {key} is not namespaced and would change the host")
    if needed not in own_namespaces:
        raise SysctlError(f"sysctl {key} needs a {needed} namespace of the container's own")


def write_sysctl(key: str, value: str) -> None:
    """Write /proc/sys/<key with dots as slashes>."""
    path = "/proc/sys/" + key.replace(".", "/")
    try:
        with open(path, "w") as handle:
            handle.write(value)
    except OSError as exc:
        raise SyscallError("write", exc.errno or errno.EIO, path, f"sysctl {key}={value}") from None
