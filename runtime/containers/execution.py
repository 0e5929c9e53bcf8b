"""`exec`: a new process in a running container, run from the calling process.

The runtime forks it into the container's namespaces (user, mnt, pid, uts,
ipc, net, cgroup — whichever it has of its own) and cgroup, with the
container's capabilities, seccomp filter, rlimits, environment, user and
working directory (see processes.exec_process for `-u -w -e -t`). The calling
process is its subreaper and waits for it; the exit code is the command's.
With a terminal the pty master comes back over a socketpair and is relayed
to the caller's terminal in raw mode, window size included.
"""

from __future__ import annotations

import os
import select
import signal
import socket
from typing import TYPE_CHECKING

from runtime.containers.console import RawTerminal, SignalPipe, window_size, write_all
from runtime.containers.errors import ContainerStateConflict
from runtime.containers.model import ExecOptions
from runtime.containers.paths import ContainerPaths, runtime_state_root
from runtime.containers.processes import exec_process
from runtime.containers.runtimes import ExecHandle, open_runtime
from runtime.linux import terminal

if TYPE_CHECKING:
    from runtime.containers.manager import Containers
    from runtime.containers.model import Container

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def _running(manager: Containers, key: str) -> Container:
    container = manager.get(key)
    if container.state.status == "paused":
        raise ContainerStateConflict(
            f"container {container.id} is paused, unpause the container before exec"
        )
    if container.state.status != "running":
        raise ContainerStateConflict(f"container {container.id} is not running")
    return container


def _start(
    manager: Containers,
    container: Container,
    options: ExecOptions,
    stdio: tuple[int, int, int],
    console: int | None,
) -> ExecHandle:
    layout = manager.store.layout
    process = exec_process(
        ContainerPaths(layout, container.id).bundle,
        options.args,
        user=options.user,
        workdir=options.workdir,
        env=options.env,
        tty=options.tty,
        privileged=options.privileged,
    )
    runtime = open_runtime(container.runtime, runtime_state_root(layout, container.runtime))
    command = " ".join(options.args)
    manager.registry.event(container.id, f"exec_create: {command}")
    handle = runtime.exec(container.id, process, stdio, console)
    manager.registry.event(container.id, f"exec_start: {command}")
    return handle


def exec_in(
    manager: Containers, key: str, options: ExecOptions, stdio: tuple[int, int, int] | None
) -> int:
    """Run `options.args` in the container; its exit code."""
    container = _running(manager, key)
    null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    try:
        if options.tty:
            code = _exec_terminal(manager, container, options, null)
        else:
            if stdio is None:
                stdio = (0 if options.interactive else null, 1, 2)
            if options.detach:
                stdio = (null, null, null)
            handle = _start(manager, container, options, stdio, None)
            if options.detach:
                return 0
            code = _wait_forwarding(handle)
    finally:
        os.close(null)
    manager.registry.event(container.id, "exec_die", {"exitCode": str(code)})
    return code


def _wait_forwarding(handle: ExecHandle) -> int:
    """Wait for the process; signals this process gets are passed on to it."""
    with SignalPipe(FORWARDED) as signals:
        pidfd = os.pidfd_open(handle.pid)
        try:
            while True:
                ready, _, _ = select.select([pidfd, signals.read_fd], [], [])
                for number in signals.received():
                    try:
                        os.kill(handle.pid, number)
                    except ProcessLookupError:
                        pass
                if pidfd in ready:
                    break
        finally:
            os.close(pidfd)
        return handle.wait().code


def _exec_terminal(
    manager: Containers, container: Container, options: ExecOptions, null: int
) -> int:
    ours, theirs = socket.socketpair()
    try:
        handle = _start(manager, container, options, (null, null, null), theirs.fileno())
        theirs.close()
        ours.settimeout(30)
        master = terminal.receive_fd(ours)
    finally:
        ours.close()
        theirs.close()
    try:
        size = window_size()
        if size:
            terminal.set_window_size(master, *size)
        return _relay(handle, master, interactive=options.interactive)
    finally:
        os.close(master)


def _relay(handle: ExecHandle, master: int, interactive: bool) -> int:
    """Copy the caller's terminal to the pty and back until the process ends."""
    with SignalPipe((signal.SIGWINCH,)) as signals, RawTerminal(0):
        inputs = [master, signals.read_fd] + ([0] if interactive else [])
        while True:
            ready, _, _ = select.select(inputs, [], [])
            if signals.read_fd in ready and signals.received():
                size = window_size()
                if size:
                    terminal.set_window_size(master, *size)
            if 0 in ready:
                data = os.read(0, 65536)
                if data:
                    write_all(master, data)
                else:
                    inputs.remove(0)
                    write_all(master, b"\x04")  # EOF for the terminal's reader
            if master in ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if not data:
                    break
                write_all(1, data)
    return handle.wait().code


def exec_capture(
    manager: Containers, key: str, args: list[str], user: str | None
) -> tuple[int, bytes, bytes]:
    """Run a command with its output captured: (exit code, stdout, stderr)."""
    container = _running(manager, key)
    null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    try:
        handle = _start(
            manager, container, ExecOptions(tuple(args), user=user), (null, out_w, err_w), None
        )
    finally:
        os.close(null)
        os.close(out_w)
        os.close(err_w)
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    open_fds = [out_r, err_r]
    while open_fds:
        for fd in select.select(open_fds, [], [])[0]:
            data = os.read(fd, 65536)
            if data:
                chunks[fd].append(data)
            else:
                open_fds.remove(fd)
                os.close(fd)
    code = handle.wait().code
    manager.registry.event(container.id, "exec_die", {"exitCode": str(code)})
    return code, b"".join(chunks[out_r]), b"".join(chunks[err_r])
