"""The descriptors a monitor is born with: the container's stdio and its first launch helper.

They are made by the launcher just before it executes the monitor, in a
process that has the OCI runtime code loaded already, so the first launch
helper (a fork of that process) starts creating the container at once,
without importing anything, while the monitor interpreter starts up. The
monitor receives them across execve as one command-line word
(`name=fd,name=fd,...`) and owns them from then on: the stdio channels
outlive every restart of the container.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The monitor's ends, never given to a launch helper's container.
MONITOR_ENDS = ("out_r", "err_r", "stdin_w", "console_local")
# Passed along with the descriptors, but not one.
NUMBERS = ("launch_pid",)


def open_channels(config: dict[str, Any]) -> dict[str, int]:
    """The container's stdio: pipes (or a socketpair that receives a terminal) and /dev/null.

    The monitor keeps the write ends too, so output pipes never reach end of
    file between restarts. A missing channel is -1.
    """
    import socket

    devnull = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    fds = {"devnull": devnull, "stdin_r": devnull, "stdin_w": -1}
    for name in ("out_r", "out_w", "err_r", "err_w", "console_local", "console_remote"):
        fds[name] = -1
    if config["tty"]:
        local, remote = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        fds["console_local"], fds["console_remote"] = local.detach(), remote.detach()
    else:
        for stream in ("out", "err"):
            read_end, write_end = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
            os.set_blocking(write_end, True)
            fds[f"{stream}_r"], fds[f"{stream}_w"] = read_end, write_end
    if config["stdin"]:
        fds["stdin_r"], fds["stdin_w"] = os.pipe2(os.O_CLOEXEC)
        os.set_blocking(fds["stdin_w"], False)
    return fds


def launch_stdio(fds: dict[str, int], tty: bool) -> tuple[tuple[int, int, int], int | None]:
    """What a launch helper hands the runtime: the process's stdio, and the console socket."""
    if tty:
        return (fds["devnull"],) * 3, fds["console_remote"]
    return (fds["stdin_r"], fds["out_w"], fds["err_w"]), None


def encode(fds: dict[str, int]) -> str:
    """One command-line word for `fds` (each descriptor made inheritable across execve)."""
    _set_inheritable(fds, True)
    return ",".join(f"{name}={fd}" for name, fd in fds.items())


def decode(word: str) -> dict[str, int]:
    """The descriptors `encode` passed (made close-on-exec again, as the monitor's own)."""
    fds: dict[str, int] = {}
    for item in word.split(","):
        name, _, value = item.partition("=")
        fds[name] = int(value)
    _set_inheritable(fds, False)
    return fds


def _set_inheritable(fds: dict[str, int], inheritable: bool) -> None:
    for fd in {fd for name, fd in fds.items() if name not in NUMBERS}:
        if fd >= 0:
            os.set_inheritable(fd, inheritable)
