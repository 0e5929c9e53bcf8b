"""A private network and mount namespace for the whole test run, and a way back out.

Tests that make bridges, veths, nftables rules or publish ports must never do
so in the machine's own network namespace. Root test runs therefore move the
pytest process (and so every command it starts) into a new network namespace
with only loopback, and a new mount namespace with private propagation and a
tmpfs over /run/netns. The machine's network namespace stays reachable through
an inherited descriptor, for the few steps that must reach the Debian archive
or PyPI (base-image bootstrap, a build step installing packages).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from runtime.linux import syscalls

_host_net_fd: int | None = None
_created_run_netns = False


def enter_private_namespaces() -> None:
    """Move this process into a new network and mount namespace (root only, once)."""
    global _host_net_fd, _created_run_netns
    if _host_net_fd is not None:
        return
    host_fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    os.set_inheritable(host_fd, True)
    syscalls.unshare(syscalls.CLONE_NEWNS | syscalls.CLONE_NEWNET)
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    if not os.path.isdir("/run/netns"):
        os.makedirs("/run/netns")
        _created_run_netns = True
    syscalls.mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=755")
    _loopback_up()
    _host_net_fd = host_fd
    os.environ["PYCOMPOSE_TEST_HOST_NETNS"] = f"/proc/{os.getpid()}/fd/{host_fd}"


def leave_private_namespaces() -> None:
    """Undo what enter_private_namespaces left on the host (the /run/netns directory)."""
    if _created_run_netns:
        try:
            syscalls.umount("/run/netns", syscalls.MNT_DETACH)
            os.rmdir("/run/netns")
        except OSError:
            pass


def _loopback_up() -> None:
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        index = ipr.link_lookup(ifname="lo")[0]
        ipr.link("set", index=index, state="up")


def host_network_path() -> str | None:
    """The path of the machine's own network namespace, while the tests run in a private one."""
    return os.environ.get("PYCOMPOSE_TEST_HOST_NETNS")


def in_host_network(argv: list[str]) -> list[str]:
    """`argv` wrapped to run in the machine's network namespace (for archive/PyPI access)."""
    path = host_network_path()
    if path is None:
        return list(argv)
    return ["nsenter", f"--net={path}", "--", *argv]


@contextmanager
def host_network() -> Iterator[None]:
    """Run the body of the `with` in the machine's network namespace (this thread only)."""
    if _host_net_fd is None:
        yield
        return
    private = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        syscalls.setns(_host_net_fd, syscalls.CLONE_NEWNET)
        try:
            yield
        finally:
            syscalls.setns(private, syscalls.CLONE_NEWNET)
    finally:
        os.close(private)
