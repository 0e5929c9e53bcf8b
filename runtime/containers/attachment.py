"""`attach` (and `run` without `-d`): this process's stdio joined to a container's, via its monitor.

The monitor relays the container's output to every client on its socket and
their input to the container's stdin (or terminal). Here: the caller's stdin
(with `-i`) goes there, output comes back to stdout and stderr, the window
size follows SIGWINCH, and without a terminal SIGINT/SIGTERM are passed to
the container as Docker's `--sig-proxy` does. The detach keys (Ctrl-P Ctrl-Q)
leave the container running.
"""

from __future__ import annotations

import os
import select
import signal
import socket
from typing import TYPE_CHECKING

from runtime.containers.console import (
    RawTerminal,
    SignalPipe,
    parse_detach_keys,
    window_size,
    write_all,
)
from runtime.containers.errors import ContainerError, ContainerStateConflict
from runtime.containers.monitor import protocol
from runtime.containers.paths import ContainerPaths

if TYPE_CHECKING:
    from runtime.containers.manager import Containers

PROXIED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
           signal.SIGUSR2)  # fmt: skip


def _connect(manager: Containers, key: str) -> tuple[str, socket.socket]:
    container = manager.get(key)
    path = ContainerPaths(manager.store.layout, container.id).attach_socket
    try:
        # A monitor waiting for its first client (`run` without -d) still says "created".
        return container.id, protocol.connect(str(path))
    except OSError:
        if container.state.status not in ("running", "paused", "restarting"):
            raise ContainerStateConflict(
                "You cannot attach to a stopped container, start it first"
            ) from None
        raise ContainerError(
            f"cannot attach to container {container.name}: its monitor is not running"
        ) from None


def attach_container(
    manager: Containers,
    key: str,
    stdin: bool,
    tty: bool | None,
    detach_keys: str,
    proxy_signals: bool,
) -> int | None:
    """Relay until the container exits (its exit code) or the detach keys (None)."""
    container_id, connection = _connect(manager, key)
    container = manager.get(container_id)
    terminal = container.spec.tty if tty is None else tty
    keys = parse_detach_keys(detach_keys) if terminal and stdin else b""
    code: int | None = None
    detached = False
    watched = (signal.SIGWINCH,) if terminal else (PROXIED if proxy_signals else ())
    with connection, SignalPipe(watched) as signals, RawTerminal(0 if terminal and stdin else -1):
        connection.send(protocol.GO)
        if terminal:
            _send_size(connection)
        inputs: list[int] = [connection.fileno(), signals.read_fd] + ([0] if stdin else [])
        typed = b""
        while True:
            ready, _, _ = select.select(inputs, [], [])
            if signals.read_fd in ready:
                for number in signals.received():
                    if number == signal.SIGWINCH:
                        _send_size(connection)
                    else:
                        try:
                            manager.kill(container_id, number)
                        except ContainerError:
                            pass
            if 0 in ready:
                data = os.read(0, protocol.CHUNK)
                if not data:
                    inputs.remove(0)
                    connection.send(protocol.CLOSE_STDIN)
                else:
                    if keys:
                        typed = (typed + data)[-len(keys) :]
                        if typed == keys:
                            detached = True
                            break
                    connection.send(protocol.STDIN + data)
            if connection.fileno() in ready:
                message = connection.recv(protocol.CHUNK + 64)
                if not message:
                    break
                kind, payload = message[:1], message[1:]
                if kind == protocol.STDOUT:
                    write_all(1, payload)
                elif kind == protocol.STDERR:
                    write_all(2, payload)
                elif kind == protocol.EXITED:
                    code = int(payload)
    if detached:
        return None
    if code is None:
        code = manager.wait(container_id, "not-running")
    return code


def _send_size(connection: socket.socket) -> None:
    size = window_size()
    if size:
        connection.send(protocol.RESIZE + f"{size[0]} {size[1]}".encode())
